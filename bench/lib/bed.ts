import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BED = join(ROOT, 'deploy/multihost/bed.sh');

/**
 * A deploy/multihost/bed.sh command, without blocking this process (it runs
 * the load generator); rejects with the script's output when it fails.
 */
export function bed(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((done, fail) =>
    execFile('bash', [BED, ...args], { cwd: ROOT, env, timeout: 300_000 }, (err, out, errOut) =>
      err
        ? fail(new Error(`bed.sh ${args.join(' ')}: ${err.message}\n${out}${errOut}`))
        : done(out),
    ),
  );
}
