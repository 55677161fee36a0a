import { plan } from '../../analysis/plan.ts';
import { judge, parseSlo } from '../../analysis/slo-rule.ts';
import { type Command, num, readRun, str, UsageError } from '../../command-line.ts';
import { envelope } from '../../envelope.ts';
import { sloView } from '../../runners/latency.ts';
import type { PlanRun } from './result.ts';

/** Machines for a target load, from a measured slo (or sweep) result. */
export const planCommand: Command = {
  name: 'plan',
  summary: 'machines for a target QPS from a measured slo or sweep result',
  thresholds: false,
  options: {
    from: { type: 'string', help: 'a result of `slo` (or `sweep`)' },
    'peak-qps': { type: 'string', default: '5000', help: 'the peak to carry' },
    'average-qps': { type: 'string', default: '1000', help: 'the average load' },
    utilisation: { type: 'string', default: '0.8', help: 'share of measured capacity to plan on' },
    rule: {
      type: 'string',
      default: 'p99<100ms,errors<0.1%',
      help: 'for a sweep: the rule a level must meet',
    },
  },
  async run(values): Promise<PlanRun> {
    if (typeof values.from !== 'string')
      throw new UsageError('plan needs --from FILE: a result of `slo` (or `sweep`)');
    const from = values.from;
    const source = readRun(from);
    const target = {
      peakQps: num(values, 'peak-qps'),
      averageQps: num(values, 'average-qps'),
      utilisation: num(values, 'utilisation'),
    };
    let input: PlanRun['input'];
    if (source.kind === 'slo') {
      const best = source.steps.filter((s) => s.pass).sort((a, b) => b.rate - a.rate)[0];
      if (!best) throw new UsageError(`${from}: no rate passed the SLO (${source.rule})`);
      input = {
        source: `slo ${from} (${source.rule})`,
        sloQpsPerMachine: best.result.okPerSecond,
        meanLatencyMsAtSlo: best.result.latency.meanMs,
        p99MsAtSlo: best.result.latency.p99Ms,
        ...target,
      };
    } else if (source.kind === 'sweep') {
      const ruleText = str(values, 'rule');
      const rule = parseSlo(ruleText);
      const ok = source.levels
        .filter((l) => judge(rule, sloView(l.latency, l.failureRate)).pass)
        .sort((a, b) => b.qps - a.qps)[0];
      if (!ok) throw new UsageError(`${from}: no level met ${ruleText}`);
      input = {
        source: `sweep ${from}, best level within ${ruleText} (closed loop: optimistic)`,
        sloQpsPerMachine: ok.qps,
        meanLatencyMsAtSlo: ok.latency.meanMs,
        p99MsAtSlo: ok.latency.p99Ms,
        ...target,
      };
    } else {
      throw new UsageError(`${from} is a ${source.kind} result; plan reads slo or sweep results`);
    }
    const run: PlanRun = {
      ...envelope('plan', values, source.target),
      input,
      plan: plan(input),
    };
    run.warnings.push(...source.warnings.map((w) => `source: ${w}`));
    return run;
  },
};
