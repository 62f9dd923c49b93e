/**
 * A chart's data as a standalone SVG vector plot: frame, ticks with labels on both axes, axis
 * labels, one polyline per series (or bars over categories) and a legend. The same data
 * `<nnx-chart>` draws with uPlot, written as plain SVG elements so it scales and edits in any
 * vector tool. Pure: no DOM.
 */
import type { ChartData } from './chart.ts';

export interface ChartSvgOptions {
  width: number;
  height: number;
  logY?: boolean;
  bars?: boolean;
  /** Tick labels for x = 0, 1, 2, … (bar charts). */
  categories?: string[] | null;
  /** Draw lines across null values instead of breaking them. */
  spanGaps?: boolean;
  /** Hold each value until the next x, then step (as `<nnx-chart stepped>`). */
  stepped?: boolean;
  xLabel?: string;
  yLabel?: string;
  /** Y tick text. */
  format: (v: number) => string;
  /** Colour of series i when it names none. */
  palette: string[];
}

const MARGIN = { left: 72, right: 16, top: 30, bottom: 44 };

/** Escapes text for an XML text node or attribute. */
function xmlText(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [min, max]. */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Powers of ten within [min, max] (min > 0), thinned to at most `count`. */
export function logTicks(min: number, max: number, count = 6): number[] {
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  const every = Math.max(1, Math.ceil((hi - lo + 1) / count));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e += every) ticks.push(Number(`1e${e}`));
  return ticks.length ? ticks : [min];
}

function finiteRange(values: number[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) ? [min, max] : [0, 1];
}

/** The chart as an SVG document (UTF-8 text). */
export function chartSvg(data: ChartData, o: ChartSvgOptions): string {
  const plotW = o.width - MARGIN.left - MARGIN.right;
  const plotH = o.height - MARGIN.top - MARGIN.bottom;
  const ys = data.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v) && (!o.logY || v > 0)));
  let [yMin, yMax] = finiteRange(ys);
  if (o.logY) {
    // Out to whole decades, as uPlot's log scale does, so no line runs along the frame.
    [yMin, yMax] = [Number(`1e${Math.floor(Math.log10(yMin))}`), Number(`1e${Math.ceil(Math.log10(yMax))}`)];
    if (yMin === yMax) [yMin, yMax] = [yMin / 10, yMax * 10];
  } else {
    [yMin, yMax] = [Math.min(0, yMin), yMax > 0 ? yMax * 1.08 : 1];
  }
  let [xMin, xMax] = finiteRange(data.x);
  if (o.bars) [xMin, xMax] = [xMin - 0.6, xMax + 0.6];
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  const px = (x: number) => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = o.logY
    ? (y: number) => MARGIN.top + (1 - (Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH
    : (y: number) => MARGIN.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
  const r = (v: number) => Number(v.toFixed(2));
  const parts: string[] = [];
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#c9ced8"/>`);
  const yTicks = o.logY ? logTicks(yMin, yMax) : linearTicks(yMin, yMax);
  for (const t of yTicks) {
    const y = r(py(t));
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" stroke="#e2e5ee"/>`);
    parts.push(`<text class="y-tick" data-value="${t}" x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${xmlText(o.format(t))}</text>`);
  }
  const xTicks = o.categories ? data.x : linearTicks(xMin, xMax, 6);
  for (const t of xTicks) {
    const x = r(px(t));
    const label = o.categories ? o.categories[t] ?? '' : String(t);
    parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" stroke="#667085"/>`);
    parts.push(`<text class="x-tick" data-value="${t}" x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${xmlText(label)}</text>`);
  }
  if (o.xLabel) parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${o.height - 8}" text-anchor="middle" font-size="11">${xmlText(o.xLabel)}</text>`);
  if (o.yLabel) parts.push(`<text x="14" y="${MARGIN.top + plotH / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 14 ${MARGIN.top + plotH / 2})">${xmlText(o.yLabel)}</text>`);
  const slot = data.series.length ? (0.7 * plotW) / ((xMax - xMin) * data.series.length) : 0;
  data.series.forEach((s, i) => {
    const color = xmlText(s.color ?? o.palette[i % o.palette.length]);
    const label = xmlText(s.label);
    if (o.bars) {
      const bars = data.x.flatMap((x, j) => {
        const v = s.values[j];
        if (v === null || !Number.isFinite(v)) return [];
        const top = Math.min(py(v), py(Math.max(yMin, 0)));
        const left = px(x) - (slot * data.series.length) / 2 + slot * i;
        return [`<rect data-value="${v}" x="${r(left)}" y="${r(top)}" width="${r(slot)}" height="${r(Math.abs(py(v) - py(Math.max(yMin, 0))))}"/>`];
      });
      parts.push(`<g class="series" data-label="${label}" fill="${color}">${bars.join('')}</g>`);
      return;
    }
    const runs: string[][] = [[]];
    let held = 0;
    data.x.forEach((x, j) => {
      const v = s.values[j];
      const drawable = v !== null && Number.isFinite(v) && (!o.logY || v > 0);
      if (drawable) {
        const run = runs[runs.length - 1];
        if (o.stepped && run.length) run.push(`${r(px(x))},${r(py(held))}`);
        run.push(`${r(px(x))},${r(py(v))}`);
        held = v;
      } else if (v !== null || !o.spanGaps) runs.push([]);
    });
    const lines = runs.filter((p) => p.length).map((p) => `<polyline points="${p.join(' ')}"/>`);
    parts.push(`<g class="series" data-label="${label}" fill="none" stroke="${color}" stroke-width="1.75">${lines.join('')}</g>`);
  });
  const legend = data.series.map((s, i) => {
    const x = MARGIN.left + i * 150;
    return `<rect x="${x}" y="10" width="12" height="3" fill="${xmlText(s.color ?? o.palette[i % o.palette.length])}"/><text x="${x + 16}" y="14">${xmlText(s.label)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${o.width}" height="${o.height}" viewBox="0 0 ${o.width} ${o.height}" font-family="sans-serif" font-size="10" fill="#344054">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    ...legend,
    '</svg>',
  ].join('\n');
}
