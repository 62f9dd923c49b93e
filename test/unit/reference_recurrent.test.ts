import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { recurrentBackwardRef, recurrentForwardRef, type RecurrentCell, type RecurrentInputs } from '../../src/analysis/reference/recurrent.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function randomInputs(cell: RecurrentCell, T: number, N: number, I: number, H: number, seed: number, opts: { h0?: boolean; bias?: boolean } = {}): RecurrentInputs {
  const rng = makeRng(seed);
  const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  const k = 1 / Math.sqrt(H);
  const withH0 = opts.h0 ?? true;
  return {
    x: randomTensor([T, N, I], rng),
    h0: withH0 ? randomTensor([1, N, H], rng, -0.5, 0.5) : null,
    c0: withH0 && cell === 'lstm' ? randomTensor([1, N, H], rng, -0.5, 0.5) : null,
    weightIh: randomTensor([G * H, I], rng, -k, k),
    weightHh: randomTensor([G * H, H], rng, -k, k),
    biasIh: opts.bias === false ? null : randomTensor([G * H], rng, -k, k),
    biasHh: opts.bias === false ? null : randomTensor([G * H], rng, -k, k),
  };
}

describe('recurrent cells by hand (N = 1, H = 1, I = 1)', () => {
  const x = tensor([2, 1, 1], [0.5, -1]);
  const h0 = tensor([1, 1, 1], [0.2]);
  it('rnn tanh: h_t = tanh(w_ih·x_t + b_ih + w_hh·h_{t−1} + b_hh)', () => {
    const f = recurrentForwardRef('rnn', { x, h0, c0: null, weightIh: tensor([1, 1], [2]), weightHh: tensor([1, 1], [0.5]), biasIh: tensor([1], [0.1]), biasHh: tensor([1], [-0.3]) });
    const h1 = Math.tanh(2 * 0.5 + 0.1 + 0.5 * 0.2 - 0.3);
    const h2 = Math.tanh(2 * -1 + 0.1 + 0.5 * h1 - 0.3);
    expect(Array.from(f.y.data)).toEqual([h1, h2]);
    expect(Array.from(f.hN.data)).toEqual([h2]);
  });
  it('lstm: gates i, f, g, o from rows 0..3 of the weights; c = f·c + i·g; h = o·tanh(c)', () => {
    const wih = tensor([4, 1], [1, 2, 3, 4]);
    const whh = tensor([4, 1], [-1, 0.5, 0.25, 1]);
    const f = recurrentForwardRef('lstm', { x, h0, c0: tensor([1, 1, 1], [0.3]), weightIh: wih, weightHh: whh, biasIh: null, biasHh: tensor([4], [0, 1, 0, 0]) });
    const pre = (r: number, b: number) => wih.data[r] * 0.5 + whh.data[r] * 0.2 + b;
    const [i, fg, g, o] = [sigmoid(pre(0, 0)), sigmoid(pre(1, 1)), Math.tanh(pre(2, 0)), sigmoid(pre(3, 0))];
    const c = fg * 0.3 + i * g;
    expect([f.gates.i.data[0], f.gates.f.data[0], f.gates.g.data[0], f.gates.o.data[0], f.c!.data[0]]).toEqual([i, fg, g, o, c]);
    expect(f.y.data[0]).toBe(o * Math.tanh(c));
  });
  it('gru: r and z gate, then n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h = (1 − z)·n + z·h', () => {
    const wih = tensor([3, 1], [1, 2, 3]);
    const whh = tensor([3, 1], [0.5, -1, 2]);
    const bhh = tensor([3], [0, 0, 0.7]);
    const f = recurrentForwardRef('gru', { x, h0, c0: null, weightIh: wih, weightHh: whh, biasIh: null, biasHh: bhh });
    const r = sigmoid(0.5 + 0.5 * 0.2);
    const z = sigmoid(1 - 0.2);
    const n = Math.tanh(1.5 + r * (2 * 0.2 + 0.7));
    expect([f.gates.r.data[0], f.gates.z.data[0], f.gates.n.data[0]]).toEqual([r, z, n]);
    expect(f.y.data[0]).toBe((1 - z) * n + z * 0.2);
  });
  it('rejects weights whose rows are not gates·H', () => {
    expect(() => recurrentForwardRef('lstm', { x, h0: null, c0: null, weightIh: tensor([3, 1], [1, 2, 3]), weightHh: tensor([3, 1], [1, 2, 3]), biasIh: null, biasHh: null })).toThrow(InputError);
  });
});

