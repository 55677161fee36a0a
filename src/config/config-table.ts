import { SETTING_AREAS } from './settings.ts';

/** The settings tables of docs/configuration.md, one per area, as markdown. */
export function configTable(): string {
  const fmt = (v: unknown) => (v === '' ? '(empty)' : `\`${String(v)}\``);
  return SETTING_AREAS.map(({ area, settings }) =>
    [
      `### ${area}`,
      '',
      '| Environment | File key | Default | Gunicorn | Meaning |',
      '|---|---|---|---|---|',
      ...settings.map((s) => {
        const dflt = s.key === 'workers' ? 'CPU count' : fmt(s.default());
        return `| \`${s.env}\` | \`${s.file}\` | ${dflt} | ${s.gunicorn ? `\`${s.gunicorn}\`` : ''} | ${s.doc} |`;
      }),
      '',
    ].join('\n'),
  ).join('\n');
}

const START = '<!-- settings:start -->';
const END = '<!-- settings:end -->';

/** `document` with the tables between its settings markers rewritten. */
export function withConfigTable(document: string): string {
  const a = document.indexOf(START);
  const b = document.indexOf(END);
  if (a < 0 || b < a) throw new Error(`no ${START} ... ${END} markers to write between`);
  return `${document.slice(0, a + START.length)}\n${configTable()}${document.slice(b)}`;
}
