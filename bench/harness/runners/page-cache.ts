import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The share of a file the page cache holds now (0-1), by util-linux's
 * `fincore`; null where it is missing. Rescoring reads candidates' raw vectors
 * through the page cache: a host that reclaims cold pages (this one runs DAMON
 * pageout on pages idle for 60 s) turns those reads into disk reads, 56 us
 * each against 2.5 us cached, so a figure with rescoring says how much was cached.
 */
export function pageCacheShare(path: string): number | null {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES,SIZE', path], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return null;
  const [res, size] = r.stdout.trim().split(/\s+/).map(Number);
  // Resident bytes count whole pages: a file's last, partial page counts in full.
  return size! > 0 && Number.isFinite(res) ? Math.min(1, res! / size!) : null;
}

/** Reads a file through once, so the page cache holds it (as far as memory allows). */
export function readThrough(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(16 << 20);
    while (readSync(fd, chunk, 0, chunk.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}
