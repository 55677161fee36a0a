import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** Compiles src/ to dist/ (deploy/tools/build.mjs): what `npm start` and PM2 run. */
export function buildServer(opts: { verbose?: boolean } = {}): void {
  execFileSync(process.execPath, [join(ROOT, 'deploy/tools/build.mjs')], {
    stdio: ['ignore', opts.verbose ? 'inherit' : 'ignore', 'inherit'],
  });
}

/**
 * Creates (or tops up) a synthetic collection on a Milvus with the repo's
 * prepare-data CLI: `size` rows of `dimension`, indexed and loaded.
 */
export function prepareMilvusCollection(opts: {
  address: string;
  collection: string;
  size: number | string;
  dimension: number;
  /** Print the CLI's progress (default: quiet). */
  verbose?: boolean;
}): void {
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/prepare-data.ts',
      'create',
      '--collection',
      opts.collection,
      '--size',
      String(opts.size),
      '--dimension',
      String(opts.dimension),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, BACKEND: 'milvus', MILVUS_ADDRESS: opts.address },
      stdio: ['ignore', opts.verbose ? 'inherit' : 'ignore', 'inherit'],
    },
  );
}
