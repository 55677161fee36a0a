import type { KneeResult } from './analysis/knee.ts';
import type { Plan, PlanInput } from './analysis/plan.ts';
import type { SloVerdict } from './analysis/slo-rule.ts';
import type { ThresholdReport } from './analysis/thresholds.ts';
import type { UslFit } from './analysis/usl.ts';
import type { OpenLoopResult, Stage } from './runners/open-loop.ts';
import type { SweepLevel } from './runners/sweep.ts';
import type { TargetInfo } from './runners/target.ts';

/** The envelope every command writes (bench/harness/result.schema.json). */
export interface RunEnvelope {
  schema: 'vecserve-bench/1';
  kind: 'sweep' | 'rate' | 'slo' | 'mix' | 'recall' | 'plan' | 'users';
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
  rule: string;
  steps: { rate: number; pass: boolean; verdict: SloVerdict; result: OpenLoopResult }[];
  maxPassingRate: number | null;
  required: { rate: number; pass: boolean } | null;
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

export type AnyRun = SweepRun | RateRun | SloRun | MixRun | RecallRun | PlanRun | UsersRun;
