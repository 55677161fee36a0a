import { EmbeddedBackend } from '../src/backends/embedded/embedded-backend.ts';
import type { Config } from '../src/config/settings.ts';
import { ensureDemoCollection } from '../src/data/demo-collection.ts';
import { startServer } from '../src/server/compose.ts';
import type { RunningServer } from '../src/server/http-server.ts';
import { silentLogger, tempDir, testConfig } from './helpers.ts';

/**
 * A real server on a real socket over the real embedded backend, with the
 * demo collection `products` of `size` x `dimension` in a temporary directory.
 * `stop()` closes it and removes the directory.
 */
export async function startEmbeddedServer(opts: {
  size: number;
  dimension: number;
  config?: Partial<Config>;
}): Promise<{ running: RunningServer; dir: string; stop: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const backend = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
  await backend.init();
  await ensureDemoCollection(backend, {
    name: 'products',
    size: opts.size,
    dimension: opts.dimension,
    logger: silentLogger,
  });
  const running = await startServer(
    testConfig({ dataDir: dir, breaker: 'off', ...opts.config }),
    silentLogger,
    backend,
  );
  return {
    running,
    dir,
    stop: async () => {
      await running.close();
      cleanup();
    },
  };
}
