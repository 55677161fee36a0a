/**
 * What `npm start` runs (entry: src/cli/serve.ts): loads the settings, opens
 * the backend, listens, prints how to try it, retires after MAX_REQUESTS,
 * and shuts down gracefully on SIGINT/SIGTERM.
 */
import cluster from 'node:cluster';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { usableCores } from '../config/usable-cores.ts';
import { makeDirs } from '../core/make-dirs.ts';
import { demoQueryBody } from '../data/demo-collection.ts';
import { retireAfterRequests } from '../lifecycle/max-requests.ts';
import { retireWhenSafe } from '../lifecycle/retire-worker.ts';
import { startWatchdog } from '../lifecycle/watchdog.ts';
import { workerIdentity } from '../lifecycle/worker-identity.ts';
import { createLogger } from '../observability/logger.ts';
import { ApiKeys } from './auth/api-keys.ts';
import { appOptions, startServer } from './compose.ts';
import { warmHttpPath, warmUp } from './warm-up.ts';

const CLUSTER_EXIT_LINGER_MS = 500;

export async function runServer(): Promise<void> {
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
  let keys: ApiKeys;
  try {
    keys = ApiKeys.load({ list: config.apiKeys, file: config.apiKeysFile });
  } catch (err) {
    process.stderr.write(`Invalid API keys: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const identity = workerIdentity();
  const logger = createLogger(config.logLevel, { underPm2: identity.underPm2 });
  if (keys.size > 0) logger.info({ keys: keys.size }, 'API keys required on every API route');
  else if (config.allowUnauthenticated)
    logger.warn(
      'no API keys and ALLOW_UNAUTHENTICATED=true: any client that reaches this port may write, create and drop collections',
    );
  else
    logger.warn(
      'no API keys: search routes answer anyone; write and admin routes answer only clients on this host (set API_KEYS or API_KEYS_FILE)',
    );
  const started = performance.now();
  let watchdog: ReturnType<typeof startWatchdog> | null = null;
  // Warm before listening: under PM2 the primary routes connections to a worker as soon as it listens.
  const running = await startServer(config, logger, undefined, async (backend) => {
    // Armed once the index is built (a build may block for long), and before the
    // warm-up: a thread booting beside the first requests stalled them (one core).
    watchdog = config.watchdog
      ? startWatchdog({
          timeoutMs: config.timeoutSeconds * 1000,
          context: { worker: identity.index },
        })
      : null;
    // Beside siblings (PM2) this boot may be a restart while they serve, one of them
    // carrying its share: the warm-up keeps to half a worker's share of the cores. On 2
    // cores, SIGKILLing a worker at 250/s: p99 18.6 ms (median of 6 runs) against 33.7
    // without (10 runs); boot takes ~1.5 s longer.
    const cores =
      identity.underPm2 && config.workers > 1
        ? usableCores() / config.workers / 2
        : Number.POSITIVE_INFINITY;
    await warmUp(backend, logger, { cores });
    await warmHttpPath(backend, appOptions(config), logger, { cores });
  });
  // Graceful on a signal from the moment it listens: before it says it is ready, so a
  // stop sent right after "ready" (a PM2 reload, a test) drains instead of killing.
  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    void watchdog?.stop();
    running.close().then(
      // A cluster worker lingers before exiting: the primary may have handed
      // it a connection just before it learnt the server closed; while alive
      // the worker answers "not accepted" and the primary passes it on, but a
      // hand-off to an exited worker is never answered and that connection
      // hangs in the primary (Node's RoundRobinHandle has no timeout for it).
      () => setTimeout(() => process.exit(0), cluster.isWorker ? CLUSTER_EXIT_LINGER_MS : 0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
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
    // A query like the demo's own vectors, so the distances shown are a real search's.
    const queryFile = join(config.dataDir, 'demo-query.json');
    const body = demoQueryBody(info.dimension);
    // A convenience file: never a reason to stop a server (a Milvus backend does
    // not create DATA_DIR; a read-only one cannot take it).
    let wrote = true;
    try {
      makeDirs(config.dataDir);
      writeFileSync(queryFile, body);
    } catch (err) {
      wrote = false;
      logger.warn(
        { err, file: queryFile },
        'could not write the demo query file; the hint below inlines it',
      );
    }
    const shown = relative(process.cwd(), queryFile).startsWith('..')
      ? queryFile
      : relative(process.cwd(), queryFile);
    process.stdout.write(
      `\nvecserve is serving ${info.count} vectors of "${info.name}" at ${running.url}\n` +
        `Try a search (the 10 nearest neighbours of a query like the demo's vectors):\n\n` +
        `  curl -s ${running.url}/v1/collections/${info.name}/search -H 'content-type: application/json' ` +
        `-d ${wrote ? `@${shown}` : `'${body}'`}\n\n` +
        `API description: ${running.url}/docs\n\n`,
    );
  }
  // PM2 (wait_ready) starts routing to this worker only after this message.
  process.send?.('ready');

  const retirement = retireAfterRequests(running.servers, {
    limit: config.maxRequests,
    jitter: config.maxRequestsJitter,
    retire: () =>
      void retireWhenSafe(
        {
          logger,
          lockFile: join(config.dataDir, 'retire.lock'),
          siblingPorts:
            identity.underPm2 && running.internalPort !== undefined
              ? Array.from({ length: config.workers }, (_, i) => config.internalPort + i).filter(
                  (_, i) => i !== identity.index,
                )
              : [],
          context: {
            worker: identity.index,
            requests: retirement.count,
            threshold: retirement.threshold,
          },
        },
        () => stop('max_requests'),
      ),
  });
  if (config.maxRequests > 0) {
    logger.info({ threshold: retirement.threshold }, 'max_requests: this worker retires after');
  }
}
