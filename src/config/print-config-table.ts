/** Prints the configuration table of docs/configuration.md (`npm run config:docs`). */
import { SETTINGS } from './settings.ts';

const fmt = (v: unknown) => (v === '' ? '(empty)' : `\`${String(v)}\``);
const lines = [
  '| Environment | File key | Default | Gunicorn | Meaning |',
  '|---|---|---|---|---|',
  ...SETTINGS.map((s) => {
    const dflt = s.key === 'workers' ? 'CPU count' : fmt(s.default());
    return `| \`${s.env}\` | \`${s.file}\` | ${dflt} | ${s.gunicorn ? `\`${s.gunicorn}\`` : ''} | ${s.doc} |`;
  }),
];
process.stdout.write(`${lines.join('\n')}\n`);
