import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Admission } from './build-admission.ts';

const BREAKER_STATE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Admission control in /metrics: rejections by reason, queue, limits, breaker state. */
export class AdmissionMetrics {
  readonly rejections: Counter<'reason'>;
  readonly queueWait: Histogram;

  constructor(registry: Registry, admission: () => Admission | null) {
    this.rejections = new Counter({
      name: 'vecserve_admission_rejections_total',
      help: 'Requests refused by admission control, by reason (rate_limited, queue_full, queue_timeout, concurrency_limit, adaptive_limit, breaker_open)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.queueWait = new Histogram({
      name: 'vecserve_admission_queue_wait_seconds',
      help: 'Time requests waited for a concurrency slot',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const gauge = (name: string, help: string, read: (a: Admission) => number | null) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const a = admission();
          const v = a ? read(a) : null;
          if (v !== null) this.set(v);
        },
      });
    /** A counter whose total a component keeps (read at scrape time, not incremented here). */
    const total = (name: string, help: string, read: (a: Admission) => number | undefined) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const a = admission();
          const v = a ? read(a) : undefined;
          if (v === undefined) return;
          this.reset();
          this.inc(v);
        },
      });
    gauge(
      'vecserve_admission_queue_depth',
      'Requests waiting for a concurrency slot',
      (a) => a.concurrency?.queued ?? null,
    );
    gauge(
      'vecserve_admission_in_flight',
      'Requests holding a concurrency slot',
      (a) => a.concurrency?.inFlight ?? null,
    );
    gauge(
      'vecserve_admission_concurrency_limit',
      'Current concurrency limit (adaptive or fixed)',
      (a) => a.concurrency?.limit ?? null,
    );
    gauge(
      'vecserve_event_loop_lag_seconds',
      'Event-loop delay measured by the admission guard',
      (a) => (a.eventLoop ? a.eventLoop.lagMs / 1000 : null),
    );
    total(
      'vecserve_event_loop_backlog_turns_total',
      'Event-loop turns past MAX_EVENT_LOOP_LAG served as a backlog after a pause, not refused (EVENT_LOOP_BACKLOG)',
      (a) => a.eventLoop?.backlogTurns,
    );
    gauge(
      'vecserve_rate_limit_shared',
      'Cluster-wide rate limit: 1 while Redis counts decide, 0 while each worker enforces its share',
      (a) => (a.clusterRate ? (a.clusterRate.shared ? 1 : 0) : null),
    );
    total(
      'vecserve_rate_limit_sync_failures_total',
      'Exchanges with Redis that failed or timed out (the rate limit fell back to the local share)',
      (a) => a.clusterRate?.syncFailures,
    );
    gauge('vecserve_breaker_state', 'Circuit breaker: 0 closed, 1 half-open, 2 open', (a) =>
      a.breaker ? BREAKER_STATE[a.breaker.state.kind] : null,
    );
  }
}
