import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { crossEntropyBackwardRef, crossEntropyForwardRef, type Reduction } from '../../src/analysis/reference/cross_entropy.ts';
import type { Tensor } from '../../src/analysis/tensor.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

const target = (values: number[]): Tensor<Int32Array> => ({ shape: [values.length], data: Int32Array.from(values) });
const scalar = (v: number) => tensor([], [v]);

describe('crossEntropyForwardRef / crossEntropyBackwardRef', () => {
  it('two equal logits: loss ln 2, probs ½, gradient (p − onehot) / N', () => {
    const logits = tensor([2, 2], [0, 0, 3, 3]);
    const t = target([0, 1]);
    const { loss, probs, perSample } = crossEntropyForwardRef(logits, t);
    expect(loss.shape).toEqual([]);
    expect(loss.data[0]).toBeCloseTo(Math.LN2, 15);
    expect(Array.from(probs.data)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(perSample.shape).toEqual([2]);
    expect(Array.from(crossEntropyBackwardRef(logits, t, 'mean', scalar(1)).data)).toEqual([-0.25, 0.25, 0.25, -0.25]);
  });

  it('stays finite for logits of ±800, where a naive exp overflows', () => {
    const logits = tensor([2, 2], [800, -800, -800, 800]);
    const { perSample } = crossEntropyForwardRef(logits, target([0, 0]), 'none');
    expect(perSample.data[0]).toBe(0);
    expect(perSample.data[1]).toBe(1600);
    const g = crossEntropyBackwardRef(logits, target([0, 0]), 'sum', scalar(1));
    expect(Array.from(g.data)).toEqual([0, 0, -1, 1]);
  });

  it('one class: loss 0 and gradient 0', () => {
    const logits = tensor([3, 1], [5, -2, 0.25]);
    expect(crossEntropyForwardRef(logits, target([0, 0, 0])).loss.data[0]).toBe(0);
    expect(Array.from(crossEntropyBackwardRef(logits, target([0, 0, 0]), 'mean', scalar(1)).data)).toEqual([0, 0, 0]);
  });

  it('rejects a target outside [0, C)', () => {
    expect(() => crossEntropyForwardRef(tensor([1, 3], [0, 0, 0]), target([3]))).toThrow(InputError);
  });

  for (const reduction of ['mean', 'sum', 'none'] as Reduction[]) {
    it(`matches central finite differences, reduction ${reduction}`, () => {
      const rng = makeRng(19);
      const logits = randomTensor([4, 6], rng, -3, 3);
      const t = target([0, 5, 2, 2]);
      const gradLoss = reduction === 'none' ? randomTensor([4], rng) : scalar(0.7);
      const numeric = numericalGrad(() => crossEntropyForwardRef(logits, t, reduction).loss, logits, gradLoss.data);
      expectClose(crossEntropyBackwardRef(logits, t, reduction, gradLoss), numeric, FD_ATOL, FD_RTOL, 'dlogits');
    });
  }
});
