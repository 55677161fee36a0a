/**
 * Process entry: `npm start`. Loads the configuration, opens the backend,
 * listens, prints how to try it, and shuts down gracefully on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { createLogger } from '../observability/logger.ts';
import { startServer } from './http-server.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const started = performance.now();
  const running = await startServer(config, logger);
  const collections = await running.backend.listCollections();
  logger.info(
    {
      url: running.url,
      backend: running.backend.kind,
      collections,
      startupMs: Math.round(performance.now() - started),
    },
    'listening',
  );
  if (config.demoCollection && collections.includes(config.demoCollection)) {
    const info = await running.backend.describe(config.demoCollection);
    process.stdout.write(
      `\nvecserve is serving ${info.count} vectors of "${info.name}" at ${running.url}\n` +
        `Try a search (top 10 neighbours of the vector 1..${info.dimension}):\n\n` +
        `  curl -s ${running.url}/v1/collections/${info.name}/search -H 'content-type: application/json' ` +
        `-d "{\\"vector\\": [$(seq -s, 1 ${info.dimension})], \\"topK\\": 10}"\n\n`,
    );
  }
  // PM2 (wait_ready) starts routing to this worker only after this message.
  process.send?.('ready');

  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    running.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(
    `vecserve failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
