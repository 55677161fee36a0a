import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import { UnavailableError } from '../../core/errors.ts';
import type { Logger } from '../../observability/logger.ts';
import {
  BalancedMilvusPool,
  type BalancedMilvusPoolOptions,
  parseEndpoints,
} from './balanced-milvus-pool.ts';
import { MilvusBackend } from './milvus-backend.ts';
import { MilvusPool, type MilvusPoolOptions } from './milvus-pool.ts';

/** How to reach Milvus, in the components' own units (the composition root fills it). */
export interface MilvusBackendOptions {
  /** One address, or several separated by commas (balanced). */
  address: string;
  pool: Omit<MilvusPoolOptions, 'address' | 'registry' | 'callTimeoutMs'>;
  balance: Omit<
    BalancedMilvusPoolOptions,
    'endpoints' | 'createPool' | 'registry' | 'onStateChange'
  >;
  /** A call's deadline (the request timeout). */
  callTimeoutMs: number;
  /** How long start-up waits for Milvus to answer. */
  startupWaitMs: number;
  /** In-memory replicas new collections are loaded with. */
  replicas?: number;
  /** Searches' consistency level (null: the collection's own). */
  consistency?: 'Strong' | 'Bounded' | 'Session' | 'Eventually' | null;
  /** How searches reach Milvus (the backend's own option). */
  searchTransport?: 'http2' | 'grpc-js';
}

/**
 * Connects to Milvus and waits (up to MILVUS_STARTUP_WAIT) until it answers, so
 * a worker reports ready only with a validated connection.
 */
export async function openMilvusBackend(
  options: MilvusBackendOptions,
  logger: Logger,
  registry?: Registry,
): Promise<MilvusBackend> {
  const endpoints = parseEndpoints(options.address);
  const poolAt = (address: string) =>
    new MilvusPool({ ...options.pool, address, callTimeoutMs: options.callTimeoutMs, registry });
  const pool =
    endpoints.length === 1
      ? poolAt(options.address)
      : new BalancedMilvusPool({
          ...options.balance,
          endpoints,
          createPool: poolAt,
          registry,
          onStateChange: (endpoint, state) =>
            logger.warn({ endpoint, state }, 'Milvus endpoint changed state'),
        });
  const backend = new MilvusBackend({
    pool,
    callTimeoutMs: options.callTimeoutMs,
    replicas: options.replicas,
    consistency: options.consistency,
    searchTransport: options.searchTransport,
  });
  const deadline = Date.now() + options.startupWaitMs;
  const waitSeconds = Math.round(options.startupWaitMs / 1000);
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
        `Milvus at ${options.address} did not answer within ${waitSeconds} s (${health.reason}); ` +
          'start one with `npm run milvus:up` or set MILVUS_ADDRESS',
      );
    }
    if (attempt === 1) {
      logger.warn({ address: options.address, reason: health.reason }, 'waiting for Milvus');
      // Said at once, in words, not after the wait: a newcomer sees why nothing happens.
      process.stderr.write(
        `Milvus at ${options.address} is not answering (${health.reason}); waiting up to ${waitSeconds} s (MILVUS_STARTUP_WAIT). Start one with \`npm run milvus:up\`, or set MILVUS_ADDRESS.\n`,
      );
    }
    await sleep(500);
  }
  return backend;
}
