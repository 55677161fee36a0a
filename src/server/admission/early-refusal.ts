import type { IncomingMessage, ServerResponse } from 'node:http';
import { isServiceError } from '../../core/errors.ts';
import type { OverloadedError } from '../../limits/admission-errors.ts';
import type { HttpMetrics } from '../../observability/http-metrics.ts';
import type { RequestStats } from '../../observability/request-stats.ts';
import { isSearchTarget } from '../cached-answers.ts';
import { acceptRequestId } from '../middleware/observe.ts';
import { type ProblemInit, problemBodyFor, problemOfError, writeProblemBody } from '../problem.ts';
import { routeTemplate } from '../routes/route-table.ts';
import type { AdmissionMetrics } from './admission-metrics.ts';
import type { Admission } from './build-admission.ts';

export interface EarlyRefusalDeps {
  admission: Admission;
  metrics: HttpMetrics;
  stats: RequestStats;
  admissionMetrics: AdmissionMetrics;
  /** While draining, every request goes the full way (its answer says Connection: close). */
  draining: () => boolean;
  /** The API routes admission guards. @default '/v1/collections' */
  prefix?: string;
  /**
   * The result cache is on: a search may be a hit, which needs no slot, so a
   * full limiter does not refuse searches here (the full path reads the body,
   * answers a hit and refuses a miss). A busy event loop or an open breaker
   * still refuses everything here.
   */
  cachedSearches?: boolean;
}

/**
 * Refuses an API request from the Node request alone, before the framework
 * builds anything for it, when admission would refuse any request now: the
 * event loop is behind on its own work, the breaker refuses, or every
 * concurrency slot and queue place is taken. Under a flood this is most
 * requests: through Hono a refusal cost 75 us of CPU on one core, here it
 * costs what Node's HTTP parser and one write cost, so the core keeps serving
 * what it admitted. The answer is the same problem+json 503 with Retry-After,
 * counted in /metrics and /v1/stats as any refusal. The rate limit, which is
 * per client, is left to the full path; so is everything else.
 *
 * Returns the listener's guard: true when it answered.
 */
export function earlyRefusal(
  deps: EarlyRefusalDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { admission, metrics, stats, admissionMetrics } = deps;
  const prefix = deps.prefix ?? '/v1/collections';
  const cachedSearches = deps.cachedSearches ?? false;
  const { eventLoop, breaker, concurrency } = admission;
  if (!eventLoop && !breaker && !concurrency) return () => false;
  // A flood refuses most of a turn with one error and one path: their answer is built once.
  let last: {
    refused: OverloadedError;
    path: string;
    problem: ProblemInit;
    body: (requestId: string) => string;
  } | null = null;
  return function earlyRefusal(req, res) {
    const url = req.url ?? '';
    if (!url.startsWith(prefix)) return false;
    let refused = eventLoop?.refusalNow() ?? null;
    if (!refused)
      try {
        breaker?.refuseAtArrival();
        if (!(cachedSearches && req.method === 'POST' && isSearchTarget(url)))
          concurrency?.refuseIfFull();
        return false;
      } catch (err) {
        if (!isServiceError(err)) throw err;
        refused = err as OverloadedError;
      }
    if (deps.draining()) return false;
    const started = performance.now();
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const requestId = acceptRequestId(req.headers['x-request-id'] as string | undefined);
    metrics.started();
    stats.started();
    if (last?.refused !== refused || last.path !== path) {
      const problem = problemOfError(refused);
      last = { refused, path, problem, body: problemBodyFor(problem, path) };
    }
    writeProblemBody(res, last.problem, last.body(requestId), requestId);
    admissionMetrics.rejections.inc({ reason: refused.reason });
    const ms = performance.now() - started;
    metrics.finished(req.method ?? 'GET', routeTemplate(req.method ?? 'GET', path), 503, ms / 1000);
    stats.finished(503, ms);
    return true;
  };
}
