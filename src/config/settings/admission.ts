import {
  boolean,
  integer,
  oneOf,
  type SettingOf,
  seconds,
  secondsOrAuto,
  settingsOf,
  text,
} from './define.ts';

/** Admission control: rate limit, event-loop guard, concurrency limit and queue, breaker. */
export interface AdmissionSettings {
  rateLimit: number;
  rateLimitBurst: number;
  rateLimitAlgorithm: 'token-bucket' | 'leaky-bucket' | 'sliding-window' | 'sliding-log';
  rateLimitKey: 'ip' | 'api-key' | 'global';
  rateLimitMaxKeys: number;
  rateLimitStore: 'local' | 'redis';
  rateLimitSyncSeconds: number;
  redisUrl: string;
  redisTimeoutSeconds: number;
  maxEventLoopLagSeconds: number;
  eventLoopBacklogSeconds: number;
  concurrencyLimit: number;
  adaptiveConcurrency: boolean;
  adaptiveMaxLimit: number;
  queueLimit: number;
  queueTimeoutSeconds: number;
  queueTargetSeconds: number;
  queueIntervalSeconds: number;
  breaker: 'off' | 'consecutive' | 'rate';
  breakerThreshold: number;
  breakerFailureRate: number;
  breakerMinVolume: number;
  breakerWindowSeconds: number;
  breakerOpenSeconds: number;
  breakerMaxOpenSeconds: number;
  breakerProbeSeconds: number;
  breakerTrials: number;
  breakerTrialTimeoutSeconds: number;
  breakerStallSeconds: number;
}

const def = settingsOf<AdmissionSettings>();

