import { integer, oneOf, type SettingOf, seconds, settingsOf, text } from './define.ts';

/** The search backend: the embedded index and its demo data, micro-batching. */
export interface BackendSettings {
  dataDir: string;
  indexMode: 'auto' | 'writable' | 'shared';
  demoCollection: string;
  demoSize: number;
  demoDimension: number;
  batch: 'auto' | 'on' | 'off';
  batchMax: number;
  batchWindowUs: number;
  batchSlots: number;
  bruteForceLimit: number;
  searchThreads: number;
  searchThreadNice: number;
  hugePagesDir: string;
  resultCache: 'auto' | 'off' | 'local' | 'shared';
  resultCacheMb: number;
  resultCacheTtlSeconds: number;
}

const def = settingsOf<BackendSettings>();

export const BACKEND_SETTINGS: readonly SettingOf<BackendSettings>[] = [
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
    "Embedded: threads per process that run searches off the event loop (0: on it). -1: a lone process gets a thread per core (none on one core); PM2 workers get the cores each has beyond its event loop's, max(0, cores / WORKERS - 1); cores are counted from the CPU affinity and a cgroup quota. Measured on 2 cores: one process with 2 threads served 1.28-1.42x what it served with 1 at 1M x 512 and the same on the 10k demo; 2 PM2 workers with a thread each served 26% less than with none. At most 4x the cores (each thread keeps its own view of every collection).",
    'threads',
  ),
  def(
    'searchThreadNice',
    'search_thread_nice',
    () => 0,
    integer(0, 19),
    'Embedded (Linux): nice value of the search threads, below the event loop (which parses, admits and refuses). 0: the same priority.',
  ),
  def(
    'hugePagesDir',
    'huge_pages_dir',
    () => '',
    text(/^.*$/, 'a directory path, or empty'),
    'Embedded: a directory on a tmpfs mounted with huge=within_size. Read-only views (shared workers, search threads) map each graph from a copy there, on 2 MiB pages: 1.3-1.4x faster graph walks at 1M x 512, one copy shared by every process. Empty: graphs are mapped from the data directory.',
  ),
  def(
    'resultCache',
    'result_cache',
    () => 'off',
    oneOf('auto', 'off', 'local', 'shared'),
    "Result cache for repeated searches. local: per worker, exact (keyed by the collection, its data version and the request body's exact bytes; a hit is answered before admission takes a concurrency slot, but counts against the rate limit); not allowed under PM2 with more than one worker, which could not see each other's writes; shared: per worker plus a tier in Redis (REDIS_URL) that also carries the data versions across workers and hosts; off. auto: local for a lone process (npm start), shared under PM2 when REDIS_URL is set, else off (without shared versions a worker cannot know another's writes). Off by default: benchmarks of the serving path and repeated-query tests should not measure the cache unless asked.",
  ),
  def(
    'resultCacheMb',
    'result_cache_mb',
    () => 64,
    integer(1, 1_000_000),
    "Megabytes each worker's result cache may hold (least recently used evicted first).",
  ),
  def(
    'resultCacheTtlSeconds',
    'result_cache_ttl',
    () => 60,
    seconds(0.001, 86_400),
    'How long a cached answer lives at most (writes invalidate it at once regardless).',
  ),
];
