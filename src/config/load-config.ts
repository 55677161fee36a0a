import { readFileSync } from 'node:fs';
import { type Config, Expected, SETTINGS } from './settings.ts';
import { usableCores } from './usable-cores.ts';

/** A bad setting, named with where it came from and the value given. */
export class ConfigError extends Error {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.setting = setting;
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** A JSON file of settings keyed by their file names; defaults to $CONFIG_FILE. */
  file?: string;
  /** Values that win over everything (tests, CLIs). */
  overrides?: Partial<Config>;
}

/**
 * Builds the configuration: defaults, then the config file, then environment
 * variables, then overrides. `BIND=host:port` (Gunicorn's spelling) sets both.
 * @throws ConfigError naming the setting, its source and the value given.
 * @example const config = loadConfig({ env: process.env });
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const config = {} as Record<keyof Config, unknown>;
  for (const s of SETTINGS) config[s.key] = s.default();

  const file = opts.file ?? env.CONFIG_FILE;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(
        'CONFIG_FILE',
        `Cannot read config file ${file}: ${(err as Error).message}`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError('CONFIG_FILE', `Config file ${file} must hold a JSON object`);
    }
    for (const [key, value] of Object.entries(parsed)) {
      if (key === 'bind') {
        applyBind(config, value, `"bind" in ${file}`);
        continue;
      }
      const s = SETTINGS.find((d) => d.file === key);
      if (!s) {
        throw new ConfigError(
          key,
          `Unknown setting "${key}" in config file ${file} (known: bind, ${SETTINGS.map((d) => d.file).join(', ')})`,
        );
      }
      config[s.key] = parse(s.file, s.parse, value, `in ${file}`);
    }
  }

  if (env.BIND !== undefined) applyBind(config, env.BIND, 'BIND');
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw !== undefined) config[s.key] = parse(s.env, s.parse, raw, 'from the environment');
  }
  Object.assign(config, opts.overrides);
  if (config.resultCache === 'shared' && !config.redisUrl)
    throw new ConfigError(
      'RESULT_CACHE',
      'RESULT_CACHE=shared needs REDIS_URL: the shared tier and the data versions every worker checks live there',
    );
  if (config.rateLimitStore === 'redis' && !config.redisUrl)
    throw new ConfigError(
      'RATE_LIMIT_STORE',
      'RATE_LIMIT_STORE=redis needs REDIS_URL (e.g. redis://127.0.0.1:6379): the counts every host shares live there',
    );
  return config as Config;
}

function parse(name: string, parser: (raw: unknown) => unknown, raw: unknown, where: string) {
  try {
    return parser(raw);
  } catch (err) {
    if (!(err instanceof Expected)) throw err;
    throw new ConfigError(
      name,
      `Invalid setting ${name} (${where}): expected ${err.message}, got ${JSON.stringify(raw)}`,
    );
  }
}

function applyBind(config: Record<string, unknown>, raw: unknown, where: string): void {
  const m = typeof raw === 'string' ? /^(.+):(\d{1,5})$/.exec(raw) : null;
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65_535) {
    throw new ConfigError(
      'BIND',
      `Invalid setting ${where}: expected host:port such as 127.0.0.1:8000, got ${JSON.stringify(raw)}`,
    );
  }
  config.host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  config.port = port;
}

/** How many server processes share the machine's cores, and how many cores there are. */
export interface ProcessShare {
  /** Server processes on this host: WORKERS under PM2, 1 for a lone `npm start`. */
  processes: number;
  /** @default usableCores() */
  cores?: number;
}

/**
 * SEARCH_THREADS, with -1 (auto) resolved: a lone process on 2 or more cores
 * gets a thread per core; PM2 workers get the cores each has beyond the one
 * its event loop uses, max(0, floor(cores / processes) - 1). Measured on 2
 * cores: one process with one search thread served 1.6x what it served
 * searching on its event loop (bench/results/floor.json); a second thread
 * served 1.28-1.42x as much again at 1M x 512 i8 (scale-1000000-rescored.json)
 * and the same on the 10k demo (search-threads-1-vs-2.json, fewer refusals at
 * c=100): the event loop needs a fraction of a core, not a whole one. Two PM2
 * workers with one thread each (four busy threads on two cores) served 26%
 * less than the same workers with none, at 45% more CPU per request.
 */
