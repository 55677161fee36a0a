/**
 * Graph files mapped from huge pages. A graph walk is a chain of random reads
 * (each visited node's links, then its neighbours' vectors); at 1M x 512 int8
 * most of its time is spent waiting for memory, and on 4 KiB pages much of
 * that wait is address translation (a TLB miss, a page-table walk: two-level
 * under a hypervisor). A tmpfs mounted with `huge=always` or `huge=within_size`
 * backs a file with 2 MiB pages, so the same walk misses the TLB far less
 * (1.3-1.4x faster searches measured at 1M x 512, docs/benchmarks.md). Every
 * process mapping the copy shares its pages, as it shares the page cache.
 *
 * The copy is a cache of the snapshot's file, never the data of record: it is
 * named after the collection and snapshot, written whole then linked in (a
 * reader never maps half a file), and copies of the collection's older
 * snapshots are unlinked when a newer one is mapped (a process still mapping
 * an old copy keeps its pages until it unmaps them). Any failure (no space,
 * no directory) maps the snapshot's own file: same answers, slower walks.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, linkSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** What a graph is mapped from, and why it is not the huge-page copy when it is not. */
export interface MappedGraph {
  path: string;
  /** Set when a huge-page directory was asked for and could not be used. */
  fallback?: string;
}

/** The file to map for `indexPath` (a snapshot's graph): its copy in `hugePagesDir`, made if missing. */
export function graphToMap(indexPath: string, hugePagesDir: string | undefined): MappedGraph {
  if (!hugePagesDir) return { path: indexPath };
  const snapshotDir = dirname(indexPath);
  const prefix = `${collectionKey(dirname(snapshotDir))}-`;
  const name = `${prefix}${basename(snapshotDir)}.usearch`;
  const copy = join(hugePagesDir, name);
  let tmp: string | null = null;
  try {
    const size = statSync(indexPath).size;
    const existing = sizeOf(copy);
    if (existing !== size) {
      if (existing >= 0) rmSync(copy, { force: true }); // not this snapshot's graph
      tmp = `${copy}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
      copyFileSync(indexPath, tmp);
      // A link, not a rename: when two threads copy at once, the second keeps
      // the first's file, so one copy is mapped, not one each.
      try {
        linkSync(tmp, copy);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      rmSync(tmp, { force: true });
      tmp = null;
    }
    removeOlderCopies(hugePagesDir, prefix, name);
    return { path: copy };
  } catch (err) {
    if (tmp) rmSync(tmp, { force: true });
    return { path: indexPath, fallback: `${hugePagesDir}: ${(err as Error).message}` };
  }
}

/** Every copy of a dropped collection's graphs (their memory is the host's until unlinked). */
export function removeGraphCopies(collectionDir: string, hugePagesDir: string | undefined): void {
  if (!hugePagesDir) return;
  try {
    removeOlderCopies(hugePagesDir, `${collectionKey(collectionDir)}-`, null);
  } catch {
    // the directory is gone: nothing of ours is left in it
  }
}

/** Copies of a collection's other snapshots, and copies a dead process left half-written. */
function removeOlderCopies(dir: string, prefix: string, keep: string | null): void {
  for (const file of readdirSync(dir)) {
    if (!file.startsWith(prefix) || file === keep) continue;
    const writer = /\.tmp-(\d+)-/.exec(file);
    if (writer && isAlive(Number(writer[1]))) continue; // another process is copying
    rmSync(join(dir, file), { force: true });
  }
}

/** Collections of different data directories share the huge-page directory without clashing. */
function collectionKey(collectionDir: string): string {
  return createHash('sha256').update(resolve(collectionDir)).digest('hex').slice(0, 16);
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `dir` is on a tmpfs that gives files huge pages (from /proc/mounts):
 * null when it is, else what is wrong, for a startup warning.
 */
export function hugePagesProblem(dir: string, mounts: string): string | null {
  const path = resolve(dir);
  let best: { point: string; type: string; options: string } | null = null;
  for (const line of mounts.split('\n')) {
    const [, point, type, options] = line.split(' ');
    if (!point || !type || options === undefined) continue;
    const p = point.replace(/\\040/g, ' ');
    const covers = p === '/' || path === p || path.startsWith(`${p}/`);
    if (covers && (best === null || p.length >= best.point.length))
      best = { point: p, type, options };
  }
  if (best === null) return `no mount found for ${path}`;
  if (best.type !== 'tmpfs')
    return `${path} is on ${best.type} (${best.point}), not a tmpfs: its files get 4 KiB pages`;
  const huge = /(?:^|,)huge=([a-z_]+)/.exec(best.options)?.[1] ?? 'never';
  if (huge !== 'always' && huge !== 'within_size')
    return `the tmpfs at ${best.point} is mounted with huge=${huge}: mount it with huge=within_size (or always) for 2 MiB pages`;
  return null;
}
