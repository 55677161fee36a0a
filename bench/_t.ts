import { runScale } from './harness/runners/scale.ts';

const t0 = performance.now();
await runScale({
  rows: 3000,
  dimension: 64,
  quantizations: ['i8'],
  queries: 50,
  k: 10,
  efs: [16, 256],
  levels: [1, 4],
  levelSeconds: 1,
  workDir: '/tmp/exp/sc',
  port: 18433,
  log: (m) => console.log(((performance.now() - t0) / 1000).toFixed(1), m),
});
console.log('done');
