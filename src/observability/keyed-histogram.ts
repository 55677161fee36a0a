import type { Registry } from 'prom-client';

/** One label set's observations: per-bucket counts (not cumulative), sum and count. */
interface Series {
  labels: Record<string, string>;
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram whose observation costs a Map lookup and a bucket
 * scan: the series is found by a key the caller builds once per label set
 * (e.g. `POST /v1/collections/:name/search 200`), where prom-client's
 * Histogram validates and hashes the label object on every observe (about
 * 2 us per request in a saturated worker's profile). It registers as a
 * prom-client metric and exports exactly what a prom-client Histogram of the
 * same name and buckets exports (cumulative `_bucket` series with `le` first,
 * `_sum`, `_count`), so /metrics, the cluster aggregation and every dashboard
 * query read it unchanged.
 *
 * @example
 * const h = new KeyedHistogram({ name: 'x_seconds', help: '...', labelNames: ['route'], buckets: [0.1, 1], registers: [registry] });
 * h.observe('/a', { route: '/a' }, 0.05);
 */
export class KeyedHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];
  readonly #bounds: readonly number[];
  #series = new Map<string, Series>();

  constructor(opts: {
    name: string;
    help: string;
    labelNames: readonly string[];
    buckets: readonly number[];
    registers: Registry[];
  }) {
    const sorted = [...opts.buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !Number.isFinite(b) || b === sorted[i - 1]))
      throw new TypeError(`KeyedHistogram: buckets must be distinct finite numbers`);
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames;
    this.#bounds = sorted;
    // prom-client's Registry reads any object with these members as a metric.
    for (const r of opts.registers) r.registerMetric(this as never);
  }

  /**
   * Records `value` in the series `key`; `labels()` gives its labels the
   * first time the key is seen (so callers build no object per observation).
   */
  observe(key: string, labels: () => Record<string, string>, value: number): void {
    let s = this.#series.get(key);
    if (!s) {
      s = { labels: labels(), counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    let i = 0;
    while (i < this.#bounds.length && value > this.#bounds[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** What prom-client's Histogram#get() returns, label order included. */
  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] =
      [];
    for (const s of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({
          labels: { le, ...s.labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push(
        { labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` },
        { labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` },
        { labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` },
      );
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    this.#series = new Map();
  }
}
