import { judge, parseSlo } from '../../analysis/slo-rule.ts';
import { type Command, num, str } from '../../command-line.ts';
import { openLoopWarnings, QUERIES_OPTION, queriesOf, recallProbe } from '../../commands/common.ts';
import { envelope } from '../../envelope.ts';
import { sloView } from '../../runners/latency.ts';
import { openLoop } from '../../runners/open-loop.ts';
import { buildQueries, describeTarget } from '../../runners/target.ts';
import { vegetaOpenLoop } from '../../runners/vegeta.ts';
import { runWrk } from '../../runners/wrk.ts';
import type { SloRun } from './result.ts';

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
    generator: {
      type: 'string',
      default: 'vegeta',
      help: "vegeta (compiled, as the sweep's wrk is) or node (the in-process undici loop, which takes CPU from a server on the same host)",
    },
    'generator-cpus': {
      type: 'string',
      help: 'pin vegeta (and wrk for --peak) to these CPUs (taskset), e.g. 0',
    },
    peak: {
      type: 'boolean',
      default: false,
      help: 'first measure the closed-loop peak (wrk, c=1..64) on the same target, and report the passing rate as its share',
    },
    ...QUERIES_OPTION,
  },
  async run(values, progress): Promise<SloRun> {
    const target = await describeTarget(str(values, 'target'), str(values, 'collection'));
    const ruleText = str(values, 'rule');
    const rule = parseSlo(ruleText);
    const queries = buildQueries(target, { mix: queriesOf(values) });
    const seconds = num(values, 'duration');
    const generator = str(values, 'generator');
    if (generator !== 'vegeta' && generator !== 'node')
      throw new Error(`--generator must be vegeta or node, got ${generator}`);
    const path = queries.path.search;
    const bodies = queries.bodies.search;
    // The peak a closed loop gets, in the same run: what the passing rate is judged against.
    let closedLoopPeak: SloRun['closedLoopPeak'];
    if (values.peak === true) {
      progress('closed-loop peak (wrk)...');
      const sweep: { concurrency: number; okPerSecond: number; p99Ms: number }[] = [];
      await runWrk({ url: target.url, path, bodies, connections: 8, seconds: 3 });
      for (const concurrency of [1, 4, 16, 32, 64]) {
        const w = await runWrk({
          url: target.url,
          path,
          bodies,
          connections: concurrency,
          seconds,
        });
        sweep.push({ concurrency, okPerSecond: Math.round(w.okPerSecond), p99Ms: w.latencyMs.p99 });
        progress(`c=${concurrency}: ${Math.round(w.okPerSecond)} ok/s, p99 ${w.latencyMs.p99} ms`);
      }
      const best = sweep.reduce((a, b) => (b.okPerSecond > a.okPerSecond ? b : a));
      closedLoopPeak = { okPerSecond: best.okPerSecond, concurrency: best.concurrency, sweep };
    }
    const steps: SloRun['steps'] = [];
    const tryRate = async (rate: number) => {
      const rounded = Math.max(1, Math.round(rate));
      const known = steps.find((s) => s.rate === rounded);
      if (known) return known.pass;
      progress(`rate ${rounded}/s for ${seconds} s...`);
      const result =
        generator === 'vegeta'
          ? await vegetaOpenLoop({
              url: target.url,
              path,
              bodies,
              rate: rounded,
              seconds,
              cpus: values['generator-cpus'] as string | undefined,
              maxConnections: num(values, 'connections'),
            })
          : await openLoop({
              url: target.url,
              stages: [{ rate: rounded, seconds }],
              connections: num(values, 'connections'),
              request: (i) => ({ path, body: queries.body('search', i), scenario: 'search' }),
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
    const maxPassingRate = passing.length ? Math.max(...passing) : null;
    const run: SloRun = {
      ...envelope('slo', values, target),
      generator:
        generator === 'vegeta'
          ? `vegeta (compiled, open loop)${closedLoopPeak ? '; peak by wrk (closed loop)' : ''}`
          : `the bench's undici loop (in process, open loop)${closedLoopPeak ? '; peak by wrk (closed loop)' : ''}`,
      rule: ruleText,
      steps,
      maxPassingRate,
      required: null,
      ...(closedLoopPeak && {
        closedLoopPeak,
        passingShareOfPeak:
          maxPassingRate === null
            ? 0
            : Math.round((100 * maxPassingRate) / closedLoopPeak.okPerSecond) / 100,
      }),
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
