import type { BalancingStrategy, EndpointView } from './strategy.ts';

/**
 * nginx's smooth weighted round robin: every pick adds each candidate's
 * weight to its current score, takes the highest, and subtracts the total
 * from the winner. Weights 5:1:1 give a a b a c a a (spread out, not a a a a a b c).
 * Weights may be fractional (slow start scales them).
 */
export class SmoothWeightedRoundRobin implements BalancingStrategy {
  readonly name = 'weighted-round-robin';
  readonly #current = new Map<string, number>();

  pick(candidates: readonly EndpointView[]): EndpointView {
    let total = 0;
    let best: EndpointView | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const e of candidates) {
      const score = (this.#current.get(e.id) ?? 0) + e.weight;
      this.#current.set(e.id, score);
      total += e.weight;
      if (score > bestScore) {
        bestScore = score;
        best = e;
      }
    }
    this.#current.set(best!.id, bestScore - total);
    return best!;
  }
}
