import { type Command, list, num, str } from '../../harness/command-line.ts';
import { OWN_SERVER_OPTIONS } from '../../harness/commands/server-options.ts';
import { envelope } from '../../harness/envelope.ts';
import { compareSearchThreads } from '../../harness/runners/threads-compare.ts';
import { heldOutVectors } from '../../lib/query-bodies.ts';
import type { BatchingRun } from './result.ts';

/**
 * The embedded demo server with and without micro-batching, with queries as
 * JSON floats and as vectorBase64, alternating in one run.
 */
export const batchingCommand: Command = {
  name: 'batching',
  summary: 'the demo server with BATCH off/on x JSON/vectorBase64 queries, alternating',
  defaultOut: () => 'bench/results/embedded-batching.json',
  options: {
    'work-dir': { type: 'string', default: '.data/bench-threads', help: 'the demo data' },
    ...OWN_SERVER_OPTIONS,
  },
  async run(values, progress): Promise<BatchingRun> {
    const vectors = heldOutVectors(1000, 512);
    const encodings = {
      json: vectors.map((v) => JSON.stringify({ vector: Array.from(v), topK: 10 })),
      base64: vectors.map((v) =>
        JSON.stringify({
          vectorBase64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'),
          topK: 10,
        }),
      ),
    };
    const rows: BatchingRun['rows'] = [];
    for (let round = 1; round <= num(values, 'rounds'); round++) {
      for (const batch of ['off', 'on'])
        for (const [encoding, bodies] of Object.entries(encodings)) {
          const [row] = await compareSearchThreads({
            threads: [1],
            env: { BATCH: batch },
            bodies,
            levels: list(str(values, 'levels'), '--levels'),
            seconds: num(values, 'level-seconds'),
            rounds: 1,
            port: num(values, 'port'),
            dataDir: str(values, 'work-dir'),
            log: (m) => progress(`BATCH=${batch} ${encoding}: ${m}`),
          });
          rows.push({ batch, encoding, round, levels: row!.levels });
        }
    }
    return {
      ...envelope('batching', values, null, 'BATCH off/on x JSON floats/vectorBase64'),
      notes:
        'Server (SEARCH_THREADS=1) and the closed-loop generator share 2 cores; settings alternate each round.',
      rows,
    };
  },
};
