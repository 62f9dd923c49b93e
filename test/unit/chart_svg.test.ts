import { describe, expect, it } from 'vitest';
import { chartSvg, linearTicks, logTicks, type ChartSvgOptions } from '../../src/ui/chart_svg.ts';

const OPTIONS: ChartSvgOptions = { width: 400, height: 200, format: (v) => String(v), palette: ['#111111', '#222222'] };
const MARGIN = { left: 72, right: 16, top: 30, bottom: 44 };

/** The points of every polyline of the series labelled `label`, in SVG coordinates. */
function polylines(svg: string, label: string): number[][][] {
  const group = svg.match(new RegExp(`<g class="series" data-label="${label}"[^>]*>(.*?)</g>`))![1];
  return [...group.matchAll(/points="([^"]*)"/g)].map((m) => m[1].split(' ').map((p) => p.split(',').map(Number)));
}

describe('chartSvg: a vector plot of the chart data', () => {
  it('maps every point back to its (x, y) through the plotted axis range', () => {
    const x = [0, 1, 2, 3, 4, 5, 6];
    const a = [0.5, 2, 1.25, null, 3, 2.5, 4];
    const svg = chartSvg({ x, series: [{ label: 'loss', values: a }, { label: 'acc', values: x.map((v) => v / 2), color: '#abcdef' }] }, { ...OPTIONS, xLabel: 'step', yLabel: 'value' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toContain('<image');
    const runs = polylines(svg, 'loss');
    // The null breaks the line in two.
    expect(runs.map((r) => r.length)).toEqual([3, 3]);
    const plotW = 400 - MARGIN.left - MARGIN.right;
    const plotH = 200 - MARGIN.top - MARGIN.bottom;
    const yMax = 4 * 1.08;
    const points = runs.flat();
    const expected = x.flatMap((xi, i) => (a[i] === null ? [] : [[MARGIN.left + (xi / 6) * plotW, MARGIN.top + (1 - a[i]! / yMax) * plotH]]));
    points.forEach(([px, py], i) => {
      expect(px).toBeCloseTo(expected[i][0], 1);
      expect(py).toBeCloseTo(expected[i][1], 1);
    });
    expect(svg).toContain('stroke="#abcdef"');
    expect(svg).toContain('>step</text>');
    expect(svg).toContain('>value</text>');
    const yTicks = [...svg.matchAll(/class="y-tick" data-value="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(yTicks).toEqual([0, 1, 2, 3, 4]);
  });

  it('stepped holds each value until the next x, then steps', () => {
    const svg = chartSvg({ x: [0, 1, 2], series: [{ label: 'live', values: [0, 4, 2] }] }, { ...OPTIONS, stepped: true });
    const plotW = 400 - MARGIN.left - MARGIN.right;
    const plotH = 200 - MARGIN.top - MARGIN.bottom;
    const at = (x: number, y: number) => [MARGIN.left + (x / 2) * plotW, MARGIN.top + (1 - y / (4 * 1.08)) * plotH];
    const expected = [at(0, 0), at(1, 0), at(1, 4), at(2, 4), at(2, 2)];
    const [points] = polylines(svg, 'live');
    expect(points).toHaveLength(expected.length);
    points.forEach(([px, py], i) => {
      expect(px).toBeCloseTo(expected[i][0], 1);
      expect(py).toBeCloseTo(expected[i][1], 1);
    });
  });

  it('spanGaps joins across nulls; a log axis ticks at powers of ten and drops values ≤ 0', () => {
    const svg = chartSvg({ x: [1, 2, 3, 4], series: [{ label: 'g', values: [1e-3, null, 0, 10] }] }, { ...OPTIONS, logY: true, spanGaps: true });
    expect(polylines(svg, 'g').map((r) => r.length)).toEqual([1, 1]);
    const yTicks = [...svg.matchAll(/class="y-tick" data-value="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(yTicks).toEqual([1e-3, 1e-2, 1e-1, 1, 10]);
    const joined = chartSvg({ x: [1, 2, 3], series: [{ label: 'g', values: [1, null, 3] }] }, { ...OPTIONS, spanGaps: true });
    expect(polylines(joined, 'g').map((r) => r.length)).toEqual([2]);
  });

  it('bars: one rect per value with the category labels; text is escaped', () => {
    const svg = chartSvg({ x: [0, 1, 2], series: [{ label: '<b>ms</b>', values: [3, 1, 2] }] }, { ...OPTIONS, bars: true, categories: ['conv & relu', 'pool', 'fc'] });
    const heights = [...svg.matchAll(/<rect data-value="([^"]+)"[^>]* height="([^"]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(heights.map(([v]) => v)).toEqual([3, 1, 2]);
    const unit = heights[0][1] / 3;
    for (const [v, h] of heights) expect(h).toBeCloseTo(v * unit, 1);
    expect(svg).toContain('>conv &amp; relu</text>');
    expect(svg).toContain('data-label="&lt;b&gt;ms&lt;/b&gt;"');
    expect(svg).not.toContain('<b>');
  });
});

describe('tick helpers', () => {
  it('linearTicks steps by 1, 2 or 5 × 10^k', () => {
    expect(linearTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(-3, 7)).toEqual([-2, 0, 2, 4, 6]);
    expect(linearTicks(2, 2)).toEqual([2]);
  });
  it('logTicks thins the powers of ten', () => {
    expect(logTicks(1e-8, 1e4, 6)).toEqual([1e-8, 1e-5, 1e-2, 10, 1e4]);
    expect(logTicks(0.05, 20)).toEqual([0.1, 1, 10]);
  });
});
