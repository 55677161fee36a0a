/**
 * Child process of `bench -- usearch-versions`: one usearch build (argv[2],
 * the package's folder) on this Node, measured on one synthetic data set.
 * Prints one JSON line: build time, single-thread search QPS and p99 at one
 * ef, recall@10 against exact neighbours.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { percentile } from '../../../src/core/statistics.ts';
import { SyntheticVectors } from '../../../src/data/synthetic-vectors.ts';
import { exactKnnL2, meanRecall } from '../analysis/recall.ts';

const [packageDir, rowsArg, dimArg, queriesArg, efArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const dimension = Number(dimArg);
const nq = Number(queriesArg);
const ef = Number(efArg);
const entry = createRequire(join(packageDir!, 'noop.js')).resolve('usearch');
type Usearch = typeof import('usearch');
const loaded = (await import(pathToFileURL(entry).href)) as Usearch & { default?: Usearch };
const { Index, MetricKind, ScalarKind } = loaded.default ?? loaded;

const gen = new SyntheticVectors({ dimension, seed: 7 });
const base = Array.from({ length: rows }, () => gen.next());
const queries = Array.from({ length: nq }, () => gen.next());
const matrix = new Float32Array(rows * dimension);
for (const [i, v] of base.entries()) matrix.set(v, i * dimension);
const keys = BigUint64Array.from({ length: rows }, (_, i) => BigInt(i));

const index = new Index({
  dimensions: dimension,
  metric: MetricKind.L2sq,
  quantization: ScalarKind.F32,
  connectivity: 16,
  expansion_add: 200,
  expansion_search: ef,
  multi: false,
});
let t = performance.now();
index.add(keys, matrix, 0);
const buildSeconds = (performance.now() - t) / 1000;

// One warm pass, then timed single-thread searches, one query at a time (as the server runs them).
for (const q of queries) index.search(q, 10, 1);
const times: number[] = [];
const found: string[][] = [];
t = performance.now();
for (const q of queries) {
  const s = performance.now();
  const r = index.search(q, 10, 1);
  times.push(performance.now() - s);
  found.push(Array.from(r.keys, (k) => String(k)));
}
const searchSeconds = (performance.now() - t) / 1000;
times.sort((a, b) => a - b);
const truth = exactKnnL2(
  base,
  base.map((_, i) => String(i)),
  queries,
  10,
);
process.stdout.write(
  `${JSON.stringify({
    node: process.version,
    usearch: JSON.parse(
      readFileSync(join(packageDir!, 'node_modules/usearch/package.json'), 'utf8'),
    ).version,
    buildSeconds,
    addsPerSecond: rows / buildSeconds,
    searchQpsOneThread: nq / searchSeconds,
    searchP99Ms: percentile(times, 0.99),
    recallAt10: meanRecall(found, truth, 10),
  })}\n`,
);
