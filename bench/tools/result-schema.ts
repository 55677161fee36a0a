/**
 * `npm run bench:schema [-- --write]`: prints the JSON schema of every bench
 * result, generated from the result kinds' zod schemas, or with --write puts
 * it in bench/harness/result.schema.json (a test fails when that file is stale).
 */
import { writeFileSync } from 'node:fs';
import { resultJsonSchema } from '../harness/result.ts';

const SCHEMA_FILE = 'bench/harness/result.schema.json';

const text = `${JSON.stringify(resultJsonSchema(), null, 2)}\n`;
if (process.argv.includes('--write')) {
  writeFileSync(SCHEMA_FILE, text);
  process.stdout.write(`${SCHEMA_FILE} written\n`);
} else process.stdout.write(text);
