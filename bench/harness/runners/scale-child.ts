/**
 * Child roles of the scale benchmark, each its own process so that its start
 * time, its memory and a SIGKILL are its own:
 *   open DATA_DIR MODE            open the backend, print {"openMs"}, exit
 *   fill DATA_DIR N               write N rows (default checkpoint policy), print "filled", wait to be killed
 *   serve DATA_DIR QUERIES_FILE   open shared, search every query once, print smaps_rollup, wait
 */
import { readFileSync } from 'node:fs';
import { EmbeddedBackend } from '../../../src/backends/embedded/embedded-backend.ts';
import type { Row } from '../../../src/core/types.ts';
import type { SyntheticVectors } from '../../../src/data/synthetic-vectors.ts';
import { SCALE_COLLECTION, scaleGenerator } from './scale-data.ts';

const [role, dataDir, arg] = process.argv.slice(2);
const t0 = performance.now();

function smaps(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * 1024;
  }
  return out;
}

if (role === 'open') {
  const b = new EmbeddedBackend({ dataDir: dataDir!, mode: arg as 'writable' | 'shared' });
  await b.init();
  const openMs = performance.now() - t0;
  console.log(JSON.stringify({ openMs, count: (await b.describe(SCALE_COLLECTION)).count }));
  const closing = performance.now();
  await b.close();
  process.stderr.write(
    `scale child: ${arg} open closed in ${Math.round(performance.now() - closing)} ms\n`,
  );
  process.exit(0);
} else if (role === 'fill') {
  const b = new EmbeddedBackend({ dataDir: dataDir!, mode: 'writable' });
  await b.init();
  const info = await b.describe(SCALE_COLLECTION);
  const gen: SyntheticVectors = scaleGenerator(info.dimension, 777);
  const n = Number(arg);
  for (let done = 0; done < n; done += 1000) {
    const rows: Row[] = [];
    for (let i = done; i < Math.min(n, done + 1000); i++) {
      rows.push({
        id: `late-${i}`,
        vector: Array.from(gen.next()),
        fields: { category: 'Z', price: 1 },
      });
    }
    await b.write(SCALE_COLLECTION, rows, { mode: 'upsert' });
  }
  console.log('filled');
  process.stderr.write(`scale child: filled ${n} rows\n`);
  setInterval(() => {}, 1000); // wait for SIGKILL
} else if (role === 'serve') {
  const b = new EmbeddedBackend({ dataDir: dataDir!, mode: 'shared', verifyOnOpen: false });
  await b.init();
  const buf = readFileSync(arg!);
  const q = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const dim = (await b.describe(SCALE_COLLECTION)).dimension;
  for (let i = 0; i < q.length / dim; i++) {
    await b.search(SCALE_COLLECTION, [q.subarray(i * dim, (i + 1) * dim)], {
      topK: 10,
      filter: [],
      outputFields: ['category', 'price'],
    });
  }
  console.log(JSON.stringify(smaps()));
  setInterval(() => {}, 1000); // stay mapped until the parent has measured the host
}
