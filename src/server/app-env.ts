/** Per-request variables shared by middleware and routes. */
export type AppEnv = {
  Variables: {
    /** Aborted at the request's deadline or when its client disconnects. */
    signal: AbortSignal;
    /** X-Request-Id from the front door (nginx sets one), or one made here; in logs and problem bodies. */
    requestId: string;
    /** The name of the API key that authenticated the request (never the key). */
    principal: string;
  };
};
