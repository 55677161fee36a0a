import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** Where the CPU limits are read from (tests point these at files of their own). */
export interface CpuLimitSources {
  /** The process's cgroup membership. @default '/proc/self/cgroup' */
  procCgroup?: string;
  /** Where cgroup filesystems are mounted. @default '/sys/fs/cgroup' */
  cgroupRoot?: string;
  /** CPUs this process may run on (its affinity). @default os.availableParallelism() */
  affinity?: number;
}

/**
 * The cores this process can use: the CPUs its affinity allows (what
 * `os.availableParallelism()` counts, unlike `os.cpus()`), capped by a cgroup
 * CPU quota (a container's `--cpus`, Kubernetes' CPU limit, systemd's
 * CPUQuota), rounded up, at least 1. Worker and thread counts derive from it:
 * pinned to one core, or limited to 1.5 CPUs, a server should not start as
 * many busy threads as the machine has cores.
 */
export function usableCores(sources: CpuLimitSources = {}): number {
  const affinity = sources.affinity ?? availableParallelism();
  const quota = cgroupCpuQuota(sources);
  return Math.max(1, quota === null ? affinity : Math.min(affinity, Math.ceil(quota)));
}

/**
 * The CPU quota (in CPUs) of the process's cgroup and its ancestors, the
 * smallest one, from cgroup v2's `cpu.max` or v1's `cpu.cfs_quota_us` /
 * `cpu.cfs_period_us`; null when there is none or it cannot be read.
 */
export function cgroupCpuQuota(sources: CpuLimitSources = {}): number | null {
  const root = sources.cgroupRoot ?? '/sys/fs/cgroup';
  let membership: string;
  try {
    membership = readFileSync(sources.procCgroup ?? '/proc/self/cgroup', 'utf8');
  } catch {
    return null; // not Linux
  }
  let smallest: number | null = null;
  const consider = (cpus: number | null) => {
    if (cpus !== null && cpus > 0 && (smallest === null || cpus < smallest)) smallest = cpus;
  };
  for (const line of membership.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (controllers === '') {
      for (const dir of ancestors(path)) consider(readV2(join(root, dir, 'cpu.max')));
    } else if (controllers!.split(',').includes('cpu')) {
      for (const mount of [`cpu`, controllers!])
        for (const dir of ancestors(path)) consider(readV1(join(root, mount, dir)));
    }
  }
  return smallest;
}

/** `/a/b` -> `/a/b`, `/a`, `/`. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  let p = path || '/';
  for (;;) {
    out.push(p);
    if (p === '/') return out;
    p = p.slice(0, p.lastIndexOf('/')) || '/';
  }
}

/** cgroup v2 `cpu.max`: "max 100000" (no limit) or "150000 100000". */
function readV2(file: string): number | null {
  try {
    const [quota, period] = readFileSync(file, 'utf8').trim().split(/\s+/);
    if (quota === 'max' || !quota || !period) return null;
    return Number(quota) / Number(period);
  } catch {
    return null;
  }
}

/** cgroup v1: `cpu.cfs_quota_us` (-1: no limit) over `cpu.cfs_period_us`. */
function readV1(dir: string): number | null {
  try {
    const quota = Number(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8'));
    const period = Number(readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8'));
    return quota > 0 && period > 0 ? quota / period : null;
  } catch {
    return null;
  }
}
