/**
 * `npm run config:docs [-- --write]`: prints the settings table, or with
 * --write puts it into docs/configuration.md in place of the one there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable } from '../config/config-table.ts';

const table = configTable();
if (process.argv.includes('--write')) {
  const file = 'docs/configuration.md';
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('| Environment |'));
  let end = start;
  while (end < lines.length && lines[end]!.startsWith('|')) end++;
  lines.splice(start, end - start, ...table.trimEnd().split('\n'));
  writeFileSync(file, lines.join('\n'));
  process.stdout.write(`${file} updated\n`);
} else process.stdout.write(table);
