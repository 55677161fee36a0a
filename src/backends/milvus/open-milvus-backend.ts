import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import type { Config } from '../../config/settings.ts';
import { UnavailableError } from '../../core/errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { BalancedMilvusPool, parseEndpoints, strategyByName } from './balanced-milvus-pool.ts';
import { MilvusBackend } from './milvus-backend.ts';
import { MilvusPool } from './milvus-pool.ts';

/** The pool settings of a Config, shared by the server and the CLIs. */
export function milvusPoolFromConfig(
  config: Config,
  registry?: Registry,
  address = config.milvusAddress,
) {
  return new MilvusPool({
    address,
    min: config.milvusPoolMin,
    max: config.milvusPoolMax,
    acquireTimeoutMs: Math.round(config.milvusPoolAcquireTimeoutSeconds * 1000),
    maxWaiting: config.milvusPoolMaxWaiting,
    idleTimeoutMs: Math.round(config.milvusPoolIdleTimeoutSeconds * 1000),
    maxLifetimeMs: Math.round(config.milvusPoolMaxLifetimeSeconds * 1000),
    separateConnections: config.milvusSeparateConnections,
    callTimeoutMs: Math.round(config.timeoutSeconds * 1000),
    registry,
  });
}

/**
 * Connects to Milvus and waits (up to MILVUS_STARTUP_WAIT) until it answers, so
 * a worker reports ready only with a validated connection.
 */
export async function openMilvusBackend(
  config: Config,
  logger: Logger,
  registry?: Registry,
): Promise<MilvusBackend> {
  const endpoints = parseEndpoints(config.milvusAddress);
  const pool =
    endpoints.length === 1
      ? milvusPoolFromConfig(config, registry)
      : new BalancedMilvusPool({
          endpoints,
          createPool: (address) => milvusPoolFromConfig(config, registry, address),
          strategy: strategyByName(config.milvusBalance),
          ejectAfter: config.milvusEjectAfter,
          maxEjectedShare: config.milvusMaxEjected,
          slowStartMs: config.milvusSlowStartSeconds * 1000,
          retryRatio: config.milvusRetryBudget,
          probeIntervalMs: config.milvusProbeIntervalSeconds * 1000,
          registry,
          onStateChange: (endpoint, state) =>
            logger.warn({ endpoint, state }, 'Milvus endpoint changed state'),
        });
  const backend = new MilvusBackend({
    pool,
    callTimeoutMs: Math.round(config.timeoutSeconds * 1000),
  });
  const deadline = Date.now() + config.milvusStartupWaitSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    // Reachable is enough to start: readiness (/readyz) then waits for indexes being built.
    let health = await backend.reachable();
    // Validate the pool itself: one real call through a pooled client.
    if (health.ok) {
      try {
        await backend.listCollections();
        break;
      } catch (err) {
        health = { ok: false, reason: (err as Error).message };
      }
    }
    if (Date.now() >= deadline) {
      await backend.close();
      throw new UnavailableError(
        `Milvus at ${config.milvusAddress} did not answer within ${config.milvusStartupWaitSeconds} s (${health.reason}); ` +
          'start one with `npm run milvus:up` or set MILVUS_ADDRESS',
      );
    }
    if (attempt === 1) {
      logger.warn({ address: config.milvusAddress, reason: health.reason }, 'waiting for Milvus');
      // Said at once, in words, not after the wait: a newcomer sees why nothing happens.
      process.stderr.write(
        `Milvus at ${config.milvusAddress} is not answering (${health.reason}); waiting up to ${config.milvusStartupWaitSeconds} s (MILVUS_STARTUP_WAIT). Start one with \`npm run milvus:up\`, or set MILVUS_ADDRESS.\n`,
      );
    }
    await sleep(500);
  }
  return backend;
}