export function resolveSearchThreads(config: Config, share: ProcessShare): number {
  const cores = share.cores ?? usableCores();
  if (config.searchThreads >= 0) {
    // Each thread holds its own view of every collection: SEARCH_THREADS=999 on 2 cores
    // took 9 GB and 12 s to start, to run searches no faster than 2 threads.
    const most = Math.max(4, 4 * cores);
    if (config.searchThreads > most)
      throw new ConfigError(
        'SEARCH_THREADS',
        `SEARCH_THREADS=${config.searchThreads} is more than 4x the ${cores} core(s) this process may use (at most ${most}); each thread keeps its own view of every collection, and threads beyond the cores only wait for them. -1 sizes it to the cores.`,
      );
    return config.searchThreads;
  }
  if (share.processes <= 1) return cores >= 2 ? cores : 0;
  return Math.max(0, Math.floor(cores / share.processes) - 1);
}

/** RESULT_CACHE with auto resolved: local for a lone process, shared under PM2 with Redis, else off. */
export function resolveResultCache(config: Config, underPm2: boolean): 'off' | 'local' | 'shared' {
  if (config.resultCache === 'local' && underPm2 && config.workers > 1)
    throw new ConfigError(
      'RESULT_CACHE',
      `RESULT_CACHE=local under PM2 with ${config.workers} workers would serve answers from before a write made through another worker; use RESULT_CACHE=shared with REDIS_URL (data versions every worker checks), or off`,
    );
  if (config.resultCache !== 'auto') return config.resultCache;
  if (!underPm2) return 'local';
  return config.redisUrl ? 'shared' : 'off';
}

/**
 * This process's open-files limit (Node raises the soft limit to the hard one
 * at start-up), from /proc/self/limits; null where that cannot be read.
 */
export function openFilesLimit(limitsFile = '/proc/self/limits'): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(limitsFile, 'utf8'));
    if (!m) return null;
    return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return null;
  }
}

/**
 * WORKER_CONNECTIONS as this process can hold it: past its open-files limit
 * accept() fails with EMFILE, so the cap leaves 256 descriptors for the index,
 * data files, logs and outgoing sockets.
 */
export function resolveWorkerConnections(config: Config, openFiles = openFilesLimit()): number {
  if (openFiles === null) return config.workerConnections;
  return Math.max(1, Math.min(config.workerConnections, openFiles - 256));
}

/** BREAKER_STALL in seconds, with -1 (auto): Milvus's calls can hang; the embedded index's run here. */
export function resolveBreakerStall(config: Config): number {
  if (config.breakerStallSeconds >= 0) return config.breakerStallSeconds;
  return config.backend === 'milvus' ? 0.25 : 0;
}

/** CONCURRENCY_LIMIT's auto value per search thread (embedded). */
const SLOTS_PER_SEARCH_THREAD = 8;

/** CONCURRENCY_LIMIT, with -1 (auto) sized to what the backend can run at once. */
export function resolveConcurrencyLimit(config: Config, share: ProcessShare): number {
  if (config.concurrencyLimit >= 0) return config.concurrencyLimit;
  if (config.backend !== 'embedded') return 256;
  // Searches run in the search threads. What waits inside the pool is out of
  // the queue's sight, where no target delay can refuse it, so the bound stays
  // a few searches per thread (8 x a 3 ms search at 1M rows is half the 50 ms
  // target); but the event loop pays a wake-up per completion it sees alone:
  // with 2 per thread (one running, one ready) a closed loop of 50 clients got
  // 2,225-2,406 req/s at 0.69-0.75 ms of CPU a request, with 8 2,543-2,721 at
  // 0.63-0.65 ms, unbounded 2,865-3,208. Inline searches: a few.
  const threads = resolveSearchThreads(config, share);
  return threads > 0 ? SLOTS_PER_SEARCH_THREAD * threads : 4;
}

/** The embedded index mode this process should use. */
export function resolveIndexMode(config: Config, underPm2: boolean): 'writable' | 'shared' {
  if (config.indexMode !== 'auto') return config.indexMode;
  // Several PM2 workers map one copy of the index; one process owns it alone.
  return underPm2 && config.workers > 1 ? 'shared' : 'writable';
}
