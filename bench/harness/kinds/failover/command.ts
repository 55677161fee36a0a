/**
 * failover — how the front balancer serves a lost host, HAProxy (active health
 * checks) against nginx (open source: passive checks only), on the multi-host
 * test bed with 3 API hosts. Per front, two phases under one open-loop rate:
 * every process of a host SIGKILLed, and a host partitioned (its link down).
 * Per phase: failed requests, requests slower than 1 s, the longest wait, and
 * seconds until a second served what it was offered again.
 *
 * Root only (namespaces, cgroups); haproxy and nginx from Debian.
 *   npm run bench -- failover [--fronts haproxy,nginx] [--rate 400] [--seconds 14]
 */

import { bed } from '../../../lib/bed.ts';
import { searchBodies } from '../../../lib/query-bodies.ts';
import {
  type Command,
  num,
  type Progress,
  str,
  UsageError,
  type Values,
} from '../../command-line.ts';
import { envelope } from '../../envelope.ts';
import { openLoop, secondsUntilServed } from '../../runners/open-loop.ts';
import type { FailoverPhase, FailoverRun } from './result.ts';

const URL = 'http://127.0.0.1:8090';
const PATH = '/v1/collections/products/search';

export const failoverCommand: Command = {
  name: 'failover',
  summary:
    'a host SIGKILLed and one partitioned under load, behind HAProxy (active checks) and nginx (passive): failed, slow, recovery',
  defaultOut: () => 'bench/results/failover-fronts.json',
  options: {
    fronts: { type: 'string', default: 'haproxy,nginx', help: 'front balancers to compare' },
    rate: { type: 'string', default: '400', help: 'searches per second, open loop' },
    seconds: { type: 'string', default: '14', help: 'seconds per phase (the event at 4 s)' },
  },
  run: (values, progress) => runFailover(values, progress),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runFailover(values: Values, progress: Progress): Promise<FailoverRun> {
  if (process.getuid?.() !== 0) throw new UsageError('failover needs root (network namespaces)');
  const fronts = str(values, 'fronts').split(',');
  for (const f of fronts)
    if (f !== 'haproxy' && f !== 'nginx') throw new UsageError(`unknown front "${f}"`);
  const rate = num(values, 'rate');
  const seconds = num(values, 'seconds');
  const eventAt = 4;
  const bodies = searchBodies(200, 512);
  const phases: FailoverPhase[] = [];
  for (const front of fronts) {
    const env = { ...process.env, BED_FRONT: front, BED_RATE_LIMIT: '0' };
    progress(`${front}: 3 hosts`);
    await bed(['down'], env);
    await bed(['up', '3'], env);
    await sleep(1500); // HAProxy's rise 2 x 250 ms; nginx needs nothing
    try {
      for (const event of ['kill', 'partition'] as const) {
        const load = openLoop({
          url: URL,
          stages: [{ rate, seconds }],
          request: (i) => ({
            path: PATH,
            body: bodies[i % bodies.length]!,
            headers: { 'x-api-key': `bed-load-secret-${String(i % 30).padStart(4, '0')}` },
          }),
          sampleServer: false,
          timeoutMs: 30_000,
        });
        await sleep(eventAt * 1000);
        if (event === 'kill') await bed(['host-kill', '2'], env);
        else await bed(['link', '3', 'down'], env);
        const r = await load;
        if (event === 'kill') await bed(['host-up', '2'], env);
        else await bed(['link', '3', 'up'], env);
        await sleep(3000); // back in rotation before the next phase
        const phase: FailoverPhase = {
          front,
          event,
          sent: r.sent,
          byOutcome: r.byOutcome,
          failed: r.sent - (r.byOutcome['200'] ?? 0),
          // Every load runner counts it; only result files written before it lack it.
          slowerThan1s: r.overOneSecond ?? 0,
          maxMs: r.latencyAll.maxMs,
          p99Ms: r.latencyAll.p99Ms,
          recoverySeconds: secondsUntilServed(r, eventAt),
        };
        phases.push(phase);
        progress(
          `${front} ${event}: failed ${phase.failed} of ${phase.sent}, max ${phase.maxMs} ms, p99 ${phase.p99Ms} ms, served again after ${phase.recoverySeconds} s`,
        );
      }
    } finally {
      await bed(['down'], env).catch(() => {});
    }
  }
  return {
    ...envelope('failover', values, null, 'HAProxy against nginx as the front balancer'),
    ratePerSecond: rate,
    seconds,
    eventAtSecond: eventAt,
    phases,
  };
}
