import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';

/**
 * One append-only data file, read with positional reads (pread). Nothing of it
 * is copied into the heap: reads go through the kernel's page cache, which every
 * process on the host shares, so N workers serving the same file hold one copy
 * of its bytes between them (the point of issue 11's "one copy per host").
 *
 * Durability comes from the write-ahead log, not from this file: appends are
 * not fsynced one by one; `sync()` runs at checkpoint time, before a snapshot
 * that covers the appended bytes is switched in. On open for writing the file
 * is cut back to the length the current snapshot covers, so bytes appended
 * after that snapshot (and re-derived from the log on replay) never count twice.
 */
export class AppendFile {
  readonly path: string;
  #fd: number;
  #bytes: number;

  constructor(path: string, mode: 'read' | 'write') {
    this.path = path;
    this.#fd = openSync(path, mode === 'write' ? 'a+' : 'r');
    this.#bytes = fstatSync(this.#fd).size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  append(data: Uint8Array): void {
    let at = 0;
    while (at < data.byteLength) at += writeSync(this.#fd, data, at, data.byteLength - at);
    this.#bytes += data.byteLength;
  }

  /** Fills `into` from byte `position`; throws if the file is shorter. */
  read(into: Uint8Array, position: number): void {
    let at = 0;
    while (at < into.byteLength) {
      const n = readSync(this.#fd, into, at, into.byteLength - at, position + at);
      if (n === 0) throw new Error(`${this.path}: short read at ${position + at}`);
      at += n;
    }
  }

  truncate(bytes: number): void {
    ftruncateSync(this.#fd, bytes);
    this.#bytes = bytes;
  }

  sync(): void {
    fsyncSync(this.#fd);
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}
