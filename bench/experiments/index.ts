import type { Command } from '../harness/command-line.ts';
import { admissionMicroCommand } from './admission-micro.ts';
import { batchingCommand } from './batching.ts';
import { ingestCommand } from './ingest.ts';
import { milvusPoolCommand } from './milvus-pool.ts';
import { rateLimitStoreCommand } from './rate-limit-store.ts';
import { resultCacheCommand } from './result-cache.ts';
import { smokeCommand } from './smoke.ts';
import { threadsCommand } from './threads.ts';
import { usearchVersionsCommand } from './usearch-versions.ts';
import { validationMicroCommand } from './validation-micro.ts';

/**
 * One-off measurements that settled a design question (which Milvus client
 * layout, search threads or not, batching, which usearch, what a decision or
 * a body parse costs). Kept runnable, so their results in bench/results/ can
 * be reproduced, but not part of the toolkit's workflow: `bench -- --help`
 * lists them apart, under "Experiments".
 */
export const EXPERIMENT_COMMANDS: Command[] = [
  smokeCommand,
  milvusPoolCommand,
  threadsCommand,
  batchingCommand,
  usearchVersionsCommand,
  admissionMicroCommand,
  validationMicroCommand,
  rateLimitStoreCommand,
  resultCacheCommand,
  ingestCommand,
];
