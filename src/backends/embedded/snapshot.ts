import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../../core/make-dirs.ts';
import type { CollectionSpec, IndexParams } from '../../core/types.ts';

/**
 * A snapshot is a directory `snap-<walSeq>-<time>/` holding:
 * - `manifest.json`: the spec, which data generation and how many of its slots
 *   the snapshot covers, the last log sequence folded in, and the verification;
 * - `index.usearch`: the HNSW graph over exactly those slots, minus deletes;
 * - `deleted.bits`: which of those slots are deleted.
 * `CURRENT` names the snapshot in force. It is switched by an atomic rename,
 * and only to a snapshot whose index was opened successfully in a separate
 * process; the previous snapshot stays on disk until the switch is durable.
 */
export const CURRENT = 'CURRENT';
export const MANIFEST = 'manifest.json';
export const INDEX_FILE = 'index.usearch';
export const DELETED_FILE = 'deleted.bits';

export type ResolvedSpec = CollectionSpec & { index: IndexParams };

export interface Manifest {
  format: 2;
  spec: ResolvedSpec;
  /** The data generation (`data-<n>/`) whose first `slots` rows this snapshot covers. */
  generation: number;
  slots: number;
  live: number;
  /** Last write-ahead-log sequence number folded into this snapshot. */
  walSeq: number;
  /** Keys removed from the saved graph (usearch keeps their slots; compaction resets it). */
  indexRemoved: number;
  /**
   * Rows the saved graph could not reach from their own vector when it was
   * written: searches scan them exactly (absent in snapshots before this field).
   */
  unreachable?: number[];
  /**
   * The scale an int8 graph's codes were made with (hnsw-index.ts). Absent:
   * a float graph, no row yet, or an int8 graph written before scales were
   * learned (usearch's by-length cast; compaction rebuilds it with one).
   */
  graphScale?: number;
  /** The mean row a b1 graph's vectors were centred on before their signs were taken. */
  graphMean?: number[];
  /** How the index file was checked before the switch. */
  verified: { inChildProcess: true; ms: number };
}

export function dataDirOf(collectionDir: string, generation: number): string {
  return join(collectionDir, `data-${generation}`);
}

export function currentSnapshot(collectionDir: string): string | null {
  const p = join(collectionDir, CURRENT);
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : null;
}

export function readManifest(snapshotDir: string): Manifest {
  return JSON.parse(readFileSync(join(snapshotDir, MANIFEST), 'utf8')) as Manifest;
}

export function newSnapshotDir(collectionDir: string, walSeq: number): string {
  const dir = join(collectionDir, `snap-${String(walSeq).padStart(12, '0')}-${Date.now()}`);
  makeDirs(dir);
  return dir;
}

/** Points CURRENT at `snapshotDir` (atomic, durable), then removes what no snapshot needs. */
export function switchTo(collectionDir: string, snapshotDir: string, manifest: Manifest): void {
  writeDurably(join(snapshotDir, MANIFEST), Buffer.from(JSON.stringify(manifest, null, 2)));
  fsyncPath(snapshotDir);
  const name = snapshotDir.slice(collectionDir.length + 1);
  const tmp = join(collectionDir, `${CURRENT}.tmp`);
  writeDurably(tmp, Buffer.from(name));
  renameSync(tmp, join(collectionDir, CURRENT));
  fsyncPath(collectionDir);
  // Processes that mapped or opened removed files keep them until they close.
  for (const entry of readdirSync(collectionDir)) {
    const stale =
      (entry.startsWith('snap-') && entry !== name) ||
      (entry.startsWith('data-') && entry !== `data-${manifest.generation}`);
    if (stale) rmSync(join(collectionDir, entry), { recursive: true, force: true });
  }
}

export function writeDurably(path: string, data: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let at = 0;
    while (at < data.byteLength) at += writeSync(fd, data, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
