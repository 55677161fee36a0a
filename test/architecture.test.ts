import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layout of src/, lowest first: a folder imports only from folders on a
 * lower line (or from itself). README.md's layout picture draws the same.
 */
const LAYERS: string[][] = [
  ['core', 'config', 'observability'],
  ['limits', 'api'],
  ['balance'],
  ['backends'],
  ['data', 'lifecycle'],
  ['server', 'stack', 'client'],
  ['cli'],
];

/** The settings reach components only through the composition root (and the entries). */
const MAY_IMPORT_CONFIG = ['server/compose.ts', 'server/run-server.ts', /^stack\//, /^cli\//];

const SRC = join(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? files(join(dir, e.name))
      : /\.(ts|mjs)$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g))
    out.push(relative(SRC, resolve(dirname(file), m[1]!)));
  return out;
}

const folderOf = (path: string) => path.split('/')[0]!;
const rank = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));

describe('architecture', () => {
  const all = files(SRC).map((f) => relative(SRC, f));

  it('every folder of src/ has a place in the layers', () => {
    const folders = [...new Set(all.map(folderOf))];
    expect(folders.filter((f) => rank(f) < 0)).toEqual([]);
  });

  it('no folder imports a folder above it (or beside it)', () => {
    const wrong: string[] = [];
    for (const file of all) {
      const from = folderOf(file);
      for (const target of importsOf(join(SRC, file))) {
        if (target.startsWith('..')) continue; // package.json and the like
        const to = folderOf(target);
        if (to !== from && rank(to) >= rank(from)) wrong.push(`${file} -> ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the settings reach components in one hop, through the composition root', () => {
    const wrong = all.filter(
      (file) =>
        folderOf(file) !== 'config' &&
        importsOf(join(SRC, file)).some((t) => t.startsWith('config/')) &&
        !MAY_IMPORT_CONFIG.some((p) => (typeof p === 'string' ? p === file : p.test(file))),
    );
    expect(wrong).toEqual([]);
  });

  it('only worker-identity.ts reads the PM2 worker variables', () => {
    const readers = all.filter((file) =>
      /(?<!\w)(process\.)?env\.(NODE_APP_INSTANCE|pm_id)\b/.test(
        readFileSync(join(SRC, file), 'utf8'),
      ),
    );
    expect(readers).toEqual(['lifecycle/worker-identity.ts']);
  });

  it('every entry script is in src/cli and stays a few lines over a library', () => {
    const entries = all.filter((file) =>
      /^(if \(import\.meta|main\(\)|\w+\(\)\.catch|await import)/m.test(
        readFileSync(join(SRC, file), 'utf8'),
      ),
    );
    expect(entries.filter((f) => !f.startsWith('cli/'))).toEqual([]);
  });
});
