/** Shared set-up for the GPU suites: one runtime per test file, tensor comparison helpers. */
import { afterAll, beforeAll, expect } from 'vitest';
import { GpuRuntime } from '../../src/kernels/runtime.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';

/**
 * Requests the adapter once for the file (Dawn misbehaves when adapters are requested inside
 * test bodies). With no adapter the suite fails with the runtime's explanation; it never skips.
 */
export function useGpu(): () => GpuRuntime {
  let rt: GpuRuntime | null = null;
  beforeAll(async () => {
    rt = await GpuRuntime.create();
  });
  afterAll(() => rt?.destroy());
  return () => {
    if (!rt) throw new Error('no GPU runtime: GpuRuntime.create() failed in beforeAll (see the error above)');
    return rt;
  };
}

/** The acceptance tolerance of the kernel issues: |a − e| <= 2e-4 + 2e-3·|e|. */
export const ATOL = 2e-4;
export const RTOL = 2e-3;

/** Asserts equal shapes and |actual − expected| <= atol + rtol·|expected|, naming the worst element. */
export function expectTensorClose(actual: JsonTensor | undefined, expected: { shape: number[]; data: ArrayLike<number> }, what: string, atol = ATOL, rtol = RTOL): void {
  expect(actual, `${what} missing`).toBeDefined();
  expect(actual!.shape, `${what} shape`).toEqual(expected.shape);
  expect(actual!.data.length, `${what} length`).toBe(expected.data.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual!.data[i];
    const e = expected.data[i];
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  expect(worst, worst < 0 ? '' : `${what}[${worst}] = ${actual!.data[worst]}, expected ${expected.data[worst]}`).toBe(-1);
}

/** A JSON tensor from a shape and values. */
export function jsonTensor(shape: number[], data: ArrayLike<number>): JsonTensor {
  return { shape, data: Array.from(data) };
}

/** expectTensorClose for values read back flat (a Float32Array), taking the expected tensor's shape. */
export function expectValuesClose(actual: ArrayLike<number> | undefined, expected: { shape: number[]; data: ArrayLike<number> }, what: string): void {
  expect(actual, `${what} missing`).toBeDefined();
  expectTensorClose({ shape: expected.shape, data: Array.from(actual!) }, expected, what);
}

/** Asserts |actual − expected| <= 2e-4 + 2e-3·|expected| for one number (a loss). */
export function expectScalarClose(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what} ${actual} vs ${expected}`).toBeLessThanOrEqual(ATOL + RTOL * Math.abs(expected));
}
