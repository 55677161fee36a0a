import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { makeDirs } from '../../../src/core/make-dirs.ts';
import { type Command, readRun, UsageError } from '../command-line.ts';
import { sweepCharts } from '../kinds/sweep/report.ts';
import { renderHtml } from '../report/html.ts';
import { replaceSection, summaryMarkdown } from '../report/markdown.ts';
import { printRun } from '../report/terminal.ts';

/** Terminal tables and one self-contained HTML page of any result files, compared. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'HTML (self-contained, charts, two runs compared) + terminal tables of result files',
  positionals: 'A.json [B.json ...]',
  thresholds: false,
  options: {
    in: { type: 'string', multiple: true, help: 'a result file (or give them as arguments)' },
    charts: { type: 'string', help: 'also write each sweep chart as an SVG file into this folder' },
    readme: {
      type: 'string',
      help: 'rewrite the bench summary section of this Markdown file (e.g. README.md) from the runs',
    },
  },
  async run(values, _progress, positionals) {
    const files = [...((values.in as string[] | undefined) ?? []), ...positionals];
    if (files.length === 0)
      throw new UsageError('report needs result files: report a.json b.json (or --in a.json)');
    const runs = files.map(readRun);
    for (const r of runs) printRun(r);
    if (typeof values.readme === 'string') {
      const file = values.readme;
      const rel = (f: string) => relative(dirname(resolve(file)), resolve(f));
      const text = replaceSection(
        readFileSync(file, 'utf8'),
        summaryMarkdown(runs.map((run, i) => ({ run, file: rel(files[i]!) }))),
      );
      writeFileSync(file, text);
      console.log(`bench summary in ${file} rewritten from ${files.length} result files`);
    }
    const out = typeof values.out === 'string' ? values.out : 'bench/results/report.html';
    writeFileSync(out, renderHtml(runs));
    console.log(`report written to ${out}`);
    if (typeof values.charts === 'string') {
      // Stand-alone SVG charts of each sweep, e.g. for a README.
      const dir = values.charts;
      makeDirs(dir);
      const sweeps = runs.filter((r) => r.kind === 'sweep');
      sweeps.forEach((r, i) => {
        const names = ['qps', 'latency', 'latency-vs-qps', 'failures'];
        for (const [j, svg] of sweepCharts(r).entries()) {
          const suffix = sweeps.length > 1 ? `-${i + 1}` : '';
          writeFileSync(join(dir, `sweep${suffix}-${names[j]}.svg`), svg);
        }
      });
      console.log(`charts written to ${dir}/`);
    }
    return 0;
  },
};
