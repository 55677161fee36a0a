import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { VersionSource } from '../backends/cache/result-cache.ts';

/*
 * The result cache's shared state in Redis: per collection a data version and
 * a set of writes in flight (leased: a worker that dies mid-write holds
 * caching off for that collection for at most leaseMs), and answers under
 * e:<version>:<key>. A version is created from Redis's clock (microseconds),
 * so a Redis that restarted empty starts every collection past any version
 * an old entry was kept under.
 */
const READ = `
local prefix, coll, key, lease = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local vk = prefix .. 'ver:' .. coll
local ver = redis.call('GET', vk)
if not ver then
  redis.call('SET', vk, string.format('%d', t[1] * 1000000 + t[2]), 'NX')
  ver = redis.call('GET', vk)
end
local wk = prefix .. 'writing:' .. coll
redis.call('ZREMRANGEBYSCORE', wk, '-inf', now)
local writing = redis.call('ZCARD', wk)
local entry = false
if key ~= '' and writing == 0 then entry = redis.call('GET', prefix .. 'e:' .. ver .. ':' .. key) end
return { ver, writing, entry }
`;

const BEGIN = `
local prefix, coll, token, lease = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local vk = prefix .. 'ver:' .. coll
if not redis.call('GET', vk) then redis.call('SET', vk, string.format('%d', t[1] * 1000000 + t[2])) end
redis.call('INCR', vk)
if token ~= '' then
  redis.call('ZADD', prefix .. 'writing:' .. coll, now + lease, token)
  redis.call('PEXPIRE', prefix .. 'writing:' .. coll, lease * 2)
end
return 1
`;

const END = `
local prefix, coll, token = ARGV[1], ARGV[2], ARGV[3]
redis.call('INCR', prefix .. 'ver:' .. coll)
if token ~= '' then redis.call('ZREM', prefix .. 'writing:' .. coll, token) end
return 1
`;

type RedisWithScripts = Redis & {
  vsCacheRead(...a: (string | number)[]): Promise<[string, number, string | null]>;
  vsCacheBegin(...a: (string | number)[]): Promise<number>;
  vsCacheEnd(...a: (string | number)[]): Promise<number>;
};

export class RedisResultStore implements VersionSource {
  readonly #redis: RedisWithScripts;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #ttlMs: number;
  /** Collections written while Redis could not record it: their version is bumped once it can. */
  readonly #dirty = new Set<string>();
  #down = false;
  #timer: NodeJS.Timeout;
  /** Called when Redis answers again after failing: local entries may have missed versions. */
  onRecover: () => void = () => {};

  constructor(redis: Redis, opts: { prefix?: string; leaseMs?: number; ttlMs: number }) {
    this.#prefix = `${opts.prefix ?? 'vecserve'}:rc:`;
    this.#leaseMs = opts.leaseMs ?? 30_000;
    this.#ttlMs = opts.ttlMs;
    if (!('vsCacheRead' in redis)) {
      redis.defineCommand('vsCacheRead', { numberOfKeys: 0, lua: READ });
      redis.defineCommand('vsCacheBegin', { numberOfKeys: 0, lua: BEGIN });
      redis.defineCommand('vsCacheEnd', { numberOfKeys: 0, lua: END });
    }
    this.#redis = redis as RedisWithScripts;
    // Bumps owed from writes made while Redis was away, retried until Redis takes them.
    this.#timer = setInterval(() => void this.#settle(), 50);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #failed(): void {
    this.#down = true;
  }

  async #settle(): Promise<void> {
    for (const c of [...this.#dirty]) {
      try {
        await this.#redis.vsCacheBegin(this.#prefix, c, '', this.#leaseMs);
        this.#dirty.delete(c);
      } catch {
        return;
      }
    }
  }

  #up(): void {
    if (!this.#down) return;
    this.#down = false;
    this.onRecover();
  }

  async read(collection: string, key: string | null) {
    if (this.#dirty.size > 0) return null; // versions owed: nothing may be served yet
    try {
      const [version, writing, entry] = await this.#redis.vsCacheRead(
        this.#prefix,
        collection,
        key ?? '',
        this.#leaseMs,
      );
      this.#up();
      return {
        version,
        writing: writing > 0,
        shared: entry ?? null,
      };
    } catch {
      this.#failed();
      return null;
    }
  }

  async beginWrite(collection: string): Promise<string> {
    const token = randomUUID();
    try {
      await this.#redis.vsCacheBegin(this.#prefix, collection, token, this.#leaseMs);
      this.#up();
      return token;
    } catch {
      // The write goes ahead (Redis down must not fail writes); its version bump is owed, and
      // until it is paid this worker serves nothing from the cache. Workers that cannot reach
      // Redis serve nothing either; one that can, while this one cannot (a partial partition),
      // could serve an entry older than this write until the bump lands (retried every 50 ms).
      this.#failed();
      this.#dirty.add(collection);
      return '';
    }
  }

  async endWrite(collection: string, token: string): Promise<void> {
    if (!token) {
      this.#dirty.add(collection);
      return;
    }
    try {
      await this.#redis.vsCacheEnd(this.#prefix, collection, token);
    } catch {
      this.#failed();
      this.#dirty.add(collection); // the lease ends the in-flight mark; the bump is owed
    }
  }

  store(_collection: string, version: string, key: string, answer: string): void {
    this.#redis
      .set(`${this.#prefix}e:${version}:${key}`, answer, 'PX', this.#ttlMs)
      .catch(() => this.#failed());
  }
}
