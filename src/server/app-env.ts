import type { RequestDeadline } from './request-deadline.ts';

/** Per-request variables shared by middleware and routes. */
export type AppEnv = {
  Variables: {
    /** Ends at the request's deadline or when its client disconnects (its `signal`, made on first use). */
    deadline: RequestDeadline;
    /** X-Request-Id from the front door (nginx sets one), or one made here; in logs and problem bodies. */
    requestId: string;
    /** The name of the API key that authenticated the request (never the key). */
    principal: string;
    /** The body as read before admission (the result cache keys on it); readJson parses it. */
    rawBody: string | undefined;
    /** Set on a result-cache miss: keeps the route's serialised answer for the next identical request. */
    keepAnswer: ((answer: string) => void) | undefined;
  };
};
