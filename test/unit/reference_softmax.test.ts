import { describe, expect, it } from 'vitest';
import { logSumExpPartsRef, softmaxBackwardRef, softmaxForwardRef } from '../../src/analysis/reference/softmax.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

describe('softmaxForwardRef / softmaxBackwardRef', () => {
  it('gives hand-computed values along the last dim and along dim 0', () => {
    // softmax([0, ln 3]) = [1/4, 3/4]; the column [0, ln 3] along dim 0 likewise.
    const y = softmaxForwardRef(tensor([1, 2], [0, Math.log(3)]), -1);
    expectClose(y, tensor([1, 2], [0.25, 0.75]), 1e-15, 0);
    const col = softmaxForwardRef(tensor([2, 1], [0, Math.log(3)]), 0);
    expectClose(col, tensor([2, 1], [0.25, 0.75]), 1e-15, 0);
    expectClose(softmaxForwardRef(tensor([2], [0, Math.log(3)]), 0, true), tensor([2], [Math.log(0.25), Math.log(0.75)]), 1e-15, 0);
  });

  it('stays finite for logits of ±1000 (the max is subtracted)', () => {
    const x = tensor([3], [1000, 1000, -1000]);
    expect(Array.from(softmaxForwardRef(x, 0).data)).toEqual([0.5, 0.5, 0]);
    expectClose(softmaxForwardRef(x, 0, true), tensor([3], [-Math.LN2, -Math.LN2, -2000 - Math.LN2]), 1e-12, 0);
    const parts = logSumExpPartsRef(x, 0);
    expect([parts.max[0], parts.sumExp[0]]).toEqual([1000, 2]);
  });

  it('has hand-computed gradients: p(g − Σ g·p) and g − p·Σ g', () => {
    const x = tensor([2], [0, Math.log(3)]);
    const g = tensor([2], [1, 0]);
    // p = [1/4, 3/4], Σ g·p = 1/4: [1/4·3/4, 3/4·(−1/4)].
    expectClose(softmaxBackwardRef(x, g, 0), tensor([2], [3 / 16, -3 / 16]), 1e-15, 0);
    // Σ g = 1: [1 − 1/4, −3/4].
    expectClose(softmaxBackwardRef(x, g, 0, true), tensor([2], [0.75, -0.75]), 1e-15, 0);
  });

  it('matches central finite differences along a middle dim of a 4-D tensor', () => {
    const rng = makeRng(5);
    const x = randomTensor([2, 3, 4, 5], rng, -3, 3);
    const g = randomTensor([2, 3, 4, 5], rng);
    for (const log of [false, true]) {
      expectClose(softmaxBackwardRef(x, g, 2, log), numericalGrad(() => softmaxForwardRef(x, 2, log), x, g.data), FD_ATOL, FD_RTOL, log ? 'log_softmax dx' : 'softmax dx');
    }
  });

  it('refuses a dim outside the rank', () => {
    expect(() => softmaxForwardRef(tensor([2, 2], [0, 0, 0, 0]), 2)).toThrow('dim 2 is out of range');
  });
});
