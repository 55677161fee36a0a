import { esc, r1, table } from '../../report/html-parts.ts';
import type { ResultKind } from '../../result-kind.ts';
import { type PlanRun, planRunSchema } from './result.ts';

const numbers = (run: PlanRun) =>
  Object.entries(run.plan).filter((e): e is [string, number] => typeof e[1] === 'number');

export const planKind: ResultKind<PlanRun> = {
  kind: 'plan',
  describe:
    'Machines and a concurrency limit for a peak and average QPS, from a measured SLO rate.',
  schema: planRunSchema,
  csv: (run) => ({ header: ['key', 'value'], rows: numbers(run) }),
  terminal(run) {
    console.table(Object.fromEntries(numbers(run)));
    for (const n of run.plan.notes) console.log(`- ${n}`);
  },
  html: (run) =>
    `${table(
      ['', ''],
      numbers(run).map(([k, v]) => [k, r1(v)]),
    )}<ul>${run.plan.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`,
};
