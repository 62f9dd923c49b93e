/** Shared helpers for the float64 reference tests: a seeded RNG, tolerance checks, finite differences. */
import { expect } from 'vitest';
import { mulberry32 } from '../../src/analysis/random.ts';
import { numel, type Tensor64 } from '../../src/analysis/tensor.ts';

/** A seeded uniform [0, 1) generator, so every test input is reproducible. */
export const makeRng = mulberry32;

/** A tensor of uniform values in [lo, hi). */
export function randomTensor(shape: number[], rng: () => number, lo = -1, hi = 1): Tensor64 {
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rng();
  return { shape, data };
}

/** A tensor from a shape and literal values. */
export function tensor(shape: number[], values: number[]): Tensor64 {
  return { shape, data: Float64Array.from(values) };
}

/**
 * Asserts same shape and |actual − expected| <= atol + rtol·|expected| everywhere, naming the
 * worst element in the failure message.
 */
export function expectClose(actual: Tensor64, expected: { shape: number[]; data: ArrayLike<number> }, atol: number, rtol: number, what = 'tensor'): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  expect(actual.data.length, `${what} length`).toBe(expected.data.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.data.length; i++) {
    const err = Math.abs(actual.data[i] - expected.data[i]);
    const tol = atol + rtol * Math.abs(expected.data[i]);
    if (err <= tol) continue;
    const excess = Number.isNaN(err) ? Infinity : err - tol;
    if (worst < 0 || excess > worstExcess) {
      worst = i;
      worstExcess = excess;
    }
  }
  const message = worst < 0 ? '' : `${what}[${worst}] = ${actual.data[worst]}, expected ${expected.data[worst]}`;
  expect(worst, message).toBe(-1);
}

/**
 * Central finite differences (eps 1e-6) of L = Σ forward()·gradOut with respect to every element
 * of `input`, which `forward` must read. The input is restored after each probe.
 */
export function numericalGrad(forward: () => Tensor64, input: Tensor64, gradOut: Float64Array, eps = 1e-6): Tensor64 {
  const loss = (): number => forward().data.reduce((acc, v, i) => acc + v * gradOut[i], 0);
  const grad = new Float64Array(input.data.length);
  for (let i = 0; i < grad.length; i++) {
    const saved = input.data[i];
    input.data[i] = saved + eps;
    const plus = loss();
    input.data[i] = saved - eps;
    const minus = loss();
    input.data[i] = saved;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return { shape: [...input.shape], data: grad };
}

/** Tolerances for an analytic gradient against central differences in float64. */
export const FD_ATOL = 1e-8;
export const FD_RTOL = 1e-7;
