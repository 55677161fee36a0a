import { type AnyRun, kindOf } from '../result.ts';
import { headline } from './tables.ts';

export const SECTION_START =
  '<!-- bench-summary:start (npm run bench -- report --readme README.md FILES) -->';
export const SECTION_END = '<!-- bench-summary:end -->';

const fmt = (v: number) => (v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10));

/** What limited a run, in a few words, from what it measured. */
function limitedBy(run: AnyRun): string {
  return kindOf(run).limitedBy?.(run) ?? '-';
}

/**
 * A short Markdown table of runs (headline figure, p99, what limited it,
 * the file and the commit it was measured at), for a README section that is
 * regenerated from result files rather than typed.
 */
export function summaryMarkdown(runs: { run: AnyRun; file: string }[]): string {
  const rows = runs
    .map(({ run, file }) => {
      const h = headline(run);
      if (!h) return null;
      const commit = run.environment.gitCommit
        ? `${String(run.environment.gitCommit).slice(0, 7)}${run.environment.gitDirty ? '+' : ''}`
        : '-';
      return `| ${run.label} | ${h.throughputName}: **${fmt(h.throughput)}** | ${h.p99Ms === null ? '-' : fmt(h.p99Ms)} | ${limitedBy(run)} | [${file.split('/').pop()}](${file}) | ${commit}, ${run.createdAt.slice(0, 10)} |`;
    })
    .filter((r): r is string => r !== null);
  return [
    '| run | figure | p99 ms there | what limited it | result | commit, date |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Replaces the text between the section markers of `document` with `body`. */
export function replaceSection(document: string, body: string): string {
  const a = document.indexOf(SECTION_START);
  const b = document.indexOf(SECTION_END);
  if (a < 0 || b < a)
    throw new Error(`no section to replace: put ${SECTION_START} and ${SECTION_END} in the file`);
  return `${document.slice(0, a + SECTION_START.length)}\n${body}\n${document.slice(b)}`;
}
