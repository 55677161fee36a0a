/** Per-request variables shared by middleware and routes. */
export type AppEnv = {
  Variables: {
    /** Aborted at the request's deadline or when its client disconnects. */
    signal: AbortSignal;
  };
};
