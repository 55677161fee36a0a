import { readFileSync } from 'node:fs';

/**
 * Which slots hold deleted (or replaced) rows: one bit per slot, 125 KiB per
 * million rows, so every worker keeps its own copy in memory; saved whole with
 * each snapshot.
 */
export class DeletedSlots {
  #bits: Uint8Array;
  #count = 0;

  constructor(bits = new Uint8Array(1024)) {
    this.#bits = bits;
    for (const byte of bits) this.#count += popcount(byte);
  }

  static load(path: string): DeletedSlots {
    const b = readFileSync(path);
    return new DeletedSlots(new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice());
  }

  get count(): number {
    return this.#count;
  }

  has(slot: number): boolean {
    return ((this.#bits[slot >> 3] ?? 0) & (1 << (slot & 7))) !== 0;
  }

  add(slot: number): void {
    if (this.has(slot)) return;
    const byte = slot >> 3;
    if (byte >= this.#bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.#bits.length * 2));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    this.#bits[byte]! |= 1 << (slot & 7);
    this.#count++;
  }

  /** The bytes covering `slots` slots, for a snapshot. */
  bytes(slots: number): Uint8Array {
    const out = new Uint8Array(Math.ceil(slots / 8));
    out.set(this.#bits.subarray(0, out.length));
    return out;
  }
}

function popcount(b: number): number {
  let n = 0;
  for (let x = b; x !== 0; x &= x - 1) n++;
  return n;
}
