/**
 * Graph files mapped from huge pages. A graph walk is a chain of random reads
 * (each visited node's links, then its neighbours' vectors); at 1M x 512 int8
 * most of its time is spent waiting for memory, and on 4 KiB pages much of
 * that wait is address translation (a TLB miss, a page-table walk: two-level
 * under a hypervisor). A tmpfs mounted with `huge=always` or `huge=within_size`
 * backs a file with 2 MiB pages, so the same walk misses the TLB far less
 * (raw walks 1.3-1.4x faster at 1M x 512, docs/benchmarks.md). Every
 * process mapping the copy shares its pages, as it shares the page cache.
 *
 * The copy is a cache of the snapshot's file, never the data of record: it is
 * named after the collection and snapshot, written whole then linked in (a
 * reader never maps half a file), and copies of the collection's older
 * snapshots are unlinked when a newer one is mapped (a process still mapping
 * an old copy keeps its pages until it unmaps them). No search waits for a
 * copy: a view maps the store's file until its copy is made, then switches.
 * Any failure (no space, no directory) keeps the store's file: same answers,
 * slower walks.
 */
import { createHash } from 'node:crypto';
import { existsSync, linkSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isAlive } from '../../core/lock-file.ts';

/** What a graph is mapped from, and why it is not the huge-page copy when it is not. */
export interface MappedGraph {
  path: string;
  /** Set when a huge-page directory was asked for and could not be used. */
  fallback?: string;
}

/** Where `indexPath`'s copy in `hugePagesDir` goes; the prefix every copy of its collection has. */
function copyName(indexPath: string, hugePagesDir: string): { copy: string; prefix: string } {
  const snapshotDir = dirname(indexPath);
  const prefix = `${collectionKey(dirname(snapshotDir))}-`;
  return { copy: join(hugePagesDir, `${prefix}${basename(snapshotDir)}.usearch`), prefix };
}

/** The copy of `indexPath` (a snapshot's graph) in `hugePagesDir` when it is there whole, else null. */
export function hugePageCopy(indexPath: string, hugePagesDir: string): string | null {
  const { copy } = copyName(indexPath, hugePagesDir);
  const size = sizeOf(indexPath);
  return size >= 0 && sizeOf(copy) === size ? copy : null;
}

/**
 * Copies `indexPath` into `hugePagesDir` (libuv's pool does the copying, so the
 * calling thread keeps searching meanwhile) and drops the collection's older
 * copies. Resolves to the copy, or to the store's file with why it is not one.
 */
export async function copyToHugePages(
  indexPath: string,
  hugePagesDir: string,
): Promise<MappedGraph> {
  const { copy, prefix } = copyName(indexPath, hugePagesDir);
  let tmp: string | null = null;
  try {
    if (hugePageCopy(indexPath, hugePagesDir) === null) {
      rmSync(copy, { force: true }); // absent, or not this snapshot's graph
      tmp = `${copy}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
      await copySized(indexPath, tmp);
      // A link, not a rename: when two threads copy at once, the second keeps
      // the first's file, so one copy is mapped, not one each.
      try {
        linkSync(tmp, copy);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      rmSync(tmp, { force: true });
      tmp = null;
      // Dropped while it was copied: the drop removed the store before it looked
      // for copies, so either it saw this one or this sees the store gone.
      if (!existsSync(indexPath)) {
        rmSync(copy, { force: true });
        return { path: indexPath, fallback: `${indexPath} was removed while it was copied` };
      }
    }
    removeOlderCopies(hugePagesDir, prefix, basename(copy));
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

/**
 * Copies `from` into a new file `to`, sized first and written 8 MiB at a time:
 * a tmpfs mounted with huge=within_size gives a 2 MiB page only where the
 * file's size covers all of it, and `copyFile` (copy_file_range, growing the
 * file in small steps) got huge pages for 10% of a 1M graph, which then
 * searched no faster than the store's file.
 */
async function copySized(from: string, to: string): Promise<void> {
  const src = await open(from, 'r');
  try {
    const dst = await open(to, 'wx');
    try {
      const { size } = await src.stat();
      await dst.truncate(size);
      const chunk = Buffer.allocUnsafe(COPY_CHUNK);
      for (let at = 0; at < size; ) {
        const { bytesRead } = await src.read(chunk, 0, Math.min(COPY_CHUNK, size - at), at);
        if (bytesRead === 0) throw new Error(`${from} ended at ${at} of ${size} bytes`);
        await dst.write(chunk, 0, bytesRead, at);
        at += bytesRead;
      }
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

/** Whole huge pages a write. */
const COPY_CHUNK = 8 << 20;

/**
 * Copies of a collection's older snapshots (all, when `keep` is null), and
 * copies a dead process left half-written. Snapshot names sort by age
 * (snapshot.ts: zero-padded log sequence, then time), and a newer snapshot's
 * copy stays: a reader still behind must not drop what the others map.
 */
function removeOlderCopies(dir: string, prefix: string, keep: string | null): void {
  for (const file of readdirSync(dir)) {
    if (!file.startsWith(prefix) || file === keep) continue;
    const writer = /\.tmp-(\d+)-/.exec(file);
    if (writer && isAlive(Number(writer[1]))) continue; // another process is copying
    if (!writer && keep !== null && file > keep) continue;
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

/** The mount table (/proc/mounts), or null where there is none (not Linux). */
export function readMounts(): string | null {
  try {
    return readFileSync('/proc/mounts', 'utf8');
  } catch {
    return null;
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
