import { describe, expect, it } from 'vitest';
import { reluBackwardRef, reluForwardRef } from '../../src/analysis/reference/relu.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

describe('reluForwardRef / reluBackwardRef', () => {
  it('clamps negatives to 0 and passes no gradient at exactly 0, as PyTorch', () => {
    const x = tensor([5], [-2, -0.5, 0, 0.5, 3]);
    expect(Array.from(reluForwardRef(x).data)).toEqual([0, 0, 0, 0.5, 3]);
    expect(Array.from(reluBackwardRef(x, tensor([5], [1, 2, 3, 4, 5])).data)).toEqual([0, 0, 0, 4, 5]);
  });

  it('matches central finite differences away from the kink', () => {
    const rng = makeRng(17);
    const x = randomTensor([3, 4, 5], rng);
    x.data.forEach((v, i) => { if (Math.abs(v) < 1e-3) x.data[i] = 0.5; });
    const gradOut = randomTensor([3, 4, 5], rng);
    expectClose(reluBackwardRef(x, gradOut), numericalGrad(() => reluForwardRef(x), x, gradOut.data), FD_ATOL, FD_RTOL, 'dx');
  });
});
