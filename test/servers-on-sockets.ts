import { afterEach } from 'vitest';
import type { SearchBackend } from '../src/backends/search-backend.ts';
import type { Config } from '../src/config/settings.ts';
import { startServer } from '../src/server/compose.ts';
import type { RunningServer } from '../src/server/http-server.ts';
import { FakeBackend } from './fakes/fake-backend.ts';
import { silentLogger, testConfig } from './helpers.ts';

/**
 * Starts servers on real sockets (a fake backend unless one is given) with a
 * file's default settings, and closes each after its test. Call once at the
 * top of a test file; later afterEach hooks of that file run before this one.
 */
export function serversOnSockets(defaults: Partial<Config> = {}) {
  const servers: RunningServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  return async (
    overrides: Partial<Config> = {},
    backend: SearchBackend = new FakeBackend(),
  ): Promise<RunningServer> => {
    const s = await startServer(
      testConfig({ breaker: 'off', ...defaults, ...overrides }),
      silentLogger,
      backend,
    );
    servers.push(s);
    return s;
  };
}
