/**
 * One search thread: opens snapshots read-only (the graph memory-mapped, the
 * data files read through the page cache, exactly as a shared worker does)
 * and answers searches posted by the pool, so a native search never blocks
 * the event loop that parses requests and decides admission.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import {
  EmbeddedCollection,
  type SearchParams,
  type TailView,
  type ThreadFound,
} from './embedded-collection.ts';
import { readManifest } from './snapshot.ts';

export interface SearchTask {
  id: number;
  collectionDir: string;
  snapshotDir: string;
  bruteForceLimit: number;
  /** The query vectors end to end, `dimension` floats each, in a buffer transferred to the thread. */
  queries: Float32Array;
  dimension: number;
  params: SearchParams;
  /** The rows the writer appended since `snapshotDir`, scanned exactly beside it. */
  tail: TailView;
  /** The slots the writer deleted since `snapshotDir` (see ThreadSearch). */
  deleted: Int32Array;
}

export type SearchReply =
  | { id: number; found: ThreadFound[][] }
  | { id: number; error: string }
  /** Not an answer: something the pool's owner should log. */
  | { warning: string };

/** Sent last by the pool: finish, close every collection and end the thread. */
export interface CloseMessage {
  close: true;
}

/** Graphs are mapped from copies here when set (huge-page-graphs.ts). */
const hugePagesDir = (workerData as { hugePagesDir?: string }).hugePagesDir;

/** The snapshot each collection is open at; a newer snapshot replaces it. */
const open = new Map<string, { snapshotDir: string; collection: EmbeddedCollection }>();

function collectionFor(task: SearchTask): EmbeddedCollection {
  const held = open.get(task.collectionDir);
  if (held?.snapshotDir === task.snapshotDir) return held.collection;
  const collection = EmbeddedCollection.open(
    task.collectionDir,
    task.snapshotDir,
    readManifest(task.snapshotDir),
    'shared',
    task.bruteForceLimit,
    true,
    hugePagesDir,
  );
  void collection.graphCopy?.then((mapped) => {
    if (mapped.fallback)
      parentPort!.postMessage({
        warning: `${task.collectionDir}: graph mapped from the store, not from huge pages: ${mapped.fallback}`,
      } satisfies SearchReply);
  });
  held?.collection.close();
  open.set(task.collectionDir, { snapshotDir: task.snapshotDir, collection });
  return collection;
}

/**
 * Searches yield the CPU to the event loop: on Linux a nice value is per
 * thread, so this thread (found through /proc/thread-self) runs at a lower
 * priority than the main thread. When searches and HTTP compete for a core,
 * the thread that parses, admits and refuses requests wins, so refusals stay
 * fast under overload instead of waiting behind admitted work. Elsewhere (or
 * if the kernel refuses) searches keep the process's priority.
 */
function yieldToEventLoop(nice: number): void {
  if (nice <= 0) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // not Linux, or no /proc: same priority as the event loop
  }
}
yieldToEventLoop((workerData as { nice?: number }).nice ?? 0);

// Set by the pool when it closes: searches still queued behind that are skipped.
const closing = new Int32Array((workerData as { closing: SharedArrayBuffer }).closing);

parentPort!.on('message', (task: SearchTask | CloseMessage) => {
  if ('close' in task) {
    // Ending here, between two searches, is safe; a terminate() during a native
    // search throws a C++ exception that aborts the whole process.
    for (const held of open.values()) held.collection.close();
    open.clear();
    parentPort!.close();
    return;
  }
  if (Atomics.load(closing, 0) === 1) {
    parentPort!.postMessage({
      id: task.id,
      error: 'search threads are closing',
    } satisfies SearchReply);
    return;
  }
  let reply: SearchReply;
  try {
    const queries: Float32Array[] = [];
    for (let at = 0; at < task.queries.length; at += task.dimension)
      queries.push(task.queries.subarray(at, at + task.dimension));
    reply = {
      id: task.id,
      found: collectionFor(task).searchBesideTail(queries, task.params, task),
    };
  } catch (err) {
    reply = { id: task.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