export const ADMISSION_SETTINGS: readonly SettingOf<AdmissionSettings>[] = [
  def(
    'rateLimit',
    'rate_limit',
    () => 0,
    seconds(0, 1e9),
    'Requests per second per key, for the whole deployment (divided by WORKERS under PM2); 0: off.',
  ),
  def(
    'rateLimitBurst',
    'rate_limit_burst',
    () => 0,
    seconds(0, 1e9),
    'Burst allowance per key (token/leaky bucket capacity); 0: same as RATE_LIMIT.',
  ),
  def(
    'rateLimitAlgorithm',
    'rate_limit_algorithm',
    () => 'token-bucket',
    oneOf('token-bucket', 'leaky-bucket', 'sliding-window', 'sliding-log'),
    'Rate limiter: token-bucket, leaky-bucket (meter), sliding-window (two counters) or sliding-log (exact).',
  ),
  def(
    'rateLimitKey',
    'rate_limit_key',
    () => 'ip',
    oneOf('ip', 'api-key', 'global'),
    'What a quota belongs to: client IP, the X-API-Key header (IP when absent), or one global quota.',
  ),
  def(
    'rateLimitMaxKeys',
    'rate_limit_max_keys',
    () => 10_000,
    integer(1, 10_000_000),
    'Keys remembered per worker (least recently used forgotten first).',
  ),
  def(
    'rateLimitStore',
    'rate_limit_store',
    () => 'local',
    oneOf('local', 'redis'),
    "Where a key's counts live: local (each worker holds RATE_LIMIT / WORKERS, so N hosts allow N x RATE_LIMIT) or redis (one limit across every worker of every host, through REDIS_URL; each request is still decided locally, and while Redis cannot be reached each worker falls back at once to its share of the budget).",
  ),
  def(
    'rateLimitSyncSeconds',
    'rate_limit_sync',
    () => 0.025,
    seconds(0.001, 10),
    'With RATE_LIMIT_STORE=redis: how often a worker exchanges its counts with Redis (what a key may overshoot its limit by is about what the cluster admits in one such interval).',
  ),
  def(
    'redisUrl',
    'redis_url',
    () => '',
    text(/^(|redis:\/\/\S+)$/, 'a redis:// URL (redis://host:port/db), or empty for none'),
    'Redis shared by every host (RATE_LIMIT_STORE=redis), e.g. redis://10.0.0.5:6379; empty: none.',
  ),
  def(
    'redisTimeoutSeconds',
    'redis_timeout',
    () => 0.1,
    seconds(0.001, 10),
    'A Redis command not answered in this long has failed (the rate limiter falls back to its local share until Redis answers again). No request waits on it.',
  ),
  def(
    'maxEventLoopLagSeconds',
    'max_event_loop_lag',
    () => 0.025,
    seconds(0, 60),
    "Refuse API requests with 503 once the current event-loop turn has run this long on the server's own work (0: off): with search on the event loop a flood arrives as one long turn, and this bounds what an admitted request waits behind the others. A delay the process did not spend on the CPU (a neighbour on a shared core, a pause) is not refused; from a worker's first request the bound starts at 4x and falls back to this over 3 s (code V8 has not optimised yet makes the first turns longer). A lone long turn after a pause is a backlog, not refused: see EVENT_LOOP_BACKLOG.",
  ),
  def(
    'eventLoopBacklogSeconds',
    'event_loop_backlog',
    () => 0.1,
    seconds(0, 60),
    'A turn past MAX_EVENT_LOOP_LAG is refused only once every turn has been past it for this long (a standing queue), or when that turn alone runs this long; refusing then goes on until the loop has kept up for this long. Shorter, it is a backlog the loop works off by itself (the requests that arrived during a pause, a GC, a sibling worker dying), and is served. 0: refuse every turn past the bound.',
  ),
  def(
    'concurrencyLimit',
    'concurrency_limit',
    () => -1,
    integer(-1, 1_000_000),
    'API requests served at once per worker; 0: off (with ADAPTIVE_CONCURRENCY: the starting limit); -1: sized to the backend (embedded: 8 per search thread, few enough that waiting stays where the queue sees it, enough that the event loop hands searches over in batches (2 per thread served 8-18% less in a closed loop of 50), 4 without threads; Milvus: 256, its calls are network waits).',
  ),
  def(
    'adaptiveConcurrency',
    'adaptive_concurrency',
    () => false,
    boolean,
    'Learn the concurrency limit from latency (Vegas) instead of a fixed one.',
  ),
  def(
    'adaptiveMaxLimit',
    'adaptive_max_limit',
    () => 1000,
    integer(1, 1_000_000),
    'Upper bound of the adaptive limit.',
  ),
  def(
    'queueLimit',
    'queue_limit',
    () => 512,
    integer(0, 1_000_000),
    'Requests that may wait for a slot per worker; beyond, 503 at once.',
  ),
  def(
    'queueTimeoutSeconds',
    'queue_timeout',
    () => 1,
    seconds(0.001, 3600),
    'Longest wait for a slot before 503.',
  ),
  def(
    'queueTargetSeconds',
    'queue_target',
    () => 0.05,
    seconds(0, 3600),
    'Controlled delay: once every request served for QUEUE_INTERVAL waited longer than this (never less than one hold time), the queue stands: newcomers that cannot be served within it and waiters older than it are refused (503 queue_delay) instead of served late; 0 turns it off.',
  ),
  def(
    'queueIntervalSeconds',
    'queue_interval',
    () => 0.1,
    seconds(0.001, 3600),
    'How long every served request must have waited past QUEUE_TARGET before the queue counts as standing; also the most work a queue holds before it stands.',
  ),
  def(
    'breaker',
    'breaker',
    () => 'consecutive',
    oneOf('off', 'consecutive', 'rate'),
    'Circuit breaker on backend failures: consecutive, rate (failure ratio in a window), or off.',
  ),
  def(
    'breakerThreshold',
    'breaker_threshold',
    () => 5,
    integer(1, 1_000_000),
    'consecutive mode: failures in a row that open the breaker.',
  ),
  def(
    'breakerFailureRate',
    'breaker_failure_rate',
    () => 0.5,
    seconds(0.01, 1),
    'rate mode: failure ratio (0.01-1) over the window that opens the breaker.',
  ),
  def(
    'breakerMinVolume',
    'breaker_min_volume',
    () => 20,
    integer(1, 1e9),
    'rate mode: calls in the window before the ratio counts.',
  ),
  def(
    'breakerWindowSeconds',
    'breaker_window',
    () => 10,
    seconds(0.1, 3600),
    'rate mode: the rolling window.',
  ),
  def(
    'breakerOpenSeconds',
    'breaker_open',
    () => 5,
    seconds(0.01, 3600),
    'First open period; doubles after each failed half-open trial.',
  ),
  def(
    'breakerMaxOpenSeconds',
    'breaker_max_open',
    () => 10,
    seconds(0.01, 86_400),
    'Longest open period (the health probe usually ends it sooner).',
  ),
  def(
    'breakerProbeSeconds',
    'breaker_probe',
    () => 1,
    seconds(0.05, 3600),
    'While the breaker is open, check backend health this often; a healthy answer ends the open period.',
  ),
  def(
    'breakerTrials',
    'breaker_trials',
    () => 3,
    integer(1, 1000),
    'Calls let through while half-open; all must succeed to close. Every other call is refused at once.',
  ),
  def(
    'breakerTrialTimeoutSeconds',
    'breaker_trial_timeout',
    () => 0.25,
    seconds(0.01, 3600),
    'A half-open trial that has not answered in this long has failed: the breaker opens again and the caller is refused at once, instead of waiting out TIMEOUT on a backend that may still be down.',
  ),
  def(
    'breakerStallSeconds',
    'breaker_stall',
    () => -1,
    secondsOrAuto(3600),
    'A backend that hangs instead of failing: with at least 2 calls in flight and none finished for this long (and for 4x the slowest recent call), the breaker opens and the searches in flight are refused at once instead of waiting out TIMEOUT. -1: 0.25 s for Milvus, off for the embedded index (its searches run in this process); 0: off.',
  ),
];
