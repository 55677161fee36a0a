/**
 * `npm run doctor [-- --for test|start|stack|bench]`: what each workflow needs
 * on this machine and exactly what to install (src/stack/prerequisites.ts).
 * `npm test` runs it first (--for test) and stops with its message instead of
 * a wall of failures.
 */
import { runDoctor, type Workflow } from '../stack/prerequisites.ts';
import { parseCliArgs } from './cli-args.ts';

const WORKFLOWS: readonly Workflow[] = ['test', 'start', 'stack', 'bench'];
const USAGE = `usage: npm run doctor [-- --for ${WORKFLOWS.join('|')}]`;
const { values } = parseCliArgs('doctor', USAGE, { options: { for: { type: 'string' } } });
const workflow = values.for as Workflow | undefined;
if (workflow !== undefined && !WORKFLOWS.includes(workflow)) {
  process.stderr.write(
    `doctor: --for must be one of ${WORKFLOWS.join(', ')}, got "${workflow}"\n${USAGE}\n`,
  );
  process.exit(2);
}
const report = await runDoctor(workflow);
for (const line of report.lines) process.stdout.write(`${line}\n`);
if (report.missing > 0) {
  const what = workflow
    ? ` for \`npm ${workflow === 'test' || workflow === 'start' ? workflow : `run ${workflow}`}\``
    : '';
  process.stdout.write(
    `\n${report.missing} missing${what}. Install with:\n  ${report.fixes.join('\n  ')}\n(.ci/run installs nginx, Chromium and Prometheus itself.)\n`,
  );
  process.exit(1);
}
if (!workflow) process.stdout.write('\neverything each workflow needs is here.\n');
