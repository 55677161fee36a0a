import type { Registry } from 'prom-client';
import { resolveIndexMode, resolveSearchThreads } from '../config/load-config.ts';
import type { Config } from '../config/settings.ts';
import { ensureDemoCollection } from '../data/demo-collection.ts';
import type { Logger } from '../observability/logger.ts';
import { EmbeddedBackend } from './embedded/embedded-backend.ts';
import { BatchingBackend } from './micro-batcher.ts';
import { openMilvusBackend } from './milvus/open-milvus-backend.ts';
import type { SearchBackend } from './search-backend.ts';

/**
 * Opens the configured backend, warm: the index mapped (embedded) and the demo
 * collection present when one is configured. Returns once it can serve.
 */
export async function openBackend(
  config: Config,
  logger: Logger,
  registry?: Registry,
): Promise<SearchBackend> {
  const backend = await openStore(config, logger, registry);
  const batch = config.batch === 'auto' ? config.backend === 'milvus' : config.batch === 'on';
  if (!batch) return backend;
  logger.info(
    { max: config.batchMax, windowUs: config.batchWindowUs, slots: config.batchSlots },
    'micro-batching concurrent searches',
  );
  return new BatchingBackend(backend, {
    maxBatch: config.batchMax,
    windowUs: config.batchWindowUs,
    slots: config.batchSlots,
    registry,
  });
}

async function openStore(
  config: Config,
  logger: Logger,
  registry?: Registry,
): Promise<SearchBackend> {
  const demo = async (b: SearchBackend) => {
    if (!config.demoCollection) return;
    await ensureDemoCollection(b, {
      name: config.demoCollection,
      size: config.demoSize,
      dimension: config.demoDimension,
      logger,
    });
  };
  switch (config.backend) {
    case 'embedded': {
      const options = {
        dataDir: config.dataDir,
        bruteForceLimit: config.bruteForceLimit,
        searchThreads: resolveSearchThreads(config),
        logger,
      };
      const mode = resolveIndexMode(config);
      if (mode === 'shared') return EmbeddedBackend.openShared(options, demo);
      const backend = new EmbeddedBackend({ ...options, mode });
      await backend.init();
      await demo(backend);
      return backend;
    }
    case 'milvus': {
      const backend = await openMilvusBackend(config, logger, registry);
      await demo(backend);
      return backend;
    }
  }
}
