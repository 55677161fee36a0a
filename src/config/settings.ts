import { availableParallelism } from 'node:os';

/**
 * Every setting of the server, in one table: its environment variable (the
 * setting's name in upper case; a contract for scripts and docs), its key in
 * the optional JSON config file, its default, its parser and what it maps to.
 * README's configuration table is printed from this list (`npm run config:docs`).
 */
export interface Config {
  host: string;
  port: number;
  workers: number;
  workerConnections: number;
  backlog: number;
  keepaliveSeconds: number;
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  timeoutSeconds: number;
  gracefulTimeoutSeconds: number;
  maxRequests: number;
  maxRequestsJitter: number;
  watchdog: boolean;
  maxMemoryMb: number;
  internalPort: number;
  workerPort: number;
  metricsAggregation: 'sum' | 'per-worker';
  faultInjection: boolean;
  nginxListen: string;
  nginxStatusListen: string;
  nginxWorkerConnections: number;
  nginxRateLimit: number;
  nginxRateBurst: number;
  nginxGlobalRateLimit: number;
  nginxGlobalRateBurst: number;
  nginxConnLimit: number;
  backend: 'embedded' | 'milvus';
  milvusAddress: string;
  milvusBalance: 'least-outstanding' | 'round-robin' | 'weighted-round-robin' | 'consistent-hash';
  milvusEjectAfter: number;
  milvusMaxEjected: number;
  milvusSlowStartSeconds: number;
  milvusRetryBudget: number;
  milvusProbeIntervalSeconds: number;
  milvusPoolMin: number;
  milvusPoolMax: number;
  milvusPoolAcquireTimeoutSeconds: number;
  milvusPoolMaxWaiting: number;
  milvusPoolIdleTimeoutSeconds: number;
  milvusPoolMaxLifetimeSeconds: number;
  milvusSeparateConnections: boolean;
  milvusStartupWaitSeconds: number;
  dataDir: string;
  indexMode: 'auto' | 'writable' | 'shared';
  demoCollection: string;
  demoSize: number;
  demoDimension: number;
  maxBodyBytes: number;
  maxTopK: number;
  maxBatch: number;
  batch: 'auto' | 'on' | 'off';
  batchMax: number;
  batchWindowUs: number;
  batchSlots: number;
  maxCollections: number;
  maxDimension: number;
  maxIndexM: number;
  maxEfConstruction: number;
  maxSearchWork: number;
  maxWriteRows: number;
  bruteForceLimit: number;
  searchThreads: number;
  rateLimit: number;
  rateLimitBurst: number;
  rateLimitAlgorithm: 'token-bucket' | 'leaky-bucket' | 'sliding-window' | 'sliding-log';
  rateLimitKey: 'ip' | 'api-key' | 'global';
  rateLimitMaxKeys: number;
  trustProxy: boolean;
  apiKeys: string;
  apiKeysFile: string;
  allowUnauthenticated: boolean;
  maxEventLoopLagSeconds: number;
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
  breakerTrials: number;
  breakerProbeSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  accessLog: boolean;
}

export interface SettingDef {
  key: keyof Config;
  /** Environment variable name. */
  env: string;
  /** Key in the JSON config file (Gunicorn's spelling where one exists). */
  file: string;
  default: () => Config[keyof Config];
  /** Returns the parsed value or throws a message saying what was expected. */
  parse: (raw: unknown) => Config[keyof Config];
  doc: string;
  /** The Gunicorn setting this mirrors, if any. */
  gunicorn?: string;
}

class Expected extends Error {}

function integer(min: number, max: number) {
  return (raw: unknown): number => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw new Expected(`an integer from ${min} to ${max}`);
    }
    return n;
  };
}

function seconds(min: number, max: number) {
  return (raw: unknown): number => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      throw new Expected(`a number of seconds from ${min} to ${max}`);
    }
    return n;
  };
}

function oneOf<T extends string>(...values: T[]) {
  return (raw: unknown): T => {
    if (typeof raw !== 'string' || !values.includes(raw as T)) {
      throw new Expected(`one of ${values.join(', ')}`);
    }
    return raw as T;
  };
}

