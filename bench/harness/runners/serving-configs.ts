import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { makeDirs } from '../../../src/core/make-dirs.ts';
import { startServerProcess } from '../../lib/server-process.ts';
import { processTree } from './process-cpu.ts';

/**
 * The servers the floor command compares, all serving the same snapshot of the
 * same collection: the floor (bench/servers/floor-server.mjs), vecserve as one
 * process or as the PM2 cluster the stack deploys (workers x search threads x
 * nice), the Python stacks it replaces, and optionally vecserve at an earlier
 * checkout (run as that checkout's `npm start` ran it).
 */
export type ServingConfig =
  | { name: string; kind: 'floor' }
  | {
      name: string;
      kind: 'vecserve';
      /** 1: a lone process (`npm start`); more: PM2 cluster mode. */
      workers: number;
      /** SEARCH_THREADS (null: the shipped default, -1). */
      threads: number | null;
      nice: number | null;
      /** A variant's own settings (`floor --variant NAME:ENV=V,...`), over the rest. */
      env?: Record<string, string>;
    }
  | { name: string; kind: 'fastapi' | 'flask'; workers: number }
  | { name: string; kind: 'baseline'; checkout: string };

/** The configurations `--configs all` runs, in this order. */
export function standardConfigs(): ServingConfig[] {
  const vecserve: ServingConfig[] = [];
  for (const workers of [1, 2]) {
    const w = workers === 1 ? '1p' : `${workers}w`;
    vecserve.push({
      name: `vecserve-${w}-default`,
      kind: 'vecserve',
      workers,
      threads: null,
      nice: null,
    });
    vecserve.push({ name: `vecserve-${w}-t0`, kind: 'vecserve', workers, threads: 0, nice: null });
    for (const threads of [1, 2])
      for (const nice of [0, 10])
        vecserve.push({
          name: `vecserve-${w}-t${threads}${nice ? `-nice${nice}` : ''}`,
          kind: 'vecserve',
          workers,
          threads,
          nice,
        });
  }
  return [
    { name: 'floor', kind: 'floor' },
    ...vecserve,
    { name: 'fastapi-1w', kind: 'fastapi', workers: 1 },
    { name: 'fastapi-2w', kind: 'fastapi', workers: 2 },
    { name: 'flask-gevent-1w', kind: 'flask', workers: 1 },
    { name: 'flask-gevent-2w', kind: 'flask', workers: 2 },
  ];
}

/** What a configuration is, in words (for tables). */
export function describeConfig(c: ServingConfig): string {
  switch (c.kind) {
    case 'floor':
      return 'node:http + JSON.parse + usearch + JSON.stringify, 1 process';
    case 'vecserve': {
      const shape = c.workers === 1 ? '1 process' : `PM2 cluster, ${c.workers} workers`;
      if (c.env)
        return `vecserve, ${shape}, ${Object.entries(c.env)
          .map((kv) => kv.join('='))
          .join(' ')}`;
      const threads = c.threads === null ? 'default SEARCH_THREADS' : `SEARCH_THREADS=${c.threads}`;
      return `vecserve, ${shape}, ${threads}${c.nice ? `, nice ${c.nice}` : ''}`;
    }
    case 'fastapi':
      return `FastAPI + uvicorn (uvloop, httptools), ${c.workers} worker${c.workers > 1 ? 's' : ''}`;
    case 'flask':
      return `Flask + gunicorn + gevent, ${c.workers} worker${c.workers > 1 ? 's' : ''}`;
    case 'baseline':
      return `vecserve at ${c.checkout}, 1 process, as its npm start ran it`;
  }
}

export interface ServingContext {
  root: string;
  /** The DATA_DIR every server reads (the demo collection, built once). */
  dataDir: string;
  collection: string;
  port: number;
  /** Where PM2 keeps its home and logs. */
  workDir: string;
}

export interface RunningServing {
  url: string;
  /** Every process serving now (for CPU accounting). */
  pids(): number[];
  stop(): Promise<void>;
}

