import { boolean, integer, oneOf, type SettingOf, seconds, settingsOf, text } from './define.ts';

/** Milvus: which backend, address(es), balancing, the connection pool, start-up wait. */
export interface MilvusSettings {
  backend: 'embedded' | 'milvus';
  milvusAddress: string;
  milvusBalance: 'least-outstanding' | 'round-robin' | 'weighted-round-robin' | 'consistent-hash';
  milvusEjectAfter: number;
  milvusMaxEjected: number;
  milvusSlowStartSeconds: number;
  milvusRetryBudget: number;
  milvusHedgeAfterSeconds: number;
  milvusProbeIntervalSeconds: number;
  milvusPoolMin: number;
  milvusPoolMax: number;
  milvusPoolAcquireTimeoutSeconds: number;
  milvusPoolMaxWaiting: number;
  milvusPoolIdleTimeoutSeconds: number;
  milvusPoolMaxLifetimeSeconds: number;
  milvusSeparateConnections: boolean;
  milvusStartupWaitSeconds: number;
  milvusReplicas: number;
  milvusConsistency: 'collection' | 'strong' | 'bounded' | 'session' | 'eventually';
  milvusSearchTransport: 'http2' | 'grpc-js';
}

const def = settingsOf<MilvusSettings>();

export const MILVUS_SETTINGS: readonly SettingOf<MilvusSettings>[] = [
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
    'milvusHedgeAfterSeconds',
    'milvus_hedge_after',
    () => 0.5,
    seconds(0, 60),
    'Several endpoints: a search with no answer after this long is also sent to another endpoint (within the retry budget); the first answer wins. 0: off. A query node SIGKILLed on a Milvus cluster held searches 6.6 s (docs/backends.md).',
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
    () => 0.1,
    seconds(0.001, 600),
    'How long a request may wait for a free Milvus client before 503. Short on purpose: a Milvus that stops answering (a graceful stop hangs calls for seconds) fills the pool, and each waiting request is a failure the breaker counts; at 1 s, 50 requests a second each waited the full second before the breaker opened.',
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
    'milvusReplicas',
    'milvus_replicas',
    () => 1,
    integer(1, 64),
    'In-memory replicas a collection created here is loaded with (a Milvus cluster spreads them over its query nodes: a search survives a lost query node when there are 2 or more). Standalone Milvus has one query node: keep 1.',
  ),
  def(
    'milvusConsistency',
    'milvus_consistency',
    () => 'collection',
    oneOf('collection', 'strong', 'bounded', 'session', 'eventually'),
    "Consistency level of searches: collection (the collection's own; Milvus's default is bounded), strong, bounded, session or eventually. Anything but eventually waits for the cluster's time tick, which stops while a dead proxy's session lives or the message queue is down: measured on a Milvus cluster, searches then stall until it moves (docs/operations.md).",
  ),
  def(
    'milvusSearchTransport',
    'milvus_search_transport',
    () => 'http2',
    oneOf('http2', 'grpc-js'),
    'How searches reach Milvus: http2 (gRPC on HTTP/2 connections of our own: about half the CPU per search of grpc-js, 1.3x the API QPS at 1 in flight; docs/milvus-transport.md) or grpc-js (the SDK channels). Other calls always use the SDK; a TLS endpoint always uses grpc-js.',
  ),
];
