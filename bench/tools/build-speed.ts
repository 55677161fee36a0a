// Where a graph build's time goes (issue #28): usearch's add over the scale set's data
// (`npm run bench -- scale` generates the same), by efConstruction, add batch, threads and
// scalar kind, each built alone in this process, then recall@10 at ef 64/128/256 against
// exact ground truth (200 held-out queries). One JSON line per variant on stdout.
//
//   node --import tsx bench/tools/build-speed.ts [rows=100000] [variants=base,...]
//
// Data and ground truth are cached under .data/scale-data/. Results:
// bench/results/build-speed-*.jsonl (see docs/benchmarks.md, "Where a build's time goes").
import { Index, MetricKind, ScalarKind } from 'usearch';
import { scaleData } from '../harness/runners/scale-data.ts';

const ROWS = Number(process.argv[2] ?? 100_000);
const DIM = 512;
const data = scaleData('.data/scale-data', ROWS, DIM, 200, 10, console.log);
const nq = data.queries.length / DIM;
const variants = (process.argv[3] ?? 'base,f16,efc100,f16efc100').split(',');
const all: Record<string, { efc: number; batch: number; threads: number; q: string }> = {
  base: { efc: 200, batch: 10_000, threads: 0, q: 'f32' },
  t1: { efc: 200, batch: 10_000, threads: 1, q: 'f32' },
  b1k: { efc: 200, batch: 1_000, threads: 0, q: 'f32' },
  b100k: { efc: 200, batch: 100_000, threads: 0, q: 'f32' },
  efc128: { efc: 128, batch: 10_000, threads: 0, q: 'f32' },
  efc100: { efc: 100, batch: 10_000, threads: 0, q: 'f32' },
  efc64: { efc: 64, batch: 10_000, threads: 0, q: 'f32' },
  f16: { efc: 200, batch: 10_000, threads: 0, q: 'f16' },
  f16efc128: { efc: 128, batch: 10_000, threads: 0, q: 'f16' },
  f16efc100: { efc: 100, batch: 10_000, threads: 0, q: 'f16' },
};
for (const name of variants) {
  const v = all[name];
  if (!v) throw new Error(`unknown variant "${name}"; known: ${Object.keys(all).join(', ')}`);
  const index = new Index({
    metric: MetricKind.L2sq,
    connectivity: 16,
    dimensions: DIM,
    expansion_add: v.efc,
    expansion_search: 1,
    quantization: v.q === 'f16' ? ScalarKind.F16 : ScalarKind.F32,
    multi: false,
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let start = 0; start < ROWS; start += v.batch) {
    const n = Math.min(v.batch, ROWS - start);
    const keys = new BigUint64Array(n);
    for (let i = 0; i < n; i++) keys[i] = BigInt(start + i);
    index.add(keys, data.vectors.subarray(start * DIM, (start + n) * DIM), v.threads);
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const recall: Record<number, number> = {};
  for (const ef of [64, 128, 256]) {
    let hit = 0;
    for (let i = 0; i < nq; i++) {
      const m = index.search(data.queries.subarray(i * DIM, (i + 1) * DIM), Math.max(10, ef), 1);
      const top = new Set(Array.from(m.keys.subarray(0, 10), Number));
      for (let j = 0; j < 10; j++) if (top.has(data.truth[i * 10 + j]!)) hit++;
    }
    recall[ef] = hit / (nq * 10);
  }
  console.log(
    JSON.stringify({
      variant: name,
      ...v,
      rows: ROWS,
      seconds: +secs.toFixed(1),
      rowsPerSecond: Math.round(ROWS / secs),
      cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(1),
      recall,
    }),
  );
}
