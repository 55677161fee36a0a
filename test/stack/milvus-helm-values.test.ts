/**
 * The deploy files for a real Milvus cluster (deploy/milvus/helm/values-50m.yaml):
 * the committed file is the rendering of the plan, every key it sets is a key of
 * the Milvus Helm chart it names (its inventory, extracted from the chart's
 * values.yaml, beside it) with the chart's type, resource quantities are valid
 * Kubernetes quantities, and the plan's arithmetic holds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planMilvusCluster, renderHelmValues } from '../../src/stack/milvus-cluster-plan.ts';
import { SCENARIO_50M } from '../../src/stack/milvus-index-measurements.ts';

const DIR = join(import.meta.dirname, '../../deploy/milvus/helm');
const committed = readFileSync(join(DIR, 'values-50m.yaml'), 'utf8');

/** The chart's keys and their types ("object" with no keys listed below: a free-form map). */
function chartKeys(): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of readFileSync(join(DIR, 'milvus-chart-5.0.19.keys.tsv'), 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [path, type] = line.split('\t');
    keys.set(path!, type!);
  }
  return keys;
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Keys of `values` the chart does not have, or has with another type. */
function offChart(values: Record<string, unknown>, keys: Map<string, string>): string[] {
  const wrong: string[] = [];
  const walk = (o: Record<string, unknown>, prefix: string, inOpenMap: boolean) => {
    for (const [k, v] of Object.entries(o)) {
      const path = prefix ? `${prefix}.${k}` : k;
      const chart = keys.get(path);
      if (chart === undefined) {
        // Below a map the chart leaves open (resources: {}, extraEnv: [] ...) any key goes.
        const parent = prefix ? keys.get(prefix) : undefined;
        const open =
          inOpenMap ||
          parent === 'array' ||
          (parent === 'object' && ![...keys.keys()].some((p) => p.startsWith(`${prefix}.`)));
        if (!open) wrong.push(`${path}: not a key of the chart`);
        else if (typeOf(v) === 'object') walk(v as Record<string, unknown>, path, true);
        continue;
      }
      if (chart !== 'null' && chart !== typeOf(v))
        wrong.push(`${path}: ${typeOf(v)} where the chart has ${chart}`);
      if (typeOf(v) === 'object') walk(v as Record<string, unknown>, path, false);
    }
  };
  walk(values, '', false);
  return wrong;
}

describe('Helm values for the 50M scenario', () => {
  const plan = planMilvusCluster(SCENARIO_50M);

  it('are the rendering of the plan (npm run milvus:helm-values -- --out deploy/milvus/helm/values-50m.yaml)', () => {
    expect(committed).toBe(renderHelmValues(SCENARIO_50M, plan));
  });

  it("set only the chart's keys, with the chart's types", () => {
    const values = parse(committed) as Record<string, unknown>;
    expect(offChart(values, chartKeys())).toEqual([]);
    // The check can fail: a misspelt key is caught.
    expect(offChart({ queryNode: { replica: 3 } }, chartKeys())).toEqual([
      'queryNode.replica: not a key of the chart',
    ]);
    expect(offChart({ proxy: { replicas: '2' } }, chartKeys())).toEqual([
      'proxy.replicas: string where the chart has number',
    ]);
  });

  it('give valid Kubernetes quantities, limits at least the requests, and a parseable Milvus config', () => {
    const values = parse(committed) as Record<string, Record<string, unknown>>;
    const cpu = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
    const mem = (q: string) => {
      const m = /^(\d+)(Mi|Gi)$/.exec(q);
      expect(m, `memory quantity ${q}`).not.toBeNull();
      return Number(m![1]) * (m![2] === 'Gi' ? 1024 : 1);
    };
    let checked = 0;
    for (const [name, part] of Object.entries(values)) {
      const r = part?.resources as
        | { requests: Record<string, string>; limits?: Record<string, string> }
        | undefined;
      if (!r?.requests?.cpu) continue;
      checked++;
      expect(String(r.requests.cpu), `${name} cpu`).toMatch(/^\d+(m)?$/);
      if (r.limits) {
        expect(cpu(r.limits.cpu!), `${name} cpu limit`).toBeGreaterThanOrEqual(cpu(r.requests.cpu));
        expect(mem(r.limits.memory!), `${name} memory limit`).toBeGreaterThanOrEqual(
          mem(r.requests.memory!),
        );
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
    const user = parse(String((values.extraConfigFiles as Record<string, string>)['user.yaml']));
    expect(user.common.session.ttl).toBe(10);
  });

  it('hold every replica of every segment in the query nodes memory, and the peak in their CPU', () => {
    const usable = SCENARIO_50M.node.memoryGiB * 0.75;
    expect(plan.queryNodes * usable).toBeGreaterThanOrEqual(plan.segmentMemoryGiB);
    expect(
      plan.queryNodes * SCENARIO_50M.node.cores * 0.7 * SCENARIO_50M.searchesPerCore,
    ).toBeGreaterThanOrEqual(SCENARIO_50M.peakQps);
    expect(plan.queryNodes).toBeGreaterThanOrEqual(SCENARIO_50M.replicas);
    const values = parse(committed) as { queryNode: { replicas: number } };
    expect(values.queryNode.replicas).toBe(plan.queryNodes);
    // 272 GiB of HNSW segments (2 replicas) need 12 nodes of 32 GiB: memory, not CPU, sizes it.
    expect(plan).toMatchObject({ queryNodes: 12, limitedBy: 'memory', queryNodesForCpu: 3 });
  });
});
