import { findKnee } from '../../analysis/knee.ts';
import { fitUsl } from '../../analysis/usl.ts';
import { type Command, list, num, str, UsageError } from '../../command-line.ts';
import { askedGenerator, QUERIES_OPTION, queriesOf, recallProbe } from '../../commands/common.ts';
import { envelope } from '../../envelope.ts';
import { defaultSweepGenerator, sweep } from '../../runners/sweep.ts';
import { buildQueries, describeTarget } from '../../runners/target.ts';
import type { SweepRun } from './result.ts';

/** Closed-loop concurrency sweep: Little's law per level, knee, USL, recall. */
export const sweepCommand: Command = {
  name: 'sweep',
  summary:
    "closed-loop concurrency sweep: QPS and latency per level, Little's law, knee, USL, recall",
  targetsServer: true,
  options: {
    levels: { type: 'string', default: '1,5,10,20,50,100', help: 'clients per level' },
    duration: { type: 'string', default: '10', help: 'seconds per level' },
    warmup: { type: 'string', default: '2', help: 'seconds before the first level, discarded' },
    generator: {
      type: 'string',
      default: 'auto',
      help: 'wrk (least CPU; auto picks it when installed, unless --queries), undici (the fallback) or autocannon',
    },
    ...QUERIES_OPTION,
  },
  async run(values, progress): Promise<SweepRun> {
    const target = await describeTarget(str(values, 'target'), str(values, 'collection'));
    const queries = buildQueries(target, { mix: queriesOf(values) });
    const asked = askedGenerator(values, ['wrk', 'undici', 'autocannon']);
    // wrk cycles a file of bodies: it cannot draw from a mix of 100,000 distinct queries.
    if (queries.mixed && asked === 'wrk')
      throw new UsageError(
        '--queries needs a generator that draws each body (undici or autocannon); wrk cycles a fixed file',
      );
    const generator =
      asked === 'auto' ? (queries.mixed ? 'undici' : defaultSweepGenerator()) : asked;
    progress(`generator: ${generator}${asked === 'auto' ? ' (auto)' : ''}`);
    const levels = await sweep({
      generator,
      url: target.url,
      path: queries.path.search,
      bodies: queries.bodies.search,
      nextBody: queries.mixed ? () => queries.body('search', 0) : undefined,
      levels: list(str(values, 'levels'), '--levels'),
      durationSeconds: num(values, 'duration'),
      warmupSeconds: num(values, 'warmup'),
      onProgress: progress,
    });
    // A level that failed more than 1% of its requests measured refusals or errors, not
    // capacity: it is left out of the knee and USL fits, and the run says why.
    const failing = levels.filter((l) => l.failureRate > 0.01);
    const points = levels
      .filter((l) => l.failureRate <= 0.01)
      .map((l) => ({ concurrency: l.concurrency, qps: l.qps, p95Ms: l.latency.p95Ms }));
    const knee = findKnee(points);
    const run: SweepRun = {
      ...envelope('sweep', values, target),
      levels,
      analysis: {
        knee,
        usl: fitUsl(points),
        bestConcurrency: knee.bestByQpsOverP95,
        peakMeasuredQps: Math.max(0, ...levels.map((l) => l.qps)),
        untrustworthyLevels: levels
          .filter((l) => !l.generator.trustworthy)
          .map((l) => l.concurrency),
        littlesLawFlagged: levels.filter((l) => l.littlesLaw.flagged).map((l) => l.concurrency),
      },
      recall: null,
    };
    run.config.generator = generator;
    if (asked === 'auto' && generator !== 'wrk')
      run.warnings.push(
        'wrk is not installed: the undici loop measured, in this process; on a machine the server shares it takes 3x the CPU wrk would (apt-get install wrk)',
      );
    for (const l of failing)
      run.warnings.push(
        `c=${l.concurrency}: ${(l.failureRate * 100).toFixed(1)}% of requests failed (${JSON.stringify(l.errors.byStatus)}; timeouts ${l.errors.timeouts}, connection errors ${l.errors.connectionErrors}): the server refused or failed them, so this level is left out of the knee and USL fits`,
      );
    for (const l of levels) {
      if (!l.generator.trustworthy)
        run.warnings.push(`c=${l.concurrency}: ${l.generator.reasons.join('; ')}`);
      if (l.littlesLaw.flagged)
        run.warnings.push(
          `c=${l.concurrency}: Little's law off by ${(l.littlesLaw.relativeDifference * 100).toFixed(1)}%: ${l.littlesLaw.explanation}`,
        );
    }
    run.recall = await recallProbe(target, values, run.warnings);
    return run;
  },
};
