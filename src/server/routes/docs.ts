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
// Bodies that carry vectors are written for the named collection's dimension
// (read from GET /v1/collections/{name}); 4 until that answers.
const vector = (dim) => Array.from({length: dim}, (_, i) => Math.round(Math.sin(i + 1) * 1000) / 1000);
const examples = {
  'post /v1/collections': () => ({name: 'docs_demo', dimension: 4, fields: [{name: 'category', type: 'string', maxLength: 16}]}),
  'post /v1/collections/{name}/search': (dim) => ({vector: vector(dim), topK: 5}),
  'post /v1/collections/{name}/search/batch': (dim) => ({vectors: [vector(dim)], topK: 5}),
  'post /v1/collections/{name}/vectors': (dim) => ({rows: [{id: 'a', vector: vector(dim), category: 'A'}]}),
  'delete /v1/collections/{name}/vectors': () => ({ids: ['a']}),
};
const example = (key, dim) => JSON.stringify(examples[key] ? examples[key](dim) : {}, null, 1);
const headers = () => { const h = {'content-type': 'application/json'}, k = document.getElementById('key').value; if (k) h.authorization = 'Bearer ' + k; return h; };
async function dimensionOf(name) {
  try {
    const res = await fetch('/v1/collections/' + encodeURIComponent(name), {headers: headers()});
    return res.ok ? (await res.json()).dimension : null;
  } catch { return null; }
}
const esc = (s) => String(s).replace(/[&<>"]/g, (ch) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'})[ch]);
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('intro').textContent = doc.info.description;
  const ops = document.getElementById('ops'); ops.textContent = '';
  for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) {
    const key = method + ' ' + path, div = document.createElement('div'); div.className = 'op';
    const body = op.requestBody ? example(key, 4) : null;
    div.innerHTML = '<span class="role">role: ' + esc(op['x-required-role']) + '</span><span class="m ' + method + '">' + method +
      '</span> <code>' + esc(path) + '</code> — ' + esc(op.summary) +
      (path.includes('{name}') ? '<br>name: <input class="name" value="products">' : '') +
      (body !== null ? '<textarea class="body">' + esc(body) + '</textarea>' : '') +
      '<br><button>Send</button> <span class="status"></span><pre class="out" hidden></pre>' +
      '<details><summary>statuses</summary><pre>' + esc(Object.entries(op.responses).map(([s, r]) => s + ' ' + r.description).join('\\n')) + '</pre></details>';
    const name = div.querySelector('.name'), text = div.querySelector('.body');
    // An example the user has not edited follows the collection named beside it.
    let written = body;
    const fit = async () => {
      if (!name || !text || text.value !== written) return;
      const dim = await dimensionOf(name.value);
      if (dim && text.value === written) text.value = written = example(key, dim);
    };
    if (name) { name.addEventListener('change', fit); fit(); }
    div.querySelector('button').onclick = async () => {
      await fit();
      const url = path.replace('{name}', encodeURIComponent(name ? name.value : ''));
      const res = await fetch(url, {method: method.toUpperCase(), headers: headers(), body: text ? text.value : undefined});
      const out = div.querySelector('.out'); out.hidden = false;
      div.querySelector('.status').textContent = res.status + ' ' + res.statusText;
      const t = await res.text(); try { out.textContent = JSON.stringify(JSON.parse(t), null, 1); } catch { out.textContent = t; }
    };
    ops.appendChild(div);
  }
});
</script></body></html>`;
