import type { Admission } from './build-admission.ts';

/** Admission state for /v1/stats: limits, what is queued, and refusals by reason. */
export function describeAdmission(a: Admission | undefined) {
  if (!a) return null;
  return {
    rateLimit:
      a.rateLimiter && a.rate
        ? {
            algorithm: a.rateLimiter.name,
            ...a.rate,
            policy: a.rateLimiter.policy,
            trackedKeys: a.rateLimiter.size,
            store: a.clusterRate
              ? {
                  kind: 'redis',
                  shared: a.clusterRate.shared,
                  clusterWorkers: a.clusterRate.workers,
                  syncs: a.clusterRate.syncs,
                  syncFailures: a.clusterRate.syncFailures,
                  lastSyncMs: a.clusterRate.lastSyncMs,
                }
              : { kind: 'local' },
          }
        : null,
    concurrency: a.concurrency
      ? {
          limit: a.concurrency.limit,
          adaptive: a.concurrency.adaptive,
          inFlight: a.concurrency.inFlight,
          queued: a.concurrency.queued,
          maxQueue: a.concurrency.maxQueue,
          holdMs: Math.round(a.concurrency.holdMs * 100) / 100,
          standingForMs: Math.round(a.concurrency.standingForMs),
          rejections: a.concurrency.rejections,
        }
      : null,
    breaker: a.breaker ? { state: a.breaker.state.kind } : null,
    eventLoop: a.eventLoop
      ? {
          lagMs: Math.round(a.eventLoop.lagMs * 100) / 100,
          maxLagMs: a.eventLoop.maxLagMs,
          refusals: a.eventLoop.refusals,
          notOwnWork: a.eventLoop.notOwnWork,
          backlogTurns: a.eventLoop.backlogTurns,
        }
      : null,
  };
}
