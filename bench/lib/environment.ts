import { execSync } from 'node:child_process';
import { cpus, freemem, totalmem } from 'node:os';

/** What a result file needs to be compared with another: machine, versions, commit. */
export function environment() {
  const git = (cmd: string) => {
    try {
      return execSync(`git ${cmd}`, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return null;
    }
  };
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    gitCommit: git('rev-parse HEAD'),
    gitDirty: (git('status --porcelain') ?? '') !== '',
    date: new Date().toISOString(),
  };
}
