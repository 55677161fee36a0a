import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { EmbeddedBackend } from './embedded/embedded-backend.ts';
import { BatchingBackend } from './micro-batcher.ts';
import type { MilvusBackendOptions } from './milvus/open-milvus-backend.ts';
import type { SearchBackend } from './search-backend.ts';

/** Which store to open and how, in the components' own units (the composition root fills it). */
export interface BackendOptions {
  store:
    | {
        kind: 'embedded';
        dataDir: string;
        /** Collections this small are searched exactly. */
        bruteForceLimit: number;
        /** Threads searching off the event loop (0: inline). */
        searchThreads: number;
        /** Their nice value (Linux; 0: the event loop's priority). */
        searchThreadNice: number;
        hugePagesDir: string;
        /** writable: this process owns the index; shared: PM2 siblings map one copy. */
        mode: 'writable' | 'shared';
      }
    | ({ kind: 'milvus' } & MilvusBackendOptions);
  /** Micro-batching of concurrent compatible searches (null: off). */
  batch: { maxBatch: number; windowUs: number; slots: number } | null;
}

/**
 * Opens the configured backend, warm: the index mapped (embedded), and
 * `prepare` (e.g. creating the demo collection) done before it is shared
 * with sibling workers. Returns once it can serve.
 */
export async function openBackend(
  options: BackendOptions,
  logger: Logger,
  registry?: Registry,
  prepare: (backend: SearchBackend) => Promise<void> = async () => {},
): Promise<SearchBackend> {
  const backend = await openStore(options, logger, registry, prepare);
  if (!options.batch) return backend;
  logger.info(
    { max: options.batch.maxBatch, windowUs: options.batch.windowUs, slots: options.batch.slots },
    'micro-batching concurrent searches',
  );
  return new BatchingBackend(backend, { ...options.batch, registry });
}

async function openStore(
  { store }: BackendOptions,
  logger: Logger,
  registry: Registry | undefined,
  prepare: (backend: SearchBackend) => Promise<void>,
): Promise<SearchBackend> {
  switch (store.kind) {
    case 'embedded': {
      const options = {
        dataDir: store.dataDir,
        bruteForceLimit: store.bruteForceLimit,
        searchThreads: store.searchThreads,
        searchThreadNice: store.searchThreadNice,
        hugePagesDir: store.hugePagesDir,
        logger,
      };
      if (store.mode === 'shared') return EmbeddedBackend.openShared(options, prepare);
      const backend = new EmbeddedBackend({ ...options, mode: store.mode });
      await backend.init();
      await prepare(backend);
      return backend;
    }
    case 'milvus': {
      // Loaded only here: the Milvus SDK costs a worker 0.45 s of start-up and 30 MB.
      const { openMilvusBackend } = await import('./milvus/open-milvus-backend.ts');
      const backend = await openMilvusBackend(store, logger, registry);
      await prepare(backend);
      return backend;
    }
  }
}
