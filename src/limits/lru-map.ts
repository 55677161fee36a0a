/**
 * A Map bounded to `max` entries that forgets the least recently used key, so
 * per-client limiter state cannot grow without bound (a scan of spoofed keys
 * costs memory for at most `max` of them). Map keeps insertion order; touching
 * a key re-inserts it at the end.
 */
export class LruMap<V> {
  readonly max: number;
  readonly #map = new Map<string, V>();

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new TypeError(`LruMap: max must be a positive integer, got ${max}`);
    this.max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.max) {
      this.#map.delete(this.#map.keys().next().value!);
    }
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** Entries from least to most recently used, without touching their order. */
  entries(): IterableIterator<[string, V]> {
    return this.#map.entries();
  }
}
