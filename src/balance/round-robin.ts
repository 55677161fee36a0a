import type { BalancingStrategy, EndpointView } from './strategy.ts';

/** Plain round robin over the candidates; weights are ignored. */
export class RoundRobin implements BalancingStrategy {
  readonly name = 'round-robin';
  #next = 0;

  pick(candidates: readonly EndpointView[]): EndpointView {
    const e = candidates[this.#next % candidates.length]!;
    this.#next = (this.#next + 1) % 1_000_000_007;
    return e;
  }
}
