/**
 * A typed client for TypeScript users: one method per route, bodies and
 * answers typed from the same zod schemas the server validates with
 * (src/api/schemas.ts). Errors become VecserveError with the server's
 * problem+json fields (code, detail, requestId, status).
 *
 * @example
 * const vs = new VecserveClient('http://127.0.0.1:8000', { apiKey: process.env.VECSERVE_KEY });
 * const { hits } = await vs.search('products', { vector, topK: 10, filter: { category: 'A' } });
 */
import type * as Api from '../api/schemas.ts';

export type {
  BatchSearchBody,
  BatchSearchResponse,
  CollectionInfoResponse,
  CreateCollectionBody,
  DeleteBody,
  DeleteResponse,
  Problem,
  SearchBody,
  SearchResponse,
  WriteBody,
  WriteResponse,
} from '../api/schemas.ts';

export class VecserveError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly problem: Api.Problem | null;
  /** Seconds to wait before retrying (429/503), when the server said. */
  readonly retryAfter: number | undefined;

  constructor(status: number, problem: Api.Problem | null, retryAfter: number | undefined) {
    super(problem ? `${problem.code}: ${problem.detail}` : `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code ?? `http_${status}`;
    this.requestId = problem?.requestId;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

export interface ClientOptions {
  /** Sent as Authorization: Bearer. */
  apiKey?: string;
  /** Per-request timeout in ms (default 30 s), each attempt. */
  timeoutMs?: number;
  /**
   * Reads (searches, describe, list) refused with 429 or 503 and a
   * Retry-After are tried again this many times (default 0), after waiting
   * what the server asked, capped at `maxRetryWaitMs` and jittered: a client
   * that sends again at once only turns an overloaded server's refusals into
   * more traffic. Writes are never retried here: a 503 may follow a write
   * that still lands.
   */
  retries?: number;
  /** The longest wait before a retry, ms (default 2000); each wait is 50-100% of it or of Retry-After. */
  maxRetryWaitMs?: number;
  fetch?: typeof fetch;
}

export class VecserveClient {
  readonly #base: string;
  readonly #opts: ClientOptions;

  constructor(baseUrl: string, opts: ClientOptions = {}) {
    this.#base = baseUrl.replace(/\/+$/, '');
    // Checked here, once: a bad option would otherwise surface as a RangeError from
    // AbortSignal.timeout on the first call, or as retries without end.
    const check = (name: keyof ClientOptions, ok: (v: number) => boolean, what: string) => {
      const v = opts[name];
      if (v !== undefined && (typeof v !== 'number' || !ok(v)))
        throw new TypeError(`VecserveClient: ${name} must be ${what}, got ${String(v)}`);
    };
    check('timeoutMs', (v) => Number.isSafeInteger(v) && v > 0, 'a positive whole number of ms');
    check(
      'retries',
      (v) => Number.isSafeInteger(v) && v >= 0 && v <= 100,
      'a whole number from 0 to 100',
    );
    check(
      'maxRetryWaitMs',
      (v) => Number.isFinite(v) && v >= 0,
      'a finite number of ms, 0 or more',
    );
    this.#opts = opts;
  }

  /** `#call`, tried again on a refusal that says when (reads only: see ClientOptions.retries). */
  async #read<T>(method: string, path: string, body?: unknown): Promise<T> {
    const retries = this.#opts.retries ?? 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#call<T>(method, path, body);
      } catch (err) {
        if (
          attempt >= retries ||
          !(err instanceof VecserveError) ||
          (err.status !== 429 && err.status !== 503) ||
          err.retryAfter === undefined
        )
          throw err;
        const cap = this.#opts.maxRetryWaitMs ?? 2000;
        const wait = Math.min(err.retryAfter * 1000, cap) * (0.5 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#opts.apiKey) headers.authorization = `Bearer ${this.#opts.apiKey}`;
    const res = await (this.#opts.fetch ?? fetch)(`${this.#base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 30_000),
    });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!res.ok) {
      let problem: Api.Problem | null = null;
      try {
        problem = JSON.parse(text) as Api.Problem;
      } catch {
        // not problem+json (a proxy's page): status only
      }
      const retry = Number(res.headers.get('retry-after'));
      throw new VecserveError(
        res.status,
        problem,
        Number.isFinite(retry) && retry > 0 ? retry : undefined,
      );
    }
    return JSON.parse(text) as T;
  }

  #collection(name: string): string {
    return `/v1/collections/${encodeURIComponent(name)}`;
  }

  listCollections(): Promise<{ collections: string[] }> {
    return this.#read('GET', '/v1/collections');
  }
  createCollection(spec: Api.CreateCollectionBody): Promise<Api.CollectionInfoResponse> {
    return this.#call('POST', '/v1/collections', spec);
  }
  describe(name: string): Promise<Api.CollectionInfoResponse> {
    return this.#read('GET', this.#collection(name));
  }
  dropCollection(name: string): Promise<void> {
    return this.#call('DELETE', this.#collection(name));
  }
  search(name: string, body: Api.SearchBody): Promise<Api.SearchResponse> {
    return this.#read('POST', `${this.#collection(name)}/search`, body);
  }
  searchBatch(name: string, body: Api.BatchSearchBody): Promise<Api.BatchSearchResponse> {
    return this.#read('POST', `${this.#collection(name)}/search/batch`, body);
  }
  write(name: string, body: Api.WriteBody): Promise<Api.WriteResponse> {
    return this.#call('POST', `${this.#collection(name)}/vectors`, body);
  }
  deleteRows(name: string, body: Api.DeleteBody): Promise<Api.DeleteResponse> {
    return this.#call('DELETE', `${this.#collection(name)}/vectors`, body);
  }
}
