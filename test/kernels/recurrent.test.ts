/**
 * rnn, lstm and gru on the GPU: against the float64 reference on odd shapes (T = 1, T = 200,
 * N·H not a multiple of 64, H = 1, no initial state, [N, H] initial state, no biases), the
 * BPTT picture of vanishing gradients in the `grad_h_norm` trace, and gradients against
 * central differences of the GPU forward.
 */
import { describe, expect, test } from 'vitest';
import { recurrentBackwardRef, recurrentForwardRef, type RecurrentCell, type RecurrentInputs } from '../../src/analysis/reference/recurrent.ts';
import { numel, type Tensor64 } from '../../src/analysis/tensor.ts';
import { runSpec } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { makeRng, randomTensor } from '../unit/reference_helpers.ts';
import { expectTensorClose, jsonTensor, useGpu } from './gpu_harness.ts';

const gpu = useGpu();

function f32(t: Tensor64): Tensor64 {
  return { shape: t.shape, data: Float64Array.from(Float32Array.from(t.data)) };
}

const json = (t: Tensor64) => jsonTensor(t.shape, t.data);

interface Options {
  h0?: '3d' | '2d' | null;
  bias?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  /** Scale of W_hh relative to PyTorch's init bound 1/√H. */
  recurrentScale?: number;
  /** Value for the forget-gate slice of both LSTM biases. */
  forgetBias?: number;
}

function makeInputs(cell: RecurrentCell, [T, N, I, H]: number[], seed: number, o: Options = {}): RecurrentInputs {
  const rng = makeRng(seed);
  const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  const k = 1 / Math.sqrt(H);
  const h0Shape = o.h0 === '2d' ? [N, H] : [1, N, H];
  const withH0 = o.h0 !== null;
  const p: RecurrentInputs = {
    x: f32(randomTensor([T, N, I], rng)),
    h0: withH0 ? f32(randomTensor(h0Shape, rng, -0.5, 0.5)) : null,
    c0: withH0 && cell === 'lstm' ? f32(randomTensor(h0Shape, rng, -0.5, 0.5)) : null,
    weightIh: f32(randomTensor([G * H, I], rng, -k, k)),
    weightHh: f32(randomTensor([G * H, H], rng, -k * (o.recurrentScale ?? 1), k * (o.recurrentScale ?? 1))),
    biasIh: o.bias === false ? null : f32(randomTensor([G * H], rng, -k, k)),
    biasHh: o.bias === false ? null : f32(randomTensor([G * H], rng, -k, k)),
  };
  if (cell === 'lstm' && o.forgetBias !== undefined) {
    for (const b of [p.biasIh!, p.biasHh!]) b.data.fill(o.forgetBias, H, 2 * H);
  }
  return p;
}

function spec(cell: RecurrentCell, p: RecurrentInputs, o: Options, grads: Record<string, Tensor64>): Record<string, unknown> {
  const inputs: Record<string, JsonTensor> = { x: json(p.x), weight_ih: json(p.weightIh), weight_hh: json(p.weightHh) };
  if (p.h0) inputs.h0 = json(p.h0);
  if (p.c0) inputs.c0 = json(p.c0);
  if (p.biasIh) inputs.bias_ih = json(p.biasIh);
  if (p.biasHh) inputs.bias_hh = json(p.biasHh);
  const attrs = cell === 'rnn' && o.nonlinearity ? { nonlinearity: o.nonlinearity } : {};
  return { op: cell, attrs, inputs, grad_output: Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, json(v)])) };
}

