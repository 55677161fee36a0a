#!/usr/bin/env node
// Builds the publishable client package, packages/client/: the client's
// JavaScript (esbuild, type stripping; it has no runtime imports) and the
// .d.ts of the client and of the API schemas its types come from (tsc), with
// import paths rewritten from .ts to .js so a consumer's TypeScript (or an
// editor on a plain JS project) resolves them.
//
//   node deploy/tools/build-client.mjs    (npm run client:build; npm run client:pack packs it)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = join(root, 'packages/client');
const out = join(pkg, 'dist');
const entry = join(root, 'src/client/vecserve-client.ts');
const require = createRequire(import.meta.url);

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'client'), { recursive: true });

const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [entry],
  outfile: join(out, 'client/vecserve-client.js'),
  bundle: true, // nothing to bundle today; a runtime import added later comes along
  packages: 'external',
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  logLevel: 'warning',
});

const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin/tsc');
execFileSync(
  process.execPath,
  [
    tsc,
    entry,
    '--declaration',
    '--emitDeclarationOnly',
    '--allowImportingTsExtensions',
    '--rootDir',
    join(root, 'src'),
    '--outDir',
    out,
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--target',
    'ES2022',
    '--strict',
    '--skipLibCheck',
    '--types',
    'node',
  ],
  { cwd: root, stdio: 'inherit' },
);

// Relative imports in the declarations point at the .d.ts beside them.
(function rewrite(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) rewrite(p);
    else if (e.name.endsWith('.d.ts')) {
      const text = readFileSync(p, 'utf8').replace(/(from\s+'\.{1,2}\/[^']+)\.ts'/g, "$1.js'");
      writeFileSync(p, text);
    }
  }
})(out);
console.log(`client: built ${out}`);
