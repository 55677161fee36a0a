import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.ts';
import type { Config } from '../src/config/settings.ts';
import { createLogger } from '../src/observability/logger.ts';

export const silentLogger = createLogger('silent');

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'vecserve-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  // No event-loop guard by default: a busy test runner would make it refuse at random.
  return loadConfig({
    env: {},
    overrides: { port: 0, logLevel: 'silent', maxEventLoopLagSeconds: 0, ...overrides },
  });
}

/** Parses a response's JSON body for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON bodies
export const body = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

/** POSTs `payload` as JSON to an app from createApp (a string is sent as it is, byte for byte). */
export const postJson = (
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  path: string,
  payload: unknown,
): Promise<Response> =>
  Promise.resolve(
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    }),
  );
