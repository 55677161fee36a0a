/**
 * The floor: the least a Node server can do for a vecserve search. node:http,
 * the body read and parsed with JSON.parse, the vector copied into a
 * Float32Array, one usearch search of vecserve's own snapshot index (memory-
 * mapped, as vecserve's workers map it) on the event loop, plus the exact scan of
 * the few rows the snapshot lists as unreachable, as vecserve does, and the hits (ids
 * and distances: vecserve's answer) serialized with JSON.stringify. No
 * framework, validation, admission, metrics or logging, and plain JavaScript
 * (no TypeScript loader): the gap between this and vecserve on the same index
 * is what vecserve's layers cost. `npm run bench -- floor` runs it beside the
 * real server, so every change is judged against it in the same run.
 *
 *   node bench/servers/floor-server.mjs DATA_DIR COLLECTION PORT
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Index, MetricKind, ScalarKind } from 'usearch';

const [dataDir = '.data', name = 'products', portArg = '8100'] = process.argv.slice(2);
const dir = join(dataDir, 'collections', name);
const snapshot = join(dir, readFileSync(join(dir, 'CURRENT'), 'utf8').trim());
const manifest = JSON.parse(readFileSync(join(snapshot, 'manifest.json'), 'utf8'));
const { dimension, metric, index: params } = manifest.spec;
const index = new Index({
  dimensions: dimension,
  metric: { L2: MetricKind.L2sq, IP: MetricKind.IP, COSINE: MetricKind.Cos }[metric],
  quantization: { f32: ScalarKind.F32, f16: ScalarKind.F16, i8: ScalarKind.I8 }[
    params.quantization
  ],
  connectivity: params.M,
  expansion_add: 16,
  // Breadth comes from k = max(topK, ef), as in vecserve (see hnsw-index.ts).
  expansion_search: 1,
  multi: false,
});
index.view(join(snapshot, 'index.usearch'));

// Ids held in memory, decoded once: naming a hit costs nothing per request.
const data = join(dir, `data-${manifest.generation}`);
const ends = new Float64Array(readFileSync(join(data, 'ids.ends')).buffer.slice(0));
const bytes = readFileSync(join(data, 'ids.utf8'));
const ids = new Array(manifest.slots);
for (let slot = 0, start = 0; slot < manifest.slots; slot++) {
  const raw = ends[slot];
  const end = raw < 0 ? -raw - 1 : raw;
  ids[slot] = bytes.toString('utf8', start, end);
  start = end;
}
const similarity = metric !== 'L2';

// Rows the graph cannot reach from their own vector (listed in the manifest when the
// snapshot was written) are scanned exactly by vecserve on every search: so here too,
// or the two answer differently whenever a query's neighbour is one of them.
const unreachable = manifest.unreachable ?? [];
const rawVectors = new Float32Array(
  readFileSync(join(data, 'vectors.f32')).buffer.slice(0),
  0,
  manifest.slots * dimension,
);
function usearchDistance(q, slot) {
  const at = slot * dimension;
  let dot = 0;
  let qq = 0;
  let vv = 0;
  let l2 = 0;
  for (let i = 0; i < dimension; i++) {
    const a = q[i];
    const b = rawVectors[at + i];
    dot += a * b;
    qq += a * a;
    vv += b * b;
    l2 += (a - b) * (a - b);
  }
  if (metric === 'L2') return l2;
  if (metric === 'IP') return 1 - dot;
  return 1 - dot / (Math.sqrt(qq * vv) || 1);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const topK = body.topK ?? 10;
      const k = Math.max(topK, body.params?.ef ?? params.efSearch);
      const q = new Float32Array(body.vector);
      const found = index.search(q, k, 1);
      const near = [];
      for (let i = 0; i < found.keys.length; i++)
        near.push({ slot: Number(found.keys[i]), d: found.distances[i] });
      if (unreachable.length > 0) {
        const seen = new Set(near.map((n) => n.slot));
        for (const slot of unreachable)
          if (!seen.has(slot)) near.push({ slot, d: usearchDistance(q, slot) });
        near.sort((a, b) => a.d - b.d);
      }
      const hits = [];
      for (let i = 0; i < near.length && hits.length < topK; i++) {
        const { slot, d } = near[i];
        hits.push({ id: ids[slot], distance: similarity ? 1 - d : d });
      }
      const out = JSON.stringify({ hits });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(out),
      });
      res.end(out);
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  });
});
server.keepAliveTimeout = 75_000;
server.listen(Number(portArg), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// Exit normally on Ctrl-C too (SIGTERM closes gracefully above), so `node --cpu-prof` writes a profile.
process.on('SIGINT', () => process.exit(0));
