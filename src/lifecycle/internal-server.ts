import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { INTERNAL_METRICS_PATH } from '../observability/cluster-metrics.ts';

/**
 * This worker's own loopback port (internalPort + worker index): its registry
 * as JSON for sibling scrapes, and, only with FAULT_INJECTION on (tests), a
 * route that blocks the event loop to exercise the watchdog. Never proxied by
 * nginx and bound to 127.0.0.1 only.
 */
export async function startInternalServer(opts: {
  registry: Registry;
  port: number;
  host?: string;
  faultInjection: boolean;
  /** True while this worker serves (listening, not draining): /internal/ready. */
  ready?: () => boolean;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://internal');
    if (req.method === 'GET' && url.pathname === INTERNAL_METRICS_PATH) {
      opts.registry.getMetricsAsJSON().then(
        (json) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
      return;
    }
    if (req.method === 'GET' && url.pathname === '/internal/ready') {
      const ready = opts.ready?.() ?? true;
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ready, pid: process.pid }));
      return;
    }
    if (
      opts.faultInjection &&
      req.method === 'POST' &&
      url.pathname === '/internal/fault/busy-loop'
    ) {
      const ms = Math.min(Number(url.searchParams.get('ms') ?? 1000) || 0, 600_000);
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ blockingMs: ms, pid: process.pid }));
      // Block after the answer has been flushed.
      setTimeout(() => {
        const until = performance.now() + ms;
        while (performance.now() < until) {
          // busy loop: this worker is hung on purpose
        }
      }, 20);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host ?? '127.0.0.1', port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
