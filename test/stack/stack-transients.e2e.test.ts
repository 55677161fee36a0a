/**
 * Transients are not overload: through the real stack (nginx -> PM2 -> 2
 * workers, the demo collection, admission as shipped), an open loop at a
 * quarter of the capacity measured here, and during it `pm2 reload`,
 * `npm run stack:reload` and a worker SIGKILLed. None of them may cost a
 * refused request; the kill may cost at most the requests in flight on the
 * killed worker, and nothing may wait for a timeout. (The kill alone may see a
 * few event-loop refusals when the survivor was shown to lose CPU to others.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenLoopResult, openLoop } from '../../bench/harness/runners/open-loop.ts';
import { runWrk } from '../../bench/harness/runners/wrk.ts';
import { searchBodies } from '../../bench/lib/query-bodies.ts';
import { pm2ListAsync } from '../../src/stack/stack.ts';
import { tempDir } from '../helpers.ts';

const ROOT = join(import.meta.dirname, '../..');
const base = 26_000 + Math.floor(Math.random() * 100) * 40; // below the ephemeral range
const data = tempDir('vecserve-transients-');
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  DATA_DIR: data.dir,
  WORKERS: '2',
  PORT: String(base),
  INTERNAL_PORT: String(base + 10),
  WORKER_PORT: String(base + 30),
  NGINX_LISTEN: `127.0.0.1:${base + 20}`,
  NGINX_STATUS_LISTEN: `127.0.0.1:${base + 21}`,
  // One client address here: the per-client limits would be the test's limit.
  NGINX_RATE_LIMIT: '0',
  NGINX_CONN_LIMIT: '0',
  LOG_LEVEL: 'warn',
};
const url = `http://127.0.0.1:${base + 20}`;
const path = '/v1/collections/products/search';
const bodies = searchBodies(200, 512);
const pm2Home = join(data.dir, 'stack/pm2');

function stack(command: string) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/stack.ts', command], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

/** Runs a command without blocking this process (the generator shares its event loop). */
function run(args: string[], extra: Record<string, string> = {}) {
  return new Promise<number | null>((resolve) =>
    spawn(process.execPath, args, { cwd: ROOT, env: { ...env, ...extra }, stdio: 'ignore' }).on(
      'exit',
      resolve,
    ),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stack transients at a quarter of capacity', () => {
  let rate = 0;

  beforeAll(async () => {
    const up = stack('up');
    expect(up.status, up.output).toBe(0);
    const capacity = await runWrk({ url, path, bodies, connections: 32, seconds: 4 });
    rate = Math.max(50, Math.round(capacity.okPerSecond / 4));
  }, 240_000);

  afterAll(() => {
    stack('down');
    data.cleanup();
  });

  /** Open loop at `rate` for `seconds`, with `event` started after `atMs`. */
  async function during(event: () => Promise<unknown>, atMs = 3000, seconds = 12) {
    const load = openLoop({
      url,
      stages: [{ rate, seconds }],
      request: (i) => ({ path, body: bodies[i % bodies.length]! }),
      sampleServer: false,
      timeoutMs: 5000,
      failureDetails: true,
    });
    await sleep(atMs);
    await event();
    return load;
  }

  const refused = (r: OpenLoopResult) => (r.byOutcome['503'] ?? 0) + (r.byOutcome['429'] ?? 0);

  it('pm2 reload of every worker refuses nothing and fails nothing', async () => {
    const r = await during(() =>
      run(['node_modules/pm2/bin/pm2', 'reload', 'vecserve'], { PM2_HOME: pm2Home }),
    );
    console.log(
      `pm2 reload at ${rate}/s: ${JSON.stringify(r.byOutcome)}, p99 ${r.latency.p99Ms} ms; ${JSON.stringify(r.failureDetails)}`,
    );
    expect(refused(r)).toBe(0);
    expect(r.byOutcome).toEqual({ 200: r.sent });
  }, 120_000);

  it('stack:reload refuses nothing and fails nothing', async () => {
    const r = await during(() => run(['--import', 'tsx', 'src/cli/stack.ts', 'reload']));
    console.log(
      `stack:reload at ${rate}/s: ${JSON.stringify(r.byOutcome)}, p99 ${r.latency.p99Ms} ms; ${JSON.stringify(r.failureDetails)}`,
    );
    expect(refused(r)).toBe(0);
    expect(r.byOutcome).toEqual({ 200: r.sent });
  }, 120_000);

  it('a SIGKILLed worker refuses nothing while the survivor gets the CPU it asks for, loses at most what it had in flight, and nothing waits for a timeout', async () => {
    // Looked up before the load: a blocking `pm2 jlist` during it stalled this
    // process's generator for 0.6 s or more (longer on a busy machine), and
    // the backlog it then sent at once, all to the survivor, tripped that
    // worker's event-loop guard (9 and 13 refused in two CI runs): the test
    // measured its own generator.
    const [victim, survivor] = await pm2ListAsync({ pm2Home });
    // The survivor's own port: how its event-loop guard judged the turns while it served alone.
    const survivorStats = `http://127.0.0.1:${base + 30 + Number(survivor!.pm2_env.NODE_APP_INSTANCE)}/v1/stats`;
    const guard = async () => {
      const stats = (await (await fetch(survivorStats)).json()) as {
        admission: { eventLoop: Record<string, number> };
      };
      return stats.admission.eventLoop;
    };
    const before = await guard();
    const r = await during(async () => {
      process.kill(victim!.pid, 'SIGKILL'); // a worker of the stack this test started
    });
    const after = await guard();
    const survivorGuard = Object.fromEntries(
      ['refusals', 'backlogTurns', 'notOwnWork'].map((k) => [k, after[k]! - before[k]!]),
    );
    console.log(
      `SIGKILL at ${rate}/s: ${JSON.stringify(r.byOutcome)}, p99 ${r.latency.p99Ms} ms, max ${r.latency.maxMs} ms; ${JSON.stringify(r.failureDetails)}; generator: ${r.late} sends late, event loop max ${r.generator.eventLoopDelayMaxMs} ms; the survivor's event-loop guard: ${JSON.stringify(survivorGuard)}`,
    );
    // No refusal while the survivor had the CPU it asked for. When its guard saw the loop
    // behind without the CPU (descheduled: neighbours on this shared VM, which also slow
    // the run; locally 0 in quiet runs, 28 in a noisy one that refused 2), the host had
    // less capacity than measured before the run, and the guard refuses what it cannot
    // serve, for event-loop lag only, keeping goodput at 95% or more. CI refused 5 of 2,952
    // (p99 124 ms; 28 ms when quiet); a local CI run whose neighbours cut the bed's capacity
    // to 300/s from 430-570 refused 47 of 3,168 with 110 descheduled turns.
    if (survivorGuard.notOwnWork === 0) expect(refused(r)).toBe(0);
    else {
      expect(refused(r)).toBeLessThanOrEqual(Math.ceil(r.sent * 0.05));
      for (const detail of Object.keys(r.failureDetails ?? {}))
        expect(detail).toMatch(/^503 server busy: event loop/);
    }
    // nginx resends searches a dead worker dropped: failures are bounded by its in-flight few.
    expect(r.sent - (r.byOutcome['200'] ?? 0) - refused(r)).toBeLessThanOrEqual(4);
    expect(r.byOutcome.timeout ?? 0).toBe(0);
    expect(r.latency.maxMs).toBeLessThan(2000);
  }, 120_000);
});
