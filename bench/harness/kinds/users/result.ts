import { z } from 'zod';
import { runSchema } from '../../result-envelope.ts';
import { openLoopResultSchema } from '../../runners/open-loop.ts';

/** Locust-style users with think time (closed loop per user). */
export const usersRunSchema = runSchema('users', {
  users: z.number(),
  waitSeconds: z.tuple([z.number(), z.number()]),
  /** The task mix, when the users ran one (--weights). */
  weights: z.record(z.string(), z.number()).optional(),
  result: openLoopResultSchema,
});
export type UsersRun = z.infer<typeof usersRunSchema>;
