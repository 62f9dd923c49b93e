import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import {
  batchNormBackwardRef, batchNormForwardRef, groupNormBackwardRef, groupNormForwardRef,
  layerNormBackwardRef, layerNormForwardRef, type BatchNormOptions,
} from '../../src/analysis/reference/norm.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

const near = (a: ArrayLike<number>, b: number[], tol = 1e-12) => Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(b[i], -Math.log10(tol)));

describe('norms by hand', () => {
  it('batch_norm training on [4, 1]: mean 2.5, biased var 1.25, running stats move by momentum with the unbiased var', () => {
    const x = tensor([4, 1], [1, 2, 3, 4]);
    const f = batchNormForwardRef(x, tensor([1], [2]), tensor([1], [1]), tensor([1], [0]), tensor([1], [1]), { training: true, momentum: 0.5, eps: 0 });
    near(f.mean.data, [2.5]);
    near(f.invstd.data, [1 / Math.sqrt(1.25)]);
    near(f.xhat.data, [-1.5, -0.5, 0.5, 1.5].map((v) => v / Math.sqrt(1.25)));
    near(f.output.data, [-1.5, -0.5, 0.5, 1.5].map((v) => (2 * v) / Math.sqrt(1.25) + 1));
    near(f.runningMean!.data, [1.25]);
    near(f.runningVar!.data, [0.5 + 0.5 * (1.25 * 4) / 3]);
  });

  it('batch_norm eval normalizes with the running statistics, not the batch', () => {
    const x = tensor([2, 2], [1, 10, 3, 20]);
    const f = batchNormForwardRef(x, null, null, tensor([2], [1, 0]), tensor([2], [4, 100]), { training: false, momentum: 0.1, eps: 0 });
    near(f.output.data, [0, 1, 1, 2]);
    expect(f.runningMean).toBeUndefined();
  });

  it('what each norm averages over, on the same x [2, 2, 2]', () => {
    // x[n, c, s]: sample 0 is 0..3, sample 1 is 10..13.
    const x = tensor([2, 2, 2], [0, 1, 2, 3, 10, 11, 12, 13]);
    // batch_norm: one mean per channel over (n, s): c0 = {0, 1, 10, 11}, c1 = {2, 3, 12, 13}.
    near(batchNormForwardRef(x, null, null, null, null, { training: true, momentum: 0.1, eps: 0 }).mean.data, [5.5, 7.5]);
    // layer_norm over [2, 2]: one mean per sample.
    const ln = layerNormForwardRef(x, [2, 2], null, null, 0);
    expect(ln.mean.shape).toEqual([2]);
    near(ln.mean.data, [1.5, 11.5]);
    // layer_norm over [2]: one mean per (n, c) row.
    near(layerNormForwardRef(x, [2], null, null, 0).mean.data, [0.5, 2.5, 10.5, 12.5]);
    // group_norm with 2 groups of 1 channel: per (n, g), i.e. instance norm here; 1 group equals layer_norm over [C, S].
    const gn = groupNormForwardRef(x, 2, null, null, 0);
    expect(gn.mean.shape).toEqual([2, 2]);
    near(gn.mean.data, [0.5, 2.5, 10.5, 12.5]);
    near(groupNormForwardRef(x, 1, null, null, 0).xhat.data, Array.from(ln.xhat.data));
  });

  it('layer_norm over the whole tensor has a scalar mean', () => {
    const f = layerNormForwardRef(tensor([2, 2], [2, 4, 6, 8]), [2, 2], null, null, 0);
    expect(f.mean.shape).toEqual([]);
    near(f.mean.data, [5]);
    near(f.invstd.data, [1 / Math.sqrt(5)]);
  });

  it('rejects mismatched shapes, groups and eval without running stats', () => {
    const x = tensor([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(() => layerNormForwardRef(x, [2], null, null, 1e-5)).toThrow(InputError);
    expect(() => groupNormForwardRef(x, 2, null, null, 1e-5)).toThrow(/not divisible by num_groups 2/);
    expect(() => batchNormForwardRef(x, tensor([2], [1, 1]), null, null, null, { training: true, momentum: 0.1, eps: 1e-5 })).toThrow(/weight must have shape \[3\]/);
    expect(() => batchNormForwardRef(x, null, null, null, null, { training: false, momentum: 0.1, eps: 1e-5 })).toThrow(/running_mean and running_var/);
  });
});

describe('norm gradients match central differences', () => {
  type Case = [string, () => { inputs: Tensor64[]; forward: () => Tensor64; backward: (g: Tensor64) => (Tensor64 | null)[] }];
  const rng = makeRng(11);
  const bn = (shape: number[], o: BatchNormOptions, affine: boolean): ReturnType<Case[1]> => {
    const c = shape[1];
    const x = randomTensor(shape, rng, -2, 3);
    const w = affine ? randomTensor([c], rng, 0.5, 1.5) : null;
    const b = affine ? randomTensor([c], rng) : null;
    const rm = randomTensor([c], rng);
    const rv = randomTensor([c], rng, 0.5, 2);
    return {
      inputs: [x, w, b].filter((t): t is Tensor64 => t !== null),
      forward: () => batchNormForwardRef(x, w, b, rm, rv, o).output,
      backward: (g) => { const r = batchNormBackwardRef(x, w, b, rm, rv, o, g); return [r.x, r.weight, r.bias].filter((t) => t !== null); },
    };
  };
  const cases: Case[] = [
    ['batch_norm training [N, C]', () => bn([5, 3], { training: true, momentum: 0.1, eps: 1e-5 }, true)],
    ['batch_norm training [N, C, H, W]', () => bn([2, 3, 2, 3], { training: true, momentum: 0.1, eps: 1e-3 }, true)],
    ['batch_norm eval [N, C, L]', () => bn([3, 2, 4], { training: false, momentum: 0.1, eps: 1e-5 }, true)],
    ['batch_norm training, no affine', () => bn([4, 2, 3], { training: true, momentum: 0.1, eps: 1e-5 }, false)],
    ['layer_norm over [3, 4] of [2, 3, 4]', () => {
      const x = randomTensor([2, 3, 4], rng, -1, 2);
      const w = randomTensor([3, 4], rng, 0.5, 1.5);
      const b = randomTensor([3, 4], rng);
      return {
        inputs: [x, w, b],
        forward: () => layerNormForwardRef(x, [3, 4], w, b, 1e-5).output,
        backward: (g) => { const r = layerNormBackwardRef(x, [3, 4], w, b, 1e-5, g); return [r.x, r.weight, r.bias]; },
      };
    }],
    ['group_norm 3 groups of [2, 6, 2, 2]', () => {
      const x = randomTensor([2, 6, 2, 2], rng, -1, 2);
      const w = randomTensor([6], rng, 0.5, 1.5);
      const b = randomTensor([6], rng);
      return {
        inputs: [x, w, b],
        forward: () => groupNormForwardRef(x, 3, w, b, 1e-5).output,
        backward: (g) => { const r = groupNormBackwardRef(x, 3, w, b, 1e-5, g); return [r.x, r.weight, r.bias]; },
      };
    }],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const { inputs, forward, backward } = make();
      const gradOut = randomTensor(forward().shape, rng);
      const analytic = backward(gradOut);
      expect(analytic).toHaveLength(inputs.length);
      inputs.forEach((input, k) => expectClose(analytic[k]!, numericalGrad(forward, input, gradOut.data), FD_ATOL, FD_RTOL, `grad ${k}`));
    });
  }
});
