import { readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fsyncPath, writeDurably } from '../backends/embedded/snapshot.ts';
import type { RowColumns, SearchBackend } from '../backends/search-backend.ts';
import { InvalidRequestError, UnavailableError } from '../core/errors.ts';
import { makeDirs } from '../core/make-dirs.ts';
import type { IndexParams, IndexType, Metric } from '../core/types.ts';
import { DEMO_SEED, demoColumns, demoSpec, rowsOf } from './demo-collection.ts';

/**
 * A load never has more rows than this sent and not yet acknowledged, so a
 * resumed load knows where its uncertainty ends (see fillCollection).
 */
export const MAX_IN_FLIGHT_ROWS = 65_536;

export interface FillOptions {
  name: string;
  size: number;
  dimension: number;
  metric: Metric;
  /** Rows per write. */
  batch: number;
  /** Writes in flight at once (batch x parallel <= MAX_IN_FLIGHT_ROWS). @default 1 */
  parallel?: number;
  /**
   * Where the load records how far every write was acknowledged, so that a
   * resumed load re-sends only what was in flight (none: resume from the count).
   */
  checkpointFile?: string;
  /** Attempts per batch when the backend is unavailable (1s, 2s, 4s... apart). @default 4 */
  attempts?: number;
  /**
   * `write`: batches through the write call (Milvus: hand-encoded inserts).
   * `import`: chunks of `batch` rows as files in `importDir`, imported by the
   * store itself (Milvus bulk insert), `parallel` imports at a time. @default 'write'
   */
  via?: 'write' | 'import';
  /** Where import files go: a directory the store reads at the same path. */
  importDir?: string;
  /**
   * Import: write every chunk's files before handing the first over, so the
   * store imports with the loader idle (as when the files exist already).
   */
  stageFirst?: boolean;
  /** The index to build and its parameters. @default the demo's (HNSW M 16, efConstruction 200) */
  index?: Partial<IndexParams> & { type?: IndexType };
}

export interface FillReport {
  created?: (description: string) => void;
  resumed?: (from: number, how: string) => void;
  progress?: (done: number, todo: number) => void;
  /** Import with stageFirst: every file is written, the imports start now. */
  staged?: (rows: number) => void;
  retrying?: (first: number, attempt: number, err: unknown) => void;
  flushing?: () => void;
  indexing?: (indexed: number, total: number) => void;
}

interface Checkpoint {
  collection: string;
  dimension: number;
  seed: number;
  /** Every row below this was acknowledged. */
  acknowledged: number;
  /** Imports handed to the store past `acknowledged`, in row order (via import). */
  imports?: PendingImport[];
}

interface PendingImport {
  first: number;
  rows: number;
  id: string;
}

/**
 * Creates a collection of synthetic vectors (the demo's distribution) and fills
 * it to `size` rows, `parallel` writes at a time, as columns where the backend
 * takes them (Milvus: one hand-encoded request per batch), then flushes and
 * waits for the index. A collection that exists with another dimension or
 * metric is refused, not changed.
 *
 * Resumable: ids are fixed (item-<n>) and the stream is seeded. Rows below the
 * checkpoint's acknowledged mark are not sent again; the next
 * MAX_IN_FLIGHT_ROWS (possibly written before a crash, unacknowledged) are
 * upserted, so nothing is stored twice; the rest is inserted. Into a
 * collection that existed without a checkpoint, the count (which a store may
 * report late) only says how much is surely there: from MAX_IN_FLIGHT_ROWS
 * below it, every row is upserted. Only a collection this run created, or rows
 * past a checkpoint's window, are inserted.
 */
