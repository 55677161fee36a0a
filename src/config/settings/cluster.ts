import { usableCores } from '../usable-cores.ts';
import { boolean, integer, oneOf, type SettingOf, settingsOf } from './define.ts';

/** PM2 workers: count, recycling, watchdog, internal and worker ports, metrics. */
export interface ClusterSettings {
  workers: number;
  maxRequests: number;
  maxRequestsJitter: number;
  watchdog: boolean;
  maxMemoryMb: number;
  workerPort: number;
  internalPort: number;
  metricsAggregation: 'sum' | 'per-worker';
}

const def = settingsOf<ClusterSettings>();

export const CLUSTER_SETTINGS: readonly SettingOf<ClusterSettings>[] = [
  def(
    'workers',
    'workers',
    () => usableCores(),
    integer(1, 1024),
    'Worker processes under PM2 cluster mode (default: the cores this process may use: its CPU affinity, capped by a cgroup CPU quota).',
    'workers',
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
];
