import { Hono } from 'hono';
import { openApiDocument } from '../openapi.ts';

/** /openapi.json and /docs: the API described, and a page to try it. */
export function docsRoutes(version: string) {
  const docs = new Hono();
  docs.get('/openapi.json', (c) => c.json(openApiDocument(version)));
  docs.get('/docs', (c) => c.html(DOCS_PAGE));
  return docs;
}

// Self-contained (no CDN): reads /openapi.json and renders a form per operation.
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vecserve API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} .op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4.5rem;font-weight:600;text-transform:uppercase}
.get{color:#0a6}.post{color:#06c}.delete{color:#c30} code,textarea,pre{font:13px ui-monospace,monospace}
textarea{width:100%;height:6rem} pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:20rem}
.role{float:right;color:#777;font-size:13px} input{font:inherit}
</style></head><body>
<h1>vecserve API</h1><p id="intro"></p>
<p>API key (if the server requires one): <input id="key" type="password" size="40" placeholder="sent as Authorization: Bearer"></p>
<div id="ops">Loading /openapi.json…</div>
<script>
const examples = {
  'post /v1/collections': {name: 'docs_demo', dimension: 4, fields: [{name: 'category', type: 'string', maxLength: 16}]},
  'post /v1/collections/{name}/search': {vector: [0.1, 0.2, 0.3, 0.4], topK: 5},
  'post /v1/collections/{name}/search/batch': {vectors: [[0.1, 0.2, 0.3, 0.4]], topK: 5},
  'post /v1/collections/{name}/vectors': {rows: [{id: 'a', vector: [0.1, 0.2, 0.3, 0.4], category: 'A'}]},
  'delete /v1/collections/{name}/vectors': {ids: ['a']},
};
const esc = (s) => String(s).replace(/[&<>"]/g, (ch) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'})[ch]);
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('intro').textContent = doc.info.description;
  const ops = document.getElementById('ops'); ops.textContent = '';
  for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) {
    const key = method + ' ' + path, div = document.createElement('div'); div.className = 'op';
    const body = op.requestBody ? JSON.stringify(examples[key] || {}, null, 1) : null;
    div.innerHTML = '<span class="role">role: ' + esc(op['x-required-role']) + '</span><span class="m ' + method + '">' + method +
      '</span> <code>' + esc(path) + '</code> — ' + esc(op.summary) +
      (path.includes('{name}') ? '<br>name: <input class="name" value="products">' : '') +
      (body !== null ? '<textarea class="body">' + esc(body) + '</textarea>' : '') +
      '<br><button>Send</button> <span class="status"></span><pre class="out" hidden></pre>' +
      '<details><summary>statuses</summary><pre>' + esc(Object.entries(op.responses).map(([s, r]) => s + ' ' + r.description).join('\\n')) + '</pre></details>';
    div.querySelector('button').onclick = async () => {
      const name = div.querySelector('.name'), text = div.querySelector('.body'), key = document.getElementById('key').value;
      const url = path.replace('{name}', encodeURIComponent(name ? name.value : ''));
      const headers = {'content-type': 'application/json'}; if (key) headers.authorization = 'Bearer ' + key;
      const res = await fetch(url, {method: method.toUpperCase(), headers, body: text ? text.value : undefined});
      const out = div.querySelector('.out'); out.hidden = false;
      div.querySelector('.status').textContent = res.status + ' ' + res.statusText;
      const t = await res.text(); try { out.textContent = JSON.stringify(JSON.parse(t), null, 1); } catch { out.textContent = t; }
    };
    ops.appendChild(div);
  }
});
</script></body></html>`;
