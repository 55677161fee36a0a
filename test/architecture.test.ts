import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layout of src/, lowest first: a folder imports only from folders on a
 * lower line (or from itself). README.md's layout picture draws the same.
 */
const LAYERS: string[][] = [
  ['core'],
  ['config', 'observability'],
  ['limits', 'api'],
  ['balance'],
  ['backends'],
  ['cluster'],
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

function importsOf(file: string, root = SRC): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g))
    out.push(relative(root, resolve(dirname(file), m[1]!)));
  return out;
}

/**
 * The packages a module loads when it is imported: its static value imports
 * (and re-exports), followed through the files of the project; `import type`
 * and dynamic `import()` load nothing then.
 */
function staticallyLoaded(entry: string): string[] {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const statements = /^(?:import|export)\s+(?!type\s)(?:[^;'"]*?\sfrom\s+)?'([^']+)'/gm;
    for (const m of text.matchAll(statements)) {
      const target = m[1]!;
      if (target.startsWith('.')) visit(resolve(dirname(file), target));
      else if (!target.startsWith('node:')) packages.add(target);
    }
  };
  visit(entry);
  return [...packages];
}

/**
 * Import cycles among the files under `root` (type-only imports included: a
 * cycle of types is still two files that cannot be read one before the
 * other), each as its files in a loop. Tarjan's strongly connected components.
 */
function importCycles(root: string): string[][] {
  const nodes = files(root).map((f) => relative(root, f));
  const known = new Set(nodes);
  const edges = new Map(
    nodes.map((n) => [n, importsOf(join(root, n), root).filter((t) => known.has(t))]),
  );
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  return cycles;
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

  it('has no import cycle in src/ or bench/, inside a folder or across', () => {
    expect(importCycles(SRC)).toEqual([]);
    expect(importCycles(join(import.meta.dirname, '../bench'))).toEqual([]);
  });

  it('finds an import cycle when there is one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.ts';\nexport type A = B;\n");
      writeFileSync(join(dir, 'b.ts'), "import { c } from './c.ts';\nexport type B = typeof c;\n");
      writeFileSync(
        join(dir, 'c.ts'),
        "import type { A } from './a.ts';\nexport const c: A | 1 = 1;\n",
      );
      writeFileSync(join(dir, 'd.ts'), "import { c } from './c.ts';\nexport const d = c;\n");
      expect(importCycles(dir)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
  it('a server on the embedded store loads neither the Milvus SDK nor ioredis (loaded when chosen)', () => {
    // Each cost a worker start-up time and memory it never uses: together 0.5 s and 37 MB.
    const heavy = ['@zilliz/milvus2-sdk-node', 'ioredis'];
    const found = staticallyLoaded(join(SRC, 'cli/serve.ts')).filter((p) => heavy.includes(p));
    expect(found).toEqual([]);
  });

  it('sees a package loaded through a chain of static imports', () => {
    const all = staticallyLoaded(join(SRC, 'backends/milvus/open-milvus-backend.ts'));
    expect(all).toContain('@zilliz/milvus2-sdk-node');
  });
});
