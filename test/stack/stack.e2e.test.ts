/**
 * End to end through the real parts: nginx (Debian package) -> PM2 cluster
 * (npm) -> 2 workers -> embedded index, started by the stack scripts on
 * loopback ports of its own, with real sockets and a steady load.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pm2ListAsync } from '../../src/stack/stack.ts';
import { redisForTest } from '../cluster/redis-server.ts';
import { tempDir } from '../helpers.ts';

const ROOT = join(import.meta.dirname, '../..');
// Below the ephemeral port range (32768+).
const base = 25_000 + Math.floor(Math.random() * 100) * 40;
const ports = {
  app: base,
  internal: base + 10,
  nginx: base + 20,
  status: base + 21,
  worker: base + 30,
  prometheus: base + 39,
};
const data = tempDir('vecserve-stack-');
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  DATA_DIR: data.dir,
  WORKERS: '2',
  PORT: String(ports.app),
  INTERNAL_PORT: String(ports.internal),
  WORKER_PORT: String(ports.worker),
  NGINX_LISTEN: `127.0.0.1:${ports.nginx}`,
  NGINX_STATUS_LISTEN: `127.0.0.1:${ports.status}`,
  NGINX_RATE_LIMIT: '0',
  DEMO_SIZE: '2000',
  DEMO_DIMENSION: '64',
  FAULT_INJECTION: 'true',
  TIMEOUT: '2',
  MAX_EVENT_LOOP_LAG: '0',
  LOG_LEVEL: 'info',
};
const publicUrl = `http://127.0.0.1:${ports.nginx}`;
const statusUrl = `http://127.0.0.1:${ports.status}`;
const searchUrl = `${publicUrl}/v1/collections/products/search`;
const body = JSON.stringify({ vector: Array.from({ length: 64 }, (_, i) => Math.sin(i)), topK: 5 });

function stack(command: string, extraEnv: Record<string, string> = {}) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/stack.ts', command], {
    cwd: ROOT,
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

/** Async: a blocking `pm2 jlist` (0.6 s+) would stall the load this process generates. */
async function workers(): Promise<{ index: number; pid: number; restarts: number }[]> {
  return (await pm2ListAsync({ pm2Home: join(data.dir, 'stack/pm2') })).map((p) => ({
    index: Number(p.pm2_env.NODE_APP_INSTANCE),
    pid: p.pid,
    restarts: p.pm2_env.restart_time,
  }));
}