describe('recurrent layers on the GPU vs the float64 reference', () => {
  const cases: [string, RecurrentCell, number[], Options][] = [
    ['rnn tanh, T = 1', 'rnn', [1, 3, 4, 5], {}],
    ['rnn relu, no bias, N·H = 67·2', 'rnn', [6, 67, 3, 2], { nonlinearity: 'relu', bias: false }],
    ['rnn tanh, T = 200, H = 1', 'rnn', [200, 3, 2, 1], {}],
    ['lstm, T = 1, [N, H] states', 'lstm', [1, 2, 3, 4], { h0: '2d' }],
    ['lstm, H = 1, no initial state', 'lstm', [9, 5, 3, 1], { h0: null }],
    ['lstm, T = 200, N = 3, H = 4', 'lstm', [200, 3, 2, 4], {}],
    ['lstm, N·H = 13·5 = 65, I = 1, no bias', 'lstm', [5, 13, 1, 5], { bias: false }],
    ['lstm, N = 8: two whole blocks of four sequences per invocation', 'lstm', [4, 8, 3, 6], {}],
    ['lstm, N = 6, H = 7: a whole and a part block', 'lstm', [3, 6, 2, 7], {}],
    ['gru, T = 1, H = 1', 'gru', [1, 4, 2, 1], {}],
    ['gru, T = 200, N = 2, H = 3', 'gru', [200, 2, 3, 3], {}],
    ['gru, N·H = 33·2, no bias, no initial state', 'gru', [7, 33, 4, 2], { bias: false, h0: null }],
  ];
  test.each(cases)('%s', async (_name, cell, dims, o) => {
    const p = makeInputs(cell, dims, dims.reduce((a, v) => a * 7 + v, 3), o);
    const nl = o.nonlinearity ?? 'tanh';
    const f = recurrentForwardRef(cell, p, nl);
    const rng = makeRng(99);
    const gy = f32(randomTensor(f.y.shape, rng));
    const ghn = f32(randomTensor(f.hN.shape, rng));
    const gcn = f.cN ? f32(randomTensor(f.cN.shape, rng)) : null;
    const g = recurrentBackwardRef(cell, p, nl, gy, ghn, gcn);
    const grads: Record<string, Tensor64> = { y: gy, h_n: ghn };
    if (gcn) grads.c_n = gcn;
    const { result } = await runSpec(gpu(), spec(cell, p, o, grads), { trace: true });
    expectTensorClose(result.outputs.y, f.y, 'y');
    expectTensorClose(result.outputs.h_n, f.hN, 'h_n');
    if (f.cN) expectTensorClose(result.outputs.c_n, f.cN, 'c_n');
    for (const [name, t] of Object.entries(f.gates)) expectTensorClose(result.trace?.[`gates.${name}`], t, `gates.${name}`);
    if (f.c) expectTensorClose(result.trace?.c, f.c, 'c');
    expectTensorClose(result.trace?.h, f.h, 'h');
    expectTensorClose(result.trace?.grad_h_norm, g.gradHNorm, 'grad_h_norm');
    const want: [string, Tensor64 | null][] = [
      ['x', g.x], ['h0', g.h0], ['c0', g.c0], ['weight_ih', g.weightIh], ['weight_hh', g.weightHh], ['bias_ih', g.biasIh], ['bias_hh', g.biasHh],
    ];
    for (const [name, t] of want) if (t) expectTensorClose(result.grads?.[name], t, `grad ${name}`);
    expect(Object.keys(result.grads!).sort()).toEqual(want.filter(([, t]) => t).map(([n]) => n).sort());
    expect(result.memory.buffers.filter((e) => e.owner === cell && e.destroyed === null)).toEqual([]);
  });

  test('grad_h_norm appears only when backward ran', async () => {
    const p = makeInputs('lstm', [3, 2, 2, 2], 5);
    const s = spec('lstm', p, {}, {});
    delete s.grad_output;
    const { result } = await runSpec(gpu(), s, { trace: true });
    expect(Object.keys(result.trace!).sort()).toEqual(['c', 'gates.f', 'gates.g', 'gates.i', 'gates.o', 'h']);
    expect(result.grads).toBeUndefined();
  });
});

