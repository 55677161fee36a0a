import { CircuitBreaker, defaultIsFailure } from '../limits/circuit-breaker.ts';
import { type Clock, monotonicClock } from '../limits/clock.ts';
import { RetryBudget } from './retry-budget.ts';
import type { BalancingStrategy, EndpointView } from './strategy.ts';

/**
 * Client-side balancing over several endpoints (e.g. Milvus proxies), with
 * health:
 * - passive outlier detection: each endpoint has a circuit breaker in
 *   `outlier` mode (N failures in a row, or a failure ratio over a window);
 *   an open breaker ejects the endpoint; its open period (the ejection time)
 *   doubles after each failed re-admission, up to a cap;
 * - an ejection cap: when more than `maxEjectedShare` of the endpoints look
 *   bad, the balancer uses them all (panic mode) rather than fail everything
 *   or pile all traffic onto one survivor;
 * - active probes (optional): an endpoint failing `probeFailures` probes in a
 *   row is taken out until a probe succeeds;
 * - slow start: an endpoint that comes back gets a weight ramping from 10% to
 *   100% over `slowStartMs`;
 * - retries for reads only, on another endpoint, within a retry budget and
 *   never past the caller's deadline (its AbortSignal).
 */
export interface EndpointConfig<R> {
  id: string;
  weight?: number;
  resource: R;
}

export interface BalancerOptions<R> {
  endpoints: EndpointConfig<R>[];
  strategy: BalancingStrategy;
  consecutiveFailures?: number;
  failureRate?: number;
  minVolume?: number;
  windowMs?: number;
  ejectionMs?: number;
  maxEjectionMs?: number;
  maxEjectedShare?: number;
  slowStartMs?: number;
  /** Trial requests while an endpoint is being re-admitted (breaker half-open). */
  trials?: number;
  retryBudget?: RetryBudget;
  maxAttempts?: number;
  /**
   * Hedged reads: a read with no answer after this long is also sent to another endpoint,
   * within the retry budget, and the first answer wins (the slower call runs on to its
   * deadline, its answer unused). 0: off. A replica stalled by a dead node behind one proxy
   * then costs a read this long, not the stall.
   */
  hedgeAfterMs?: number;
  probe?: (resource: R) => Promise<boolean>;
  probeIntervalMs?: number;
  probeFailures?: number;
  /** Which errors count against an endpoint (default: transport errors, unavailable, deadline, internal; not client errors). */
  isFailure?: (err: unknown) => boolean;
  /**
   * Errors that prove the request never left for its endpoint (no connection could be
   * established): such a request moves to another endpoint as a breaker's refusal does, at no
   * retry budget and writes included, since nothing reached the server. Default: none.
   */
  neverSent?: (err: unknown) => boolean;
  clock?: Clock;
  random?: () => number;
  onStateChange?: (endpoint: string, state: EndpointState) => void;
}

export type EndpointState = 'healthy' | 'ejected' | 'probation' | 'probe-failed';

export interface EndpointStats {
  id: string;
  weight: number;
  effectiveWeight: number;
  state: EndpointState;
  outstanding: number;
  requests: number;
  failures: number;
  ejections: number;
}

class Endpoint<R> implements EndpointView {
  readonly id: string;
  readonly configuredWeight: number;
  readonly resource: R;
  readonly breaker: CircuitBreaker;
  outstanding = 0;
  requests = 0;
  failures = 0;
  ejections = 0;
  probeFailures = 0;
  /** When it last came back (slow start). */
  rejoinedAt = Number.NEGATIVE_INFINITY;
  weight = 1;

  constructor(cfg: EndpointConfig<R>, breaker: CircuitBreaker) {
    this.id = cfg.id;
    this.configuredWeight = cfg.weight ?? 1;
    this.resource = cfg.resource;
    this.breaker = breaker;
  }
}

export class NoEndpointError extends Error {}

export class Balancer<R> {
  readonly strategy: BalancingStrategy;
  readonly retryBudget: RetryBudget;
  readonly #endpoints: Endpoint<R>[];
  readonly #o: Required<
    Pick<BalancerOptions<R>, 'maxEjectedShare' | 'slowStartMs' | 'maxAttempts' | 'probeFailures'>
  >;
  readonly #isFailure: (err: unknown) => boolean;
  readonly #neverSent: (err: unknown) => boolean;
  readonly #hedgeAfterMs: number;
  /** Reads sent again to another endpoint after hedgeAfterMs, and how many of those answered first. */
  hedges = { sent: 0, won: 0 };
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #onStateChange?: (endpoint: string, state: EndpointState) => void;
  #probeTimer: ReturnType<typeof setInterval> | null = null;
  #probe?: (resource: R) => Promise<boolean>;

