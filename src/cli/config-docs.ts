/**
 * `npm run config:docs [-- --write]`: prints the settings tables, or with
 * --write puts them into docs/configuration.md between its markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable, withConfigTable } from '../config/config-table.ts';

if (process.argv.includes('--write')) {
  const file = 'docs/configuration.md';
  writeFileSync(file, withConfigTable(readFileSync(file, 'utf8')));
  process.stdout.write(`${file} updated\n`);
} else process.stdout.write(configTable());
