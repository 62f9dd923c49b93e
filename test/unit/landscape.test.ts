/**
 * Loss-landscape geometry without the GPU: filter normalization against a float64 reference
 * written here (Li et al., 2018: each filter of d scaled to the norm of θ's filter, biases zeroed),
 * the grid's axes, the seeded directions, and the plain/residual pair's shapes.
 */
import { describe, expect, test } from 'vitest';
import { analyzeModel } from '../../src/analysis/graph.ts';
import { filterNormalize, gridAxis, landscapePair } from '../../src/analysis/landscape.ts';
import { randomDirection } from '../../src/ops/loss_landscape.ts';

/** Per slice of dim 0: d_f · ‖θ_f‖ / ‖d_f‖, in float64 (the paper's eq. for each filter). */
function referenceNormalize(theta: number[], d: number[], shape: number[]): number[] {
  if (shape.length < 2) return d.map(() => 0);
  const size = theta.length / shape[0];
  const out: number[] = [];
  for (let f = 0; f < shape[0]; f++) {
    const t = theta.slice(f * size, (f + 1) * size);
    const v = d.slice(f * size, (f + 1) * size);
    const nt = Math.hypot(...t);
    const nv = Math.hypot(...v);
    out.push(...v.map((x) => (x * nt) / nv));
  }
  return out;
}

const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe('filter normalization', () => {
  test.each([
    ['Linear weight [3, 5]', [3, 5]],
    ['Conv2d weight [4, 2, 3, 3] (filters of 18)', [4, 2, 3, 3]],
    ['odd sizes [7, 1, 1, 13]', [7, 1, 1, 13]],
  ])('%s matches the float64 reference', (_, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const theta = seq(n, (i) => Math.sin(1.7 * i + 0.3) * (1 + (i % 5)));
    const d = seq(n, (i) => Math.cos(2.3 * i) - 0.2);
    const got = filterNormalize(theta, d, shape);
    const expected = referenceNormalize(theta, d, shape);
    got.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(expected[i]))));
    // Each filter of the result has θ's filter norm.
    const size = n / shape[0];
    for (let f = 0; f < shape[0]; f++) {
      const norm = Math.hypot(...Array.from(got.slice(f * size, (f + 1) * size)));
      expect(norm).toBeCloseTo(Math.hypot(...theta.slice(f * size, (f + 1) * size)), 4);
    }
  });

  test('biases and other rank-1 parameters get a zero direction; a zero filter stays zero', () => {
    expect(Array.from(filterNormalize([1, 2, 3], [4, 5, 6], [3]))).toEqual([0, 0, 0]);
    expect(Array.from(filterNormalize([0, 0, 1, 1], [3, 4, 1, 0], [2, 2]))).toEqual([0, 0, Math.fround(Math.SQRT2), 0]);
  });

  test('mismatched lengths are refused with the numbers', () => {
    expect(() => filterNormalize([1, 2, 3], [1, 2], [3, 1])).toThrow(/shape \[3, 1\] has 3 values, got θ 3 and d 2/);
  });
});

describe('grid and directions', () => {
  test('the axis runs from −span to span with an exact 0 in the middle', () => {
    expect(gridAxis(5, 2)).toEqual([-2, -1, 0, 1, 2]);
    expect(gridAxis(4, 1).map((v) => Number(v.toFixed(6)))).toEqual([-1, -0.333333, 0.333333, 1]);
    expect(() => gridAxis(1, 1)).toThrow(/at least 2 points per axis, got 1/);
    expect(() => gridAxis(5, 0)).toThrow(/span must be a finite number > 0, got 0/);
  });

  test('seeded directions: reproducible, different per stream, filter-normalized', () => {
    const params = [{ name: 'fc.weight', shape: [3, 4], data: seq(12, (i) => i - 5.5) }, { name: 'fc.bias', shape: [3], data: [1, 2, 3] }];
    const a = randomDirection(params, 7, 'd1');
    const b = randomDirection(params, 7, 'd2');
    expect(Array.from(a[0])).toEqual(Array.from(randomDirection(params, 7, 'd1')[0]));
    expect(Array.from(a[0])).not.toEqual(Array.from(b[0]));
    expect(Array.from(a[1])).toEqual([0, 0, 0]);
    for (let f = 0; f < 3; f++) expect(Math.hypot(...a[0].slice(4 * f, 4 * f + 4))).toBeCloseTo(Math.hypot(...params[0].data.slice(4 * f, 4 * f + 4)), 4);
  });

  test('the plain and residual pair: same depth, same parameters, Fashion-MNIST in, 10 classes out', () => {
    const { plain, residual } = landscapePair(3, 16, 8);
    const p = analyzeModel(plain);
    const r = analyzeModel(residual);
    expect(p.output.shape).toEqual([8, 10]);
    expect(r.output.shape).toEqual([8, 10]);
    const params = (g: typeof p) => g.layers.reduce((s, l) => s + l.paramCount, 0);
    expect(params(p)).toBe(784 * 16 + 16 + 3 * (16 * 16 + 16) + 16 * 10 + 10);
    expect(params(r)).toBe(params(p));
    expect(r.layers.filter((l) => l.type === 'Residual')).toHaveLength(3);
    expect(() => landscapePair(0, 16, 8)).toThrow(/--depth must be a whole number in 1\.\.64, got 0/);
  });
});
