import type { KneeResult } from './analysis/knee.ts';
import type { Plan, PlanInput } from './analysis/plan.ts';
import type { SloVerdict } from './analysis/slo-rule.ts';
import type { ThresholdReport } from './analysis/threshold-report.ts';
import type { UslFit } from './analysis/usl.ts';
import type { GeneratorHealth } from './runners/generator-monitor.ts';
import type { LatencySummary } from './runners/latency.ts';
import type { OpenLoopResult, Stage } from './runners/open-loop.ts';
import type { ScaleFigures } from './runners/scale.ts';
import type { MilvusScaleFigures } from './runners/scale-milvus.ts';
import type { SweepLevel } from './runners/sweep.ts';
import type { TargetInfo } from './runners/target.ts';
import type { ThreadsCompareRow } from './runners/threads-compare.ts';

/** The envelope every command writes (bench/harness/result.schema.json). */
export interface RunEnvelope {
  schema: 'vecserve-bench/1';
  kind: AnyRun['kind'];
  label: string;
  createdAt: string;
  environment: Record<string, unknown>;
  target: TargetInfo | null;
  config: Record<string, unknown>;
  /** Any figure the generator could not measure faithfully is listed here. */
  warnings: string[];
  /** recall@k of the served results against exact ground truth, next to every QPS figure. */
  recall?: RecallFigure | null;
  /** --threshold verdicts (k6 style); a failed one makes the command exit 1. */
  thresholds?: ThresholdReport | null;
}

export interface RecallFigure {
  k: number;
  recall: number;
  queries: number;
}

export interface SweepRun extends RunEnvelope {
  kind: 'sweep';
  levels: SweepLevel[];
  analysis: {
    knee: KneeResult;
    usl: UslFit | null;
    bestConcurrency: number | null;
    peakMeasuredQps: number;
    untrustworthyLevels: number[];
    littlesLawFlagged: number[];
  };
  recall: RecallFigure | null;
}

export interface RateRun extends RunEnvelope {
  kind: 'rate';
  stages: Stage[];
  result: OpenLoopResult;
}

export interface SloRun extends RunEnvelope {
  kind: 'slo';
  /** What sent the load (vegeta by default; older runs used the in-process loop). */
  generator?: string;
  rule: string;
  steps: { rate: number; pass: boolean; verdict: SloVerdict; result: OpenLoopResult }[];
  maxPassingRate: number | null;
  required: { rate: number; pass: boolean } | null;
  /** The closed loop's best on the same target in the same run (--peak), and its sweep. */
  closedLoopPeak?: {
    okPerSecond: number;
    concurrency: number;
    sweep: { concurrency: number; okPerSecond: number; p99Ms: number }[];
  };
  /** maxPassingRate over closedLoopPeak.okPerSecond. */
  passingShareOfPeak?: number;
}

export interface MixRun extends RunEnvelope {
  kind: 'mix';
  weights: Record<string, number>;
  result: OpenLoopResult;
  vectorsPerSecond: number;
}

/** Locust-style users with think time (closed loop per user). */
export interface UsersRun extends RunEnvelope {
  kind: 'users';
  users: number;
  waitSeconds: [number, number];
  /** The task mix, when the users ran one (--weights). */
  weights?: Record<string, number>;
  result: OpenLoopResult;
}

export interface RecallRun extends RunEnvelope {
  kind: 'recall';
  k: number;
  queries: number;
  points: { ef: number; recall: number; qps: number; p99Ms: number; concurrency: number }[];
}

export interface PlanRun extends RunEnvelope {
  kind: 'plan';
  input: PlanInput & { source: string };
  plan: Plan;
}

/** Latency figures of one phase of a benchmark that starts its own servers (ms). */
export interface PhaseLatency {
  p50: number;
  p99: number;
  max?: number;
}

/** One phase (unloaded or overload) of one admission configuration. */
export interface OverloadPhase {
  offered: number;
  offeredPerSecond?: number;
  achievedSendRate: number;
  lateSends: number;
  droppedSends?: number;
  admitted: number;
  admittedPerSecond: number;
  admittedMs: PhaseLatency;
  rejected: number;
  rejectedMs: PhaseLatency;
  rejectedWithoutRetryAfter?: number | null;
  otherOutcomes: Record<string, number>;
  afterFirstSecond?: { admittedMs: PhaseLatency; rejectedMs: PhaseLatency } | null;
  generator: { cpuPercent: number; trustworthy?: boolean; reasons?: string[] };
  /** p99 of each second's answers, by the second they were sent. */
  perSecondP99Ms?: number[];
}

