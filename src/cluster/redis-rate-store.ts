import type { Redis } from 'ioredis';
import type {
  SharedDelta,
  SharedKeyCounts,
  SharedRateStore,
  SharedSyncReply,
} from '../limits/cluster-rate-limiter.ts';

/*
 * One round trip per sync, atomic: the worker's heartbeat, its counts added to
 * the current window's hash of each key, and every key's counts of the current
 * and previous windows read back. A window's hash holds `a` (admitted), `s`
 * (seen) and one field per worker (what that worker saw), and expires after
 * three windows. Keys are built inside the script, so this runs on one Redis
 * (or a Redis Cluster only with every key in one slot: the {prefix} hash tag).
 */
const SYNC_SCRIPT = `
local prefix, window, worker, now = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local live = prefix .. 'workers'
redis.call('ZADD', live, now, worker)
redis.call('ZREMRANGEBYSCORE', live, '-inf', now - tonumber(ARGV[5]))
redis.call('PEXPIRE', live, 60000)
local out = { redis.call('ZCARD', live) }
local function add(hash, admitted, seen)
  if admitted > 0 then redis.call('HINCRBY', hash, 'a', admitted) end
  if seen > 0 then
    redis.call('HINCRBY', hash, 's', seen)
    redis.call('HINCRBY', hash, worker, seen)
    redis.call('PEXPIRE', hash, 3000)
  end
end
local i = 6
while i <= #ARGV do
  local key = ARGV[i]
  local cur = prefix .. key .. ':' .. window
  local prev = prefix .. key .. ':' .. (window - 1)
  add(cur, tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]))
  add(prev, tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]))
  local c = redis.call('HMGET', cur, 'a', 's', worker)
  local p = redis.call('HMGET', prev, 'a', 's', worker)
  for j = 1, 3 do out[#out + 1] = tonumber(c[j]) or 0 end
  for j = 1, 3 do out[#out + 1] = tonumber(p[j]) or 0 end
  i = i + 5
end
return out
`;

type RedisWithSync = Redis & {
  vecserveRateSync(...args: (string | number)[]): Promise<number[]>;
};

/** The cluster rate limiter's counts in Redis (see ClusterRateLimiter). */
export class RedisRateStore implements SharedRateStore {
  readonly #redis: RedisWithSync;
  readonly #prefix: string;
  readonly #liveMs: number;

  /**
   * @param prefix Namespace of every key this store writes (one per deployment).
   * @param liveMs A worker that has not synced for this long no longer counts as one.
   */
  constructor(redis: Redis, opts: { prefix?: string; liveMs?: number } = {}) {
    this.#prefix = `${opts.prefix ?? 'vecserve'}:rl:`;
    this.#liveMs = opts.liveMs ?? 3000;
    if (!('vecserveRateSync' in redis))
      redis.defineCommand('vecserveRateSync', { numberOfKeys: 0, lua: SYNC_SCRIPT });
    this.#redis = redis as RedisWithSync;
  }

  async sync(
    worker: string,
    window: number,
    deltas: Map<string, SharedDelta>,
  ): Promise<SharedSyncReply> {
    const args: (string | number)[] = [this.#prefix, window, worker, Date.now(), this.#liveMs];
    const keys: string[] = [];
    for (const [key, d] of deltas) {
      keys.push(key);
      args.push(key, d.admitted, d.seen, d.previousAdmitted, d.previousSeen);
    }
    const out = await this.#redis.vecserveRateSync(...args);
    const counts = new Map<string, SharedKeyCounts>();
    for (let k = 0; k < keys.length; k++) {
      const o = 1 + k * 6;
      counts.set(keys[k]!, {
        admitted: out[o]!,
        seen: out[o + 1]!,
        mySeen: out[o + 2]!,
        previousAdmitted: out[o + 3]!,
        previousSeen: out[o + 4]!,
        myPreviousSeen: out[o + 5]!,
      });
    }
    return { workers: Math.max(1, out[0]!), counts };
  }
}
