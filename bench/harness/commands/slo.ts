import { judge, parseSlo } from '../analysis/slo-rule.ts';
import { type Command, num, str } from '../command-line.ts';
import { envelope } from '../envelope.ts';
import type { SloRun } from '../result.ts';
import { sloView } from '../runners/latency.ts';
import { openLoop } from '../runners/open-loop.ts';
import { buildQueries, describeTarget } from '../runners/target.ts';
import { openLoopWarnings, QUERIES_OPTION, queriesOf, recallProbe } from './common.ts';

/** The highest arrival rate that meets a rule: doubling, then bisection. */
export const sloCommand: Command = {
  name: 'slo',
  summary: 'the highest rate meeting a rule (p99<100ms,errors<0.1%); --require R gates CI',
  targetsServer: true,
  options: {
    rule: { type: 'string', default: 'p99<100ms,errors<0.1%', help: 'what a passing rate meets' },
    start: { type: 'string', default: '100', help: 'first rate tried (doubles until one fails)' },
    max: { type: 'string', default: '100000', help: 'highest rate tried' },
    iterations: { type: 'string', default: '8', help: 'most rates tried' },
    duration: { type: 'string', default: '5', help: 'seconds per rate' },
    require: { type: 'string', help: 'exit 1 unless this rate meets the rule' },
    connections: { type: 'string', default: '256', help: 'most connections the generator opens' },
    ...QUERIES_OPTION,
  },
  async run(values, progress): Promise<SloRun> {
    const target = await describeTarget(str(values, 'target'), str(values, 'collection'));
    const ruleText = str(values, 'rule');
    const rule = parseSlo(ruleText);
    const queries = buildQueries(target, { mix: queriesOf(values) });
    const seconds = num(values, 'duration');
    const steps: SloRun['steps'] = [];
    const tryRate = async (rate: number) => {
      const rounded = Math.max(1, Math.round(rate));
      const known = steps.find((s) => s.rate === rounded);
      if (known) return known.pass;
      progress(`rate ${rounded}/s for ${seconds} s...`);
      const result = await openLoop({
        url: target.url,
        stages: [{ rate: rounded, seconds }],
        connections: num(values, 'connections'),
        request: (i) => ({
          path: queries.path.search,
          body: queries.body('search', i),
          scenario: 'search',
        }),
      });
      const verdict = judge(rule, sloView(result.latency, result.errorRate));
      // Latency counts from each request's intended send time, so a late send is charged to
      // the measured latency, never hidden: a rate is judged unless the generator sent less
      // than was asked (dropped sends, or an achieved rate under 97% of it).
      const sentWhatWasAsked = result.dropped === 0 && result.achievedSendRate >= 0.97 * rounded;
      const pass = verdict.pass && sentWhatWasAsked;
      steps.push({ rate: rounded, pass, verdict, result });
      progress(
        `rate ${rounded}/s: ${pass ? 'pass' : 'fail'} (p99 ${result.latency.p99Ms} ms, errors ${(result.errorRate * 100).toFixed(3)}%${sentWhatWasAsked ? '' : `, the generator sent ${Math.round(result.achievedSendRate)}/s with ${result.dropped} dropped`}${result.generator.trustworthy ? '' : `; generator: ${result.generator.reasons.join(', ')}`})`,
      );
      return pass;
    };
    // Double until a rate fails, then bisect between the last pass and the first failure.
    let lo = 0;
    let hi = 0;
    let rate = num(values, 'start');
    const max = num(values, 'max');
    const iterations = num(values, 'iterations');
    let i = 0;
    while (i++ < iterations && rate <= max) {
      if (await tryRate(rate)) {
        lo = rate;
        rate *= 2;
      } else {
        hi = rate;
        break;
      }
    }
    while (hi > 0 && i++ < iterations && hi - lo > Math.max(1, lo * 0.05)) {
      const mid = (lo + hi) / 2;
      if (await tryRate(mid)) lo = mid;
      else hi = mid;
    }
    const passing = steps.filter((s) => s.pass).map((s) => s.rate);
    const run: SloRun = {
      ...envelope('slo', values, target),
      rule: ruleText,
      steps,
      maxPassingRate: passing.length ? Math.max(...passing) : null,
      required: null,
    };
    if (values.require !== undefined) {
      const required = num(values, 'require');
      run.required = { rate: required, pass: await tryRate(required) };
    }
    for (const s of steps)
      run.warnings.push(...openLoopWarnings(s.result).map((w) => `rate ${s.rate}: ${w}`));
    run.recall = await recallProbe(target, values, run.warnings);
    return run;
  },
};
