import { heldOutVectors } from '../../../lib/query-bodies.ts';
import { type Command, list, num, str } from '../../command-line.ts';
import { envelope } from '../../envelope.ts';
import { demoGroundTruth, measureRecall } from '../../runners/recall-run.ts';
import { runLevel } from '../../runners/sweep.ts';
import { buildQueries, describeTarget } from '../../runners/target.ts';
import type { RecallRun } from './result.ts';

/** recall@k against exact ground truth next to QPS, for each search breadth (ef). */
export const recallCommand: Command = {
  name: 'recall',
  summary: 'recall@k vs QPS over ef (exact ground truth of held-out queries)',
  targetsServer: true,
  options: {
    ef: { type: 'string', default: '16,32,64,128,256', help: 'search breadths to try' },
    concurrency: { type: 'string', default: '10', help: 'clients of the QPS level per ef' },
    duration: { type: 'string', default: '3', help: 'seconds of the QPS level per ef' },
  },
  async run(values, progress): Promise<RecallRun> {
    const target = await describeTarget(str(values, 'target'), str(values, 'collection'));
    const k = num(values, 'k');
    const count = num(values, 'recall-queries');
    const concurrency = num(values, 'concurrency');
    const seconds = num(values, 'duration');
    const qs = heldOutVectors(count, target.dimension);
    progress(`ground truth: exact ${k}-NN of ${count} queries over ${target.count} vectors...`);
    const truth = demoGroundTruth(target, qs, k);
    const run: RecallRun = {
      ...envelope('recall', values, target),
      k,
      queries: count,
      points: [],
    };
    for (const ef of list(str(values, 'ef'), '--ef')) {
      const recall = await measureRecall(target, qs, truth, k, ef);
      const queries = buildQueries(target, { ef, topK: k });
      const level = await runLevel(
        {
          url: target.url,
          path: queries.path.search,
          bodies: queries.bodies.search,
          levels: [],
          durationSeconds: seconds,
          warmupSeconds: 0,
        },
        concurrency,
        seconds,
      );
      progress(
        `ef ${ef}: recall@${k} ${recall.toFixed(4)}, ${Math.round(level.qps)} QPS at c=${concurrency}`,
      );
      run.points.push({ ef, recall, qps: level.qps, p99Ms: level.latency.p99Ms, concurrency });
      if (!level.generator.trustworthy)
        run.warnings.push(`ef ${ef}: ${level.generator.reasons.join('; ')}`);
    }
    return run;
  },
};
