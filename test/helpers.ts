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
