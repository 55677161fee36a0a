import type { AnyRun, ComparedLevel } from '../result.ts';

/** A table of figures: the terminal, the CSV and the HTML report render the same one. */
export interface Table {
  title: string;
  rows: Record<string, string | number | boolean | null>[];
  /** Plain sentences under the table (verdicts, what limited a figure). */
  notes?: string[];
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** One level of a scale run's closed-loop sweep through the API. */
function closedLoopRow(h: {
  concurrency: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
  failureRate: number;
}) {
  return {
    c: h.concurrency,
    'req/s': Math.round(h.qps),
    'p50 ms': r2(h.p50Ms),
    'p99 ms': r2(h.p99Ms),
    failed: `${(h.failureRate * 100).toFixed(2)}%`,
  };
}

function comparedRows(
  rows: { levels: ComparedLevel[] }[],
  name: (
    row: { levels: ComparedLevel[] } & Record<string, unknown>,
  ) => Record<string, string | number>,
): Table['rows'] {
  return rows.flatMap((row) =>
    row.levels.map((l) => ({
      ...name(row as { levels: ComparedLevel[] } & Record<string, unknown>),
      c: l.concurrency,
      QPS: Math.round(l.qps),
      'p50 ms': l.p50Ms,
      'p99 ms': l.p99Ms,
      failed: `${(l.failureRate * 100).toFixed(2)}%`,
      'gen CPU': `${l.generatorCpuPercent}%`,
    })),
  );
}

/**
 * The tables of the commands that start their own servers (overload, smoke,
 * milvus-pool, threads, batching, scale, the micro-benchmarks); the load
 * commands (sweep, rate, slo, mix, users, recall, plan) have charts of their own.
 */
export function runTables(run: AnyRun): Table[] {
  switch (run.kind) {
    case 'overload':
      return [
        {
          title: `${run.backend}${run.via ? `, ${run.via}` : ''}: capacity ${run.capacityPerSecond}/s, offered ${run.overloadFactor ?? '?'}x`,
          rows: run.results.map((r) => ({
            configuration: r.configuration,
            goodput:
              r.goodput !== undefined
                ? `${Math.round(r.goodput * 100)}%`
                : `${Math.round((r.overload.admittedPerSecond / run.capacityPerSecond) * 100)}%`,
            'of floor ceiling':
              r.goodputOfCeiling === undefined || r.goodputOfCeiling === null
                ? '-'
                : `${Math.round(r.goodputOfCeiling * 100)}%`,
            'server busy': r.serverCpu ? `${Math.round(r.serverCpu.busyShare * 100)}%` : '-',
            'us/refusal (est.)': r.serverCpu?.refusalCpuUsEstimate ?? '-',
            'unloaded p99 ms': r.unloaded.admittedMs.p99,
            'admitted/s': r.overload.admittedPerSecond,
            'admitted p99 ms': r.overload.admittedMs.p99,
            'x unloaded': r.admittedP99OverUnloadedP99,
            refused: r.overload.rejected,
            'refused p99 ms': r.overload.rejectedMs.p99,
            'after 1st s (adm/ref p99)': r.overload.afterFirstSecond
              ? `${r.overload.afterFirstSecond.admittedMs.p99} / ${r.overload.afterFirstSecond.rejectedMs.p99}`
              : '-',
            errors: JSON.stringify(r.overload.otherOutcomes),
            'offered/s':
              r.overload.offeredPerSecond ?? Math.round(r.overload.offered / run.secondsPerRun),
            'sent/s': r.overload.achievedSendRate,
            'p99 back after s': r.recovery?.seconds ?? '-',
          })),
          notes: [
            ...(run.refusalFloor
              ? [
                  `refusal floor (bare node:http answering 503): ${run.refusalFloor.cpuUsPerRefusal} us of CPU per refusal; at that cost a server keeps at most ${Math.round(run.refusalFloor.goodputCeiling * 100)}% of capacity at ${run.overloadFactor}x`,
                ]
              : []),
            ...run.results.map((r) => {
              const failed = Object.entries(r.targets ?? {}).filter(([, ok]) => !ok);
              return `${r.configuration}: ${r.targets === undefined ? 'targets not recorded' : failed.length === 0 ? 'every target met' : `not met: ${failed.map(([k]) => k).join(', ')}`}${r.limitedBy ? `; sent less than asked, limited by ${r.limitedBy}` : ''}`;
            }),
          ],
        },
      ];
    case 'smoke':
      return [
        {
          title: `start-up: cold ${run.startup.coldToFirstSearchMs} ms, warm ${run.startup.warmToFirstSearchMs} ms to the first search`,
          rows: run.results.map((r) => ({
            target: r.target,
            c: r.concurrency,
            QPS: r.qps,
            'p50 ms': r.latencyMs.p50,
            'p99 ms': r.latencyMs.p99,
            errors: r.errors + r.non2xx,
          })),
        },
      ];
    case 'milvus-pool':
      return [
        {
          title: `ways to reach Milvus, closed loop, pool ${run.poolSize}`,
          rows: run.results.map((r) => ({
            variant: r.variant,
            c: r.concurrency,
            QPS: r.qps,
            'p50 ms': r.p50Ms,
            'p99 ms': r.p99Ms,
            errors: r.errors,
            'errors by': r.errorsBy
              ? Object.entries(r.errorsBy)
                  .map(([k, n]) => `${k} ${n}`)
                  .join(', ')
              : '',
          })),
        },
        {
          title: 'the API over direct calls (QPS ratios)',
          rows: run.apiOverDirect.map((r) => ({ ...r })),
        },
      ];
    case 'admission-micro':
      return [
        {
          title: `one admission decision (${run.decisionsPerRound} per round, best of 5)`,
          rows: run.results.map((r) => ({ ...r })),
        },
      ];
    case 'validation-micro':
      return [
        {
          title: 'the search body parser, microseconds per body',
          rows: run.results.map((r) => ({
            dimension: r.dimension,
            bytes: r.bodyBytes,
            ...r.usPerBody,
            'added / parse': r.addedOverJsonParse,
            'json us': r.encodings.jsonFloats.usParseAndValidate,
            'base64 us': r.encodings.base64Float32.usParseAndValidate,
            'base64 bytes': r.encodings.base64Float32.bytes,
          })),
        },
      ];
    case 'outage':
      return [
        {
          title: `${run.backend} down ${run.downSeconds} s under ${run.ratePerSecond}/s (open loop)`,
          rows: run.phases.map((p) => ({
            phase: p.phase,
            ok: p.byOutcome['200'] ?? 0,
            refused: (p.byOutcome['503'] ?? 0) + (p.byOutcome['429'] ?? 0),
            'answered 504': p.http504,
            'other 5xx': p.http500,
            'refused p50 ms': p.refused.p50Ms,
            'refused p99 ms': p.refused.p99Ms,
            'served again s after Milvus searched again': p.recoverySeconds,
          })),
          notes: run.phases.flatMap((p) =>
            Object.entries(p.targets).map(
              ([name, pass]) => `${pass ? 'PASS' : 'FAIL'} ${p.phase} ${name}`,
            ),
          ),
        },
      ];
    case 'ingest':
      return [
        {
          title: `loading ${run.dimension}-d rows into Milvus, then ${run.index}`,
          rows: run.results.map((r) => ({
            variant: r.variant,
            rows: r.rows,
            'rows/s': r.rowsPerSecond,
            'loader CPU %': r.loaderCpuPercent,
            'Milvus CPU %': r.milvusCpuPercent,
            'files first s': r.stagingSeconds ?? '',
            'flush + index s': r.flushAndIndexSeconds,
            'count after': r.countAfter,
            'limited by': r.limitedBy,
          })),
          notes: [
            run.notes,
            ...(run.ratios
              ? [
                  `over the SDK path: encoded inserts ${run.ratios.encodedOverSdk ?? '-'}x, import ${run.ratios.importOverSdk ?? '-'}x, import of files written first ${run.ratios.importStagedOverSdk ?? '-'}x`,
                ]
              : []),
            ...(run.goal
              ? [
                  `${run.goal.pass ? 'PASS' : 'FAIL'} ${run.goal.what}: best ${run.goal.best} rows/s`,
                ]
              : []),
          ],
        },
      ];
    case 'result-cache':
      return [
        {
          title: `the result cache (autocannon c=${run.connections}, median of ${run.rounds} rounds of ${run.seconds} s)`,
          rows: run.summary.map((s) => ({ ...s })),
          notes: [
            `Zipf: local ${run.ratios.zipfLocalOverOff}x, local + Redis ${run.ratios.zipfSharedOverOff}x the uncached req/s; server CPU per served request ${run.ratios.zipfCpuPerOkOffOverLocal ?? '-'}x less with the local cache; no repeats: ${run.ratios.noRepeatsLocalOverOff}x`,
            ...run.goals.map((g) => `${g.pass ? 'PASS' : 'FAIL'} ${g.what}`),
          ],
        },
      ];
    case 'failover':
      return [
        {
          title: `a lost host behind each front balancer, ${run.ratePerSecond}/s open loop, event at ${run.eventAtSecond} s`,
          rows: run.phases.map((p) => ({
            front: p.front,
            event: p.event,
            sent: p.sent,
            failed: p.failed,
            'slower than 1 s': p.slowerThan1s,
            'max ms': p.maxMs,
            'p99 ms': p.p99Ms,
            'served again after s': p.recoverySeconds,
          })),
        },
      ];
    case 'rate-limit-store':
      return [
        {
          title: `the rate limit's store: none, per worker, Redis (wrk c=${run.connections}, median of ${run.rounds} rounds of ${run.seconds} s)`,
          rows: run.summary.map((s) => ({ ...s, p99RangeMs: s.p99RangeMs.join('-') })),
          notes: [
            `Redis over per-worker: p99 ${run.addedP99Ms.overLocal} ms; over none: ${run.addedP99Ms.overNone} ms`,
            `${run.goal.pass ? 'PASS' : 'FAIL'} ${run.goal.what}`,
          ],
        },
      ];
    case 'hosts':
      return [
        {
          title: `API hosts of ${run.hostCpu} cores behind HAProxy (wrk ${run.connectionsPerHost} connections per host, median of ${run.rounds} rounds of ${run.seconds} s)`,
          rows: run.summary.map((h) => ({
            hosts: h.hosts,
            'ok/s': h.okPerSecond,
            'ok/s range': h.okPerSecondRange.join('-'),
            predicted: h.predictedOkPerSecond,
            error: `${Math.round(h.predictionError * 100)}%`,
            'p99 ms': h.p99Ms,
            'not 2xx': h.non2xx,
            'wrk CPU %': h.generatorCpuPercent,
            'HAProxy CPU %': h.haproxyCpuPercent,
            'hosts throttled': h.hostsThrottledShare,
            'machine busy': h.machineBusyShare,
            'limited by': h.limitedBy,
          })),
          notes: [
            `model: ${run.model}`,
            ...run.summary.map(
              (h) => `${h.withinTarget ? 'PASS' : 'FAIL'} ${h.hosts} host(s): ${run.goal}`,
            ),
          ],
        },
      ];
    case 'floor':
      return [
        {
          title: `the serving path against its floor (${run.generator}, median of ${run.rounds} rounds of ${run.seconds} s)`,
          rows: run.summary.map((r) => ({
            configuration: r.config,
            what: r.describe,
            'ok/s': r.okPerSecond,
            'ok/s range': r.okPerSecondRange.join('-'),
            'x floor': r.okOverFloor,
            'CPU ms/req': r.cpuMsPerRequest,
            'CPU x floor': r.cpuOverFloor,
            'p99 ms': r.p99Ms,
            'same answers': r.sameAnswersAsFloor,
          })),
          notes: run.targets.map((t) => `${t.pass ? 'PASS' : 'FAIL'} ${t.target}: ${t.measured}`),
        },
        {
          title: 'one connection (latency unloaded)',
          rows: run.latencyAtC1.map((r) => ({
            configuration: r.config,
            round: r.round,
            'ok/s': r.okPerSecond,
            'p50 ms': r.p50Ms,
            'p99 ms': r.p99Ms,
            'mean ms': r2(r.meanMs),
          })),
        },
        {
          title: 'every measurement (rounds alternate the configurations)',
          rows: run.rows.map((r) => ({
            configuration: r.config,
            round: r.round,
            processes: r.processes,
            'ok/s': r.okPerSecond,
            'CPU ms/req': r.cpuMsPerRequest,
            'server CPU': `${r.serverCpuPercent}%`,
            'wrk CPU': `${r.generatorCpuPercent}%`,
            'p50 ms': r.p50Ms,
            'p99 ms': r.p99Ms,
            'non-2xx': r.non2xx,
            'socket errors': r.socketErrors,
          })),
        },
      ];
    case 'threads':
      return [
        {
          title: 'SEARCH_THREADS compared (rounds alternate)',
          rows: comparedRows(run.rows, (r) => ({
            threads: Number(r.searchThreads),
            round: Number(r.round),
          })),
        },
      ];
    case 'batching':
      return [
        {
          title: 'BATCH off/on x query encoding (rounds alternate)',
          rows: comparedRows(run.rows, (r) => ({
            batch: String(r.batch),
            encoding: String(r.encoding),
            round: Number(r.round),
          })),
          notes: run.notes ? [run.notes] : [],
        },
      ];
    case 'scale': {
      const tables: Table[] = [];
      for (const f of run.runs ?? []) {
        tables.push({
          title: `${f.quantization}: build ${Math.round(f.buildSeconds)} s, open ${Math.round(f.openMs.shared)} ms (shared), restart after a crash ${Math.round(f.crashRestart.wallMs)} ms`,
          rows: f.recall.map((p) => ({
            ef: p.ef,
            ...(p.oversampling !== undefined && { oversampling: p.oversampling }),
            recall: p.recall,
            'QPS one thread': Math.round(p.qpsOneThread),
            'p99 ms': r2(p.p99Ms),
          })),
        });
        // Runs that chose their HTTP setting from the recall curve say which it was.
        if (f.httpParams)
          tables.push({
            title: `${f.quantization} through the API (${Object.entries(f.httpParams)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}): closed loop`,
            rows: f.http.map(closedLoopRow),
          });
      }
      if (run.milvus) {
        const m = run.milvus;
        // recall[].ef holds the index type's own search parameter (nprobe, search_list).
        const param = m.searchParam === undefined ? 'ef' : (m.searchParam ?? 'exact');
        tables.push({
          title: `Milvus ${m.index}: insert ${Math.round(m.insertSeconds)} s, index ${Math.round(m.indexBuildSeconds)} s, restart ${Math.round(m.restartToFirstSearchSeconds)} s${m.bytesPerRow ? `, ${m.bytesPerRow} B resident per row` : ''}`,
          rows: m.recall.map((p) => ({
            [param]: p.ef,
            recall: p.recall,
            'QPS one thread': Math.round(p.qpsOneThread),
            'p99 ms': r2(p.p99Ms),
          })),
        });
        tables.push({
          title: `Milvus through the API${m.httpSearchValue ? ` (${param} ${m.httpSearchValue})` : ''}: closed loop`,
          rows: m.http.map((h) => ({
            ...closedLoopRow(h),
            'failures by kind': h.failures
              ? Object.entries(h.failures)
                  .map(([k, n]) => `${k}: ${n}`)
                  .join('; ')
              : '',
          })),
        });
      }
      return tables;
    }
    case 'usearch-versions':
      return [
        {
          title: 'usearch releases side by side (rounds alternate)',
          rows: run.rows.map((r) => ({
            round: r.round,
            node: r.node,
            usearch: r.usearch,
            'build s': r2(r.buildSeconds),
            'QPS one thread': Math.round(r.searchQpsOneThread),
            'p99 ms': r2(r.searchP99Ms),
            'recall@10': r2(r.recallAt10 * 1000) / 1000,
          })),
        },
      ];
    default:
      return [];
  }
}

/** The one figure a run is compared by, and its p99 where it has one. */
export function headline(
  run: AnyRun,
): { throughputName: string; throughput: number; p99Ms: number | null } | null {
  switch (run.kind) {
    case 'sweep': {
      const peak = run.levels.reduce((a, b) => (b.qps > a.qps ? b : a), run.levels[0]!);
      return {
        throughputName: `peak QPS (closed loop, c=${peak.concurrency})`,
        throughput: peak.qps,
        p99Ms: peak.latency.p99Ms,
      };
    }
    case 'rate':
    case 'mix':
    case 'users': {
      // A staged run is judged by its last (heaviest) stage, not by the average over all of them.
      const last = run.result.stages?.length > 1 ? run.result.stages.at(-1) : undefined;
      if (last)
        return {
          throughputName: `ok/s in the last stage (${Math.round(last.offeredPerSecond)}/s offered)`,
          throughput: last.okPerSecond,
          p99Ms: last.p99Ms,
        };
      return {
        throughputName: 'ok/s',
        throughput: run.result.okPerSecond,
        p99Ms: run.result.latency.p99Ms,
      };
    }
    case 'slo': {
      const best = run.steps.find((s) => s.rate === run.maxPassingRate);
      return {
        throughputName: `highest rate within ${run.rule}`,
        throughput: run.maxPassingRate ?? 0,
        p99Ms: best?.result.latency.p99Ms ?? null,
      };
    }
    case 'overload': {
      const defaults =
        run.results.find((r) => r.configuration === 'defaults') ?? run.results.at(-1);
      return defaults
        ? {
            throughputName: `admitted/s at ${run.overloadFactor ?? '?'}x (${defaults.configuration})`,
            throughput: defaults.overload.admittedPerSecond,
            p99Ms: defaults.overload.admittedMs.p99,
          }
        : null;
    }
    default:
      return null;
  }
}
