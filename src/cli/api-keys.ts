/**
 * `npm run keys -- new NAME ROLE [--file FILE]`: makes an API key, appends its
 * hash to the keys file (API_KEYS_FILE, default .data/api-keys) and prints the
 * key once; only the hash is kept. Roles: search, write, admin.
 */
import { appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirs } from '../core/make-dirs.ts';
import { newKey, ROLES, type Role } from '../server/auth/api-keys.ts';
import { parseCliArgs } from './cli-args.ts';

const USAGE = `usage: npm run keys -- new NAME ROLE [--file FILE]\n  ROLE: ${ROLES.join(' | ')}\n  FILE: default API_KEYS_FILE or .data/api-keys`;
const { values, positionals } = parseCliArgs('keys', USAGE, {
  options: { file: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  allowPositionals: true,
});
const [command, name, role] = positionals;
if (
  values.help ||
  command !== 'new' ||
  !name ||
  !role ||
  !(ROLES as readonly string[]).includes(role)
) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}
const file = values.file ?? (process.env.API_KEYS_FILE || '.data/api-keys');
try {
  const { secret, line } = newKey(name, role as Role);
  makeDirs(dirname(file));
  appendFileSync(file, `${line}\n`, { mode: 0o600 });
  process.stdout.write(
    `${secret}\n\nKey "${name}" (${role}) added to ${file}; the key above is shown only now.\nStart the server with API_KEYS_FILE=${file}; clients send Authorization: Bearer <key>.\n`,
  );
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
