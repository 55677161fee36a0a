/**
 * The local production stack: nginx (Debian package) -> PM2 cluster (npm) ->
 * vecserve workers -> embedded index or Milvus (started too when configured
 * and local). `npm run stack:up | stack:down | stack:status | stack:reload`.
 *
 * Everything lives under DATA_DIR/stack: the PM2 home (a daemon of our own,
 * not the user's ~/.pm2), nginx's prefix (rendered config, pid, logs, temp
 * files) and the worker logs. Every step says what it does and, when a part
 * is missing, how to get it.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import type { Config } from '../config/settings.ts';
import { makeDirs } from '../core/make-dirs.ts';
import { renderNginxConf } from './nginx-config.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const APP = 'vecserve';

export class StackError extends Error {}

export interface StackPaths {
  dir: string;
  pm2Home: string;
  nginxPrefix: string;
  nginxConf: string;
  milvusMarker: string;
  redisMarker: string;
}

export function stackPaths(config: Config): StackPaths {
  const dir = resolve(ROOT, config.dataDir, 'stack');
  const nginxPrefix = join(dir, 'nginx');
  return {
    dir,
    pm2Home: join(dir, 'pm2'),
    nginxPrefix,
    nginxConf: join(nginxPrefix, 'nginx.conf'),
    milvusMarker: join(dir, 'milvus-started-by-stack'),
    redisMarker: join(dir, 'redis-started-by-stack'),
  };
}

function say(message: string): void {
  process.stdout.write(`stack: ${message}\n`);
}

/**
 * The nginx binary the stack runs: NGINX_BIN when set (that one or none),
 * else Debian's or a local build's path, else the PATH's. Null when none.
 */
