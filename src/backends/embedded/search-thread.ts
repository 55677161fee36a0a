/**
 * One search thread: opens snapshots read-only (the graph memory-mapped, the
 * data files read through the page cache, exactly as a shared worker does)
 * and answers searches posted by the pool, so a native search never blocks
 * the event loop that parses requests and decides admission.
 */
import { parentPort } from 'node:worker_threads';
import type { Hit } from '../../core/types.ts';
import { EmbeddedCollection, type SearchParams } from './embedded-collection.ts';
import { readManifest } from './snapshot.ts';

export interface SearchTask {
  id: number;
  collectionDir: string;
  snapshotDir: string;
  bruteForceLimit: number;
  queries: Float32Array[];
  params: SearchParams;
}

export type SearchReply = { id: number; hits: Hit[][] } | { id: number; error: string };

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
  );
  held?.collection.close();
  open.set(task.collectionDir, { snapshotDir: task.snapshotDir, collection });
  return collection;
}

parentPort!.on('message', (task: SearchTask) => {
  let reply: SearchReply;
  try {
    reply = { id: task.id, hits: collectionFor(task).search(task.queries, task.params) };
  } catch (err) {
    reply = { id: task.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