/** Admission control at N x capacity: each configuration unloaded, flooded, recovering. */
export interface OverloadRun extends RunEnvelope {
  kind: 'overload';
  generator?: string;
  notes: string;
  via?: string;
  backend: string;
  dataset: Record<string, unknown>;
  query?: Record<string, unknown>;
  clientConnections?: number;
  capacityPerSecond: number;
  /** The closed loop that measured capacity, admission off (runs before goodput was recorded have none). */
  capacitySweep?: { concurrency: number; okPerSecond: number; p99Ms: number }[];
  kneeConcurrency?: number;
  /** --write-config: the settings file the knee-sized in-flight bound was written into. */
  sizedConfig?: { file: string; setting: string; value: number } | null;
  /**
   * A bare node:http server refusing the same flood (direct runs): its CPU per refusal, and
   * the goodput that cost leaves any Node server at this factor (goodputCeiling, share of capacity).
   */
  refusalFloor?: {
    cpuUsPerRefusal: number;
    answered: number;
    sentPerSecond: number;
    goodputCeiling: number;
  } | null;
  overloadFactor?: number;
  secondsPerRun: number;
  targets: Record<string, number>;
  results: {
    configuration: string;
    unloaded: OverloadPhase;
    overload: OverloadPhase;
    recovery?: { seconds: number | null; perSecondP99Ms: number[] } | null;
    /** Ok answers per second in the flood over the capacity measured in the same run. */
    goodput?: number;
    /** The refusal floor's goodput ceiling at the rate the generator sent, and goodput over it (direct runs). */
    goodputCeilingAtSentRate?: number;
    goodputOfCeiling?: number | null;
    /** The server process over the flood: its CPU share, and CPU per refusal beside searches at capacity cost. */
    serverCpu?: { busyShare: number; refusalCpuUsEstimate: number | null } | null;
    /** Why the generator sent less than asked (null: it sent it): its own core, or the server's answers. */
    limitedBy?: string | null;
    admittedP99OverUnloadedP99: number;
    targets?: Record<string, boolean>;
  }[];
}

/** Start-up to the first search, and /search next to bare Hono routes. */
export interface SmokeRun extends RunEnvelope {
  kind: 'smoke';
  notes: string;
  dataset: Record<string, unknown>;
  startup: { coldToFirstSearchMs: number; warmToFirstSearchMs: number; command: string };
  durationSeconds: number;
  results: {
    target: string;
    concurrency: number;
    qps: number;
    latencyMs: { mean: number; p50: number; p99: number; max: number };
    requests: number;
    non2xx: number;
    errors: number;
    timeouts: number;
  }[];
}

/** Ways of reaching Milvus from Node, side by side. */
export interface MilvusPoolRun extends RunEnvelope {
  kind: 'milvus-pool';
  milvus: Record<string, unknown>;
  poolSize: number;
  durationSeconds: number;
  notes: string;
  results: {
    variant: string;
    concurrency: number;
    qps: number;
    meanMs?: number;
    p50Ms: number;
    p99Ms: number;
    errors: number;
    /** The API's errors by admission refusal reason (from its /metrics); `other`: not refused by admission. */
    errorsBy?: Record<string, number>;
  }[];
  apiOverDirect: Record<string, number | null>[];
}

/** The cost of one admission decision per limiter. */
export interface AdmissionMicroRun extends RunEnvelope {
  kind: 'admission-micro';
  decisionsPerRound: number;
  /** Counts decisions, so the JIT cannot drop the timed loops. */
  sink?: number;
  results: { decision: string; keys: number; nsPerDecision: number }[];
}

/** The request parser on the search hot path. */
export interface ValidationMicroRun extends RunEnvelope {
  kind: 'validation-micro';
  notes: string;
  results: {
    dimension: number;
    bodyBytes: number;
    usPerBody: Record<string, number>;
    addedOverJsonParse: number;
    encodings: {
      jsonFloats: { bytes: number; usParseAndValidate: number };
      base64Float32: { bytes: number; usParseAndValidate: number };
      base64Speedup: number;
    };
  }[];
}

/** One closed-loop level of a server the harness started itself. */
export type ComparedLevel = ThreadsCompareRow['levels'][number];

