import type { AnyRun } from '../result.ts';
import { runTables } from './tables.ts';

const r1 = (v: number) => Math.round(v * 10) / 10;

/** A compact terminal table of a run. */
export function printRun(run: AnyRun): void {
  switch (run.kind) {
    case 'sweep':
      console.table(
        run.levels.map((l) => ({
          c: l.concurrency,
          QPS: r1(l.qps),
          'c/latency': r1(l.littlesLaw.derivedQps),
          diff: `${(l.littlesLaw.relativeDifference * 100).toFixed(1)}%${l.littlesLaw.flagged ? ' !' : ''}`,
          'mean ms': l.latency.meanMs,
          p50: l.latency.p50Ms,
          p95: l.latency.p95Ms,
          p99: l.latency.p99Ms,
          max: l.latency.maxMs,
          failed: `${(l.failureRate * 100).toFixed(2)}%`,
          'gen CPU': `${l.generator.cpuPercent}%`,
        })),
      );
      console.log(
        `knee: seeds' rule ${run.analysis.knee.seedsRule ?? 'none'}, kneedle ${run.analysis.knee.kneedle ?? 'none'}; ` +
          `best c (QPS/p95) ${run.analysis.bestConcurrency}; USL ${
            run.analysis.usl
              ? `sigma ${run.analysis.usl.sigma.toFixed(4)} kappa ${run.analysis.usl.kappa.toExponential(2)} N* ${run.analysis.usl.peakConcurrency ? r1(run.analysis.usl.peakConcurrency) : 'none'} R2 ${run.analysis.usl.r2.toFixed(3)}`
              : 'n/a'
          }${run.recall ? `; recall@${run.recall.k} ${run.recall.recall.toFixed(3)}` : ''}`,
      );
      break;
    case 'rate':
    case 'users':
    case 'mix':
      console.table(
        Object.entries(run.result.scenarios).map(([name, s]) => ({
          scenario: name,
          ok: s.ok,
          failed: s.failed,
          p50: s.latency.p50Ms,
          p95: s.latency.p95Ms,
          p99: s.latency.p99Ms,
          max: s.latency.maxMs,
        })),
      );
      console.log(
        `target ${r1(run.result.targetRate)}/s, achieved send ${r1(run.result.achievedSendRate)}/s, ok ${r1(run.result.okPerSecond)}/s, ` +
          `late ${run.result.late}, dropped ${run.result.dropped}, errors ${(run.result.errorRate * 100).toFixed(3)}%`,
      );
      if (run.result.stages?.length > 1) console.table(run.result.stages);
      for (const b of run.result.bottlenecks ?? []) console.log(`bottleneck: ${b}`);
      break;
    case 'slo':
      console.table(
        run.steps.map((s) => ({
          rate: s.rate,
          pass: s.pass,
          'ok/s': r1(s.result.okPerSecond),
          p99: s.result.latency.p99Ms,
          errors: `${(s.result.errorRate * 100).toFixed(3)}%`,
        })),
      );
      console.log(
        `highest passing rate: ${run.maxPassingRate ?? 'none'}/s${run.required ? `; required ${run.required.rate}/s: ${run.required.pass ? 'PASS' : 'FAIL'}` : ''}`,
      );
      break;
    case 'recall':
      console.table(
        run.points.map((p) => ({
          ef: p.ef,
          recall: p.recall.toFixed(4),
          QPS: r1(p.qps),
          p99: p.p99Ms,
        })),
      );
      break;
    case 'plan':
      console.table(
        Object.fromEntries(Object.entries(run.plan).filter(([, v]) => typeof v === 'number')),
      );
      for (const n of run.plan.notes) console.log(`- ${n}`);
      break;
    default:
      for (const t of runTables(run)) {
        console.log(t.title);
        console.table(t.rows);
        for (const n of t.notes ?? []) console.log(`- ${n}`);
      }
  }
  if (run.kind !== 'sweep' && run.recall) {
    console.log(
      `recall@${run.recall.k}: ${run.recall.recall.toFixed(3)} over ${run.recall.queries} queries`,
    );
  }
  for (const w of run.warnings) console.log(`WARNING: ${w}`);
}
