import {
  closeSync,
  existsSync,
  fdatasyncSync,
  openSync,
  readFileSync,
  truncateSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/**
 * Append-only log of writes, fsynced before a write is acknowledged. A record is
 * `[u32 headerLen][u32 payloadLen][header JSON][payload][u32 crc32]`; the payload
 * carries float32 vectors as raw bytes, so logging a 512-d row costs 2 KiB and no
 * JSON number formatting. A torn record at the tail (crash mid-append) fails its
 * CRC and is cut off on replay: it was never acknowledged.
 */
export interface WalRecord<H> {
  header: H;
  payload: Uint8Array;
}

const FRAME = 12; // two u32 lengths + trailing crc

export class WriteAheadLog<H extends { seq: number }> {
  readonly path: string;
  #handle: FileHandle | null = null;
  #bytes = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Bytes appended since the log was last truncated. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Reads every intact record and cuts off a torn tail. */
  replay(): WalRecord<H>[] {
    if (!existsSync(this.path)) return [];
    const buf = readFileSync(this.path);
    const records: WalRecord<H>[] = [];
    let at = 0;
    while (at + FRAME <= buf.length) {
      const headerLen = buf.readUInt32LE(at);
      const payloadLen = buf.readUInt32LE(at + 4);
      const end = at + 8 + headerLen + payloadLen;
      if (end + 4 > buf.length) break;
      const body = buf.subarray(at, end);
      if (crc32(body) !== buf.readUInt32LE(end)) break;
      // A header that is not JSON reaches the caller as null, to be refused and reported.
      const header = parseOrNull(buf.toString('utf8', at + 8, at + 8 + headerLen)) as H;
      records.push({ header, payload: buf.subarray(at + 8 + headerLen, end) });
      at = end + 4;
    }
    if (at < buf.length) truncateSync(this.path, at);
    this.#bytes = at;
    return records;
  }

  async append(header: H, payload: Uint8Array): Promise<void> {
    if (!this.#handle) this.#handle = await open(this.path, 'a');
    const head = Buffer.from(JSON.stringify(header), 'utf8');
    const frame = Buffer.allocUnsafe(8 + head.length + payload.byteLength + 4);
    frame.writeUInt32LE(head.length, 0);
    frame.writeUInt32LE(payload.byteLength, 4);
    head.copy(frame, 8);
    frame.set(payload, 8 + head.length);
    const end = 8 + head.length + payload.byteLength;
    frame.writeUInt32LE(crc32(frame.subarray(0, end)), end);
    await this.#handle.write(frame);
    await this.#handle.datasync();
    this.#bytes += frame.length;
  }

  /** Empties the log once its records are part of a durable snapshot. */
  async truncate(): Promise<void> {
    await this.close();
    const fd = openSync(this.path, 'w');
    fdatasyncSync(fd);
    closeSync(fd);
    this.#bytes = 0;
  }

  async close(): Promise<void> {
    const h = this.#handle;
    this.#handle = null;
    await h?.close();
  }
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
