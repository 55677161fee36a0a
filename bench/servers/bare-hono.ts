/**
 * The baseline for the smoke bench: Hono on @hono/node-server with no backend,
 * middleware or validation. `GET /constant` answers a constant;
 * `POST /parse` reads and parses the same JSON body a search sends, then
 * answers a constant. The gap to /search is the cost of our layers + search.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
const hits = { hits: [{ id: 'item-1', distance: 0.5 }], tookMs: 0 };
app.get('/constant', (c) => c.json(hits));
app.post('/parse', async (c) => {
  await c.req.json();
  return c.json(hits);
});
const port = Number(process.env.PORT ?? 8100);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