function text(pattern: RegExp, what: string) {
  return (raw: unknown): string => {
    if (typeof raw !== 'string' || !pattern.test(raw)) throw new Expected(what);
    return raw;
  };
}

function boolean(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string' && /^(1|true|yes|on)$/i.test(raw)) return true;
  if (typeof raw === 'string' && /^(0|false|no|off)$/i.test(raw)) return false;
  throw new Expected('a boolean (true/false, 1/0, yes/no, on/off)');
}

function def(
  key: keyof Config,
  file: string,
  fallback: () => Config[keyof Config],
  parse: SettingDef['parse'],
  doc: string,
  gunicorn?: string,
): SettingDef {
  return { key, env: file.toUpperCase(), file, default: fallback, parse, doc, gunicorn };
}

export const SETTINGS: readonly SettingDef[] = [
  def(
    'host',
    'host',
    () => '127.0.0.1',
    text(/^[\w.:-]+$/, 'a host name or IP address'),
    'Address to listen on.',
    'bind',
  ),
  def('port', 'port', () => 8000, integer(0, 65_535), 'TCP port (0 picks a free one).', 'bind'),
  def(
    'workers',
    'workers',
    () => availableParallelism(),
    integer(1, 1024),
    'Worker processes under PM2 cluster mode (default: CPU count).',
    'workers',
  ),
  def(
    'workerConnections',
    'worker_connections',
    () => 1000,
    integer(1, 1_000_000),
    'Open connections per worker; past it the longest-idle connection (keep-alive, or one that never sent a full request) is closed to make room, and a new one is refused only when none is idle.',
    'worker_connections',
  ),
  def(
    'backlog',
    'backlog',
    () => 2048,
    integer(1, 65_535),
    'Listen backlog: connections waiting to be accepted.',
    'backlog',
  ),
  def(
    'keepaliveSeconds',
    'keepalive',
    () => 65,
    seconds(0, 3600),
    'Idle keep-alive timeout (server.keepAliveTimeout); keep it above nginx upstream keepalive_timeout (60 s).',
    'keepalive',
  ),
  def(
    'headersTimeoutSeconds',
    'headers_timeout',
    () => 10,
    seconds(0.1, 3600),
    "Time to receive a request's headers; a slower client (slowloris) gets 408 and is cut, checked every second.",
  ),
  def(
    'requestTimeoutSeconds',
    'request_timeout',
    () => 30,
    seconds(0.1, 3600),
    'Time to receive a whole request, headers and body; a slower upload gets 408 problem+json and is cut.',
  ),
  def(
    'timeoutSeconds',
    'timeout',
    () => 10,
    seconds(0.001, 3600),
    'Deadline of one request; the backend call is aborted past it (504).',
    'timeout',
  ),
  def(
    'gracefulTimeoutSeconds',
    'graceful_timeout',
    () => 10,
    seconds(0, 3600),
    'On SIGTERM/SIGINT, how long in-flight requests may take to finish.',
    'graceful_timeout',
  ),
  def(
    'maxRequests',
    'max_requests',
    () => 0,
    integer(0, 1e12),
    'Retire a worker after this many requests (0: never).',
    'max_requests',
  ),
  def(
    'maxRequestsJitter',
    'max_requests_jitter',
    () => 0,
    integer(0, 1e12),
    'Random 0..N added to max_requests per worker, so workers do not retire together.',
    'max_requests_jitter',
  ),
  def(
    'watchdog',
    'watchdog',
    () => true,
    boolean,
    'Hung-worker watchdog: a thread kills the worker when its event loop has not run for `timeout` (PM2 starts a new one).',
    'timeout',
  ),
  def(
    'maxMemoryMb',
    'max_memory_mb',
    () => 2048,
    integer(64, 1_048_576),
    'PM2 restarts a worker whose resident memory passes this (max_memory_restart), gracefully.',
  ),
  def(
    'workerPort',
    'worker_port',
    () => 8200,
    integer(0, 65_535),
    "Under PM2, worker i also serves the API on loopback port WORKER_PORT+i, bound by the worker itself, and the stack's nginx balances over these ports: a dead worker refuses at once and nginx resends a search to another, where through the shared port a connection the primary was handing to the dead worker waits for nginx's timeout (0: off, nginx uses PORT).",
  ),
  def(
    'internalPort',
    'internal_port',
    () => 8100,
    integer(0, 65_535),
    'Loopback port of worker 0 for cluster-internal calls (worker i: +i): /metrics sums all workers through them (0: off).',
  ),
  def(
    'metricsAggregation',
    'metrics_aggregation',
    () => 'sum',
    oneOf('sum', 'per-worker'),
    'Cluster /metrics: sum (one series, dips when a worker restarts) or per-worker (a worker label; sum(rate()) in queries, exact across restarts).',
  ),
  def(
    'faultInjection',
    'fault_injection',
    () => false,
    boolean,
    'Test only: the internal port accepts POST /internal/fault/busy-loop?ms=N to hang the worker.',
  ),
  def(
    'nginxListen',
    'nginx_listen',
    () => '127.0.0.1:8080',
    text(/^[\w.:[\]-]+:\d{1,5}$/, 'host:port'),
    'nginx public listener (stack scripts).',
  ),
  def(
    'nginxStatusListen',
    'nginx_status_listen',
    () => '127.0.0.1:8081',
    text(/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d{1,5}$/, 'a loopback host:port'),
    'nginx loopback-only listener serving /metrics, /v1/stats and probes.',
  ),
  def(
    'nginxWorkerConnections',
    'nginx_worker_connections',
    () => 4096,
    integer(64, 1_000_000),
    'nginx worker_connections (each proxied request holds two).',
  ),
  def(
    'nginxRateLimit',
    'nginx_rate_limit',
    () => 1000,
    integer(0, 1e9),
    'nginx limit_req per client IP, requests/s (0: off); excess answered 429.',
  ),
  def(
    'nginxRateBurst',
    'nginx_rate_burst',
    () => 200,
    integer(0, 1e9),
    'nginx limit_req burst per client (served without delay, nodelay).',
  ),
  def(
    'nginxGlobalRateLimit',
    'nginx_global_rate_limit',
    () => 0,
    integer(0, 1e9),
    'nginx limit_req for the whole host, requests/s (0: off): sheds above measured capacity before Node parses a byte.',
  ),
  def(
    'nginxGlobalRateBurst',
    'nginx_global_rate_burst',
    () => 50,
    integer(0, 1e9),
    'Burst of the host-wide nginx limit.',
  ),
  def(
    'nginxConnLimit',
    'nginx_conn_limit',
    () => 256,
    integer(0, 1e9),
    'nginx limit_conn: open connections per client IP (0: off); excess answered 429.',
  ),
  def(
    'backend',
    'backend',
    () => 'embedded',
    oneOf('embedded', 'milvus'),
    'Vector store: the in-process index, or a Milvus server.',
  ),
  def(
    'milvusAddress',
    'milvus_address',
    () => '127.0.0.1:19530',
    text(
      /^[\w.-]+:\d{1,5}(\*\d+(\.\d+)?)?(,[\w.-]+:\d{1,5}(\*\d+(\.\d+)?)?)*$/,
      'host:port, or a comma-separated list host:port[*weight],...',
    ),
    'Milvus proxy address; several (proxies of one Milvus cluster) are balanced client-side, e.g. a:19530*2,b:19530.',
  ),
  def(
    'milvusBalance',
    'milvus_balance',
    () => 'least-outstanding',
    oneOf('least-outstanding', 'round-robin', 'weighted-round-robin', 'consistent-hash'),
    'Several Milvus endpoints: how to pick one (consistent-hash keys on the collection).',
  ),
  def(
    'milvusEjectAfter',
    'milvus_eject_after',
    () => 5,
    integer(1, 1_000_000),
    'Several endpoints: failures in a row that eject one (a failure ratio of 50% over 10 s also does).',
  ),
  def(
    'milvusMaxEjected',
    'milvus_max_ejected',
    () => 0.5,
    seconds(0, 1),
    'Several endpoints: largest share ejected at once; past it all are used (panic mode).',
  ),
  def(
    'milvusSlowStartSeconds',
    'milvus_slow_start',
    () => 10,
    seconds(0, 3600),
    'Several endpoints: a returning endpoint ramps from 10% to full weight over this.',
  ),
  def(
    'milvusRetryBudget',
    'milvus_retry_budget',
    () => 0.2,
    seconds(0, 10),
    'Several endpoints: reads failing on one are retried on another, at most this share of requests (+5/s).',
  ),
  def(
    'milvusProbeIntervalSeconds',
    'milvus_probe_interval',
    () => 2,
    seconds(0.1, 3600),
    'Several endpoints: active health probe period.',
  ),
  def(
    'milvusPoolMin',
    'milvus_pool_min',
    () => 1,
    integer(0, 1024),
    'Milvus clients kept open when idle.',
  ),
  def(
    'milvusPoolMax',
    'milvus_pool_max',
    () => 16,
    integer(1, 1024),
    'Milvus clients per worker, i.e. RPCs in flight at most.',
  ),
  def(
    'milvusPoolAcquireTimeoutSeconds',
    'milvus_pool_acquire_timeout',
    () => 1,
    seconds(0.001, 600),
    'How long a request may wait for a free Milvus client before 503.',
  ),
  def(
    'milvusPoolMaxWaiting',
    'milvus_pool_max_waiting',
    () => 256,
    integer(0, 1_000_000),
    'Requests allowed to wait for a Milvus client; beyond, 503 at once.',
  ),
  def(
    'milvusPoolIdleTimeoutSeconds',
    'milvus_pool_idle_timeout',
    () => 30,
    seconds(1, 86_400),
    'Close Milvus clients idle this long (above the minimum).',
  ),
  def(
    'milvusPoolMaxLifetimeSeconds',
    'milvus_pool_max_lifetime',
    () => 600,
    seconds(1, 864_000),
    'Replace a Milvus client this old on its next borrow (max_age).',
  ),
  def(
    'milvusSeparateConnections',
    'milvus_separate_connections',
    () => true,
    boolean,
    'One HTTP/2 connection per pooled Milvus client instead of one shared.',
  ),
  def(
    'milvusStartupWaitSeconds',
    'milvus_startup_wait',
    () => 30,
    seconds(0, 3600),
    'At start, how long to wait for Milvus to answer before giving up.',
  ),
  def(
    'dataDir',
    'data_dir',
    () => '.data',
    text(/^.+$/, 'a directory path'),
    'Where the embedded backend keeps its collections.',
  ),
  def(
    'indexMode',
    'index_mode',
    () => 'auto',
    oneOf('auto', 'writable', 'shared'),
    'Embedded index: writable (one process), shared (read-only, memory-mapped by every worker), auto (shared under PM2 with several workers).',
  ),
  def(
    'demoCollection',
    'demo_collection',
    () => 'products',
    text(/^([A-Za-z_][A-Za-z0-9_]{0,254})?$/, 'a collection name, or empty to disable'),
    'Demo collection created on first start (empty: none).',
  ),
  def(
    'demoSize',
    'demo_size',
    () => 10_000,
    integer(1, 10_000_000),
    'Vectors in the demo collection.',
  ),
  def(
    'demoDimension',
    'demo_dimension',
    () => 512,
    integer(1, 32_768),
    'Dimension of the demo collection.',
  ),
  def(
    'maxBodyBytes',
    'max_body_bytes',
    () => 10 * 1024 * 1024,
    integer(1024, 1024 * 1024 * 1024),
    'Largest request body accepted (413 above).',
    'limit_request_line',
  ),
  def('maxTopK', 'max_top_k', () => 1024, integer(1, 16_384), 'Largest topK a search may ask for.'),
  def(
    'maxBatch',
    'max_batch',
    () => 100,
    integer(1, 10_000),
    'Most query vectors in one batch search.',
  ),
  def(
    'batch',
    'batch',
    () => 'auto',
    oneOf('auto', 'on', 'off'),
    'Micro-batching of concurrent single searches into one backend call (auto: on for Milvus, where one call with many queries costs far less than many calls; off for the embedded index, where it was measured not to help).',
  ),
  def(
    'batchMax',
    'batch_max',
    () => 32,
    integer(1, 1024),
    'Most queries in one batched backend call.',
  ),
  def(
    'batchWindowUs',
    'batch_window_us',
    () => 1000,
    integer(0, 1_000_000),
    'Longest a search waits for company (microseconds), and only while every batch slot is busy: an idle backend adds no wait.',
  ),
  def(
    'batchSlots',
    'batch_slots',
    () => 4,
    integer(1, 1024),
    'Backend calls the batcher keeps in flight per worker; searches beyond them queue and go together when one returns.',
  ),
  def(
    'maxCollections',
    'max_collections',
    () => 100,
    integer(1, 100_000),
    'Most collections a server holds; a create past it gets 409 quota_exceeded.',
  ),
  def(
    'maxDimension',
    'max_dimension',
    () => 4096,
    integer(1, 32_768),
    'Largest vector dimension a new collection may have (embedding models stay within 4,096).',
  ),
  def(
    'maxIndexM',
    'max_index_m',
    () => 64,
    integer(2, 2048),
    'Largest HNSW M a new collection may ask for (graph links per node: memory and insert time grow with it).',
  ),
  def(
    'maxEfConstruction',
    'max_ef_construction',
    () => 1024,
    integer(1, 65_536),
    'Largest HNSW efConstruction a new collection may ask for (insert time grows with it).',
  ),
  def(
    'maxSearchWork',
    'max_search_work',
    () => 33_554_432,
    integer(1, 2 ** 40),
    "Bound on one search request's work, queries x dimension x candidates (max of topK and ef): about 0.2 s of one thread at 6 ns per unit; past it, 400 with the figure. The default lets a batch of 100 512-d queries search with ef 640.",
  ),
  def(
    'maxWriteRows',
    'max_write_rows',
    () => 1000,
    integer(1, 100_000),
    'Most rows (or ids) in one write or delete.',
  ),
  def(
    'bruteForceLimit',
    'brute_force_limit',
    () => 2048,
    integer(0, 10_000_000),
    'Embedded: filtered searches matching at most this many rows are answered exactly.',
  ),
  def(
    'searchThreads',
    'search_threads',
    () => -1,
    integer(-1, 1024),
    'Embedded: threads per worker that run searches off the event loop (0: on it; -1: CPU count / WORKERS, at least 1, so workers x threads stays near the core count, like Gunicorn workers x threads).',
    'threads',
  ),
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
    'apiKeys',
    'api_keys',
    () => '',
    text(/^[^\s]*$/, 'name:role:secret,...'),
    'API keys as name:role:secret, comma-separated (roles: search, write, admin; secrets of 16+ characters, hashed on load). With no keys, search routes answer anyone and write/admin routes only clients on this host.',
  ),
  def(
    'apiKeysFile',
    'api_keys_file',
    () => '',
    text(/^.*$/, 'a path'),
    'A keys file, one "name role sha256:<hex>" per line: hashes only at rest (npm run keys -- new NAME ROLE adds one).',
  ),
  def(
    'allowUnauthenticated',
    'allow_unauthenticated',
    () => false,
    boolean,
    'With no API keys, let write and admin routes answer any client, not only local ones (an explicit opt-out; the server warns at start).',
  ),
  def(
    'trustProxy',
    'trust_proxy',
    () => false,
    boolean,
    'Take the client IP from X-Forwarded-For (only behind a proxy that sets it, e.g. our nginx).',
    'forwarded_allow_ips',
  ),
  def(
    'maxEventLoopLagSeconds',
    'max_event_loop_lag',
    () => 0.05,
    seconds(0, 60),
    'Refuse API requests with 503 while the event loop is this far behind (0: off); the guard that sees a CPU-bound backend saturate.',
  ),
  def(
    'concurrencyLimit',
    'concurrency_limit',
    () => -1,
    integer(-1, 1_000_000),
    'API requests served at once per worker; 0: off (with ADAPTIVE_CONCURRENCY: the starting limit); -1: sized to the backend (embedded: 2 per search thread, so each thread has one search running and one ready; Milvus: 256, its calls are network waits).',
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
    'Calls let through while half-open; all must succeed to close.',
  ),
  def(
    'logLevel',
    'log_level',
    () => 'info',
    oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    'Structured (JSON) log level.',
    'loglevel',
  ),
  def(
    'accessLog',
    'access_log',
    () => false,
    boolean,
    'Log one JSON line per request.',
    'accesslog',
  ),
];

export { Expected };
