import { describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../src/backends/embedded/embedded-backend.ts';
import { demoSpec, ensureDemoCollection } from '../../src/data/demo-collection.ts';
import { silentLogger, tempDir } from '../helpers.ts';

describe('ensureDemoCollection', () => {
  it('creates and fills the demo; a second call leaves it alone; an empty one left by a failed first start is filled', async () => {
    const { dir, cleanup } = tempDir();
    const b = new EmbeddedBackend({ dataDir: dir, mode: 'writable' });
    await b.init();
    try {
      const opts = { name: 'products', size: 300, dimension: 8, logger: silentLogger };
      await ensureDemoCollection(b, opts);
      expect((await b.describe('products')).count).toBe(300);
      // A user's change to a demo with rows is theirs: not undone at the next start.
      await b.delete('products', ['item-0']);
      await ensureDemoCollection(b, opts);
      expect((await b.describe('products')).count).toBe(299);

      await b.createCollection(demoSpec('half_made', 8));
      await ensureDemoCollection(b, { ...opts, name: 'half_made' });
      expect((await b.describe('half_made')).count).toBe(300);
    } finally {
      await b.close();
      cleanup();
    }
  });
});
