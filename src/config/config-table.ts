import { SETTINGS } from './settings.ts';

/** The settings table of docs/configuration.md, as markdown. */
export function configTable(): string {
  const fmt = (v: unknown) => (v === '' ? '(empty)' : `\`${String(v)}\``);
  const lines = [
    '| Environment | File key | Default | Gunicorn | Meaning |',
    '|---|---|---|---|---|',
    ...SETTINGS.map((s) => {
      const dflt = s.key === 'workers' ? 'CPU count' : fmt(s.default());
      return `| \`${s.env}\` | \`${s.file}\` | ${dflt} | ${s.gunicorn ? `\`${s.gunicorn}\`` : ''} | ${s.doc} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