describe('vanishing gradients through time, in the grad_h_norm trace (T = 50, loss on h_n only)', () => {
  const T = 50;
  const dims = [T, 2, 3, 8];
  /** ‖dL/dh_t‖ per step from the GPU, with dL/dh_n = ones and nothing else. */
  async function norms(cell: RecurrentCell, o: Options): Promise<{ gpu: number[]; ref: number[] }> {
    const p = makeInputs(cell, dims, 5, o);
    const ghn = { shape: [1, 2, 8], data: new Float64Array(16).fill(1) };
    const { result } = await runSpec(gpu(), { ...spec(cell, p, o, { h_n: ghn }) }, { trace: true });
    const ref = recurrentBackwardRef(cell, p, 'tanh', null, ghn, null).gradHNorm;
    return { gpu: result.trace!.grad_h_norm.data, ref: Array.from(ref.data) };
  }
  const perStep = (n: number[]) => {
    const ratios = n.slice(0, -2).map((v, t) => v / n[t + 1]).sort((a, b) => a - b);
    return ratios[Math.floor(ratios.length / 2)];
  };

  test('tanh RNN with small recurrent weights: falls by > 20 orders of magnitude; LSTM with forget-gate bias 1: by < 5', async () => {
    // Same seed, same small recurrent weights (half of PyTorch's init bound) for both layers.
    const rnn = await norms('rnn', { recurrentScale: 0.5 });
    const lstm = await norms('lstm', { recurrentScale: 0.5, forgetBias: 1 });
    const rnnRatio = rnn.gpu[0] / rnn.gpu[T - 1];
    const lstmRatio = lstm.gpu[0] / lstm.gpu[T - 1];
    console.info(`‖dL/dh_0‖ / ‖dL/dh_49‖: rnn ${rnnRatio.toExponential(2)} (float64 ${(rnn.ref[0] / rnn.ref[T - 1]).toExponential(2)}), ` +
      `lstm ${lstmRatio.toExponential(2)} (float64 ${(lstm.ref[0] / lstm.ref[T - 1]).toExponential(2)}); ` +
      `median per-step factor rnn ${perStep(rnn.gpu).toFixed(3)}, lstm ${perStep(lstm.gpu).toFixed(3)}`);
    // The GPU's tiny norms are still accurate (scaled sums: no underflow when squaring 1e-27).
    for (let t = 0; t < T; t++) {
      expect(Math.abs(rnn.gpu[t] - rnn.ref[t])).toBeLessThanOrEqual(2e-3 * rnn.ref[t]);
      expect(Math.abs(lstm.gpu[t] - lstm.ref[t])).toBeLessThanOrEqual(2e-4 + 2e-3 * lstm.ref[t]);
    }
    // RNN: strictly falling towards t = 0, by more than 20 orders of magnitude in 49 steps.
    for (let t = 0; t < T - 1; t++) expect(rnn.gpu[t]).toBeLessThan(rnn.gpu[t + 1]);
    expect(rnnRatio).toBeLessThan(1e-20);
    expect(perStep(rnn.gpu)).toBeLessThan(0.4);
    // LSTM: the cell path keeps most of it; it loses about a factor 10 at the first step back
    // (h_n reaches h_{T−2} only through W_hh and the gates), then ~10% per step.
    expect(lstmRatio).toBeGreaterThan(1e-5);
    expect(perStep(lstm.gpu)).toBeGreaterThan(0.8);
    expect(lstmRatio / rnnRatio).toBeGreaterThan(1e15);
  });
});

describe('recurrent gradients match central differences of the GPU forward', () => {
  const EPS = 1e-2;
  test.each(['rnn', 'lstm', 'gru'] as const)('%s', async (cell) => {
    const rt = gpu();
    const p = makeInputs(cell, [4, 2, 3, 3], 21);
    const base = spec(cell, p, {}, {});
    const rng = makeRng(3);
    const { result: fwd } = await runSpec(rt, { ...base, grad_output: undefined });
    const g: Record<string, JsonTensor> = {};
    for (const [name, t] of Object.entries(fwd.outputs)) g[name] = { shape: t.shape, data: t.data.map(() => Math.fround(rng() * 2 - 1)) };
    const { result } = await runSpec(rt, { ...base, grad_output: g });
    const lossAt = async (name: string, i: number, delta: number) => {
      const inputs = structuredClone(base.inputs) as Record<string, JsonTensor>;
      inputs[name].data[i] += delta;
      const { result: r } = await runSpec(rt, { ...base, inputs, grad_output: undefined });
      return Object.entries(r.outputs).reduce((s, [o, t]) => s + t.data.reduce((a, v, k) => a + v * g[o].data[k], 0), 0);
    };
    for (const [name, t] of Object.entries(base.inputs as Record<string, JsonTensor>)) {
      for (let probe = 0; probe < 3; probe++) {
        const i = Math.floor(rng() * numel(t.shape));
        const numeric = ((await lossAt(name, i, EPS)) - (await lossAt(name, i, -EPS))) / (2 * EPS);
        const analytic = result.grads![name].data[i];
        expect(Math.abs(numeric - analytic), `d/d${name}[${i}]: numeric ${numeric}, analytic ${analytic}`).toBeLessThanOrEqual(2e-3 + 1e-2 * Math.abs(numeric));
      }
    }
  });
});
