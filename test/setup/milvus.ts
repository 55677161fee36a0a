/**
 * Vitest global setup: a real Milvus server for the integration tests,
 * provisioned and started by the repo's own script on a port of its own, and
 * stopped afterwards. If it cannot be provisioned the run FAILS, saying why;
 * only an explicit SKIP_MILVUS=1 skips the Milvus tests (CI never sets it).
 */
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

export const TEST_MILVUS_PORT = 19640;

declare module 'vitest' {
  export interface ProvidedContext {
    milvusAddress: string | null;
  }
}

const env = {
  ...process.env,
  MILVUS_PORT: String(TEST_MILVUS_PORT),
  MILVUS_HOME: '.data/milvus-test',
};

function script(action: 'up' | 'down'): string {
  return execFileSync('bash', ['deploy/milvus/milvus.sh', action], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function setup(project: TestProject) {
  // `vitest bench` (npm run bench:micro) times code in-process: no Milvus to start.
  if (project.vitest.mode === 'benchmark') {
    project.provide('milvusAddress', null);
    return;
  }
  if (process.env.SKIP_MILVUS === '1') {
    console.warn('SKIP_MILVUS=1: no Milvus for this run (its integration tests skip)');
    project.provide('milvusAddress', null);
    return;
  }
  try {
    process.stdout.write(script('up'));
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `Could not provision the Milvus server for integration tests (set SKIP_MILVUS=1 to skip them explicitly):\n${e.stdout ?? ''}${e.stderr ?? e.message}`,
    );
  }
  project.provide('milvusAddress', `127.0.0.1:${TEST_MILVUS_PORT}`);
  return () => {
    process.stdout.write(script('down'));
  };
}
