/**
 * A balancing strategy picks one endpoint among the candidates the balancer
 * offers (healthy ones, or all of them when too many are ejected). Endpoints
 * carry an effective weight (configured weight x slow-start factor) and their
 * outstanding request count.
 */
export interface EndpointView {
  readonly id: string;
  /** Configured weight x slow-start factor (0 < w). */
  readonly weight: number;
  readonly outstanding: number;
}

export interface PickContext {
  /** Request attribute for affinity (collection, tenant, API key). */
  key?: string;
  random: () => number;
}

export interface BalancingStrategy {
  readonly name: string;
  /** Candidates is non-empty; `all` is every configured endpoint (stable order). */
  pick(
    candidates: readonly EndpointView[],
    ctx: PickContext,
    all: readonly EndpointView[],
  ): EndpointView;
}
