/** `npm run capacity -- [--qps N --latency-ms M] [--rows N --dimension D --memory-gib G]`: the chain's limits, Little's law, memory. */
import { totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/settings.ts';
import { QUANTIZATIONS } from '../core/types.ts';
import { capacityRows, littlesLaw } from '../stack/capacity.ts';
import { estimateMemory } from '../stack/memory-estimate.ts';

function main(): void {
  const { values } = parseArgs({
    options: {
      qps: { type: 'string' },
      'latency-ms': { type: 'string' },
      rows: { type: 'string' },
      dimension: { type: 'string', default: '512' },
      M: { type: 'string', default: '16' },
      'memory-gib': { type: 'string' },
    },
  });
  const config = loadConfig();
  const rows = capacityRows(config);
  const pad = (s: string, n: number) => s.padEnd(n);
  process.stdout.write(`${pad('layer', 10)}${pad('limit', 52)}${pad('value', 10)}note\n`);
  for (const r of rows) {
    process.stdout.write(
      `${pad(r.layer, 10)}${pad(r.limit, 52)}${pad(r.value === null ? '-' : String(r.value), 10)}${r.note}\n`,
    );
  }
  if (values.qps) {
    const qps = Number(values.qps);
    const latencyMs = Number(values['latency-ms'] ?? 100);
    const { needed, narrowest } = littlesLaw(rows, qps, latencyMs);
    process.stdout.write(
      `\nLittle's law: ${qps} QPS at ${latencyMs} ms needs ${needed} requests in flight; ` +
        `the narrowest in-flight limit is ${narrowest?.layer} ${narrowest?.limit} = ${narrowest?.value}` +
        `${narrowest?.value !== null && narrowest && (narrowest.value ?? 0) < needed ? ' (too small!)' : ''}.\n` +
        'In-flight limits bound concurrency only; whether the CPUs hold that rate is for `npm run bench -- slo` to measure.\n',
    );
  }
  if (values.rows) printMemory(config, values);
}

function printMemory(
  config: Config,
  values: { rows?: string; dimension?: string; M?: string; 'memory-gib'?: string },
): void {
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const hostBytes = values['memory-gib'] ? Number(values['memory-gib']) * 2 ** 30 : totalmem();
  const shape = {
    rows: Number(values.rows),
    dimension: Number(values.dimension),
    M: Number(values.M),
    workers: config.workers,
  };
  process.stdout.write(
    `\nEmbedded backend, ${shape.rows} x ${shape.dimension} (M ${shape.M}, ${shape.workers} workers sharing one mapped index), host ${gib(hostBytes)}:\n`,
  );
  for (const quantization of QUANTIZATIONS) {
    const m = estimateMemory({ ...shape, quantization });
    const verdict =
      m.residentBytes <= hostBytes * 0.8
        ? 'fits'
        : `does not fit: ${Math.ceil(m.residentBytes / (hostBytes * 0.8))} hosts (shards) at 80% memory`;
    process.stdout.write(
      `  ${quantization}: index ${gib(m.indexBytes)} (mapped once per host) + ${shape.workers} x ${gib(m.perWorkerBytes)} per worker = ${gib(m.residentBytes)} resident; ${gib(m.dataBytes)} of raw vectors and fields on disk -> ${verdict}\n`,
    );
  }
}

try {
  main();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
