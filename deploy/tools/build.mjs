#!/usr/bin/env node
// Compiles src/ to plain JavaScript in dist/ (same tree, one .js per .ts), so
// `npm start` and PM2 run the server without a TypeScript loader in the
// process. Type stripping only (esbuild, ~0.1 s); `npm run typecheck` checks
// the types. Why not tsx at run time: tsx compiles with esbuild's keepNames,
// which wraps every function created per request in a naming call; the
// compiled server spent 12% less CPU per search request (bench/results/floor.json).
//
//   node deploy/tools/build.mjs        (npm run build; npm start runs it first)
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');
const out = join(root, 'dist');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // A production install without devDependencies runs the dist/ built before it.
  if (existsSync(join(out, 'cli/serve.js'))) process.exit(0);
  console.error('build: esbuild is not installed (npm install) and there is no dist/ to run');
  process.exit(1);
}

const entryPoints = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) entryPoints.push(p);
  }
})(src);

// Every import stays an import: relative ones of a .ts file point at its .js.
const keepImports = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const path = args.path.startsWith('.') ? args.path.replace(/\.ts$/, '.js') : args.path;
      return { path, external: true };
    });
  },
};

const started = performance.now();
const result = await esbuild.build({
  entryPoints,
  outdir: out,
  outbase: src,
  bundle: true,
  plugins: [keepImports],
  format: 'esm',
  platform: 'node',
  target: 'node20.12',
  sourcemap: 'linked',
  logLevel: 'warning',
  write: false,
});

// Servers may be running from dist/ (a PM2 cluster recycling a worker loads it
// again): each file is replaced by a rename, only when it changed, and files
// no longer built are removed last. No moment with a missing or half-written file.
const built = new Set();
let changed = 0;
for (const file of result.outputFiles) {
  built.add(file.path);
  if (existsSync(file.path) && readFileSync(file.path).equals(file.contents)) continue;
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(`${file.path}.tmp`, file.contents);
  renameSync(`${file.path}.tmp`, file.path);
  changed++;
}
(function prune(dir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      prune(p);
      if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
    } else if (!built.has(p)) rmSync(p);
  }
})(out);
if (process.argv.includes('--verbose'))
  console.log(
    `build: ${entryPoints.length} files to ${relative(root, out)}/ (${changed} changed) in ${Math.round(performance.now() - started)} ms`,
  );
