import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { linearBackwardRef, linearForwardRef } from '../../src/analysis/reference/linear.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

describe('linearForwardRef / linearBackwardRef', () => {
  it('computes x·Wᵀ + b and its gradients by hand', () => {
    const x = tensor([1, 2], [1, 2]);
    const w = tensor([3, 2], [1, 0, 0, 1, 1, 1]);
    const b = tensor([3], [0.5, -0.5, 0]);
    const y = linearForwardRef(x, w, b);
    expect(y.shape).toEqual([1, 3]);
    expect(Array.from(y.data)).toEqual([1.5, 1.5, 3]);
    const g = linearBackwardRef(x, w, b, tensor([1, 3], [1, 2, 3]));
    expect(Array.from(g.x.data)).toEqual([1 + 3, 2 + 3]);
    expect(Array.from(g.weight.data)).toEqual([1, 2, 2, 4, 3, 6]);
    expect(Array.from(g.bias!.data)).toEqual([1, 2, 3]);
  });

  it('rejects an input whose last axis is not in_features', () => {
    expect(() => linearForwardRef(tensor([2, 3], [1, 2, 3, 4, 5, 6]), tensor([1, 2], [1, 1]), null)).toThrow(InputError);
  });

  const cases = [
    { name: '3-D input [2, 3, 5]', x: [2, 3, 5], w: [4, 5], bias: true },
    { name: 'K = 1', x: [6, 1], w: [3, 1], bias: true },
    { name: '1-D input, no bias', x: [7], w: [2, 7], bias: false },
  ];
  for (const c of cases) {
    it(`matches central finite differences: ${c.name}`, () => {
      const rng = makeRng(5);
      const x = randomTensor(c.x, rng);
      const w = randomTensor(c.w, rng);
      const b = c.bias ? randomTensor([c.w[0]], rng) : null;
      const gradOut = randomTensor(linearForwardRef(x, w, b).shape, rng);
      const g = linearBackwardRef(x, w, b, gradOut);
      const forward = () => linearForwardRef(x, w, b);
      expectClose(g.x, numericalGrad(forward, x, gradOut.data), FD_ATOL, FD_RTOL, 'dx');
      expectClose(g.weight, numericalGrad(forward, w, gradOut.data), FD_ATOL, FD_RTOL, 'dweight');
      if (b) expectClose(g.bias!, numericalGrad(forward, b, gradOut.data), FD_ATOL, FD_RTOL, 'dbias');
      else expect(g.bias).toBeNull();
    });
  }
});