/** Starts one configuration and resolves once it answers a search. */
export async function startServing(
  c: ServingConfig,
  ctx: ServingContext,
  probeBody: string,
): Promise<RunningServing> {
  const url = `http://127.0.0.1:${ctx.port}`;
  const dataDir = resolve(ctx.dataDir);
  const quiet = { LOG_LEVEL: 'warn', ACCESS_LOG: 'false' };
  switch (c.kind) {
    case 'floor':
      return startOwned(
        process.execPath,
        [
          join(ctx.root, 'bench/servers/floor-server.mjs'),
          dataDir,
          ctx.collection,
          String(ctx.port),
        ],
        {},
        undefined,
        url,
        '/',
        probeBody,
      );
    case 'vecserve': {
      const env: Record<string, string> = {
        ...quiet,
        PORT: String(ctx.port),
        DATA_DIR: dataDir,
        DEMO_COLLECTION: ctx.collection,
      };
      if (c.threads !== null) env.SEARCH_THREADS = String(c.threads);
      if (c.nice !== null) env.SEARCH_THREAD_NICE = String(c.nice);
      Object.assign(env, c.env);
      if (c.workers === 1)
        return startOwned(
          process.execPath,
          [join(ctx.root, 'dist/cli/serve.js')],
          env,
          undefined,
          url,
          searchPath(ctx),
          probeBody,
        );
      return startPm2(
        ctx,
        { ...env, WORKERS: String(c.workers), WORKER_PORT: '0', INTERNAL_PORT: '0' },
        url,
        probeBody,
      );
    }
    case 'fastapi':
    case 'flask': {
      const venv = pythonVenv(ctx.root);
      const cwd = join(ctx.root, 'bench/servers/python');
      const env = { DATA_DIR: dataDir, COLLECTION: ctx.collection };
      const [command, args] =
        c.kind === 'fastapi'
          ? [
              join(venv, 'bin/uvicorn'),
              [
                'fastapi_search:app',
                '--host',
                '127.0.0.1',
                '--port',
                String(ctx.port),
                '--workers',
                String(c.workers),
                '--log-level',
                'warning',
                '--no-access-log',
              ],
            ]
          : [
              join(venv, 'bin/gunicorn'),
              [
                '-k',
                'gevent',
                '-w',
                String(c.workers),
                '-b',
                `127.0.0.1:${ctx.port}`,
                '--log-level',
                'warning',
                'flask_search:app',
              ],
            ];
      return startOwned(command, args, env, cwd, url, searchPath(ctx), probeBody);
    }
    case 'baseline':
      return startOwned(
        process.execPath,
        ['--import', 'tsx', 'src/cli/serve.ts'],
        { ...quiet, PORT: String(ctx.port), DATA_DIR: dataDir, DEMO_COLLECTION: ctx.collection },
        c.checkout,
        url,
        searchPath(ctx),
        probeBody,
      );
  }
}

export const searchPath = (ctx: Pick<ServingContext, 'collection'>) =>
  `/v1/collections/${ctx.collection}/search`;

/**
 * A server this process starts in its own process group (bench/lib/server-process.ts),
 * ready once a search on `path` answers 200; stop ends the whole group.
 */
async function startOwned(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string | undefined,
  url: string,
  path: string,
  probeBody: string,
): Promise<RunningServing> {
  const server = await startServerProcess({
    command,
    args,
    cwd,
    env: { NODE_ENV: 'production', ...env },
    url,
    readyPath: path,
    readyInit: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: probeBody,
    },
    timeoutMs: 300_000,
  });
  return {
    url,
    pids: () => processTree(server.child.pid!),
    stop: async () => {
      await server.stop();
    },
  };
}

/** The PM2 cluster from the repo's ecosystem file, with a PM2 home of its own. */
async function startPm2(
  ctx: ServingContext,
  env: Record<string, string>,
  url: string,
  probeBody: string,
): Promise<RunningServing> {
  const home = join(resolve(ctx.workDir), 'pm2');
  makeDirs(home);
  const pm2 = createRequire(import.meta.url).resolve('pm2/bin/pm2');
  const run = (args: string[]) =>
    spawnSync(process.execPath, [pm2, ...args], {
      cwd: ctx.root,
      env: { ...process.env, ...env, PM2_HOME: home },
      encoding: 'utf8',
    });
  run(['kill']);
  const started = run(['start', join(ctx.root, 'ecosystem.config.cjs')]);
  if (started.status !== 0) throw new Error(`pm2 start failed: ${started.stderr}${started.stdout}`);
  const daemon = () => Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
  const kill = () => run(['kill']);
  process.once('exit', kill);
  try {
    await untilAnswers(url, searchPath(ctx), probeBody, () => false);
  } catch (err) {
    kill();
    throw err;
  }
  return {
    url,
    // The daemon is the cluster's primary: it accepts connections and hands them out.
    pids: () => processTree(daemon()),
    stop: async () => {
      kill();
      process.off('exit', kill);
    },
  };
}

async function untilAnswers(
  url: string,
  path: string,
  body: string,
  died: () => boolean,
  timeoutMs = 300_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (died()) throw new Error(`the server for ${url} exited before answering`);
    try {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(2000),
      });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server for ${url} did not answer in time`);
    await sleep(100);
  }
}

/** The pinned Python stacks' venv (installed on first use by bench/servers/python/venv.sh). */
export function pythonVenv(root: string): string {
  const venv = execFileSync('bash', [join(root, 'bench/servers/python/venv.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  if (!existsSync(join(venv, 'bin/python'))) throw new Error(`no Python venv at ${venv}`);
  return venv;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
