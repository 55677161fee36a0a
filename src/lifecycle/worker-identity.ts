/**
 * Which worker this process is. PM2 cluster mode sets NODE_APP_INSTANCE
 * (0..N-1, kept by a replacement worker) and pm_id (its process id in PM2).
 */
export interface WorkerIdentity {
  /** 0..workers-1; 0 when not under PM2. */
  index: number;
  /** PM2's id for this process, when PM2 runs it. */
  pm2Id?: string;
  /** Run as one of PM2's cluster workers (NODE_APP_INSTANCE is set). */
  underPm2: boolean;
}

export function workerIdentity(env: NodeJS.ProcessEnv = process.env): WorkerIdentity {
  const index = Number(env.NODE_APP_INSTANCE ?? 0);
  return {
    index: Number.isInteger(index) && index >= 0 ? index : 0,
    pm2Id: env.pm_id,
    underPm2: env.NODE_APP_INSTANCE !== undefined,
  };
}
