import { round } from '../../../../src/core/statistics.ts';
import type { Table } from '../../report/table.ts';
import type { ResultKind } from '../../result-kind.ts';
import { type ScaleRun, scaleRunSchema } from './result.ts';

/** One level of a scale run's closed-loop sweep through the API. */
function closedLoopRow(h: {
  concurrency: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
  failureRate: number;
  searchThreads?: number;
  serverCpuPercent?: number;
  generatorCpuPercent?: number;
}) {
  return {
    ...(h.searchThreads !== undefined && {
      'search threads': h.searchThreads === -1 ? 'auto' : h.searchThreads,
    }),
    c: h.concurrency,
    'req/s': Math.round(h.qps),
    'p50 ms': round(h.p50Ms),
    'p99 ms': round(h.p99Ms),
    failed: `${(h.failureRate * 100).toFixed(2)}%`,
    ...(h.serverCpuPercent !== undefined && { 'server CPU %': h.serverCpuPercent }),
    ...(h.generatorCpuPercent !== undefined && { 'generator CPU %': h.generatorCpuPercent }),
  };
}

export const scaleKind: ResultKind<ScaleRun> = {
  kind: 'scale',
  describe: 'The store at scale: build, restart, memory, recall and HTTP figures per quantization.',
  schema: scaleRunSchema,
  tables(run) {
    const tables: Table[] = [];
    for (const f of run.runs ?? []) {
      tables.push({
        title: `${f.mode ?? f.quantization}: build ${Math.round(f.buildSeconds)} s, open ${Math.round(f.openMs.shared)} ms (shared), restart after a crash ${Math.round(f.crashRestart.wallMs)} ms`,
        rows: f.recall.map((p) => ({
          ef: p.ef,
          ...(p.oversampling !== undefined && { oversampling: p.oversampling }),
          recall: p.recall,
          'QPS one thread': Math.round(p.qpsOneThread),
          'p99 ms': round(p.p99Ms),
        })),
      });
      // Runs that chose their HTTP setting from the recall curve say which it was.
      if (f.httpParams)
        tables.push({
          title: `${f.mode ?? f.quantization} through the API (${Object.entries(f.httpParams)
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
          'p99 ms': round(p.p99Ms),
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
  },
};
