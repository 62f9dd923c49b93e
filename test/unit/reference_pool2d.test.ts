import { describe, expect, it } from 'vitest';
import { normalizePool2dAttrs } from '../../src/analysis/conv_shapes.ts';
import {
  avgPool2dBackwardRef,
  avgPool2dForwardRef,
  maxPool2dBackwardRef,
  maxPool2dForwardRef,
} from '../../src/analysis/reference/pool2d.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

const iota = (shape: number[]) => tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1));
const maxAttrs = (a: Record<string, unknown>) => normalizePool2dAttrs('max_pool2d', a);
const avgAttrs = (a: Record<string, unknown>) => normalizePool2dAttrs('avg_pool2d', a);

describe('max pool, by hand', () => {
  it('a tie goes to the first maximum in row-major window order, in value, index and gradient', () => {
    const x = tensor([1, 1, 2, 2], [1, 3, 3, 0]);
    const { output, indices } = maxPool2dForwardRef(x, maxAttrs({ kernel_size: 2 }));
    expect(Array.from(output.data)).toEqual([3]);
    expect(Array.from(indices.data)).toEqual([1]);
    expect(Array.from(maxPool2dBackwardRef(x, maxAttrs({ kernel_size: 2 }), tensor([1, 1, 1, 1], [5])).data)).toEqual([0, 5, 0, 0]);
  });

  it('padding is −inf: with all-negative input the padded zeros are never chosen', () => {
    const x = tensor([1, 1, 2, 2], [-4, -3, -2, -1]);
    const attrs = maxAttrs({ kernel_size: 2, stride: 1, padding: 1 });
    const { output, indices } = maxPool2dForwardRef(x, attrs);
    expect(output.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(output.data)).toEqual([-4, -3, -3, -2, -1, -1, -2, -1, -1]);
    expect(Array.from(indices.data)).toEqual([0, 1, 1, 2, 3, 3, 2, 3, 3]);
    const gx = maxPool2dBackwardRef(x, attrs, tensor([1, 1, 3, 3], [1, 1, 1, 1, 1, 1, 1, 1, 1]));
    expect(Array.from(gx.data)).toEqual([1, 2, 2, 4]);
  });

  it('dilation spaces the taps; indices are per plane for [C, H, W] input', () => {
    // Plane 1 of 1..32 holds 17..32; a 2×2 kernel with dilation 2 over 4×4 reads corners of 3×3 blocks.
    const { output, indices } = maxPool2dForwardRef(iota([2, 4, 4]), maxAttrs({ kernel_size: 2, stride: 1, dilation: 2 }));
    expect(output.shape).toEqual([2, 2, 2]);
    expect(Array.from(output.data)).toEqual([11, 12, 15, 16, 27, 28, 31, 32]);
    expect(Array.from(indices.data)).toEqual([10, 11, 14, 15, 10, 11, 14, 15]);
  });
});

describe('avg pool, by hand', () => {
  const x = iota([1, 1, 4, 4]);
  it('count_include_pad true divides a corner window by the full 3×3 kernel', () => {
    const out = avgPool2dForwardRef(x, avgAttrs({ kernel_size: 3, stride: 2, padding: 1 }));
    expect(Array.from(out.data)).toEqual([14 / 9, 30 / 9, 57 / 9, 99 / 9]);
  });

  it('count_include_pad false divides a corner window by its 2×2 real elements', () => {
    const out = avgPool2dForwardRef(x, avgAttrs({ kernel_size: 3, stride: 2, padding: 1, count_include_pad: false }));
    expect(Array.from(out.data)).toEqual([14 / 4, 30 / 6, 57 / 6, 99 / 9]);
  });

  it('ceil mode: the window past the right padding counts only up to H + pad when including padding', () => {
    // H = 4, k = 3, s = 2, p = 1, ceil: 3 windows; the last starts at 3, ends at min(6, 5) = 5.
    const col = tensor([1, 1, 4, 1], [1, 2, 3, 4]);
    const include = avgPool2dForwardRef(col, avgAttrs({ kernel_size: [3, 1], stride: [2, 1], padding: [1, 0], ceil_mode: true }));
    expect(Array.from(include.data)).toEqual([3 / 3, 9 / 3, 4 / 2]);
    const exclude = avgPool2dForwardRef(col, avgAttrs({ kernel_size: [3, 1], stride: [2, 1], padding: [1, 0], ceil_mode: true, count_include_pad: false }));
    expect(Array.from(exclude.data)).toEqual([3 / 2, 9 / 3, 4 / 1]);
  });

  it('divisor_override replaces the divisor in forward and backward', () => {
    const attrs = avgAttrs({ kernel_size: 2, stride: 1, divisor_override: 3 });
    const ones = tensor([1, 3, 3], [1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(avgPool2dForwardRef(ones, attrs).data)).toEqual([4 / 3, 4 / 3, 4 / 3, 4 / 3]);
    const gx = avgPool2dBackwardRef(ones, attrs, tensor([1, 2, 2], [3, 3, 3, 3]));
    expect(Array.from(gx.data)).toEqual([1, 2, 1, 2, 4, 2, 1, 2, 1]);
  });
});

describe('pool backward matches central finite differences', () => {
  const maxCases: Record<string, unknown>[] = [
    { kernel_size: 3, stride: 2, padding: 1 },
    { kernel_size: [2, 3], stride: [1, 2], dilation: [2, 1], ceil_mode: true },
    { kernel_size: 2, stride: 3 },
  ];
  for (const a of maxCases) {
    it(`max_pool2d ${JSON.stringify(a)}`, () => {
      const rng = makeRng(11);
      const x = randomTensor([2, 2, 7, 8], rng);
      const attrs = maxAttrs(a);
      const gradOut = randomTensor(maxPool2dForwardRef(x, attrs).output.shape, rng);
      const numeric = numericalGrad(() => maxPool2dForwardRef(x, attrs).output, x, gradOut.data);
      expectClose(maxPool2dBackwardRef(x, attrs, gradOut), numeric, FD_ATOL, FD_RTOL, 'dx');
    });
  }

  const avgCases: Record<string, unknown>[] = [
    { kernel_size: 3, stride: 2, padding: 1, ceil_mode: true },
    { kernel_size: [3, 2], stride: [2, 3], padding: [1, 1], count_include_pad: false, ceil_mode: true },
    { kernel_size: 2, padding: 1, divisor_override: 3 },
  ];
  for (const a of avgCases) {
    it(`avg_pool2d ${JSON.stringify(a)}`, () => {
      const rng = makeRng(13);
      const x = randomTensor([3, 7, 6], rng);
      const attrs = avgAttrs(a);
      const gradOut = randomTensor(avgPool2dForwardRef(x, attrs).shape, rng);
      const numeric = numericalGrad(() => avgPool2dForwardRef(x, attrs), x, gradOut.data);
      expectClose(avgPool2dBackwardRef(x, attrs, gradOut), numeric, FD_ATOL, FD_RTOL, 'dx');
    });
  }
});
