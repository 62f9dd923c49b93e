import { describe, expect, it } from 'vitest';
import { activationBackwardRef, activationForwardRef } from '../../src/analysis/reference/elementwise.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

describe('activation references: gelu (tanh form), relu6, elu', () => {
  it('gelu tanh at hand-computed points', () => {
    // x = 1: inner = √(2/π)·1.044715 = 0.833562…, tanh = 0.682384…, y = 0.841192 (PyTorch's value to 6 places).
    const inner = Math.sqrt(2 / Math.PI) * (1 + 0.044715);
    const y = activationForwardRef('gelu_tanh', tensor([3], [0, 1, -1]));
    expectClose(y, tensor([3], [0, 0.5 * (1 + Math.tanh(inner)), -0.5 * (1 - Math.tanh(inner))]), 1e-15, 0);
    expect(y.data[1]).toBeCloseTo(0.841192, 6);
    // d/dx at 0 is 0.5 exactly (the tanh term vanishes, x·sech² vanishes).
    expect(activationBackwardRef('gelu_tanh', tensor([1], [0]), tensor([1], [1])).data[0]).toBe(0.5);
  });

  it('relu6 clamps to [0, 6] and passes the gradient only strictly inside', () => {
    const x = tensor([6], [-1, 0, 3, 6, 7, 5.5]);
    expect(Array.from(activationForwardRef('relu6', x).data)).toEqual([0, 0, 3, 6, 6, 5.5]);
    expect(Array.from(activationBackwardRef('relu6', x, tensor([6], [1, 1, 1, 1, 1, 2])).data)).toEqual([0, 0, 1, 0, 0, 2]);
  });

  it('elu with alpha 0.5: α(eˣ − 1) below 0, α·eˣ as the slope at and below 0', () => {
    const x = tensor([3], [-2, 0, 2]);
    expectClose(activationForwardRef('elu', x, 0.5), tensor([3], [0.5 * (Math.exp(-2) - 1), 0, 2]), 1e-15, 0);
    expectClose(activationBackwardRef('elu', x, tensor([3], [1, 1, 1]), 0.5), tensor([3], [0.5 * Math.exp(-2), 0.5, 1]), 1e-15, 0);
  });

  it.each(['gelu_tanh', 'relu6', 'elu'] as const)('%s matches central finite differences away from the kinks', (kind) => {
    const rng = makeRng(11);
    const x = randomTensor([4, 7], rng, -8, 8);
    x.data.forEach((v, i) => { if (Math.abs(v) < 1e-3 || Math.abs(v - 6) < 1e-3) x.data[i] = 1.5; });
    const g = randomTensor([4, 7], rng);
    expectClose(activationBackwardRef(kind, x, g, 0.7), numericalGrad(() => activationForwardRef(kind, x, 0.7), x, g.data), FD_ATOL, FD_RTOL, `${kind} dx`);
  });
});
