/**
 * Minimal line/scatter charts as inline SVG strings: rendered at report time,
 * so the HTML page needs no script and no network (self-contained).
 */
export interface Series {
  name: string;
  points: { x: number; y: number }[];
  /** Dashed line without markers (a model), or markers joined by a line (measured). */
  style?: 'measured' | 'model';
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  width?: number;
  height?: number;
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];

const esc = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

function niceTicks(min: number, max: number, count = 5): number[] {
  if (max <= min) return [min];
  const span = max - min;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 10_000) return `${Math.round(v / 1000)}k`;
  if (Math.abs(v) >= 100) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

/**
 * A title broken at spaces into lines that fit the chart's width (centred
 * text wider than the chart is cut at both ends). 13 px bold sans averages
 * under 7.5 px a character; a word longer than a line keeps its own line.
 */
export function titleLines(title: string, width: number): string[] {
  const perLine = Math.max(10, Math.floor((width - 16) / 7.5));
  const lines: string[] = [];
  let line = '';
  for (const word of title.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > perLine) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 560;
  const title = titleLines(o.title, W);
  const titleH = 16 * title.length;
  // The legend sits above the plot, one line per series.
  const legendH = 16 * o.series.length;
  const H = (o.height ?? 320) + legendH + titleH - 16;
  const m = { l: 64, r: 16, t: 16 + titleH + legendH, b: 48 };
  const pts = o.series
    .flatMap((s) => s.points)
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (pts.length === 0) {
    return `<svg class="chart" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"><text x="${W / 2}" y="${H / 2}" text-anchor="middle">${esc(o.title)}: no data</text></svg>`;
  }
  const tx = (x: number) => (o.logX ? Math.log10(Math.max(x, 1e-9)) : x);
  const xs = pts.map((p) => tx(p.x));
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  if (xMax === xMin) {
    xMin -= 1;
    xMax += 1;
  }
  const yMax = Math.max(...pts.map((p) => p.y)) * 1.08 || 1;
  const yMin = Math.min(0, ...pts.map((p) => p.y));
  const X = (x: number) => m.l + ((tx(x) - xMin) / (xMax - xMin)) * (W - m.l - m.r);
  const Y = (y: number) => H - m.b - ((y - yMin) / (yMax - yMin)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(
    `<text text-anchor="middle" font-weight="bold" font-size="13">${title
      .map((t, i) => `<tspan x="${W / 2}" y="${18 + 16 * i}">${esc(t)}</tspan>`)
      .join('')}<title>${esc(o.title)}</title></text>`,
  );
  for (const t of niceTicks(yMin, yMax)) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/>`,
      `<text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`,
    );
  }
  const xTicks = o.logX
    ? [
        ...new Set(
          o.series.filter((s) => s.style !== 'model').flatMap((s) => s.points.map((p) => p.x)),
        ),
      ].sort((a, b) => a - b)
    : niceTicks(xMin, xMax);
  for (const t of xTicks) {
    parts.push(
      `<text x="${X(t)}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/>`,
    `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle" font-size="12">${esc(o.xLabel)}</text>`,
    `<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(o.yLabel)}</text>`,
  );
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const p = s.points
      .filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y))
      .sort((a, b) => a.x - b.x);
    if (p.length === 0) return;
    const d = p
      .map((q, j) => `${j === 0 ? 'M' : 'L'}${X(q.x).toFixed(1)},${Y(q.y).toFixed(1)}`)
      .join(' ');
    const dash = s.style === 'model' ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}><title>${esc(s.name)}</title></path>`,
    );
    if (s.style !== 'model') {
      for (const q of p) {
        parts.push(
          `<circle cx="${X(q.x).toFixed(1)}" cy="${Y(q.y).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s.name}: ${fmt(q.x)}, ${fmt(q.y)}`)}</title></circle>`,
        );
      }
    }
    parts.push(
      `<rect x="${m.l + 10}" y="${14 + titleH + i * 16}" width="12" height="3" fill="${color}"/>`,
      `<text x="${m.l + 26}" y="${19 + titleH + i * 16}" font-size="11">${esc(s.name)}</text>`,
    );
  });
  return `<svg class="chart" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">${parts.join('')}</svg>`;
}