  constructor(opts: BalancerOptions<R>) {
    if (opts.endpoints.length === 0) throw new TypeError('Balancer: at least one endpoint');
    this.strategy = opts.strategy;
    this.#clock = opts.clock ?? monotonicClock;
    this.#random = opts.random ?? Math.random;
    this.#isFailure = opts.isFailure ?? defaultIsFailure;
    this.#neverSent = opts.neverSent ?? (() => false);
    this.#hedgeAfterMs = opts.hedgeAfterMs ?? 0;
    this.#onStateChange = opts.onStateChange;
    this.retryBudget = opts.retryBudget ?? new RetryBudget({ clock: this.#clock });
    this.#o = {
      maxEjectedShare: opts.maxEjectedShare ?? 0.5,
      slowStartMs: opts.slowStartMs ?? 10_000,
      maxAttempts: opts.maxAttempts ?? 3,
      probeFailures: opts.probeFailures ?? 2,
    };
    this.#endpoints = opts.endpoints.map((cfg) => {
      const breaker = new CircuitBreaker({
        mode: {
          kind: 'outlier',
          consecutive: opts.consecutiveFailures ?? 5,
          threshold: opts.failureRate ?? 0.5,
          minVolume: opts.minVolume ?? 20,
          windowMs: opts.windowMs ?? 10_000,
        },
        openMs: opts.ejectionMs ?? 2000,
        maxOpenMs: opts.maxEjectionMs ?? 60_000,
        halfOpenTrials: opts.trials ?? 3,
        isFailure: this.#isFailure,
        clock: this.#clock,
      });
      const e = new Endpoint(cfg, breaker);
      breaker.onStateChange((s, previous) => {
        if (s.kind === 'open' && previous.kind === 'closed') e.ejections++;
        if (s.kind === 'closed') e.rejoinedAt = this.#clock();
        this.#onStateChange?.(e.id, this.#stateOf(e));
      });
      return e;
    });
    this.#probe = opts.probe;
    if (opts.probe) {
      this.#probeTimer = setInterval(() => void this.probeAll(), opts.probeIntervalMs ?? 2000);
      this.#probeTimer.unref();
    }
  }

  get endpoints(): readonly { id: string; resource: R }[] {
    return this.#endpoints;
  }

  #stateOf(e: Endpoint<R>): EndpointState {
    if (e.probeFailures >= this.#o.probeFailures) return 'probe-failed';
    const s = e.breaker.state.kind;
    return s === 'closed' ? 'healthy' : s === 'open' ? 'ejected' : 'probation';
  }

  /** Slow start: 10% of the weight on return, 100% after slowStartMs. */
  #factor(e: Endpoint<R>): number {
    const since = this.#clock() - e.rejoinedAt;
    if (!(since < this.#o.slowStartMs)) return 1;
    return Math.max(0.1, since / this.#o.slowStartMs);
  }

  /** Endpoints a request may go to now (panic mode: all of them). */
  #candidates(exclude: ReadonlySet<Endpoint<R>>): { list: Endpoint<R>[]; panic: boolean } {
    for (const e of this.#endpoints) e.weight = e.configuredWeight * this.#factor(e);
    const usable = this.#endpoints.filter((e) => {
      const state = this.#stateOf(e);
      return state !== 'ejected' && state !== 'probe-failed';
    });
    const ejectedShare = 1 - usable.length / this.#endpoints.length;
    if (ejectedShare > this.#o.maxEjectedShare) {
      const all = this.#endpoints.filter((e) => !exclude.has(e));
      // When probes alone put us past the cap (a cluster-wide health check failing while the
      // endpoints' own calls succeed), the calls are the better evidence: an endpoint whose
      // calls fail (breaker open) stays out. Measured on a Milvus cluster with a proxy
      // SIGKILLed: every proxy's CheckHealth failed until the dead one's session expired, and
      // panic sent half the searches to the dead proxy.
      const calling = this.#endpoints.filter((e) => e.breaker.state.kind !== 'open');
      if (1 - calling.length / this.#endpoints.length <= this.#o.maxEjectedShare) {
        const list = calling.filter((e) => !exclude.has(e));
        if (list.length > 0 || all.length === 0) return { list, panic: true };
      }
      return { list: all, panic: true };
    }
    return { list: usable.filter((e) => !exclude.has(e)), panic: false };
  }

  /**
   * Runs `fn` on an endpoint. Reads (`retry: true`) that fail on an endpoint
   * are retried on another while the budget and the signal allow.
   */
  async execute<T>(
    fn: (resource: R, endpointId: string) => Promise<T>,
    opts: { retry: boolean; key?: string; signal?: AbortSignal },
  ): Promise<T> {
    this.retryBudget.recordRequest();
    const tried = new Set<Endpoint<R>>();
    if (!opts.retry || this.#hedgeAfterMs <= 0 || this.#endpoints.length < 2)
      return this.#attempts(fn, opts, tried);
    return this.#hedged(fn, opts, tried);
  }

  /**
   * A read on one endpoint and, if it has not answered within hedgeAfterMs and the budget
   * allows, the same read on another (the two share `tried`, so they avoid each other's
   * endpoints). The first answer wins; when both fail, the first one's error is thrown.
   */
  #hedged<T>(
    fn: (resource: R, endpointId: string) => Promise<T>,
    opts: { retry: boolean; key?: string; signal?: AbortSignal },
    tried: Set<Endpoint<R>>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let running = 1;
      let firstError: { err: unknown } | null = null;
      const win = (value: T, hedge: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (hedge) this.hedges.won++;
        resolve(value);
      };
      const lose = (err: unknown) => {
        firstError ??= { err };
        if (--running > 0 || settled) return;
        settled = true;
        clearTimeout(timer);
        reject(firstError.err);
      };
      const timer = setTimeout(() => {
        if (settled || opts.signal?.aborted) return;
        const others = this.#candidates(tried).list;
        if (others.length === 0 || !this.retryBudget.tryRetry()) return;
        this.hedges.sent++;
        running++;
        this.#attempts(fn, opts, tried).then(
          (v) => win(v, true),
          (err) => lose(err),
        );
      }, this.#hedgeAfterMs);
      this.#attempts(fn, opts, tried).then(
        (v) => win(v, false),
        (err) => lose(err),
      );
    });
  }

  async #attempts<T>(
    fn: (resource: R, endpointId: string) => Promise<T>,
    opts: { retry: boolean; key?: string; signal?: AbortSignal },
    tried: Set<Endpoint<R>>,
  ): Promise<T> {
    let lastError: unknown;
    // Whether the last attempt reached its endpoint. One its breaker refused was never sent:
    // moving it to another endpoint is no retry (no extra load, no duplicate write), so it
    // costs no budget. Measured on a Milvus cluster: with a dead proxy on probation, half the
    // searches were refused by its breaker, the budget (20%) ran out, and 119 failed in 2 s.
    let reached = false;
    for (let attempt = 0; attempt < this.#o.maxAttempts; attempt++) {
      opts.signal?.throwIfAborted();
      if (attempt > 0 && reached && !(opts.retry && this.retryBudget.tryRetry())) break;
      const { list, panic } = this.#candidates(tried);
      if (list.length === 0) break;
      const e = this.strategy.pick(
        list,
        { key: opts.key, random: this.#random },
        this.#endpoints,
      ) as Endpoint<R>;
      tried.add(e);
      reached = true;
      e.outstanding++;
      e.requests++;
      try {
        // In panic mode an ejected endpoint is called without its breaker (it would refuse).
        // One on probation still goes through it: its trials stay a few calls, and the calls
        // its breaker refuses move on for free. Measured on a Milvus cluster with a proxy
        // SIGKILLed: once every CheckHealth failed (panic), calling the dead proxy past its
        // half-open breaker sent it half the searches, and 129 of 1,896 failed in 3 s.
        const run = () => fn(e.resource, e.id);
        return panic && e.breaker.state.kind === 'open'
          ? await run()
          : await e.breaker.execute(run, opts.signal);
      } catch (err) {
        lastError = err;
        const refusedByBreaker = (err as { reason?: string }).reason === 'breaker_open';
        reached = !refusedByBreaker && !this.#neverSent(err);
        if (!refusedByBreaker && this.#isFailure(err)) e.failures++;
        if (opts.signal?.aborted) throw err;
        if (!refusedByBreaker && !this.#isFailure(err)) throw err; // a client error: no retry
      } finally {
        e.outstanding--;
      }
    }
    if (lastError !== undefined) throw lastError;
    throw new NoEndpointError('no endpoint available');
  }

  /** One round of active health probes. */
  async probeAll(): Promise<void> {
    const probe = this.#probe;
    if (!probe) return;
    await Promise.all(
      this.#endpoints.map(async (e) => {
        const before = this.#stateOf(e);
        let ok = false;
        try {
          ok = await probe(e.resource);
        } catch {
          ok = false;
        }
        if (ok) {
          if (e.probeFailures >= this.#o.probeFailures) e.rejoinedAt = this.#clock();
          e.probeFailures = 0;
          // It answers again: let trial requests decide now, not at the end of its ejection.
          e.breaker.probeSucceeded();
        } else {
          e.probeFailures++;
        }
        const after = this.#stateOf(e);
        if (after !== before) this.#onStateChange?.(e.id, after);
      }),
    );
  }

  /** True when at least one endpoint is not ejected or failing probes. */
  get anyHealthy(): boolean {
    return this.#endpoints.some((e) => {
      const s = this.#stateOf(e);
      return s === 'healthy' || s === 'probation';
    });
  }

  stats(): EndpointStats[] {
    return this.#endpoints.map((e) => ({
      id: e.id,
      weight: e.configuredWeight,
      effectiveWeight: Math.round(e.configuredWeight * this.#factor(e) * 1000) / 1000,
      state: this.#stateOf(e),
      outstanding: e.outstanding,
      requests: e.requests,
      failures: e.failures,
      ejections: e.ejections,
    }));
  }

  close(): void {
    if (this.#probeTimer) clearInterval(this.#probeTimer);
    this.#probeTimer = null;
  }
}
