import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.ts';
import type { AdmissionMetrics } from './admission/admission-metrics.ts';
import { deadlineLists, throughSlot } from './admission/admit.ts';
import type { Admission } from './admission/build-admission.ts';
import { type AuthorizeOptions, accessFor } from './auth/authorize.ts';
import { tookMsSince } from './cached-answers.ts';
import { answerToError } from './error-answer.ts';
import { runUnderDeadline, watchResponse } from './middleware/deadline.ts';
import type { Observation, RequestObserver } from './middleware/observe.ts';
import { writeProblem } from './problem.ts';
import { parseJsonBody, readNodeBody } from './read-json.ts';
import { RequestDeadline } from './request-deadline.ts';
import { type SearchRouteDeps, searchOne } from './routes/collections.ts';

export interface DirectSearchDeps {
  route: SearchRouteDeps;
  admission: Admission | null;
  admissionMetrics: AdmissionMetrics;
  observer: RequestObserver;
  access: AuthorizeOptions;
  timeoutMs: number;
  logger: Logger;
  /** The result cache is on: its hits are answered on the framework's path only. */
  resultCache: boolean;
}

/** A single search whose collection name needs no decoding (no %, no dot segments). */
const SEARCH_TARGET = /^\/v1\/collections\/([A-Za-z0-9_-]+)\/search$/;
const ROUTE = '/v1/collections/:name/search';

/**
 * The single-search route, served from Node's request without Hono's
 * dispatch: routing, the context, four middleware frames and the Response
 * object it builds cost 25-30 us a request (a bare node:http handler beside
 * the same Hono app, same body), 5-6% of a search on the demo index. It runs
 * the same parts in the same order as the framework's path (observe,
 * authorize, event-loop gate, breaker, concurrency slot, deadline, the
 * route's `searchOne`, the app's error answers) and answers the same bytes.
 *
 * It takes a request only when it can decide from the request line and
 * headers, without a side effect, that it serves it: `POST` to a plain
 * collection name, admitted by the API keys. Anything else (a refused key,
 * a query string, a percent-encoded name) goes to the framework unchanged,
 * which answers it as always; so do all searches while a rate limit or the
 * result cache is configured, whose parts live on the framework's path.
 *
 * Returns the listener's guard (true when it took the request), or null
 * when the configuration leaves every search to the framework.
 */
export function directSearch(
  deps: DirectSearchDeps,
): ((req: IncomingMessage, res: ServerResponse) => boolean) | null {
  const { admission, observer, route, logger, admissionMetrics } = deps;
  if (admission?.rateLimiter || deps.resultCache) return null;
  const eventLoop = admission?.eventLoop ?? null;
  const breaker = admission?.breaker ?? null;
  const limiter = admission?.concurrency ?? null;
  const { deadlines, trialDeadlines } = deadlineLists(deps.timeoutMs, breaker);
  const refuseAccess = () => false;

  /** Writes the answer unless one was written (the deadline's) or the client is gone. */
  const send = (res: ServerResponse, o: Observation, body: string): void => {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string | number> = {
      'x-request-id': o.requestId,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    };
    if (observer.draining) headers.connection = 'close';
    res.writeHead(200, headers);
    res.end(body);
  };

  /** The app's error answers (answerToError, as app.onError gives them); returns the status. */
  const failed = (res: ServerResponse, o: Observation, path: string, err: unknown): number => {
    let p = answerToError(
      err,
      { requestId: o.requestId, path, method: 'POST' },
      admissionMetrics,
      logger,
    );
    if (!res.headersSent && !res.destroyed) {
      if (observer.draining) p = { ...p, headers: { ...p.headers, connection: 'close' } };
      writeProblem(res, p, path, o.requestId);
    }
    return p.status;
  };

  /** The route under its deadline: its own errors answered here, as the framework's handler level does. */
  const respond = async (
    req: IncomingMessage,
    res: ServerResponse,
    o: Observation,
    path: string,
    name: string,
    deadline: RequestDeadline,
  ): Promise<number> => {
    const start = performance.now();
    try {
      const body = readNodeBody(req, route.limits.maxBodyBytes).then(parseJsonBody);
      const hits = await searchOne(route, name, body, deadline);
      send(res, o, JSON.stringify({ hits, tookMs: tookMsSince(start) }));
      return 200;
    } catch (err) {
      // Past the deadline or with the client gone, that outcome was answered (and logged)
      // already; what the route fails with afterwards (the body read aborted) is its echo.
      if (deadline.reason) return 0;
      return failed(res, o, path, err);
    }
  };

  /** Admission as `admit` runs it, then the route; returns the answer's status. */
  const admitted = async (
    req: IncomingMessage,
    res: ServerResponse,
    o: Observation,
    path: string,
    name: string,
  ): Promise<number> => {
    eventLoop?.check();
    return throughSlot(
      breaker,
      limiter,
      (gone) => watchResponse(res, gone),
      (trial) => {
        const deadline = new RequestDeadline();
        return runUnderDeadline(
          deadline,
          trial ? trialDeadlines : deadlines,
          req,
          (gone) => watchResponse(res, gone),
          () => respond(req, res, o, path, name, deadline),
        );
      },
    );
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, path: string, name: string) => {
    const o = observer.begin(path, req.headers['x-request-id'] as string | undefined);
    let status: number;
    try {
      status = await admitted(req, res, o, path, name);
    } catch (err) {
      status = failed(res, o, path, err);
    }
    observer.end(o, 'POST', path, ROUTE, status);
  };

  return function directSearch(req, res) {
    if (req.method !== 'POST') return false;
    const path = req.url ?? '';
    const target = SEARCH_TARGET.exec(path);
    if (!target) return false;
    const headers = req.headers;
    const access = accessFor(
      deps.access,
      'search',
      (name) => headers[name] as string | undefined,
      refuseAccess,
    );
    if (!access.ok) return false;
    serve(req, res, path, target[1]!).catch((err: unknown) => {
      // Not expected (serve answers its own errors); never an unhandled rejection.
      logger.error({ err, path }, 'unhandled error answering a search');
      if (!res.headersSent) res.destroy();
    });
    return true;
  };
}