/** The demo server with SEARCH_THREADS settings alternating. */
export interface ThreadsRun extends RunEnvelope {
  kind: 'threads';
  rows: { searchThreads: number; round: number; levels: ComparedLevel[] }[];
}

/** The demo server with BATCH off/on x query encodings alternating. */
export interface BatchingRun extends RunEnvelope {
  kind: 'batching';
  notes?: string;
  rows: { batch: string; encoding: string; round: number; levels: ComparedLevel[] }[];
}

/** The store at scale: build, restart, memory, recall and HTTP figures per quantization. */
export interface ScaleRun extends RunEnvelope {
  kind: 'scale';
  data?: Record<string, unknown>;
  runs?: ScaleFigures[];
  milvus?: MilvusScaleFigures;
}

/** usearch releases side by side under each Node binary. */
export interface UsearchVersionsRun extends RunEnvelope {
  kind: 'usearch-versions';
  rows: {
    round: number;
    node: string;
    usearch: string;
    buildSeconds: number;
    addsPerSecond: number;
    searchQpsOneThread: number;
    searchP99Ms: number;
    recallAt10: number;
  }[];
}

/** One configuration's closed-loop measurement in one round of the floor command. */
export interface FloorRow {
  config: string;
  round: number;
  /** Processes serving (PM2 daemon and workers, uvicorn and its workers). */
  processes: number;
  okPerSecond: number;
  /** CPU of every serving process over the ok answers. */
  cpuMsPerRequest: number | null;
  serverCpuPercent: number;
  generatorCpuPercent: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  socketErrors: number;
}

/** A configuration's medians over the rounds, against the floor's. */
export interface FloorSummary {
  config: string;
  describe: string;
  okPerSecond: number;
  okPerSecondRange: number[];
  cpuMsPerRequest: number;
  okOverFloor: number;
  cpuOverFloor: number;
  p99Ms: number;
  sameAnswersAsFloor: boolean;
}

export interface FloorTarget {
  target: string;
  pass: boolean;
  measured: string;
}

/** The serving path against its floor (bare node:http), the cluster shapes and Python stacks. */
export interface FloorRun extends RunEnvelope {
  kind: 'floor';
  generator: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  rows: FloorRow[];
  summary: FloorSummary[];
  /** One connection: latency unloaded. */
  latencyAtC1: {
    config: string;
    round: number;
    okPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    meanMs: number;
  }[];
  targets: FloorTarget[];
}

/** One outage phase: the backend killed or stopped under open-loop load, then started again. */
export interface OutagePhase {
  phase: 'kill' | 'stop';
  /** Seconds from the start of the load. */
  events: {
    downAt: number;
    downDone: number;
    upAt: number;
    readyAt: number;
    /** The first search Milvus answered directly after its restart. */
    searchableAt: number | null;
  };
  byOutcome: Record<string, number>;
  refused: LatencySummary;
  /** 5xx other than 503 and 504: always a defect. */
  http500: number;
  http504: number;
  /** From Milvus searching again (directly) to the start of the first second the API served half the rate ok (null: never). */
  recoverySeconds: number | null;
  generator: GeneratorHealth;
  timeSeries: {
    second: number;
    ok: number;
    errors: Record<string, number>;
    p99Ms: number | null;
    cpuPercent: number | null;
    rssMb: number | null;
    poolBorrowed: number | null;
  }[];
  targets: Record<string, boolean>;
}

/** A dead backend under load (bench outage). */
export interface OutageRun extends RunEnvelope {
  kind: 'outage';
  backend: string;
  ratePerSecond: number;
  downSeconds: number;
  collection: Record<string, unknown>;
  targets: Record<string, number>;
  notes: string;
  phases: OutagePhase[];
}

/** One measurement of the multi-host bed (bench hosts). */
export interface HostsMeasurement {
  hosts: number;
  okPerSecond: number;
  p99Ms: number;
  generatorCpuPercent: number;
  haproxyCpuPercent: number;
  /** Share of the time the hosts' processes were held back by their CPU quota. */
  hostsThrottledShare: number;
  /** Share of the machine's CPU time that was busy (/proc/stat). */
  machineBusyShare: number;
  /** Answers that were not 2xx (refusals of an overloaded host) and socket errors. */
  non2xx: number;
}

