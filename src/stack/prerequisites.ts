/**
 * What each workflow (start, test, stack, bench) needs on this machine, and
 * the command that installs what is missing. `npm run doctor` prints it;
 * `npm test` runs it first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { locateNginx } from './stack.ts';

export type Workflow = 'start' | 'test' | 'stack' | 'bench';

export interface Check {
  name: string;
  /** Workflows that cannot run without it. */
  neededBy: Workflow[];
  run: () =>
    | Promise<{ ok: boolean; detail: string; fix?: string }>
    | { ok: boolean; detail: string; fix?: string };
}

const has = (cmd: string, args: string[] = ['--version']) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.error ? null : (`${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '');
};

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
};

/** What each workflow needs; `env` decides where binaries are looked for (NGINX_BIN) and what is skipped. */
export function prerequisites(env: NodeJS.ProcessEnv = process.env): Check[] {
  return [
    {
      name: 'Node.js',
      neededBy: ['start', 'test', 'stack', 'bench'],
      run: () => {
        const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
        // process.loadEnvFile (.env) needs 20.12. Tested on 20, 22 and 24.
        const ok = (major === 20 && minor >= 12) || major === 22 || major === 24;
        return {
          ok,
          detail: `${process.version} (the project needs ${pkg.engines.node})`,
          fix: 'install Node.js 24 or 22 (LTS), or 20.12 or later: https://nodejs.org or your package manager',
        };
      },
    },
    {
      name: 'nginx',
      neededBy: ['test', 'stack'],
      run: () => {
        // The same lookup the stack uses, so what passes here is what stack:up runs.
        const path = locateNginx(env);
        const v = path ? has(path, ['-v']) : null;
        return {
          ok: v !== null,
          detail: v
            ? `${v} (${path})`
            : env.NGINX_BIN
              ? `not found at NGINX_BIN=${env.NGINX_BIN}`
              : 'not found',
          fix: 'apt-get install nginx (Debian/Ubuntu), or set NGINX_BIN to its path',
        };
      },
    },
    {
      name: 'Chromium',
      neededBy: ['test'],
      run: () => {
        const ok = existsSync('/usr/bin/chromium');
        return {
          ok,
          detail: ok
            ? '/usr/bin/chromium'
            : 'not at /usr/bin/chromium (HTML reports and /docs are checked in it)',
          fix: 'apt-get install chromium',
        };
      },
    },
    {
      name: 'Prometheus and promtool (the shipped rules are checked against the stack)',
      neededBy: ['test'],
      run: () => {
        const v = has('prometheus', ['--version']);
        const t = has('promtool', ['--version']);
        return {
          ok: v !== null && t !== null,
          detail: v ?? 'not found',
          fix: 'apt-get install prometheus (Debian; brings promtool)',
        };
      },
    },
    {
      name: 'python3 with venv (Milvus from PyPI)',
      // SKIP_MILVUS=1 npm test skips the Milvus tests explicitly.
      neededBy: env.SKIP_MILVUS === '1' ? [] : ['test'],
      run: () => {
        const v = has('python3');
        if (v === null)
          return {
            ok: false,
            detail: 'python3 not found',
            fix: 'apt-get install python3 python3-venv',
          };
        const venv = spawnSync('python3', ['-c', 'import venv, ensurepip'], { encoding: 'utf8' });
        return {
          ok: venv.status === 0,
          detail:
            venv.status === 0
              ? `${v}, venv and ensurepip present`
              : `${v}, but venv/ensurepip missing`,
          fix: 'apt-get install python3-venv',
        };
      },
    },
    {
      name: 'wrk (the closed-loop generator of the floor comparison)',
      neededBy: ['test', 'bench'],
      run: () => {
        // wrk prints its version and exits 1: only a missing binary is a failure.
        const v = has('wrk', ['--version']);
        return {
          ok: v !== null,
          detail: v ?? 'not found',
          fix: 'apt-get install wrk (Debian), brew install wrk',
        };
      },
    },
    {
      name: 'Milvus (installed by the repo on first use)',
      neededBy: [],
      run: () => {
        const ok = existsSync('.venv/milvus-standalone') || existsSync('.venv/milvus-lite');
        return {
          ok,
          detail: ok
            ? 'venv present'
            : 'not installed yet: npm test / npm run milvus:up installs it (about 60 s)',
        };
      },
    },
    {
      name: 'port 8000 (npm start) and 8080/8081 (the stack)',
      neededBy: [],
      run: async () => {
        const busy = [];
        for (const p of [8000, 8080, 8081]) if (!(await portFree(p))) busy.push(p);
        return {
          ok: busy.length === 0,
          detail:
            busy.length === 0
              ? 'free'
              : `in use: ${busy.join(', ')} (set PORT / NGINX_LISTEN, or stop what holds them)`,
        };
      },
    },
  ];
}

export interface DoctorReport {
  /** One line per check, with ok / MISSING / note. */
  lines: string[];
  missing: number;
  /** The install commands for what is missing, once each. */
  fixes: string[];
}

/** Runs the checks; with a workflow, only what it needs can be MISSING (and passing checks are quiet). */
export async function runDoctor(
  workflow?: Workflow,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DoctorReport> {
  const lines: string[] = [];
  const fixes: string[] = [];
  let missing = 0;
  for (const c of prerequisites(env)) {
    const r = await c.run();
    const needed = workflow ? c.neededBy.includes(workflow) : c.neededBy.length > 0;
    const mark = r.ok ? 'ok  ' : needed ? 'MISSING' : 'note';
    if (!r.ok && needed) {
      missing++;
      if (r.fix) fixes.push(r.fix);
    }
    if (!(workflow && r.ok))
      lines.push(
        `${mark.padEnd(8)} ${c.name}: ${r.detail}${c.neededBy.length ? ` [needed by: ${c.neededBy.join(', ')}]` : ''}`,
      );
  }
  return { lines, missing, fixes: [...new Set(fixes)] };
}