/** Closed-loop load through nginx until `stop()`; counts outcomes by status or error. */
function steadyLoad(concurrency: number) {
  const outcomes = new Map<string, number>();
  const timeline: { at: number; ok: boolean; ms: number }[] = [];
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      let key: string;
      const started = Date.now();
      try {
        const res = await fetch(searchUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
        key = String(res.status);
      } catch (err) {
        const cause = (err as Error & { cause?: { code?: string } }).cause;
        key = `${(err as Error).name}:${cause?.code ?? (err as Error).message}`;
      }
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      timeline.push({ at: Date.now(), ok: key === '200', ms: Date.now() - started });
    }
  });
  return {
    timeline,
    async stop() {
      running = false;
      await Promise.all(loops);
      const ok = outcomes.get('200') ?? 0;
      let total = 0;
      for (const n of outcomes.values()) total += n;
      return { ok, failed: total - ok, outcomes: Object.fromEntries(outcomes) };
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stack: nginx -> PM2 cluster -> workers', () => {
  beforeAll(() => {
    const up = stack('up');
    expect(up.output).toMatch(/stack: up/);
    expect(up.status).toBe(0);
  }, 200_000);

  afterAll(() => {
    const down = stack('down');
    if (down.status !== 0) process.stderr.write(down.output);
    data.cleanup();
  }, 60_000);

  it('spreads searches over every worker; /metrics on the status port sums them; not public', async () => {
    const load = steadyLoad(8);
    await sleep(1500);
    const result = await load.stop();
    expect(result.failed).toBe(0);

    const metrics = await (await fetch(`${statusUrl}/metrics`)).text();
    expect(metrics).toMatch(/^vecserve_cluster_workers_scraped 2$/m);
    const searches = Number(
      metrics.match(
        /^vecserve_http_request_duration_seconds_count\{method="POST",route="\/v1\/collections\/:name\/search",status="200"\} (\d+)$/m,
      )?.[1],
    );
    expect(searches).toBe(result.ok);
    for (const worker of ['0', '1']) {
      const served = Number(
        metrics.match(
          new RegExp(`^vecserve_worker_requests_total\\{worker="${worker}"\\} (\\d+)$`, 'm'),
        )?.[1],
      );
      expect(served, `worker ${worker} served nothing`).toBeGreaterThan(0);
    }

    const refused = await fetch(`${publicUrl}/metrics`);
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/status listener/);

    const status = stack('status');
    expect(status.output).toMatch(/workers: 2\/2 online/);
    expect(status.status).toBe(0);
  }, 60_000);

  it('`pm2 reload` of all workers under steady load fails no request', async () => {
    const before = await workers();
    const load = steadyLoad(4);
    await sleep(1000);
    const reload = stack('reload');
    expect(reload.status, reload.output).toBe(0);
    await sleep(1000);
    const result = await load.stop();
    expect(result.outcomes).toEqual({ 200: result.ok });
    expect(result.ok).toBeGreaterThan(100);
    const after = await workers();
    for (const w of after) expect(before.map((b) => b.pid)).not.toContain(w.pid);
  }, 120_000);

  it('replaces a worker stuck in a busy loop; nginx keeps serving meanwhile', async () => {
    const before = (await workers()).find((w) => w.index === 0);
    const load = steadyLoad(4);
    await sleep(500);
    const hungAt = Date.now();
    const fault = await fetch(
      `http://127.0.0.1:${ports.internal}/internal/fault/busy-loop?ms=120000`,
      {
        method: 'POST',
      },
    );
    expect(fault.status).toBe(202);
    // TIMEOUT is 2 s: the watchdog must have killed it well within 6 s, and PM2 restarted it.
    let replaced: { pid: number } | undefined;
    for (let i = 0; i < 40 && !replaced; i++) {
      await sleep(250);
      replaced = (await workers()).find((w) => w.index === 0 && w.pid !== before?.pid);
    }
    expect(replaced, 'worker 0 was not replaced').toBeDefined();
    await sleep(2000);
    const result = await load.stop();
    const duringHang = load.timeline.filter(
      (t) => t.ok && t.at > hungAt + 200 && t.at < hungAt + 2000,
    );
    expect(duringHang.length, 'nothing was served while worker 0 hung').toBeGreaterThan(20);
    // Only requests already on the hung worker's connections can fail: at most one per client connection.
    expect(result.failed).toBeLessThanOrEqual(4);
    const log = readFileSync(join(data.dir, 'stack/logs/vecserve-error.log'), 'utf8');
    expect(log).toMatch(/watchdog: event loop blocked longer than timeout/);
  }, 120_000);

  it('SIGKILL of a worker fails no search and leaves none waiting for nginx', async () => {
    const before = await workers();
    const victim = before.find((w) => w.index === 0)!;
    const load = steadyLoad(4);
    await sleep(1000);
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL'); // a worker of the stack this test started
    let replaced: { pid: number } | undefined;
    for (let i = 0; i < 40 && !replaced; i++) {
      await sleep(250);
      replaced = (await workers()).find((w) => w.index === 0 && w.pid !== victim.pid);
    }
    expect(replaced, 'PM2 did not restart the killed worker').toBeDefined();
    await sleep(1000);
    const result = await load.stop();
    // Searches in flight on the dead worker, and those sent to its port before
    // PM2 restarted it, are resent by nginx to the other worker.
    expect(result.outcomes).toEqual({ 200: result.ok });
    const around = load.timeline.filter((t) => t.at > killedAt);
    expect(around.length).toBeGreaterThan(50);
    const slowest = Math.max(...around.map((t) => t.ms));
    expect(slowest, 'a request waited for a timeout').toBeLessThan(1500);
  }, 120_000);

  it("Debian's prometheus scrapes the stack: every recording rule, alert and dashboard query evaluates with data", async () => {
    const dir = join(data.dir, 'prometheus');
    mkdirSync(dir, { recursive: true });
    const root = join(import.meta.dirname, '../..');
    const rules = join(root, 'deploy/prometheus/vecserve-rules.yml');
    const check = spawnSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' });
    expect(check.error, 'promtool is not installed: apt-get install prometheus').toBeUndefined();
    expect(check.stdout, check.stderr).toMatch(/SUCCESS: 12 rules found/);
    // The shipped config, pointed at this stack's status listener and scraping every second.
    const config = readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')
      .replace("'127.0.0.1:8081'", `'127.0.0.1:${ports.status}'`)
      .replace(/scrape_interval: 15s/, 'scrape_interval: 1s')
      .replace(/evaluation_interval: 15s/, 'evaluation_interval: 1s')
      .replace('- vecserve-rules.yml', `- ${rules}`);
    writeFileSync(join(dir, 'prometheus.yml'), config);
    // The result cache's panels need it on: shared through a real Redis, as a PM2 cluster runs it.
    const redis = redisForTest();
    redis.up();
    const prom = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${ports.prometheus}`,
      ],
      { stdio: 'ignore' },
    );
    const api = `http://127.0.0.1:${ports.prometheus}`;
    const query = async (expr: string) => {
      const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data: { result: unknown[] };
      };
      expect(body.status, `${expr}: ${body.error}`).toBe('success');
      return body.data.result;
    };
    try {
      const cached = stack('reload', { RESULT_CACHE: 'shared', REDIS_URL: redis.url });
      expect(cached.status, cached.output).toBe(0);
      const load = steadyLoad(4);
      let ready = false;
      for (let i = 0; i < 60 && !ready; i++) {
        await sleep(250);
        ready = await fetch(`${api}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
      }
      expect(ready, 'prometheus did not start').toBe(true);
      // Until a few scrapes and rule evaluations have happened.
      let requests: unknown[] = [];
      for (let i = 0; i < 40 && requests.length === 0; i++) {
        await sleep(500);
        requests = await query('vecserve:requests:rate1m');
      }
      await sleep(2000);
      await load.stop();
      expect(await query('up{job="vecserve"} == 1')).toHaveLength(1);
      const groups = (
        (await (await fetch(`${api}/api/v1/rules`)).json()) as {
          data: {
            groups: { rules: { name: string; type: string; health: string; query: string }[] }[];
          };
        }
      ).data.groups;
      const all = groups.flatMap((g) => g.rules);
      expect(all).toHaveLength(12);
      for (const r of all) {
        expect(r.health, `${r.name}: ${r.query}`).toBe('ok');
        // A recording rule has data; an alert's expression, without its threshold, too.
        const expr =
          r.type === 'recording' ? r.name : r.query.replace(/\s*(==|>)\s*[\d.]+\s*$/, '');
        expect((await query(expr)).length, `${r.name}: ${expr}`).toBeGreaterThan(0);
      }
      const dashboard = JSON.parse(
        readFileSync(join(root, 'deploy/grafana/vecserve-dashboard.json'), 'utf8'),
      ) as { panels: { title: string; targets: { expr: string }[] }[] };
      for (const panel of dashboard.panels)
        for (const t of panel.targets)
          expect((await query(t.expr)).length, `${panel.title}: ${t.expr}`).toBeGreaterThan(0);
      // The cache did answer through the stack (one body repeated: all hits after the first).
      const hitRatio = await query(
        'sum(rate(vecserve_result_cache_hits_total[1m])) / clamp_min(sum(rate(vecserve_result_cache_hits_total[1m])) + sum(rate(vecserve_result_cache_misses_total[1m])), 1e-9)',
      );
      expect(Number((hitRatio[0] as { value: [number, string] }).value[1])).toBeGreaterThan(0.5);
    } finally {
      prom.kill('SIGTERM'); // the prometheus this test started
      redis.cleanup();
    }
  }, 180_000);

  it('max_requests retires workers during the load without failing a request', async () => {
    const reload = stack('reload', { MAX_REQUESTS: '1500', MAX_REQUESTS_JITTER: '500' });
    expect(reload.status, reload.output).toBe(0);
    const before = await workers();
    const load = steadyLoad(4);
    await sleep(12_000);
    const result = await load.stop();
    expect(result.outcomes).toEqual({ 200: result.ok });
    const after = await workers();
    const restarts =
      after.reduce((n, w) => n + w.restarts, 0) - before.reduce((n, w) => n + w.restarts, 0);
    expect(restarts, `served ${result.ok} requests without a retirement`).toBeGreaterThanOrEqual(1);
    const log = readFileSync(join(data.dir, 'stack/logs/vecserve-out.log'), 'utf8');
    expect(log).toMatch(/max_requests reached: retiring this worker/);
  }, 120_000);
});
