import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One closed-loop run of wrk. */
export interface WrkResult {
  connections: number;
  seconds: number;
  /** Answers with any status, and those that were 2xx/3xx. */
  requests: number;
  ok: number;
  non2xx: number;
  /** Socket-level failures (connect, read, write, timeout). */
  socketErrors: number;
  okPerSecond: number;
  /** Latency of completed requests, ms (wrk's own histogram, microsecond resolution). */
  latencyMs: {
    p50: number;
    p90: number;
    p95: number;
    p99: number;
    p999: number;
    min: number;
    max: number;
    mean: number;
    std: number;
  };
  /** wrk's own CPU over the run, percent of one core: near 100 per thread, it measured itself. */
  generatorCpuPercent: number;
}

/** wrk's binary (Debian package `wrk`), or a message saying how to get it. */
export function wrkBinary(): string {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    // wrk --version exits 1 after printing; only a missing binary throws ENOENT.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('wrk is not installed: apt-get install wrk (Debian), brew install wrk');
  }
  return 'wrk';
}

const LUA = (bodiesFile: string, headers: Record<string, string>[]) => `
local bodies = {}
for line in io.lines("${bodiesFile}") do bodies[#bodies + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- Header sets taken in turn, one per request (each with Content-Type), or none.
local sets = {${headers
  .map(
    (h) =>
      `{${Object.entries({ 'Content-Type': 'application/json', ...h })
        .map(([k, v]) => `[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
        .join(', ')}}`,
  )
  .join(', ')}}
local counter = 0
setup = function(thread) counter = counter + 1; thread:set("offset", counter * 7919) end
local i
init = function() i = tonumber(wrk.thread:get("offset")) or math.random(#bodies) end
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, #sets > 0 and sets[i % #sets + 1] or nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"us":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d,"min":%d,"max":%d,"mean":%f,"stdev":%f}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency:percentile(99.9), latency.min, latency.max, latency.mean, latency.stdev))
end
`;

/**
 * A closed loop from wrk (C, epoll; Debian's package): `connections` keep-alive
 * connections, each posting the next body as soon as the previous answer
 * arrived, cycling through `bodies`. Chosen for same-machine comparisons
 * because it costs its machine the least CPU per request of the generators
 * here (a sixth of a core at 5,000 req/s of 4 KB bodies): on two cores, what
 * the generator takes, the servers lose. Its own CPU is reported with every run.
 */
export async function runWrk(opts: {
  url: string;
  path: string;
  bodies: readonly string[];
  connections: number;
  seconds: number;
  threads?: number;
  timeoutSeconds?: number;
  /** Extra request headers, one set per request in turn (API keys of several clients, say). */
  headers?: Record<string, string>[];
  /** e.g. "0": pin wrk to these CPUs (taskset), away from the server. */
  cpus?: string;
}): Promise<WrkResult> {
  const bin = wrkBinary();
  const dir = mkdtempSync(join(tmpdir(), 'vecserve-wrk-'));
  try {
    const bodiesFile = join(dir, 'bodies.txt');
    writeFileSync(bodiesFile, `${opts.bodies.join('\n')}\n`);
    writeFileSync(join(dir, 'post.lua'), LUA(bodiesFile, opts.headers ?? []));
    const threads = Math.max(1, Math.min(opts.threads ?? 1, opts.connections));
    const args = [
      `-t${threads}`,
      `-c${opts.connections}`,
      `-d${opts.seconds}s`,
      `--timeout`,
      `${opts.timeoutSeconds ?? 10}s`,
      '-s',
      join(dir, 'post.lua'),
      `${opts.url}${opts.path}`,
    ];
    // The shell's `times` gives wrk's CPU (its children's) once it has exited.
    const script = `"$0" "$@"; times`;
    const out = await new Promise<string>((resolve, reject) => {
      const argv = opts.cpus ? ['taskset', '-c', opts.cpus, bin, ...args] : [bin, ...args];
      const child = spawn('bash', ['-c', script, ...argv], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d;
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d;
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${err.trim()}`)),
      );
    });
    const line = out.split('\n').find((l) => l.startsWith('WRK-JSON '));
    if (!line) throw new Error(`wrk printed no summary: ${out.slice(0, 500)}`);
    const j = JSON.parse(line.slice('WRK-JSON '.length)) as Record<string, number>;
    const timesLines = out.trim().split('\n').slice(-1)[0]!; // children: "0m1.23s 0m0.45s"
    const secs = [...timesLines.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
      (s, m) => s + Number(m[1]) * 60 + Number(m[2]),
      0,
    );
    const seconds = j.us! / 1e6;
    const ok = j.requests! - j.non2xx!;
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      connections: opts.connections,
      seconds,
      requests: j.requests!,
      ok,
      non2xx: j.non2xx!,
      socketErrors: j.connect! + j.read! + j.write! + j.timeout!,
      okPerSecond: ok / seconds,
      latencyMs: {
        p50: ms(j.p50!),
        p90: ms(j.p90!),
        p95: ms(j.p95!),
        p99: ms(j.p99!),
        p999: ms(j.p999!),
        min: ms(j.min!),
        max: ms(j.max!),
        mean: ms(j.mean!),
        std: ms(j.stdev!),
      },
      generatorCpuPercent: Math.round((secs / seconds) * 100),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
