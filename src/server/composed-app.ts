import type { ResultCache } from '../backends/cache/result-cache.ts';
import type { SearchBackend } from '../backends/search-backend.ts';
import type { startInternalServer } from '../lifecycle/internal-server.ts';
import type { WorkerIdentity } from '../lifecycle/worker-identity.ts';
import type { AdmissionMetrics } from './admission/admission-metrics.ts';
import type { Admission } from './admission/build-admission.ts';
import type { createApp } from './app.ts';

/** What compose.ts builds from the settings and http-server.ts listens with. */
export interface ComposedApp {
  identity: WorkerIdentity;
  store: SearchBackend;
  built: ReturnType<typeof createApp>;
  admission: Admission;
  admissionMetrics: AdmissionMetrics;
  /** Answers repeated searches (RESULT_CACHE), or null when off. */
  resultCache: ResultCache | null;
  /** This worker's loopback server for cluster-internal calls, when it has one. */
  internal: Awaited<ReturnType<typeof startInternalServer>> | null;
  /** Readiness on the internal port follows the public listener. */
  markListening(): void;
  /** Stops what the composition started besides the backend (probes, timers, internal server). */
  stop(): Promise<void>;
}
