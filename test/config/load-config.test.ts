import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withConfigTable } from '../../src/config/config-table.ts';
import { ConfigError, loadConfig, resolveIndexMode } from '../../src/config/load-config.ts';
import { SETTINGS } from '../../src/config/settings.ts';
import { tempDir } from '../helpers.ts';

describe('loadConfig', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('defaults to 127.0.0.1:8000, the embedded backend and one worker per CPU', () => {
    const c = loadConfig({ env: {} });
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8000);
    expect(c.backend).toBe('embedded');
    expect(c.workers).toBeGreaterThanOrEqual(1);
    expect(c.keepaliveSeconds).toBeGreaterThan(60); // above nginx's upstream keepalive_timeout
  });

  it('reads settings from environment variables named after the setting in upper case', () => {
    const c = loadConfig({
      env: {
        PORT: '9000',
        WORKERS: '3',
        WORKER_CONNECTIONS: '50',
        MAX_REQUESTS: '1000',
        BACKEND: 'milvus',
        MILVUS_ADDRESS: 'db:19530',
        ACCESS_LOG: 'yes',
        TIMEOUT: '2.5',
      },
    });
    expect(c).toMatchObject({
      port: 9000,
      workers: 3,
      workerConnections: 50,
      maxRequests: 1000,
      backend: 'milvus',
      milvusAddress: 'db:19530',
      accessLog: true,
      timeoutSeconds: 2.5,
    });
  });

  it('accepts Gunicorn-style BIND=host:port', () => {
    expect(loadConfig({ env: { BIND: '0.0.0.0:8080' } })).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
    });
    expect(loadConfig({ env: { BIND: '[::1]:8081' } })).toMatchObject({ host: '::1', port: 8081 });
  });

  it('names the bad setting, where it came from and the value given', () => {
    expect(() => loadConfig({ env: { PORT: 'eighty' } })).toThrow(
      'Invalid setting PORT (from the environment): expected an integer from 0 to 65535, got "eighty"',
    );
    expect(() => loadConfig({ env: { BACKEND: 'redis' } })).toThrow(
      /BACKEND .*one of embedded, milvus, got "redis"/,
    );
    expect(() => loadConfig({ env: { WORKERS: '0' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { BIND: 'nohost' } })).toThrow(/expected host:port/);
  });

  it('reads a JSON config file, which environment variables override', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = join(dir, 'vecserve.json');
    writeFileSync(
      file,
      JSON.stringify({ bind: '127.0.0.1:7000', workers: 4, graceful_timeout: 3 }),
    );
    const c = loadConfig({ env: { CONFIG_FILE: file, WORKERS: '2' } });
    expect(c).toMatchObject({ port: 7000, workers: 2, gracefulTimeoutSeconds: 3 });
  });

  it('rejects unknown keys and bad values in the config file', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ wokers: 4 }));
    expect(() => loadConfig({ env: {}, file })).toThrow(/Unknown setting "wokers"/);
    writeFileSync(file, JSON.stringify({ keepalive: -1 }));
    expect(() => loadConfig({ env: {}, file })).toThrow(
      /Invalid setting keepalive \(in .*bad.json\): expected a number of seconds/,
    );
    writeFileSync(file, '{not json');
    expect(() => loadConfig({ env: {}, file })).toThrow(/Cannot read config file/);
  });

  it('serves the embedded index shared only under PM2 with several workers', () => {
    const c = loadConfig({ env: { WORKERS: '2' } });
    expect(resolveIndexMode(c, false)).toBe('writable');
    expect(resolveIndexMode(c, true)).toBe('shared');
    expect(resolveIndexMode({ ...c, workers: 1 }, true)).toBe('writable');
    expect(resolveIndexMode({ ...c, indexMode: 'shared' }, false)).toBe('shared');
  });
});

describe('docs/configuration.md', () => {
  it('lists every setting, by area, as the settings tables render them', () => {
    const file = join(import.meta.dirname, '../../docs/configuration.md');
    const text = readFileSync(file, 'utf8');
    expect(withConfigTable(text), 'run `npm run config:docs -- --write`').toBe(text);
    for (const s of SETTINGS) expect(text).toContain(`| \`${s.env}\` |`);
  });
});