export async function fillCollection(
  backend: SearchBackend,
  o: FillOptions,
  report: FillReport = {},
): Promise<{ had: number; added: number }> {
  const parallel = o.parallel ?? 1;
  const via = o.via ?? 'write';
  if (via === 'write' && o.batch * parallel > MAX_IN_FLIGHT_ROWS)
    throw new InvalidRequestError(
      `batch x parallel is ${o.batch * parallel} rows in flight; at most ${MAX_IN_FLIGHT_ROWS}`,
    );
  if (
    via === 'import' &&
    !(backend.writeImportFiles && backend.importFiles && backend.importState && o.importDir)
  )
    throw new InvalidRequestError(
      `a load via import needs a store that imports files (Milvus) and an import directory`,
    );
  const demo = demoSpec(o.name, o.dimension);
  const spec = { ...demo, metric: o.metric, index: o.index ?? demo.index! };
  let have = 0;
  let from = 0;
  let upsertBelow = 0;
  if ((await backend.listCollections()).includes(o.name)) {
    const info = await backend.describe(o.name);
    if (info.dimension !== o.dimension || info.metric !== o.metric)
      throw new InvalidRequestError(
        `collection ${o.name} exists with dimension ${info.dimension} and metric ${info.metric}; ` +
          `asked for ${o.dimension} / ${o.metric}: drop it first (prepare-data -- drop --collection ${o.name})`,
      );
    have = info.count;
    const checkpoint = readCheckpoint(o);
    if (via === 'import' && checkpoint?.imports?.length) {
      // Imports handed over before a stop: wait for them, redo the ones that failed.
      await finishImports(backend, o, checkpoint, report);
    }
    const mark = checkpoint?.acknowledged ?? null;
    if (mark !== null) {
      from = mark;
      upsertBelow = mark + MAX_IN_FLIGHT_ROWS;
      if (from >= o.size) return { had: have, added: 0 };
      report.resumed?.(from, 'checkpoint');
    } else {
      // No checkpoint: the count (which may lag the writes) says what is surely there;
      // anything from MAX_IN_FLIGHT_ROWS below it may be there or not.
      if (have >= o.size) return { had: have, added: 0 };
      if (via === 'import' && have > 0)
        throw new InvalidRequestError(
          `collection ${o.name} holds ${have} rows and no checkpoint of an import says which: ` +
            'an import cannot replace rows; resume via write (it upserts), or drop the collection',
        );
      from = Math.max(0, have - MAX_IN_FLIGHT_ROWS);
      upsertBelow = o.size;
      if (have > 0) report.resumed?.(from, `count ${have}`);
    }
  } else {
    await backend.createCollection(spec);
    report.created?.(
      `${o.name} (${backend.kind}, ${o.dimension}-d, ${o.metric}, ${describeIndex(spec.index)})`,
    );
  }
  if (via === 'import') {
    const added = await importRows(backend, o, from, report);
    return { had: have, added: await flushAndIndex(backend, o, report, added) };
  }

  // From here on a stop leaves a checkpoint (a stale one of a dropped namesake is replaced).
  writeCheckpoint(o, from);
  const todo = o.size - from;
  let done = 0;
  // Batches in the order sent; the acknowledged mark is the first not yet done.
  const order: { first: number; rows: number; done: boolean }[] = [];
  let acknowledged = from;
  let failure: unknown = null;
  const inFlight = new Set<Promise<void>>();
  let lastSaved = 0;
  const advance = () => {
    while (order.length > 0 && order[0]!.done) acknowledged += order.shift()!.rows;
    const now = performance.now();
    if (o.checkpointFile && now - lastSaved > 1000) {
      lastSaved = now;
      writeCheckpoint(o, acknowledged);
    }
  };
  const send = async (first: number, columns: RowColumns) => {
    const entry = { first, rows: columns.ids.length, done: false };
    order.push(entry);
    const attempts = o.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      // A retried insert may have landed: upsert it.
      const mode = first < upsertBelow || attempt > 1 ? 'upsert' : 'insert';
      try {
        await writeBatch(backend, o.name, columns, mode);
        break;
      } catch (err) {
        const transient = err instanceof UnavailableError;
        if (!transient || attempt >= attempts || failure) throw err;
        report.retrying?.(first, attempt, err);
        await sleep(1000 * 2 ** (attempt - 1));
      }
    }
    entry.done = true;
    done += entry.rows;
    advance();
    report.progress?.(done, todo);
  };
  for (const { first, columns } of demoColumns(o.size, o.dimension, o.batch, from)) {
    if (failure) break;
    const p = send(first, columns).catch((err: unknown) => {
      failure ??= err;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= parallel) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  writeCheckpoint(o, acknowledged);
  if (failure) throw failure;

  return { had: have, added: await flushAndIndex(backend, o, report, done) };
}

/** Seals segments (Milvus) or snapshots (embedded), then waits for the index to cover every row. */
async function flushAndIndex(
  backend: SearchBackend,
  o: FillOptions,
  report: FillReport,
  added: number,
): Promise<number> {
  report.flushing?.();
  await backend.flush(o.name);
  await waitForIndex(backend, o.name, o.size, report);
  if (o.checkpointFile) rmSync(o.checkpointFile, { force: true });
  return added;
}

/**
 * The rows from `from` as import files, `parallel` imports in flight; each
 * import handed over is recorded in the checkpoint before the next is made,
 * so a stopped load knows what the store may still be importing.
 */
async function importRows(
  backend: SearchBackend,
  o: FillOptions,
  from: number,
  report: FillReport,
): Promise<number> {
  const parallel = o.parallel ?? 1;
  const checkpoint: Checkpoint = {
    ...checkpointHead(o),
    acknowledged: from,
    imports: [],
  };
  saveCheckpoint(o, checkpoint);
  const todo = o.size - from;
  let done = 0;
  const hand = async (first: number, rows: number) => {
    const id = await backend.importFiles!(o.name, importDirOf(o, first));
    checkpoint.imports!.push({ first, rows, id });
    saveCheckpoint(o, checkpoint);
    while (checkpoint.imports!.length >= parallel)
      done += await settleImports(backend, o, checkpoint, report, done, todo);
  };
  const staged: { first: number; rows: number }[] = [];
  for (const { first, columns } of demoColumns(o.size, o.dimension, o.batch, from)) {
    await backend.writeImportFiles!(o.name, columns, importDirOf(o, first));
    if (o.stageFirst) staged.push({ first, rows: columns.ids.length });
    else await hand(first, columns.ids.length);
  }
  if (staged.length > 0) report.staged?.(staged.reduce((n, c) => n + c.rows, 0));
  for (const { first, rows } of staged) await hand(first, rows);
  while (checkpoint.imports!.length > 0)
    done += await settleImports(backend, o, checkpoint, report, done, todo);
  return done;
}

/**
 * Waits until at least one pending import has finished, then moves the
 * acknowledged mark past every finished one at the front. A failed import
 * stops the load with the store's reason (its rows were not stored).
 */
async function settleImports(
  backend: SearchBackend,
  o: FillOptions,
  checkpoint: Checkpoint,
  report: FillReport,
  doneBefore: number,
  todo: number,
): Promise<number> {
  const pending = checkpoint.imports!;
  const finished = new Set<string>();
  for (;;) {
    for (const p of pending) {
      if (finished.has(p.id)) continue;
      const state = await backend.importState!(p.id);
      if (state.state === 'failed')
        throw new UnavailableError(
          `import of rows ${p.first}..${p.first + p.rows - 1} failed: ${state.reason ?? 'no reason given'}`,
        );
      if (state.state === 'done') finished.add(p.id);
    }
    let added = 0;
    while (pending.length > 0 && finished.has(pending[0]!.id)) {
      const p = pending.shift()!;
      checkpoint.acknowledged = p.first + p.rows;
      rmSync(importDirOf(o, p.first), { recursive: true, force: true });
      added += p.rows;
    }
    if (added > 0) {
      saveCheckpoint(o, checkpoint);
      report.progress?.(doneBefore + added, todo);
      return added;
    }
    await sleep(500);
  }
}

/** After a stop: waits for the imports the checkpoint lists; failed ones are imported again. */
async function finishImports(
  backend: SearchBackend,
  o: FillOptions,
  checkpoint: Checkpoint,
  report: FillReport,
): Promise<void> {
  for (const p of checkpoint.imports ?? []) {
    for (;;) {
      const state = await backend.importState!(p.id);
      if (state.state === 'done') break;
      if (state.state === 'failed') {
        report.retrying?.(p.first, 1, new Error(state.reason ?? 'import failed'));
        const again = demoColumns(p.first + p.rows, o.dimension, p.rows, p.first).next().value!;
        await backend.writeImportFiles!(o.name, again.columns, importDirOf(o, p.first));
        p.id = await backend.importFiles!(o.name, importDirOf(o, p.first));
        saveCheckpoint(o, checkpoint);
        continue;
      }
      await sleep(500);
    }
    rmSync(importDirOf(o, p.first), { recursive: true, force: true });
    checkpoint.acknowledged = Math.max(checkpoint.acknowledged, p.first + p.rows);
  }
  checkpoint.imports = [];
  saveCheckpoint(o, checkpoint);
}

function importDirOf(o: FillOptions, first: number): string {
  return join(o.importDir!, `${o.name}-${first}`);
}

function describeIndex(index: Partial<IndexParams> & { type?: IndexType }): string {
  const { type = 'HNSW', ...params } = index;
  const shown = Object.entries(params)
    .filter(([k]) => k !== 'efSearch')
    .map(([k, v]) => `${k}=${v}`);
  return [type, ...shown].join(' ');
}

async function writeBatch(
  backend: SearchBackend,
  name: string,
  columns: RowColumns,
  mode: 'insert' | 'upsert',
): Promise<void> {
  if (backend.writeColumns) return backend.writeColumns(name, columns, { mode });
  // A store without column writes checks every id on insert: upsert, which any row may take.
  await backend.write(name, rowsOf(columns), { mode: 'upsert' });
}

/**
 * For a store that indexes apart from the writes (Milvus): waits until the
 * index covers all `size` rows and a count sees them (imported segments are
 * searchable only once indexed and loaded, a few seconds after the index).
 */
async function waitForIndex(
  backend: SearchBackend,
  name: string,
  size: number,
  report: FillReport,
  timeoutMs = 3_600_000,
) {
  if (!backend.indexProgress) return;
  const until = performance.now() + timeoutMs;
  for (;;) {
    const p = await backend.indexProgress(name);
    if (!p) return;
    report.indexing?.(p.indexed, Math.max(p.total, size));
    const indexed = p.indexed >= Math.max(p.total, size) && p.pending === 0;
    if (indexed && (await backend.describe(name)).count >= size) return;
    if (performance.now() > until)
      throw new UnavailableError(
        `collection ${name}: index built for ${p.indexed} of ${p.total} rows after ${timeoutMs / 1000} s`,
      );
    await sleep(1000);
  }
}

function checkpointHead(o: FillOptions): Omit<Checkpoint, 'acknowledged'> {
  return { collection: o.name, dimension: o.dimension, seed: DEMO_SEED };
}

function readCheckpoint(o: FillOptions): Checkpoint | null {
  if (!o.checkpointFile) return null;
  try {
    const c = JSON.parse(readFileSync(o.checkpointFile, 'utf8')) as Checkpoint;
    if (c.collection !== o.name || c.dimension !== o.dimension || c.seed !== DEMO_SEED) return null;
    return Number.isInteger(c.acknowledged) && c.acknowledged >= 0 ? c : null;
  } catch {
    return null;
  }
}

/**
 * Durably (the file, then the rename): a checkpoint that came back older after
 * a power loss would mark rows past its window as new, and insert them twice.
 */
function saveCheckpoint(o: FillOptions, c: Checkpoint): void {
  const file = o.checkpointFile;
  if (!file) return;
  makeDirs(dirname(file));
  writeDurably(`${file}.tmp`, Buffer.from(JSON.stringify(c)));
  renameSync(`${file}.tmp`, file);
  fsyncPath(dirname(file));
}

function writeCheckpoint(o: FillOptions, acknowledged: number): void {
  saveCheckpoint(o, { ...checkpointHead(o), acknowledged });
}
