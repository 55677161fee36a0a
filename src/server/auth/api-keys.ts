import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What a key may do; each role includes the ones before it. */
export const ROLES = ['search', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const roleAllows = (held: Role, needed: Role): boolean =>
  ROLES.indexOf(held) >= ROLES.indexOf(needed);

export interface ApiKey {
  /** Shown in logs, metrics and rate-limit keys; the secret never is. */
  name: string;
  role: Role;
  /** sha256 of the secret. */
  hash: Buffer;
}

const sha256 = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

const NAME = /^[\w.-]{1,64}$/;

function parseRole(raw: string, where: string): Role {
  if (!(ROLES as readonly string[]).includes(raw))
    throw new Error(`${where}: role must be one of ${ROLES.join(', ')}, got "${raw}"`);
  return raw as Role;
}

/**
 * API_KEYS: `name:role:secret` entries separated by commas (the secret is
 * hashed at once and not kept). For keys at rest, use a keys file.
 */
export function parseKeyList(list: string): ApiKey[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry, i) => {
      const [name, role, ...rest] = entry.split(':');
      const secret = rest.join(':');
      const where = `API_KEYS entry ${i + 1}`;
      if (!name || !NAME.test(name)) throw new Error(`${where}: name must match ${NAME}`);
      if (secret.length < 16)
        throw new Error(`${where} ("${name}"): the secret must have 16 characters or more`);
      return { name, role: parseRole(role ?? '', where), hash: sha256(secret) };
    });
}

/**
 * A keys file: one key per line, `name role sha256:<64 hex>`; # starts a
 * comment. Only hashes are at rest (`npm run keys -- new NAME ROLE` adds one).
 */
export function parseKeyFile(text: string, file: string): ApiKey[] {
  const keys: ApiKey[] = [];
  text.split('\n').forEach((line, i) => {
    const content = line.replace(/#.*/, '').trim();
    if (content === '') return;
    const where = `${file}:${i + 1}`;
    const [name, role, digest, extra] = content.split(/\s+/);
    const m = /^sha256:([0-9a-f]{64})$/.exec(digest ?? '');
    if (!name || !NAME.test(name) || !role || !m || extra !== undefined)
      throw new Error(`${where}: expected "name role sha256:<64 hex digits>"`);
    keys.push({ name, role: parseRole(role, where), hash: Buffer.from(m[1]!, 'hex') });
  });
  return keys;
}

/** A new random secret and the line that stores its hash in a keys file. */
export function newKey(name: string, role: Role): { secret: string; line: string } {
  if (!NAME.test(name)) throw new Error(`name must match ${NAME}`);
  const secret = `vs_${randomBytes(24).toString('base64url')}`;
  return { secret, line: `${name} ${role} sha256:${sha256(secret).toString('hex')}` };
}

/**
 * The server's keys, from API_KEYS and API_KEYS_FILE. A presented secret is
 * hashed and compared with every key in constant time, so neither which key
 * matched nor how much of it did shows in the timing.
 */
export class ApiKeys {
  readonly #keys: ApiKey[];

  constructor(keys: ApiKey[]) {
    const names = new Set<string>();
    for (const k of keys) {
      if (names.has(k.name)) throw new Error(`API key name "${k.name}" is used twice`);
      names.add(k.name);
    }
    this.#keys = keys;
  }

  static load(opts: { list: string; file: string }): ApiKeys {
    const keys = parseKeyList(opts.list);
    if (opts.file !== '') keys.push(...parseKeyFile(readFileSync(opts.file, 'utf8'), opts.file));
    return new ApiKeys(keys);
  }

  get size(): number {
    return this.#keys.length;
  }

  /** The key a secret belongs to, or null. */
  identify(secret: string): { name: string; role: Role } | null {
    const hash = sha256(secret);
    let found: ApiKey | null = null;
    for (const k of this.#keys) if (timingSafeEqual(k.hash, hash)) found = k;
    return found ? { name: found.name, role: found.role } : null;
  }
}
