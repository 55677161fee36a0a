import { isServiceError } from '../core/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { countRefusal } from './admission/admission-chain.ts';
import type { AdmissionMetrics } from './admission/admission-metrics.ts';
import { type ProblemInit, problemOfError } from './problem.ts';

/**
 * The problem a request that ended in `err` is answered with, the one policy
 * of app.onError and of the search route served off Hono (direct-search.ts):
 * a refusal counted by its reason, a client that left logged as such (the
 * 499 goes to a socket nobody reads, as nginx records it), any other
 * ServiceError as its own problem, and anything else logged and a 500.
 */
export function answerToError(
  err: unknown,
  request: { requestId: string | undefined; path: string; method: string },
  admissionMetrics: AdmissionMetrics,
  logger: Logger,
): ProblemInit {
  countRefusal(err, admissionMetrics);
  if (isServiceError(err)) {
    if (err.code === 'client_closed')
      logger.info(request, 'client closed the request before its answer');
    return problemOfError(err);
  }
  logger.error({ err, requestId: request.requestId, path: request.path }, 'unhandled error');
  return { code: 'internal', status: 500, detail: 'internal server error' };
}
