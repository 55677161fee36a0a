import type { Command } from '../harness/command-line.ts';
import { admissionMicroCommand } from './admission-micro/command.ts';
import { batchingCommand } from './batching/command.ts';
import { ingestCommand } from './ingest/command.ts';
import { milvusPoolCommand } from './milvus-pool/command.ts';
import { rateLimitStoreCommand } from './rate-limit-store/command.ts';
import { resultCacheCommand } from './result-cache/command.ts';
import { smokeCommand } from './smoke/command.ts';
import { threadsCommand } from './threads/command.ts';
import { usearchVersionsCommand } from './usearch-versions/command.ts';
import { validationMicroCommand } from './validation-micro/command.ts';

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
