/** Collects protobuf bytes; nested messages are built apart and written length-prefixed. */
export class ProtoWriter {
  #parts: Uint8Array[] = [];
  #scratch = new Uint8Array(64);
  #used = 0;
  length = 0;

  #flushScratch(): void {
    if (this.#used === 0) return;
    this.#parts.push(this.#scratch.slice(0, this.#used));
    this.#used = 0;
  }

  #byte(b: number): void {
    if (this.#used === this.#scratch.length) this.#flushScratch();
    this.#scratch[this.#used++] = b;
    this.length++;
  }

  varint(n: number): this {
    if (!Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${n}`);
    if (n < 0) return this.#varint64(BigInt.asUintN(64, BigInt(n)));
    while (n > 0x7f) {
      this.#byte((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.#byte(n);
    return this;
  }

  #varint64(n: bigint): this {
    while (n > 0x7fn) {
      this.#byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.#byte(Number(n));
    return this;
  }

  tag(field: number, wireType: 0 | 1 | 2 | 5): this {
    return this.varint(field * 8 + wireType);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    this.#flushScratch();
    this.#parts.push(data);
    this.length += data.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  message(field: number, inner: ProtoWriter): this {
    this.tag(field, 2).varint(inner.length);
    inner.#flushScratch();
    this.#flushScratch();
    for (const p of inner.#parts) this.#parts.push(p);
    this.length += inner.length;
    return this;
  }

  finish(): Buffer {
    this.#flushScratch();
    return Buffer.concat(this.#parts, this.length);
  }
}
