import { type ChildProcess, spawn } from 'node:child_process';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stop(): Promise<number | null>;
}

/**
 * Starts a server script as its own process (so it has a core to itself, not
 * the load generator's) and resolves once `readyUrl` answers 200.
 */
export async function startServerProcess(opts: {
  command: string;
  args: string[];
  env: Record<string, string>;
  url: string;
  readyPath: string;
  readyInit?: RequestInit;
  timeoutMs?: number;
  cwd?: string;
}): Promise<ServerProcess & { readyAfterMs: number }> {
  const t0 = performance.now();
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'ignore', 'inherit'],
    // Own process group: signals reach the server even behind `npm start` and a shell.
    detached: true,
  });
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  const onExit = () => signal('SIGKILL');
  process.once('exit', onExit);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${opts.args.join(' ')} exited with ${child.exitCode}`);
    try {
      // Each probe bounded: a server that accepts but never answers is not ready.
      const res = await fetch(`${opts.url}${opts.readyPath}`, {
        ...opts.readyInit,
        signal: AbortSignal.timeout(2000),
      });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      signal('SIGKILL');
      throw new Error(`server at ${opts.url} not ready in time`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    child,
    url: opts.url,
    readyAfterMs: performance.now() - t0,
    stop: async () => {
      signal('SIGTERM');
      const escalate = setTimeout(() => signal('SIGKILL'), 30_000);
      const code = await exited;
      // `npm start` (or a pre-fork server's parent) may exit before the processes it
      // started have finished their shutdown: wait until nothing of the group is left.
      for (let i = 0; i < 600 && groupAlive(child.pid!); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      clearTimeout(escalate);
      signal('SIGKILL');
      process.off('exit', onExit);
      return code;
    },
  };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
