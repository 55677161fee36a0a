/**
 * The live view of a run (`--ui`): a page on loopback that charts the
 * per-second figures while the run goes, fed by server-sent events. Late
 * joiners get the history first. No external assets (works offline).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecondFigures } from '../runners/time-series.ts';

export interface LiveSummary {
  sent: number;
  ok: number;
  errors: number;
  p99Ms: number;
  bottlenecks: string[];
}

export interface LiveView {
  url: string;
  second(row: SecondFigures): void;
  done(summary: LiveSummary): void;
  close(): Promise<void>;
}

export async function startLiveView(opts: { port?: number; title: string }): Promise<LiveView> {
  const history: string[] = [];
  const clients = new Set<ServerResponse>();
  const send = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    history.push(frame);
    for (const c of clients) c.write(frame);
  };
  const server = createServer((req, res) => {
    if (req.url === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      for (const frame of history) res.write(frame);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(opts.title));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    second: (row) => send('second', row),
    done: (summary) => send('done', summary),
    close: async () => {
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const page = (title: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title.replace(/</g, '&lt;')} (live)</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222} .charts{display:grid;grid-template-columns:repeat(2,minmax(300px,1fr));gap:1rem}
svg{width:100%;height:180px;border:1px solid #ddd;background:#fff} h2{font-size:14px;margin:.2rem 0}
#status{font-weight:600} table{border-collapse:collapse} td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}
.legend span{margin-right:1rem}
</style></head><body>
<h1>${title.replace(/</g, '&lt;')}</h1>
<p>Status: <span id="status">running</span> · seconds <span id="seconds">0</span> · ok <span id="ok">0</span> · errors <span id="errors">0</span></p>
<p id="bottlenecks"></p>
<div class="charts">
 <div><h2>Requests per second (offered, ok)</h2><svg id="rps"></svg></div>
 <div><h2>Latency of the second's answers (p50, p95, p99 ms)</h2><svg id="lat"></svg></div>
 <div><h2>Errors per second and in flight</h2><svg id="err"></svg></div>
 <div><h2>Server CPU % and event-loop lag ms (from /v1/stats)</h2><svg id="srv"></svg></div>
</div>
<table id="last"></table>
<script>
const rows = [];
const colors = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd'];
function draw(id, series) {
  const svg = document.getElementById(id), W = svg.clientWidth || 400, H = 180, pad = 30;
  const xs = rows.length, max = Math.max(1, ...series.flatMap((s) => s.values.filter((v) => v != null)));
  let out = '<text x="4" y="12" font-size="10">' + Math.round(max) + '</text>';
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => v == null ? null : [pad + (i * (W - pad - 5)) / Math.max(1, xs - 1), H - 15 - (v / max) * (H - 30)]).filter(Boolean);
    out += '<polyline class="series" fill="none" stroke="' + colors[k] + '" stroke-width="1.5" points="' + pts.map((p) => p.join(',')).join(' ') + '"/>';
    out += '<text x="' + (pad + 70 * k) + '" y="' + (H - 2) + '" font-size="10" fill="' + colors[k] + '">' + s.name + '</text>';
  });
  svg.innerHTML = out;
}
function render() {
  const ok = rows.reduce((a, r) => a + r.ok, 0), errs = rows.reduce((a, r) => a + Object.values(r.errors).reduce((x, y) => x + y, 0), 0);
  document.getElementById('seconds').textContent = rows.length;
  document.getElementById('ok').textContent = ok;
  document.getElementById('errors').textContent = errs;
  draw('rps', [{ name: 'offered', values: rows.map((r) => r.offered) }, { name: 'ok', values: rows.map((r) => r.ok) }]);
  draw('lat', [{ name: 'p50', values: rows.map((r) => r.p50Ms) }, { name: 'p95', values: rows.map((r) => r.p95Ms) }, { name: 'p99', values: rows.map((r) => r.p99Ms) }]);
  draw('err', [{ name: 'errors', values: rows.map((r) => Object.values(r.errors).reduce((x, y) => x + y, 0)) }, { name: 'in flight', values: rows.map((r) => r.inFlight) }]);
  draw('srv', [{ name: 'CPU %', values: rows.map((r) => r.server && r.server.cpuPercent) }, { name: 'lag ms', values: rows.map((r) => r.server && r.server.eventLoopLagMs) }]);
  const r = rows[rows.length - 1];
  if (r) document.getElementById('last').innerHTML = '<tr><th>second</th><th>offered</th><th>sent</th><th>ok</th><th>p99 ms</th><th>in flight</th></tr><tr><td>' + [r.second, r.offered, r.sent, r.ok, r.p99Ms, r.inFlight].join('</td><td>') + '</td></tr>';
}
const events = new EventSource('/events');
events.addEventListener('second', (e) => { const row = JSON.parse(e.data); rows[row.second] = row; render(); });
events.addEventListener('done', (e) => {
  const s = JSON.parse(e.data);
  document.getElementById('status').textContent = 'done';
  document.getElementById('ok').textContent = s.ok;
  document.getElementById('errors').textContent = s.errors;
  document.getElementById('bottlenecks').textContent = 'Bottlenecks: ' + s.bottlenecks.join('; ');
  events.close();
});
</script></body></html>`;
