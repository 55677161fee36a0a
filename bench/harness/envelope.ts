import { createRequire } from 'node:module';
import { environment } from '../lib/environment.ts';
import type { Values } from './command-line.ts';
import type { RunEnvelope } from './result-envelope.ts';
import type { TargetInfo } from './runners/target.ts';

/** Versions of what a figure depends on, recorded in every result. */
export function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const out: Record<string, string> = {};
  for (const name of [
    'hono',
    '@hono/node-server',
    'usearch',
    '@zilliz/milvus2-sdk-node',
    'autocannon',
    'undici',
    'hdr-histogram-js',
  ]) {
    try {
      out[name] = require(`${name}/package.json`).version;
    } catch {
      out[name] = 'unknown';
    }
  }
  return out;
}

/**
 * The envelope every command's result shares (bench/harness/result-envelope.ts):
 * what was measured, where, with which options, and what could not be trusted.
 */
export function envelope<K extends string>(
  kind: K,
  values: Values,
  target: TargetInfo | null,
  describe?: string,
): RunEnvelope & { kind: K } {
  const when = new Date().toISOString().slice(0, 16);
  // Unlabelled: say what was measured, not only when.
  const what = target
    ? `${kind} of ${target.collection} (${target.count} x ${target.dimension}, ${target.backend})`
    : describe
      ? `${kind}: ${describe}`
      : kind;
  return {
    schema: 'vecserve-bench/1',
    kind,
    label: typeof values.label === 'string' ? values.label : `${what} at ${when}`,
    createdAt: new Date().toISOString(),
    environment: { ...environment(), versions: versions() },
    target,
    config: Object.fromEntries(
      Object.entries(values).filter(([k]) => k !== 'in' && k !== 'help' && k !== 'quiet'),
    ),
    warnings: [],
  };
}
