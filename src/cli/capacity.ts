/**
 * `npm run capacity -- [--qps N --latency-ms M] [--rows N --dimension D --memory-gib G]`: the chain's limits, Little's law, memory.
 * `npm run capacity -- --backend milvus [--index TYPE]`: per Milvus index type, what 1M x 512 measured here and the query nodes the 50M scenario needs.
 */
import { totalmem } from 'node:os';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/settings.ts';
import { INDEX_TYPES, type IndexType, QUANTIZATIONS } from '../core/types.ts';
import { capacityRows, littlesLaw } from '../stack/capacity.ts';
import { EMBEDDED_MEASURED_1M, HUGE_PAGES_MEASURED_1M } from '../stack/embedded-measurements.ts';
import { estimateMemory, rescoringReads, UNCACHED_READ_US } from '../stack/memory-estimate.ts';
import { planMilvusCluster } from '../stack/milvus-cluster-plan.ts';
import { MILVUS_MEASURED_1M, scenario50M } from '../stack/milvus-index-measurements.ts';
import { parseCliArgs, positiveNumber } from './cli-args.ts';

const USAGE = `usage: npm run capacity -- [--qps N [--latency-ms M]] [--rows N [--dimension D] [--M M] [--memory-gib G]]
       npm run capacity -- --backend milvus [--index ${INDEX_TYPES.join('|')}]`;

function main(): void {
  const { values } = parseCliArgs('capacity', USAGE, {
    options: {
      qps: { type: 'string' },
      'latency-ms': { type: 'string' },
      rows: { type: 'string' },
      dimension: { type: 'string', default: '512' },
      M: { type: 'string', default: '16' },
      'memory-gib': { type: 'string' },
      backend: { type: 'string' },
      index: { type: 'string' },
    },
  });
  if (values.backend === 'milvus') {
    printMilvus(values.index);
    return;
  }
  if (values.backend !== undefined && values.backend !== 'embedded') {
    process.stderr.write(
      `capacity: --backend must be embedded or milvus, got "${values.backend}"\n${USAGE}\n`,
    );
    process.exit(2);
  }
  // Every number given is checked before anything is printed.
  for (const option of ['qps', 'latency-ms', 'rows', 'dimension', 'M', 'memory-gib'] as const)
    if (values[option] !== undefined) positiveNumber('capacity', option, values[option]);
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
    const fits = m.residentBytes <= hostBytes * 0.8;
    const verdict = fits
      ? 'fits'
      : `does not fit: ${Math.ceil(m.residentBytes / (hostBytes * 0.8))} hosts (shards) at 80% memory`;
    process.stdout.write(
      `  ${quantization}: index ${gib(m.indexBytes)} (mapped once per host) + ${shape.workers} x ${gib(m.perWorkerBytes)} per worker = ${gib(m.residentBytes)} resident; ${gib(m.dataBytes)} of raw vectors and fields on disk -> ${verdict}\n`,
    );
    const measured = EMBEDDED_MEASURED_1M.find((e) => e.quantization === quantization);
    if (measured)
      process.stdout.write(
        `      measured at 1M x 512 here: recall@10 ${measured.recall} at ef ${measured.ef}${measured.oversampling ? `, oversampling ${measured.oversampling} (${measured.oversampling * 10} raw rows read and rescored a search at topK 10)` : ''}; ${measured.httpPeakQps} answers/s through HTTP at c=${measured.httpPeakConcurrency} (one process, ${measured.httpSearchThreads} search thread${measured.httpSearchThreads === 1 ? '' : 's'}, 2 cores shared with the generator, ${measured.day}); ${measured.indexBytesPerRow} B of index a row (${measured.resultFile})\n`,
      );
    // A quantized graph rescores its candidates from the raw vectors: at this size, from disk?
    if (measured && quantization !== 'f32' && fits) {
      const candidates = (measured.oversampling ?? 1) * 10;
      const r = rescoringReads(m, hostBytes, candidates);
      process.stdout.write(
        `      rescoring here: the page cache holds ${(r.cachedShare * 100).toFixed(0)}% of the raw vectors beside the index, so of ${candidates} candidates a search reads ~${r.diskReads.toFixed(0)} from disk (rows equally likely; skewed traffic finds more cached): ${r.ioMs.toFixed(1)} ms of reads at ${UNCACHED_READ_US} us each (this VM's disk), ${r.ioMs > 0 ? `at most ${Math.floor(1000 / r.ioMs)} searches/s per search thread` : 'none from disk'}\n`,
      );
    }
  }
  const h = HUGE_PAGES_MEASURED_1M;
  const ratios = h.storeQps.map((q, i) => (h.hugePagesQps[i]! / q).toFixed(2));
  const range = (xs: readonly number[]) => `${Math.min(...xs)}-${Math.max(...xs)}`;
  process.stdout.write(
    `  graphs on huge pages (HUGE_PAGES_DIR, a tmpfs with huge=within_size): the index above then lives in that tmpfs, resident and never reclaimed (size it at the indexes plus the largest one again); measured at 1M x 512 here (i8, c=${h.concurrency}, ${h.searchThreads} search threads, ${h.day}): ${range(h.storeQps)} answers/s mapped from the store, ${range(h.hugePagesQps)} from huge pages, in alternating levels of one run (${ratios.join(' / ')}x; ${h.resultFile})\n`,
  );
}

/** Per measured index type: the 1M figures and the 50M scenario's cluster. */
function printMilvus(index: string | undefined): void {
  if (index !== undefined && !INDEX_TYPES.includes(index as IndexType))
    throw new ConfigError(
      '--index',
      `--index must be one of ${INDEX_TYPES.join(', ')}, got ${index}`,
    );
  const chosen = MILVUS_MEASURED_1M.filter((m) => index === undefined || m.indexType === index);
  if (chosen.length === 0)
    throw new ConfigError(
      '--index',
      `${index} was not measured here yet (measured: ${MILVUS_MEASURED_1M.map((m) => m.indexType).join(', ')}); run npm run bench -- scale --backend milvus --index ${index}`,
    );
  for (const m of chosen) {
    const input = scenario50M(m);
    const plan = planMilvusCluster(input);
    const params = Object.entries(m.indexParams)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const lines = [
      `Milvus ${m.indexType} (${params}), measured at 1M x 512 on ${m.cores} cores (${m.resultFile}):`,
      `  resident ${m.residentBytesPerRow} B per row (Milvus's whole RSS over the rows), recall@10 ${m.recall}, ${m.apiPeakQps} searches/s through the API at c=${m.apiPeakConcurrency} = ${Math.round(m.apiPeakQps / m.cores)} per core`,
      `  at 50M a search costs ${m.workAt50M.factor}x (modelled: ${m.workAt50M.why}) -> ${input.searchesPerCore} searches/s per core`,
      `  50M x 512, ${input.replicas} replicas, ${input.peakQps} QPS peak, ${input.node.cores} cores / ${input.node.memoryGiB} GiB per query node: ${plan.queryNodes} query nodes (memory ${plan.queryNodesForMemory}, CPU ${plan.queryNodesForCpu}; limited by ${plan.limitedBy}), ${plan.segmentMemoryGiB} GiB of segments`,
    ];
    if (m.recall < 0.9)
      lines.push(
        `  recall@10 ${m.recall} is its best here: not a serving configuration on its own (re-rank a larger candidate set exactly, or keep more bits per vector)`,
      );
    process.stdout.write(`${lines.join('\n')}\n\n`);
  }
}

try {
  main();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
