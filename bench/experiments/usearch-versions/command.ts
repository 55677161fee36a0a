import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeDirs } from '../../../src/core/make-dirs.ts';
import { type Command, num, str, UsageError } from '../../harness/command-line.ts';
import { envelope } from '../../harness/envelope.ts';
import type { UsearchVersionsRun } from './result.ts';

/**
 * usearch releases side by side on one data set, each under each Node binary
 * given, alternating: what an upgrade changes (2.26 wants Node 22 or later).
 */
export const usearchVersionsCommand: Command = {
  name: 'usearch-versions',
  summary:
    'usearch releases side by side (build, search QPS and p99, recall) under each Node given',
  defaultOut: () => 'bench/results/usearch-versions.json',
  thresholds: false,
  options: {
    versions: { type: 'string', default: '2.25.3,2.26.2', help: 'usearch releases (npm versions)' },
    nodes: {
      type: 'string',
      default: 'current',
      help: 'Node binaries to run them under, comma-separated ("current" is this one)',
    },
    rows: { type: 'string', default: '20000', help: 'vectors in the index' },
    dimension: { type: 'string', default: '512', help: 'their dimension' },
    queries: { type: 'string', default: '500', help: 'held-out queries timed and checked' },
    ef: { type: 'string', default: '64', help: 'search breadth' },
    rounds: { type: 'string', default: '2', help: 'alternations of every pair' },
  },
  async run(values, progress): Promise<UsearchVersionsRun> {
    const versions = str(values, 'versions').split(',');
    const nodes = str(values, 'nodes')
      .split(',')
      .map((n) => (n === 'current' ? process.execPath : resolve(n)));
    for (const n of nodes) if (!existsSync(n)) throw new UsageError(`no Node binary at ${n}`);
    const dirs = new Map<string, string>();
    for (const v of versions) {
      const dir = resolve('.data/usearch-versions', v);
      if (!existsSync(join(dir, 'node_modules/usearch'))) {
        progress(`installing usearch@${v} into ${dir}...`);
        makeDirs(dir);
        // Prebuilt binaries ship in the package: no install scripts; its engines are recorded, not enforced.
        execFileSync(
          'npm',
          [
            'install',
            '--prefix',
            dir,
            `usearch@${v}`,
            '--ignore-scripts',
            '--no-save',
            '--no-audit',
            '--no-fund',
            '--silent',
          ],
          { stdio: ['ignore', 'ignore', 'inherit'] },
        );
      }
      dirs.set(v, dir);
    }
    const rows: UsearchVersionsRun['rows'] = [];
    const args = [values.rows, values.dimension, values.queries, values.ef].map(String);
    for (let round = 1; round <= num(values, 'rounds'); round++)
      for (const node of nodes)
        for (const v of versions) {
          progress(`round ${round}: usearch ${v} under ${node}...`);
          const out = execFileSync(
            node,
            ['--import', 'tsx', 'bench/harness/runners/usearch-probe.ts', dirs.get(v)!, ...args],
            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
          );
          const row = JSON.parse(out.trim().split('\n').at(-1)!);
          progress(
            `  ${row.node} usearch ${row.usearch}: build ${row.buildSeconds.toFixed(1)} s, ${Math.round(row.searchQpsOneThread)} QPS, p99 ${row.searchP99Ms.toFixed(2)} ms, recall@10 ${row.recallAt10.toFixed(3)}`,
          );
          rows.push({ round, ...row });
        }
    return {
      ...envelope('usearch-versions', values, null, versions.join(' vs ')),
      rows,
    };
  },
};
