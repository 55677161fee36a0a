import type { BalancingStrategy, EndpointView, PickContext } from './strategy.ts';

/** 32-bit FNV-1a then a murmur3 finalizer (better avalanche for short keys). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Consistent hashing with virtual nodes, keyed by a request attribute
 * (collection, tenant or API key): requests for one key go to one endpoint,
 * and when an endpoint joins or leaves only about 1/N of the keys move. The
 * ring is built over every configured endpoint (weight x `vnodes` points
 * each); a key whose owner is not a candidate (ejected) walks on to the next
 * candidate, so only that endpoint's keys move, and move back when it
 * returns. Requests without a key fall back to a random candidate.
 */
export class ConsistentHash implements BalancingStrategy {
  readonly name = 'consistent-hash';
  readonly #vnodes: number;
  #ring: { point: number; id: string }[] = [];
  #ringOf = '';

  constructor(opts: { vnodes?: number } = {}) {
    this.#vnodes = opts.vnodes ?? 160;
  }

  #build(all: readonly EndpointView[]): void {
    // Configured weights only: slow start must not reshuffle keys.
    const signature = all.map((e) => e.id).join('|');
    if (signature === this.#ringOf) return;
    const ring: { point: number; id: string }[] = [];
    for (const e of all) {
      for (let v = 0; v < this.#vnodes; v++) ring.push({ point: hash32(`${e.id}#${v}`), id: e.id });
    }
    ring.sort((a, b) => a.point - b.point);
    this.#ring = ring;
    this.#ringOf = signature;
  }

  pick(
    candidates: readonly EndpointView[],
    ctx: PickContext,
    all: readonly EndpointView[],
  ): EndpointView {
    if (ctx.key === undefined) return candidates[Math.floor(ctx.random() * candidates.length)]!;
    this.#build(all.length > 0 ? all : candidates);
    const byId = new Map(candidates.map((e) => [e.id, e]));
    const h = hash32(ctx.key);
    // First ring point at or after h (binary search), then walk to a candidate.
    let lo = 0;
    let hi = this.#ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ring[mid]!.point < h) lo = mid + 1;
      else hi = mid;
    }
    for (let i = 0; i < this.#ring.length; i++) {
      const owner = byId.get(this.#ring[(lo + i) % this.#ring.length]!.id);
      if (owner) return owner;
    }
    return candidates[0]!;
  }
}
