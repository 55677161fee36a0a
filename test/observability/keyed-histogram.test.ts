import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { KeyedHistogram } from '../../src/observability/keyed-histogram.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const SAMPLES: [string, string, number][] = [
  ['GET', '200', 0.0005],
  ['GET', '200', 0.001], // on a bound: counts in that bucket, as prom-client does
  ['GET', '200', 0.05],
  ['POST', '503', 2],
  ['GET', '200', 0.3],
];

describe('KeyedHistogram', () => {
  it('exports exactly what a prom-client Histogram exports for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const h = new KeyedHistogram({
      name: 'x_seconds',
      help: 'h',
      labelNames: ['method', 'status'],
      buckets: BUCKETS,
      registers: [ours],
    });
    const p = new Histogram({
      name: 'x_seconds',
      help: 'h',
      labelNames: ['method', 'status'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    for (const [method, status, v] of SAMPLES) {
      h.observe(`${method} ${status}`, () => ({ method, status }), v);
      p.observe({ method, status }, v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // The cluster scrape merges this JSON; prom-client adds an empty exemplar to each value.
    const withoutExemplars = (metrics: object[]) =>
      JSON.parse(JSON.stringify(metrics, (k, v) => (k === 'exemplar' ? undefined : v)));
    expect(withoutExemplars(await ours.getMetricsAsJSON())).toEqual(
      withoutExemplars(await theirs.getMetricsAsJSON()),
    );
  });

  it('builds a series labels once, on its first observation', () => {
    const h = new KeyedHistogram({
      name: 'y_seconds',
      help: 'h',
      labelNames: ['route'],
      buckets: BUCKETS,
      registers: [new Registry()],
    });
    let built = 0;
    const labels = () => {
      built++;
      return { route: '/a' };
    };
    for (let i = 0; i < 5; i++) h.observe('/a', labels, 0.01);
    expect(built).toBe(1);
  });

  it('refuses buckets that are not distinct finite numbers', () => {
    const make = (buckets: number[]) =>
      new KeyedHistogram({ name: 'z', help: 'h', labelNames: [], buckets, registers: [] });
    expect(() => make([])).toThrow(TypeError);
    expect(() => make([0.1, 0.1])).toThrow(TypeError);
    expect(() => make([Number.POSITIVE_INFINITY])).toThrow(TypeError);
  });
});
