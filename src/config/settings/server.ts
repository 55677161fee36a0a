import { boolean, integer, type SettingOf, seconds, settingsOf, text } from './define.ts';

/** The HTTP server: address, timeouts, request and quota limits, who may call. */
export interface ServerSettings {
  host: string;
  port: number;
  workerConnections: number;
  backlog: number;
  keepaliveSeconds: number;
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  timeoutSeconds: number;
  gracefulTimeoutSeconds: number;
  faultInjection: boolean;
  maxBodyBytes: number;
  maxTopK: number;
  maxBatch: number;
  maxCollections: number;
  maxDimension: number;
  maxIndexM: number;
  maxEfConstruction: number;
  maxSearchWork: number;
  maxWriteRows: number;
  apiKeys: string;
  apiKeysFile: string;
  allowUnauthenticated: boolean;
  trustProxy: boolean;
}

const def = settingsOf<ServerSettings>();

export const SERVER_SETTINGS: readonly SettingOf<ServerSettings>[] = [
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
    'workerConnections',
    'worker_connections',
    () => 20_000,
    integer(1, 1_000_000),
    "Open connections per worker (at most the process's open-files limit less 256); past it the longest-idle connection (keep-alive, or one that never sent a full request) is closed to make room, and a new one is refused only when none is idle. An idle connection costs about 7 KB; measured with 19,000 clients on one worker, a cap of 1,000 served 27% of capacity (every request paid a new connection that evicted another), 20,000 served 95%.",
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
    'faultInjection',
    'fault_injection',
    () => false,
    boolean,
    'Test only: the internal port accepts POST /internal/fault/busy-loop?ms=N to hang the worker.',
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
];
