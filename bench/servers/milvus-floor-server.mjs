/**
 * The floor over Milvus: the least a Node server can do for a vecserve search
 * on Milvus. node:http, the body read and parsed with JSON.parse, the vector
 * copied into a Float32Array, one Milvus Search encoded by hand and sent on one
 * gRPC-over-HTTP/2 connection (vecserve's own encoder and connection, compiled
 * in dist/: the transport is what this floor shares with vecserve, so what
 * separates the two is everything else), the answer decoded by the SDK's
 * definition and the hits (ids and distances) serialized with JSON.stringify.
 * No framework, validation, admission, batching, metrics or logging, and plain
 * JavaScript. `npm run bench -- milvus-pool` runs it beside the API and
 * pymilvus, so the API's gap to a Python client is split into what any Node
 * HTTP hop costs and what vecserve's layers add.
 *
 *   node bench/servers/milvus-floor-server.mjs MILVUS_ADDRESS COLLECTION PORT [EF]
 *
 * Needs `npm run build` first (it imports dist/).
 */
import { createServer } from 'node:http';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { Http2EncodedCalls } from '../../dist/backends/milvus/encoded-call.js';
import {
  encodeSearchRequest,
  readSearchResults,
} from '../../dist/backends/milvus/search-request.js';

const [address = '127.0.0.1:19530', collection = 'bench_pool_512', portArg = '8251', efArg] =
  process.argv.slice(2);
const ef = Number(efArg ?? 64);

const client = new MilvusClient({ address, maxRetries: 0 });
const described = await client.describeCollection({ collection_name: collection });
if (described.status.error_code !== 'Success') throw new Error(described.status.reason);
const fields = described.schema.fields;
const vectorField = fields.find((f) => f.data_type === 'FloatVector' || f.data_type === 101);
const primary = fields.find((f) => f.is_primary_key);
const consistency = { Strong: 0, Session: 1, Bounded: 2, Eventually: 3 }[
  described.consistency_level
];
const calls = new Http2EncodedCalls();

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.end('ok'); // readiness
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const topK = body.topK ?? 10;
      const request = encodeSearchRequest({
        collection,
        annsField: vectorField.name,
        metric: 'L2',
        topK,
        params: { ef: Math.max(ef, topK) },
        filter: '',
        outputFields: [primary.name],
        consistencyLevel: consistency ?? 2,
        vectors: [Float32Array.from(body.vector)],
      });
      const answer = await calls.call(client, 'Search', request, { timeoutMs: 10_000 });
      if (answer.status?.error_code && answer.status.error_code !== 'Success')
        throw new Error(answer.status.reason);
      const [hits] = readSearchResults(answer, 1, []);
      const out = JSON.stringify({ hits });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(out),
      });
      res.end(out);
    } catch (err) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end(String(err?.message ?? err));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portArg), '127.0.0.1', () => {
  process.stdout.write(`milvus floor listening on ${portArg}\n`);
});
const stop = () => {
  server.close();
  calls.close();
  void client.closeConnection();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
