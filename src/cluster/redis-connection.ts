import { Redis } from 'ioredis';

/**
 * A Redis connection for state shared across hosts, set up so that Redis can
 * never hold a request: no offline queue (a command while disconnected fails
 * at once), no retries of a command, a command timeout, and reconnection in
 * the background every `reconnectMs`.
 */
export function connectRedis(
  url: string,
  opts: { commandTimeoutMs: number; reconnectMs?: number; onError?: (err: Error) => void },
): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: Math.max(opts.commandTimeoutMs, 500),
    retryStrategy: () => opts.reconnectMs ?? 250,
    lazyConnect: false,
  });
  // ioredis emits 'error' while reconnecting; unhandled it would crash the process.
  redis.on('error', (err) => opts.onError?.(err));
  return redis;
}
