/**
 * The refusal floor: the least a Node server can do to refuse a request.
 * node:http answering every request 503 problem+json with Retry-After, the
 * body left unread (Node drains it), nothing else. Under a flood, what this
 * costs per request estimates what a Node server can keep for its own work:
 * `npm run bench -- overload` runs it under the same flood as the real
 * server, so goodput is judged against the ceiling the floor allows.
 *
 *   node bench/servers/refusal-floor.mjs PORT
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8110);
const body = JSON.stringify({
  type: 'urn:vecserve:problem:overloaded',
  title: 'Server overloaded',
  status: 503,
  code: 'overloaded',
  detail: 'server busy',
});
const server = createServer((req, res) => {
  if (req.url === '/readyz') {
    res.end('ok');
    return;
  }
  res.writeHead(503, {
    'content-type': 'application/problem+json',
    'retry-after': '1',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});
server.listen(port, '127.0.0.1');
// Nothing to drain: a refusal is all it serves.
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
