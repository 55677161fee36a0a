import { ConsistentHash } from './consistent-hash.ts';
import { LeastOutstanding } from './least-outstanding.ts';
import { RoundRobin } from './round-robin.ts';
import type { BalancingStrategy } from './strategy.ts';
import { SmoothWeightedRoundRobin } from './weighted-round-robin.ts';

/** The balancing strategies a setting can name (MILVUS_BALANCE). */
export type StrategyName =
  | 'least-outstanding'
  | 'round-robin'
  | 'weighted-round-robin'
  | 'consistent-hash';

export function strategyByName(name: StrategyName): BalancingStrategy {
  switch (name) {
    case 'least-outstanding':
      return new LeastOutstanding();
    case 'round-robin':
      return new RoundRobin();
    case 'weighted-round-robin':
      return new SmoothWeightedRoundRobin();
    case 'consistent-hash':
      return new ConsistentHash();
  }
}