export function locateNginx(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.NGINX_BIN) return existsSync(env.NGINX_BIN) ? env.NGINX_BIN : null;
  for (const c of ['/usr/sbin/nginx', '/usr/local/sbin/nginx']) if (existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

function findNginx(): string {
  const found = locateNginx();
  if (found) return found;
  throw new StackError(
    process.env.NGINX_BIN
      ? `nginx not found at NGINX_BIN=${process.env.NGINX_BIN}`
      : 'nginx not found. Install it (Debian/Ubuntu: apt-get install nginx), or set NGINX_BIN to its path.',
  );
}

function pm2Cli(): string {
  try {
    return createRequire(import.meta.url).resolve('pm2/bin/pm2');
  } catch {
    throw new StackError('PM2 not found in node_modules: run `npm install` first.');
  }
}

/** Runs the PM2 CLI against this stack's own daemon. */
function runPm2(paths: Pick<StackPaths, 'pm2Home'>, args: string[]) {
  return spawnSync(process.execPath, [pm2Cli(), ...args], {
    ...pm2Options(paths),
    encoding: 'utf8',
  });
}

/** Where the PM2 CLI runs: this repo, against this stack's own daemon. */
function pm2Options(paths: Pick<StackPaths, 'pm2Home'>) {
  return { cwd: ROOT, env: { ...process.env, PM2_HOME: paths.pm2Home } };
}

function pm2(paths: StackPaths, args: string[], opts: { quiet?: boolean } = {}): string {
  const out = runPm2(paths, args);
  if (out.status !== 0) {
    throw new StackError(`pm2 ${args.join(' ')} failed:\n${out.stdout}${out.stderr}`);
  }
  if (!opts.quiet) process.stdout.write(stripVTControlCharacters(out.stdout));
  return out.stdout;
}

export interface Pm2Process {
  pid: number;
  pm_id: number;
  name: string;
  pm2_env: { status: string; restart_time: number; NODE_APP_INSTANCE?: number; pm_uptime: number };
  monit?: { memory: number; cpu: number };
}

export function pm2List(paths: Pick<StackPaths, 'pm2Home'>): Pm2Process[] {
  if (!existsSync(join(paths.pm2Home, 'pm2.pid'))) return [];
  const out = runPm2(paths, ['jlist']);
  return out.status === 0 ? parseJlist(out.stdout) : [];
}

/**
 * pm2List without blocking the caller: `pm2 jlist` takes 0.6 s or more (the
 * PM2 CLI loading), and a load generator sharing the caller's event loop
 * would stop sending meanwhile, then send the backlog at once.
 */
export function pm2ListAsync(paths: Pick<StackPaths, 'pm2Home'>): Promise<Pm2Process[]> {
  if (!existsSync(join(paths.pm2Home, 'pm2.pid'))) return Promise.resolve([]);
  return new Promise((done) => {
    execFile(
      process.execPath,
      [pm2Cli(), 'jlist'],
      { ...pm2Options(paths), maxBuffer: 64 << 20 },
      (err, stdout) => done(err ? [] : parseJlist(stdout)),
    );
  });
}

function parseJlist(stdout: string): Pm2Process[] {
  const start = stdout.indexOf('[');
  try {
    return (JSON.parse(stdout.slice(start)) as Pm2Process[]).filter((p) => p.name === APP);
  } catch {
    return [];
  }
}

function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) };
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new StackError(`${what} did not come up within ${timeoutMs / 1000} s`);
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function nginxPid(paths: StackPaths): number | null {
  const file = join(paths.nginxPrefix, 'nginx.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

function nginxArgs(paths: StackPaths): string[] {
  return ['-p', `${paths.nginxPrefix}/`, '-c', paths.nginxConf];
}

function milvusLocal(config: Config): { port: string } | null {
  if (config.backend !== 'milvus') return null;
  const [host, port] = config.milvusAddress.split(':');
  return host === '127.0.0.1' || host === 'localhost' ? { port } : null;
}

/** The local Redis the cluster-wide rate limit needs, when REDIS_URL points at this host. */
function redisLocal(config: Config): { port: string } | null {
  if (config.rateLimitStore !== 'redis' || config.rateLimit <= 0) return null;
  const url = new URL(config.redisUrl);
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  return local ? { port: url.port || '6379' } : null;
}

function redisScript(action: 'up' | 'down', port: string): void {
  execFileSync('bash', [join(ROOT, 'deploy/redis/redis.sh'), action], {
    cwd: ROOT,
    env: { ...process.env, REDIS_PORT: port },
    stdio: 'inherit',
  });
}

function milvusScript(action: 'up' | 'down' | 'status', port: string): void {
  execFileSync('bash', [join(ROOT, 'deploy/milvus/milvus.sh'), action], {
    cwd: ROOT,
    env: { ...process.env, MILVUS_PORT: port },
    stdio: 'inherit',
  });
}

export async function up(config: Config): Promise<void> {
  const paths = stackPaths(config);
  const nginx = findNginx();
  pm2Cli();
  makeDirs(paths.nginxPrefix);
  const publicListen = splitListen(config.nginxListen);
  const statusListen = splitListen(config.nginxStatusListen);

  // 1. Milvus, when the backend is a local Milvus that is not running yet.
  const milvus = milvusLocal(config);
  if (milvus) {
    if (await portOpen('127.0.0.1', Number(milvus.port))) {
      say(`Milvus already answers on 127.0.0.1:${milvus.port}`);
    } else {
      say(`starting Milvus on 127.0.0.1:${milvus.port} (npm run milvus:up)`);
      milvusScript('up', milvus.port);
      writeFileSync(paths.milvusMarker, milvus.port);
    }
  }

  // 1b. Redis, when the rate limit is cluster-wide and its Redis is this host's.
  const redis = redisLocal(config);
  if (redis) {
    if (await portOpen('127.0.0.1', Number(redis.port))) {
      say(`Redis already answers on 127.0.0.1:${redis.port}`);
    } else {
      say(`starting Redis on 127.0.0.1:${redis.port} (npm run redis:up)`);
      redisScript('up', redis.port);
      writeFileSync(paths.redisMarker, redis.port);
    }
  }

  // 2. The PM2 cluster; `pm2 start` returns once every worker sent 'ready'.
  const running = pm2List(paths).filter((p) => p.pm2_env.status === 'online');
  if (running.length > 0) {
    say(`PM2 already runs ${running.length} ${APP} workers`);
  } else {
    if (await portOpen(config.host, config.port)) {
      throw new StackError(
        `port ${config.host}:${config.port} is taken by another process (npm start?): stop it or set PORT`,
      );
    }
    say(`starting ${config.workers} workers under PM2 (PM2_HOME=${paths.pm2Home})`);
    pm2(paths, ['start', join(ROOT, 'ecosystem.config.cjs')], { quiet: true });
  }
  await waitFor('the workers', 120_000, () =>
    httpOk(`http://${config.host}:${config.port}/readyz`),
  );

  // 3. nginx, with the config rendered from the same settings.
  writeFileSync(paths.nginxConf, renderNginxConf(config));
  const test = spawnSync(nginx, ['-t', '-q', ...nginxArgs(paths)], { encoding: 'utf8' });
  if (test.status !== 0) throw new StackError(`nginx -t failed:\n${test.stderr}`);
  if (nginxPid(paths)) {
    say('nginx already running: reloading its config');
    execFileSync(nginx, [...nginxArgs(paths), '-s', 'reload']);
  } else {
    for (const l of [publicListen, statusListen]) {
      if (await portOpen(l.host, l.port)) {
        throw new StackError(
          `port ${l.host}:${l.port} for nginx is taken: stop that process or change NGINX_LISTEN / NGINX_STATUS_LISTEN`,
        );
      }
    }
    say(`starting nginx on ${config.nginxListen} (status: ${config.nginxStatusListen})`);
    const started = spawnSync(nginx, nginxArgs(paths), { encoding: 'utf8' });
    if (started.status !== 0) throw new StackError(`nginx failed to start:\n${started.stderr}`);
  }
  const publicUrl = `http://${config.nginxListen}`;
  await waitFor('nginx', 20_000, () => httpOk(`${publicUrl}/readyz`));

  say('up');
  process.stdout.write(
    [
      `  API (public)     ${publicUrl}/v1/collections`,
      `  metrics (local)  http://${config.nginxStatusListen}/metrics   (all workers summed)`,
      `  workers          ${config.workers} x PM2 cluster on ${config.host}:${config.port}`,
      `  logs             ${join(paths.dir, 'logs')}/, ${paths.nginxPrefix}/{access,error}.log`,
      '  stop             npm run stack:down',
      '',
    ].join('\n'),
  );
}

export async function down(config: Config): Promise<void> {
  const paths = stackPaths(config);
  const pid = nginxPid(paths);
  if (pid) {
    say('stopping nginx (graceful: in-flight requests finish)');
    spawnSync(findNginx(), [...nginxArgs(paths), '-s', 'quit']);
    await waitFor('nginx exit', 15_000, async () => nginxPid(paths) === null).catch(() => {
      process.kill(pid, 'SIGTERM');
    });
  }
  if (existsSync(join(paths.pm2Home, 'pm2.pid'))) {
    say('stopping the workers (each drains in-flight requests) and the PM2 daemon');
    if (pm2List(paths).length > 0) pm2(paths, ['delete', APP], { quiet: true });
    pm2(paths, ['kill'], { quiet: true });
  }
  if (existsSync(paths.milvusMarker)) {
    const port = readFileSync(paths.milvusMarker, 'utf8').trim();
    say(`stopping the Milvus this stack started (port ${port})`);
    milvusScript('down', port);
    rmSync(paths.milvusMarker);
  }
  if (existsSync(paths.redisMarker)) {
    const port = readFileSync(paths.redisMarker, 'utf8').trim();
    say(`stopping the Redis this stack started (port ${port})`);
    redisScript('down', port);
    rmSync(paths.redisMarker);
  }
  say('down');
}

export async function status(config: Config): Promise<boolean> {
  const paths = stackPaths(config);
  let healthy = true;
  const workers = pm2List(paths);
  const online = workers.filter((w) => w.pm2_env.status === 'online');
  say(`workers: ${online.length}/${config.workers} online`);
  for (const w of workers) {
    const mem = w.monit ? `${Math.round(w.monit.memory / 2 ** 20)} MB` : '?';
    const uptime = Math.round((Date.now() - w.pm2_env.pm_uptime) / 1000);
    process.stdout.write(
      `  worker ${w.pm2_env.NODE_APP_INSTANCE ?? '?'}  pid ${w.pid}  ${w.pm2_env.status}  ` +
        `restarts ${w.pm2_env.restart_time}  memory ${mem}  uptime ${uptime} s\n`,
    );
  }
  if (online.length < config.workers) healthy = false;
  const pid = nginxPid(paths);
  say(pid ? `nginx: running (pid ${pid}) on ${config.nginxListen}` : 'nginx: not running');
  if (!pid) healthy = false;
  const ready = await httpOk(`http://${config.nginxListen}/readyz`);
  say(`readiness through nginx: ${ready ? 'ready' : 'NOT ready'}`);
  if (!ready) healthy = false;
  const milvus = milvusLocal(config);
  if (milvus) {
    const open = await portOpen('127.0.0.1', Number(milvus.port));
    say(`Milvus on 127.0.0.1:${milvus.port}: ${open ? 'answering' : 'not answering'}`);
    if (!open) healthy = false;
  }
  return healthy;
}

/** Zero-downtime code/config reload: PM2 replaces workers one by one; nginx re-reads its config. */
export async function reload(config: Config): Promise<void> {
  const paths = stackPaths(config);
  say('reloading workers one at a time (each new one must report ready first)');
  // Re-reads ecosystem.config.cjs and this shell's settings (--update-env).
  pm2(paths, ['reload', join(ROOT, 'ecosystem.config.cjs'), '--update-env'], { quiet: true });
  // nginx only when its config changed: a reload makes its old workers close
  // their idle keep-alive client connections, which races with clients that
  // are just sending on them.
  const rendered = renderNginxConf(config);
  const current = existsSync(paths.nginxConf) ? readFileSync(paths.nginxConf, 'utf8') : '';
  if (nginxPid(paths) && rendered !== current) {
    writeFileSync(paths.nginxConf, rendered);
    execFileSync(findNginx(), [...nginxArgs(paths), '-s', 'reload']);
    say('nginx config changed: reloaded');
  }
  say('reloaded');
}
