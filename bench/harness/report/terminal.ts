import { type AnyRun, kindOf } from '../result.ts';
import { runTables } from './tables.ts';

/** A compact terminal table of a run: its kind's own, or its tables. */
export function printRun(run: AnyRun): void {
  const kind = kindOf(run);
  if (kind.terminal) kind.terminal(run);
  else
    for (const t of runTables(run)) {
      console.log(t.title);
      console.table(t.rows);
      for (const n of t.notes ?? []) console.log(`- ${n}`);
    }
  if (run.kind !== 'sweep' && run.recall) {
    console.log(
      `recall@${run.recall.k}: ${run.recall.recall.toFixed(3)} over ${run.recall.queries} queries`,
    );
  }
  for (const w of run.warnings) console.log(`WARNING: ${w}`);
}