describe('backpropagation through time matches central differences', () => {
  const cases: [string, RecurrentCell, 'tanh' | 'relu', RecurrentInputs][] = [
    ['rnn tanh', 'rnn', 'tanh', randomInputs('rnn', 4, 2, 3, 3, 1)],
    ['rnn relu, no bias', 'rnn', 'relu', randomInputs('rnn', 3, 2, 2, 4, 2, { bias: false })],
    ['lstm', 'lstm', 'tanh', randomInputs('lstm', 4, 2, 3, 3, 3)],
    ['lstm, no initial state', 'lstm', 'tanh', randomInputs('lstm', 3, 1, 2, 2, 4, { h0: false })],
    ['gru', 'gru', 'tanh', randomInputs('gru', 4, 2, 3, 3, 5)],
    ['gru H = 1, T = 1', 'gru', 'tanh', randomInputs('gru', 1, 3, 2, 1, 6)],
  ];
  for (const [name, cell, nl, p] of cases) {
    it(name, () => {
      const rng = makeRng(17);
      const f0 = recurrentForwardRef(cell, p, nl);
      const gy = randomTensor(f0.y.shape, rng);
      const ghn = randomTensor(f0.hN.shape, rng);
      const gcn = f0.cN ? randomTensor(f0.cN.shape, rng) : null;
      const gradOut = Float64Array.from([...gy.data, ...ghn.data, ...(gcn ? gcn.data : [])]);
      const forward = (): Tensor64 => {
        const f = recurrentForwardRef(cell, p, nl);
        const data = Float64Array.from([...f.y.data, ...f.hN.data, ...(f.cN ? f.cN.data : [])]);
        return { shape: [data.length], data };
      };
      const g = recurrentBackwardRef(cell, p, nl, gy, ghn, gcn);
      const pairs: [string, Tensor64 | null, Tensor64 | null][] = [
        ['x', p.x, g.x], ['h0', p.h0, g.h0], ['c0', p.c0, g.c0], ['weight_ih', p.weightIh, g.weightIh],
        ['weight_hh', p.weightHh, g.weightHh], ['bias_ih', p.biasIh, g.biasIh], ['bias_hh', p.biasHh, g.biasHh],
      ];
      for (const [what, input, grad] of pairs) {
        if (!input) {
          expect(grad, what).toBeNull();
          continue;
        }
        const num = numericalGrad(forward, input, gradOut);
        expectClose({ shape: num.shape, data: grad!.data }, num, FD_ATOL, FD_RTOL, `d${what}`);
      }
    });
  }

  it('grad_h_norm[t] is ‖dL/dh_t‖: the gradient of the suffix run started from (h_t, c_t), plus dy_t', () => {
    const p = randomInputs('lstm', 5, 2, 3, 3, 8);
    const rng = makeRng(9);
    const f = recurrentForwardRef('lstm', p, 'tanh');
    const gy = randomTensor(f.y.shape, rng);
    const ghn = randomTensor(f.hN.shape, rng);
    const gcn = randomTensor(f.hN.shape, rng);
    const full = recurrentBackwardRef('lstm', p, 'tanh', gy, ghn, gcn);
    const NH = 6;
    for (const t of [0, 2, 3]) {
      const slice = (src: Tensor64, from: number, shape: number[]): Tensor64 => ({ shape, data: src.data.slice(from * NH, from * NH + shape.reduce((a, b) => a * b, 1)) });
      const rest = 4 - t;
      const suffix: RecurrentInputs = {
        ...p,
        x: { shape: [rest, 2, 3], data: p.x.data.slice((t + 1) * 6) },
        h0: slice(f.h, t, [1, 2, 3]),
        c0: slice(f.c!, t, [1, 2, 3]),
      };
      const g = recurrentBackwardRef('lstm', suffix, 'tanh', slice(gy, t + 1, [rest, 2, 3]), ghn, gcn);
      const dh = g.h0!.data.map((v, j) => v + gy.data[t * NH + j]);
      expect(full.gradHNorm.data[t]).toBeCloseTo(Math.sqrt(dh.reduce((s, v) => s + v * v, 0)), 12);
    }
    // At the last step dL/dh is dy_{T−1} + dL/dh_n.
    const last = ghn.data.map((v, j) => v + gy.data[4 * NH + j]);
    expect(full.gradHNorm.data[4]).toBeCloseTo(Math.sqrt(last.reduce((s, v) => s + v * v, 0)), 12);
  });
});
