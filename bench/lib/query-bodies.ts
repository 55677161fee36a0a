import { DEMO_SEED } from '../../src/data/demo-collection.ts';
import { SyntheticVectors } from '../../src/data/synthetic-vectors.ts';

/**
 * Query vectors held out from the demo data: the same cluster centres, another
 * seed, so every request searches a different, realistic vector.
 */
export function heldOutVectors(
  count: number,
  dimension: number,
  seed = DEMO_SEED + 1000,
): Float32Array[] {
  const gen = new SyntheticVectors({ dimension, seed });
  return Array.from({ length: count }, () => gen.next());
}

/** Pre-serialized search bodies, so the load generator spends no time on JSON. */
export function searchBodies(
  count: number,
  dimension: number,
  extra: Record<string, unknown> = {},
): string[] {
  return heldOutVectors(count, dimension).map((v) =>
    JSON.stringify({ vector: Array.from(v), topK: 10, ...extra }),
  );
}
