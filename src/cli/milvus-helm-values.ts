/**
 * `npm run milvus:helm-values [-- --out FILE]`: the Helm values of a Milvus cluster for the
 * 50M x 512 scenario (src/stack/milvus-cluster-plan.ts), printed or written to FILE.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { planMilvusCluster, renderHelmValues } from '../stack/milvus-cluster-plan.ts';
import { SCENARIO_50M } from '../stack/milvus-index-measurements.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const plan = planMilvusCluster(SCENARIO_50M);
const text = renderHelmValues(SCENARIO_50M, plan);
if (values.out) {
  writeFileSync(values.out, text);
  process.stderr.write(
    `written to ${values.out}: ${plan.queryNodes} query nodes (${plan.limitedBy})\n`,
  );
} else {
  process.stdout.write(text);
}
