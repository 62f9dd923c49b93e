import { describe, expect, it } from 'vitest';
import { normalizeConv2dAttrs } from '../../src/analysis/conv_shapes.ts';
import { InputError } from '../../src/analysis/errors.ts';
import { conv2dBackwardRef, conv2dForwardRef } from '../../src/analysis/reference/conv2d.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

const ones = (shape: number[]): Tensor64 => tensor(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(1));
const iota = (shape: number[]): Tensor64 => tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1));

describe('conv2dForwardRef, by hand', () => {
  it('3×3 input 1..9, 3×3 ones kernel, padding 1: each output is its neighbourhood sum', () => {
    const out = conv2dForwardRef(iota([1, 1, 3, 3]), ones([1, 1, 3, 3]), tensor([1], [0.5]), normalizeConv2dAttrs({ padding: 1 }, 3, 3));
    expect(out.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(out.data)).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28].map((v) => v + 0.5));
  });

  it('2×2 kernel [[1, 0], [0, -1]], stride 2, padding 1: padded taps add nothing', () => {
    const w = tensor([1, 1, 2, 2], [1, 0, 0, -1]);
    const out = conv2dForwardRef(iota([1, 1, 3, 3]), w, null, normalizeConv2dAttrs({ stride: 2, padding: 1 }, 2, 2));
    // (0,0): -x[0,0]; (0,1): -x[0,2]; (1,0): -x[2,0]; (1,1): x[1,1] - x[2,2].
    expect(Array.from(out.data)).toEqual([-1, -3, -7, 5 - 9]);
  });

  it('"same" with an even kernel pads one more on the right, as PyTorch', () => {
    const out = conv2dForwardRef(tensor([1, 1, 1, 3], [1, 2, 3]), tensor([1, 1, 1, 2], [1, 10]), null, normalizeConv2dAttrs({ padding: 'same' }, 1, 2));
    expect(Array.from(out.data)).toEqual([1 + 20, 2 + 30, 3]);
  });

  it('depthwise (groups = channels) keeps channels apart', () => {
    const x = tensor([1, 2, 1, 2], [1, 2, 3, 4]);
    const out = conv2dForwardRef(x, tensor([2, 1, 1, 1], [2, -1]), null, normalizeConv2dAttrs({ groups: 2 }, 1, 1));
    expect(Array.from(out.data)).toEqual([2, 4, -3, -4]);
  });

  it('rejects a weight whose in/groups does not match x', () => {
    expect(() => conv2dForwardRef(ones([1, 4, 3, 3]), ones([2, 3, 1, 1]), null, normalizeConv2dAttrs({ groups: 2 }, 1, 1))).toThrow(InputError);
  });
});

describe('conv2dBackwardRef', () => {
  it('3×3 ones kernel, padding 1, gradOut ones: dx counts windows, dw sums shifted inputs, db counts outputs', () => {
    const attrs = normalizeConv2dAttrs({ padding: 1 }, 3, 3);
    const g = conv2dBackwardRef(iota([1, 1, 3, 3]), ones([1, 1, 3, 3]), tensor([1], [0]), attrs, ones([1, 1, 3, 3]));
    expect(Array.from(g.x.data)).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
    expect(Array.from(g.weight.data)).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]);
    expect(Array.from(g.bias!.data)).toEqual([9]);
  });

  const cases: { name: string; x: number[]; w: number[]; attrs: Record<string, unknown>; bias: boolean }[] = [
    { name: 'stride, asymmetric pair padding, non-square', x: [2, 3, 6, 7], w: [4, 3, 3, 2], attrs: { stride: [2, 1], padding: [1, 0] }, bias: true },
    { name: 'groups 2 with dilation', x: [1, 4, 7, 6], w: [6, 2, 2, 3], attrs: { groups: 2, dilation: [2, 1], padding: 1 }, bias: true },
    { name: 'depthwise, channel multiplier 2, no bias', x: [2, 3, 5, 5], w: [6, 1, 3, 3], attrs: { groups: 3, stride: 2, padding: 1 }, bias: false },
    { name: '"same" with an even kernel (asymmetric padding)', x: [1, 2, 5, 4], w: [2, 2, 4, 2], attrs: { padding: 'same' }, bias: true },
    { name: 'stride larger than the kernel', x: [2, 1, 8, 9], w: [2, 1, 2, 2], attrs: { stride: 3 }, bias: true },
  ];
  for (const c of cases) {
    it(`matches central finite differences: ${c.name}`, () => {
      const rng = makeRng(7);
      const x = randomTensor(c.x, rng);
      const w = randomTensor(c.w, rng);
      const b = c.bias ? randomTensor([c.w[0]], rng) : null;
      const attrs = normalizeConv2dAttrs(c.attrs, c.w[2], c.w[3]);
      const out = conv2dForwardRef(x, w, b, attrs);
      const gradOut = randomTensor(out.shape, rng);
      const g = conv2dBackwardRef(x, w, b, attrs, gradOut);
      const forward = () => conv2dForwardRef(x, w, b, attrs);
      expectClose(g.x, numericalGrad(forward, x, gradOut.data), FD_ATOL, FD_RTOL, 'dx');
      expectClose(g.weight, numericalGrad(forward, w, gradOut.data), FD_ATOL, FD_RTOL, 'dweight');
      if (b) expectClose(g.bias!, numericalGrad(forward, b, gradOut.data), FD_ATOL, FD_RTOL, 'dbias');
      else expect(g.bias).toBeNull();
    });
  }
});
