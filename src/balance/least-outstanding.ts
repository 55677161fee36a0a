import type { BalancingStrategy, EndpointView, PickContext } from './strategy.ts';

/**
 * Least outstanding requests with the power of two choices: sample two
 * distinct candidates at random (weighted), keep the one with fewer requests
 * in flight per unit of weight. Nearly as good as scanning all endpoints, and
 * it does not stampede the single least-loaded one when many balancers (one
 * per worker) pick at the same moment.
 */
export class LeastOutstanding implements BalancingStrategy {
  readonly name = 'least-outstanding';

  pick(candidates: readonly EndpointView[], ctx: PickContext): EndpointView {
    if (candidates.length === 1) return candidates[0]!;
    const a = weightedSample(candidates, ctx.random);
    const b = weightedSample(candidates, ctx.random, a);
    const load = (e: EndpointView) => (e.outstanding + 1) / e.weight;
    return load(b) < load(a) ? b : a;
  }
}

/** A candidate drawn with probability proportional to its weight, other than `not`. */
function weightedSample(
  c: readonly EndpointView[],
  random: () => number,
  not?: EndpointView,
): EndpointView {
  let total = 0;
  for (const e of c) if (e !== not) total += e.weight;
  let r = random() * total;
  let last = c[0]!;
  for (const e of c) {
    if (e === not) continue;
    last = e;
    r -= e.weight;
    if (r < 0) return e;
  }
  return last;
}
