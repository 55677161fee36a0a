import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer } from '../embedded-server.ts';
import { tempDir } from '../helpers.ts';

const ROOT = join(import.meta.dirname, '../..');

/**
 * The client as a Node team gets it: `npm pack` of packages/client, unpacked
 * into a plain JavaScript project's node_modules (no TypeScript, no loader),
 * imported by name and used against a running server; and its types, checked
 * by tsc over that JavaScript (checkJs), catch a wrong call.
 */
describe('the @vecserve/client package', () => {
  const { dir, cleanup } = tempDir();
  let stop: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    const started = await startEmbeddedServer({ size: 50, dimension: 4, config: {} });
    stop = started.stop;
    url = started.running.url;
  });
  afterAll(async () => {
    await stop?.();
    cleanup();
  });

  it('packs into a tarball a plain JavaScript project imports, calls and type-checks', async () => {
    const packDir = join(dir, 'pack');
    mkdirSync(packDir);
    execFileSync('npm', ['pack', './packages/client', '--pack-destination', packDir, '--silent'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'))!;
    const listing = execFileSync('tar', ['-tzf', join(packDir, tarball)], { encoding: 'utf8' });
    expect(listing).toContain('package/dist/client/vecserve-client.js');
    expect(listing).toContain('package/dist/client/vecserve-client.d.ts');
    const sources = listing.split('\n').filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(sources).toEqual([]); // declarations, not TypeScript sources

    const project = join(dir, 'app');
    const installed = join(project, 'node_modules/@vecserve/client');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(packDir, tarball), '-C', installed, '--strip-components=1']);
    // Its one dependency (types only) from the repo's install, as npm would place it.
    symlinkSync(join(ROOT, 'node_modules/zod'), join(project, 'node_modules/zod'));
    // And Node's own types, as a project that type-checks Node code has.
    mkdirSync(join(project, 'node_modules/@types'));
    symlinkSync(join(ROOT, 'node_modules/@types/node'), join(project, 'node_modules/@types/node'));
    writeFileSync(join(project, 'package.json'), '{"name":"app","type":"module","private":true}');
    writeFileSync(
      join(project, 'main.js'),
      `import { VecserveClient, VecserveError } from '@vecserve/client';
const vs = new VecserveClient(process.argv[2]);
const { hits } = await vs.search('products', { vector: [0.1, 0.2, 0.3, 0.4], topK: 3 });
const wrong = await vs.search('products', { vector: [1] }).catch((e) => e);
console.log(JSON.stringify({ hits: hits.length, error: wrong instanceof VecserveError, status: wrong.status, code: wrong.code }));
`,
    );
    // Not execFileSync: the server answering it runs in this process.
    const { stdout: ran } = await promisify(execFile)(process.execPath, ['main.js', url], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(JSON.parse(ran)).toEqual({ hits: 3, error: true, status: 400, code: 'invalid_request' });

    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const check = (file: string) =>
      execFileSync(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--allowJs',
          '--checkJs',
          '--module',
          'NodeNext',
          '--moduleResolution',
          'NodeNext',
          '--target',
          'ES2022',
          '--skipLibCheck',
          file,
        ],
        { cwd: project, encoding: 'utf8' },
      );
    expect(() => check('main.js')).not.toThrow();
    writeFileSync(
      join(project, 'typo.js'),
      `import { VecserveClient } from '@vecserve/client';
await new VecserveClient('http://x').search('products', { vectr: [1], topK: 'ten' });
`,
    );
    let complaint = '';
    try {
      check('typo.js');
    } catch (err) {
      complaint = String((err as { stdout?: string }).stdout);
    }
    expect(complaint).toMatch(/typo\.js.*error TS/);
  }, 120_000);
});