/** 1..N API hosts on the bed against the plan's prediction from one (bench hosts). */
export interface HostsRun extends RunEnvelope {
  kind: 'hosts';
  hostCpu: number;
  connectionsPerHost: number;
  seconds: number;
  rounds: number;
  model: string;
  goal: string;
  runs: (HostsMeasurement & { connections: number; non2xx: number })[];
  summary: (HostsMeasurement & {
    okPerSecondRange: [number, number];
    predictedOkPerSecond: number;
    predictionError: number;
    withinTarget: boolean;
    limitedBy: string;
  })[];
}

/** What the cluster-wide rate limit adds to a request (bench rate-limit-store). */
export interface RateLimitStoreRun extends RunEnvelope {
  kind: 'rate-limit-store';
  seconds: number;
  rounds: number;
  connections: number;
  runs: { limiter: string; okPerSecond: number; p50Ms: number; p99Ms: number; non2xx: number }[];
  summary: {
    limiter: string;
    okPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    p99RangeMs: [number, number];
  }[];
  /** The Redis-backed server's limiter state at the end (shared: its counts came from Redis). */
  redisLimiter: Record<string, unknown> | null;
  addedP99Ms: { overLocal: number; overNone: number };
  goal: { what: string; pass: boolean };
}

/** One failover phase of one front balancer (bench failover). */
export interface FailoverPhase {
  front: string;
  event: 'kill' | 'partition';
  sent: number;
  byOutcome: Record<string, number>;
  failed: number;
  slowerThan1s: number;
  maxMs: number;
  p99Ms: number;
  recoverySeconds: number | null;
}

/** HAProxy against nginx as the front balancer when a host is lost (bench failover). */
export interface FailoverRun extends RunEnvelope {
  kind: 'failover';
  ratePerSecond: number;
  seconds: number;
  eventAtSecond: number;
  phases: FailoverPhase[];
}

/** Loading rows into Milvus, by path (bench ingest). */
export interface IngestRun extends RunEnvelope {
  kind: 'ingest';
  dimension: number;
  /** The index built after each load. */
  index: string;
  notes: string;
  results: {
    variant: string;
    rows: number;
    seconds: number;
    rowsPerSecond: number;
    /** CPU over the load, percent of one core. */
    loaderCpuPercent: number;
    milvusCpuPercent: number;
    loaderCpuMsPerKRows: number;
    flushAndIndexSeconds: number;
    /** import-staged: seconds writing every file before the imports (not in rowsPerSecond). */
    stagingSeconds?: number | null;
    countAfter: number;
    limitedBy: string;
  }[];
  ratios?: {
    encodedOverSdk: number | null;
    importOverSdk: number | null;
    importStagedOverSdk?: number | null;
  };
  goal?: { what: string; best: number; pass: boolean };
}

/** The result cache under skewed and uniform queries (bench result-cache). */
export interface ResultCacheRun extends RunEnvelope {
  kind: 'result-cache';
  seconds: number;
  /** Seconds of the same workload before each run, not measured. */
  warmupSeconds?: number;
  rounds: number;
  connections: number;
  runs: {
    cache: string;
    workload: string;
    okPerSecond: number;
    p99Ms: number;
    non2xx: number;
    hitRatio: number | null;
    generatorCpuPercent: number;
    /** The server process's CPU per 2xx answer (ms), from /proc. */
    serverCpuMsPerOk: number | null;
  }[];
  summary: {
    cache: string;
    workload: string;
    okPerSecond: number;
    p99Ms: number;
    hitRatio: number | null;
    generatorCpuPercent: number;
    serverCpuMsPerOk: number;
  }[];
  ratios: {
    zipfLocalOverOff: number;
    zipfSharedOverOff: number;
    /** Server CPU per served request, cache off over local: the capacity gain on a server of its own. */
    zipfCpuPerOkOffOverLocal?: number;
    noRepeatsLocalOverOff: number;
  };
  goals: { what: string; pass: boolean }[];
}

export type AnyRun =
  | SweepRun
  | RateRun
  | SloRun
  | MixRun
  | RecallRun
  | PlanRun
  | UsersRun
  | OverloadRun
  | SmokeRun
  | MilvusPoolRun
  | AdmissionMicroRun
  | ValidationMicroRun
  | ThreadsRun
  | BatchingRun
  | ScaleRun
  | UsearchVersionsRun
  | FloorRun
  | OutageRun
  | HostsRun
  | RateLimitStoreRun
  | FailoverRun
  | ResultCacheRun
  | IngestRun;
