/**
 * The cost of one admission decision (target: under 1 us), beside the
 * limiters' tests: `npm run bench:micro`. The decisions are the table the
 * `admission-micro` experiment times for bench/results/ (bench/lib/admission-decisions.ts).
 */
import { bench, describe } from 'vitest';
import { admissionDecisions } from '../../bench/lib/admission-decisions.ts';

describe('one admission decision', () => {
  for (const d of admissionDecisions()) {
    const name = `${d.decision}${d.keys > 1 ? ` over ${d.keys} keys` : ''}`;
    if (d.async) bench(name, async () => void (await d.step()));
    else bench(name, () => void d.step());
  }
});
