import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p`: creates `path` and any missing parents, one level at a time.
 *
 * Not `mkdirSync(path, { recursive: true })`: Node's recursive mkdir (20 and
 * 24 alike) spins forever at 100% CPU when the kernel answers ENOENT for a
 * directory whose parent exists, as /proc and /sys do (`DATA_DIR=/proc/x` hung
 * the server before it printed anything). Created level by level, the same
 * path fails at once with the kernel's error, naming the directory.
 */
export function makeDirs(path: string): void {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    let isDirectory: boolean | null = null;
    try {
      isDirectory = statSync(at).isDirectory();
    } catch (err) {
      // ENOTDIR: a file further up, which the walk reaches and names.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    }
    if (isDirectory === false) {
      const err: NodeJS.ErrnoException = new Error(
        `ENOTDIR: not a directory, mkdir '${resolve(path)}' (${at} is a file)`,
      );
      err.code = 'ENOTDIR';
      throw err;
    }
    if (isDirectory === true) break;
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break; // the root itself is missing: let mkdir say why
    at = parent;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]!);
    } catch (err) {
      // Made meanwhile by another process (two workers starting at once): fine if a directory.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(missing[i]!).isDirectory())
        throw err;
    }
  }
}
