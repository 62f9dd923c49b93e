/**
 * The executor's attention family against PyTorch (test/fixtures/generate_executor_attention.py →
 * executor_attention_cases.json): a ViT-style net (PatchEmbedding → pre-norm GELU encoder layer →
 * LayerNorm → class token → Linear), a post-norm ReLU encoder layer on a sequence-first input →
 * Mean → Linear, and a 2-layer TransformerEncoder with a final norm; one SGD and one Adam step
 * each: the loss, every parameter gradient and every updated parameter within 2e-4 + 2e-3·|expected|.
 * Also: PatchTokens and seeded Dropout/Dropout2d against CPU references on odd shapes,
 * PyTorch's initializers, and the one-line errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import type { LayerNode } from '../../src/analysis/graph.ts';
import { analyzeModel } from '../../src/analysis/graph.ts';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { numel } from '../../src/analysis/tensor.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import type { HostTensor } from '../../src/ops/op.ts';
import { OPS } from '../../src/ops/registry.ts';
import { runSpec } from '../../src/ops/run.ts';
import type { RunSpec } from '../../src/ops/spec.ts';
import { dropoutImpl, patchTokensImpl } from '../../src/ops/executor/layers_attention.ts';
import { stackedRecurrentImpl } from '../../src/ops/executor/layers_recurrent.ts';
import { recurrentBackwardRef, recurrentForwardRef } from '../../src/analysis/reference/recurrent.ts';
import { makeRng, randomTensor } from '../unit/reference_helpers.ts';
import { expectTensorClose, useGpu } from './gpu_harness.ts';

interface Tensor {
  shape: number[];
  data: number[];
}

interface Case {
  name: string;
  spec: ModelSpec;
  optimizer: { type: string; lr: number };
  params: Record<string, Tensor>;
  input: Tensor;
  target: Tensor;
  expected: { loss: number; grads: Record<string, Tensor>; params: Record<string, Tensor> };
}

const CASES: Case[] = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/executor_attention_cases.json'), 'utf8'));
const DROPOUT_CASES: { name: string; spec: RunSpec; expected: { output: Tensor; grads: Record<string, Tensor> } }[] = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/mha_dropout_cases.json'), 'utf8'));
const gpu = useGpu();

const close = (got: Float32Array, want: Tensor, what: string) => expectTensorClose({ shape: want.shape, data: Array.from(got) }, want, what);

/** The analysis row of a one-layer spec. */
function nodeOf(spec: ModelSpec, type: string): LayerNode {
  return analyzeModel(spec).layers.find((l) => l.type === type)!;
}

describe('executor: Transformer nets train one step as PyTorch does', () => {
  test('the fixtures cover the ViT-style net, a post-norm encoder layer and a 2-layer encoder; SGD and Adam', () => {
    expect(CASES.map((c) => c.name).sort()).toEqual([
      'encoder_2layers_norm_adam', 'encoder_2layers_norm_sgd', 'encoder_postnorm_relu_adam', 'encoder_postnorm_relu_sgd', 'vit_prenorm_gelu_adam', 'vit_prenorm_gelu_sgd',
    ]);
  });

  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const ex = await Executor.create(gpu(), c.spec);
    try {
      expect(ex.params.map((p) => p.name).sort()).toEqual(Object.keys(c.params).sort());
      for (const [name, t] of Object.entries(c.params)) ex.setParam(name, t.data);
      ex.setData(c.input.data, c.target.data);
      const r = await ex.step({ readGradients: true });
      expect(Math.abs(r.loss - c.expected.loss), `loss ${r.loss} vs PyTorch ${c.expected.loss}`).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(c.expected.loss));
      for (const [name, t] of Object.entries(c.expected.grads)) close(r.gradients![name], t, `${c.name}: ∂L/∂${name}`);
      const after = await ex.readParams();
      for (const [name, t] of Object.entries(c.expected.params)) {
        if (c.optimizer.type === 'adam' && name.endsWith('self_attn.in_proj_bias')) {
          // The key bias adds q·b_k to every score of a row, which softmax ignores: its gradient is
          // exactly 0 (PyTorch: ~1e-17, here float32 rounding ~1e-8), and Adam turns any gradient
          // far below eps = 1e-8 into ~0 but one near it into up to ±lr. Query and value thirds are
          // compared; the key third moves by at most lr.
          const e = t.shape[0] / 3;
          const keep = (v: ArrayLike<number>) => [...Array.from(v).slice(0, e), ...Array.from(v).slice(2 * e)];
          close(Float32Array.from(keep(after[name])), { shape: [2 * e], data: keep(t.data) }, `${c.name}: ${name} (q and v) after the step`);
          for (let i = e; i < 2 * e; i++) expect(Math.abs(after[name][i] - c.params[name].data[i])).toBeLessThanOrEqual(c.optimizer.lr * 1.0001);
          continue;
        }
        close(after[name], t, `${c.name}: ${name} after the step`);
      }
    } finally {
      ex.dispose();
    }
  });
});

describe('PatchTokens', () => {
  test.each([
    ['class token and position embedding', true, true],
    ['position embedding only', false, true],
    ['class token only', true, false],
  ] as const)('%s: forward and backward on [3, 5, 3, 2] match the CPU reference', async (_name, cls, pos) => {
    const rt = gpu();
    const spec: ModelSpec = { input: [3, 5, 3, 2], layers: [{ type: 'PatchTokens', embed_dim: 5, class_token: cls, position_embedding: pos }] };
    const node = nodeOf(spec, 'PatchTokens');
    const [n, d, h, w] = [3, 5, 3, 2];
    const patches = h * w;
    const off = cls ? 1 : 0;
    const seq = patches + off;
    const rng = makeRng(41);
    const x = randomTensor([n, d, h, w], rng);
    const clsT = randomTensor([1, 1, d], rng);
    const posT = randomTensor([1, seq, d], rng);
    const g = randomTensor([n, seq, d], rng);
    const params = {
      ...(cls ? { class_token: rt.tensor('cls', clsT.shape, 'float32', clsT.data) } : {}),
      ...(pos ? { pos_embedding: rt.tensor('pos', posT.shape, 'float32', posT.data) } : {}),
    };
    const xg = rt.tensor('x', x.shape, 'float32', x.data);
    const run = await patchTokensImpl(node).forward(rt, [xg], params, {});
    const want = new Float64Array(n * seq * d);
    for (let b = 0; b < n; b++) {
      for (let t = 0; t < seq; t++) {
        for (let k = 0; k < d; k++) {
          const v = cls && t === 0 ? clsT.data[k] : x.data[(b * d + k) * patches + t - off];
          want[(b * seq + t) * d + k] = v + (pos ? posT.data[t * d + k] : 0);
        }
      }
    }
    const gg = rt.tensor('g', g.shape, 'float32', g.data);
    const back = await run.backward(gg);
    const [out, gx, ...pg] = await rt.read([run.output, back.inputs[0]!, ...Object.values(back.params)]);
    expectTensorClose({ shape: run.output.shape, data: Array.from(out) }, { shape: [n, seq, d], data: want }, 'tokens');
    const wantGx = new Float64Array(n * d * patches);
    const wantPos = new Float64Array(seq * d);
    for (let b = 0; b < n; b++) {
      for (let t = 0; t < seq; t++) {
        for (let k = 0; k < d; k++) {
          const v = g.data[(b * seq + t) * d + k];
          wantPos[t * d + k] += v;
          if (t >= off) wantGx[(b * d + k) * patches + t - off] = v;
        }
      }
    }
    expectTensorClose({ shape: back.inputs[0]!.shape, data: Array.from(gx) }, { shape: [n, d, h, w], data: wantGx }, 'dL/dx');
    const names = Object.keys(back.params);
    expect(names.sort()).toEqual([...(cls ? ['class_token'] : []), ...(pos ? ['pos_embedding'] : [])].sort());
    Object.keys(back.params).forEach((name, i) => {
      const want2 = name === 'class_token' ? { shape: [1, 1, d], data: wantPos.slice(0, d) } : { shape: [1, seq, d], data: wantPos };
      expectTensorClose({ shape: back.params[name].shape, data: Array.from(pg[i]) }, want2, `dL/d${name}`);
    });
    rt.release(xg, gg, run.output, back.inputs[0], ...Object.values(back.params), ...Object.values(params));
  });

  test('a ViT stem is named as torchvision names it and initialized as torchvision does', async () => {
    const spec: ModelSpec = { input: [2, 3, 32, 32], layers: [{ type: 'PatchEmbedding', embed_dim: 24, patch_size: 8 }, { type: 'Flatten' }] };
    const ex = await Executor.create(gpu(), { ...spec, loss: 'mse' });
    try {
      expect(ex.params.map((p) => [p.name, p.shape])).toEqual([
        ['0.conv_proj.weight', [24, 3, 8, 8]], ['0.conv_proj.bias', [24]], ['0.tokens.class_token', [1, 1, 24]], ['0.tokens.pos_embedding', [1, 17, 24]],
      ]);
      const values = await ex.readParams();
      expect(Array.from(values['0.tokens.class_token']).every((v) => v === 0)).toBe(true);
      const pos = values['0.tokens.pos_embedding'];
      const std = Math.sqrt(pos.reduce((s, v) => s + v * v, 0) / pos.length);
      expect(std).toBeGreaterThan(0.017);
      expect(std).toBeLessThan(0.023);
      expect(ex.params.find((p) => p.name === '0.tokens.pos_embedding')!.init).toBe('N(0, 0.02²)');
    } finally {
      ex.dispose();
    }
  });
});

describe('Dropout with p > 0 (training mode)', () => {
  const cases = [
    ['Dropout p 0.3 on [4, 7, 9]', 'Dropout', 0.3, [4, 7, 9]],
    ['Dropout2d p 0.5 on [3, 6, 5, 7]', 'Dropout2d', 0.5, [3, 6, 5, 7]],
    ['Dropout2d p 0.25 on [4, 9, 11] (PyTorch 1.13 reads 3-D as [N, C, L])', 'Dropout2d', 0.25, [4, 9, 11]],
  ] as const;
  test.each(cases)('%s: y = x·mask/(1 − p), the same mask on the gradient, whole channels for Dropout2d', async (_name, type, p, shape) => {
    const rt = gpu();
    const spec: ModelSpec = { input: [...shape], layers: [{ type, p }] };
    const node = nodeOf(spec, type);
    const impl = dropoutImpl(node, { type, p });
    const rng = makeRng(5);
    const x = randomTensor([...shape], rng);
    const g = randomTensor([...shape], rng);
    const xg = rt.tensor('x', [...shape], 'float32', x.data);
    const gg = rt.tensor('g', [...shape], 'float32', g.data);
    const run = await impl.forward(rt, [xg], {}, {}, { seed: 3, step: 1 });
    const back = await run.backward(gg);
    const [y, mask, gx] = await rt.read([run.output, run.trace.mask, back.inputs[0]!]);
    const inner = type === 'Dropout2d' ? numel(shape.slice(2)) : 1;
    expect(run.trace.mask.shape).toEqual(type === 'Dropout2d' ? shape.map((v, i) => (i < 2 ? v : 1)) : [...shape]);
    expect(Array.from(mask).every((m) => m === 0 || m === 1)).toBe(true);
    const wantY = Array.from(x.data, (v, i) => (v * mask[Math.floor(i / inner)]) / (1 - p));
    const wantG = Array.from(g.data, (v, i) => (v * mask[Math.floor(i / inner)]) / (1 - p));
    expectTensorClose({ shape: [...shape], data: Array.from(y) }, { shape: [...shape], data: wantY }, 'output');
    expectTensorClose({ shape: [...shape], data: Array.from(gx) }, { shape: [...shape], data: wantG }, 'dL/dx');
    // The kept fraction is Binomial(groups, 1 − p): within 4.5 standard deviations.
    const groups = mask.length;
    const kept = Array.from(mask).reduce((s, m) => s + m, 0);
    expect(Math.abs(kept - groups * (1 - p))).toBeLessThanOrEqual(4.5 * Math.sqrt(groups * p * (1 - p)));
    // Same seed and step: the same mask; the next step: a different one.
    const again = await impl.forward(rt, [xg], {}, {}, { seed: 3, step: 1 });
    const next = await impl.forward(rt, [xg], {}, {}, { seed: 3, step: 2 });
    const [m1, m2] = await rt.read([again.trace.mask, next.trace.mask]);
    expect(Array.from(m1)).toEqual(Array.from(mask));
    expect(Array.from(m2)).not.toEqual(Array.from(mask));
    rt.release(xg, gg, run.output, back.inputs[0], again.output, next.output, ...run.scratch, ...again.scratch, ...next.scratch);
  });

  test('a 2-layer LSTM with dropout 0.5 between layers matches the float64 reference given its traced mask (output, dL/dx, layer-0 weights)', async () => {
    const rt = gpu();
    const [T, N, I, H, p] = [4, 3, 5, 6, 0.5];
    const spec: ModelSpec = { input: [T, N, I], layers: [{ type: 'LSTM', input_size: I, hidden_size: H, num_layers: 2, dropout: p }] };
    const node = nodeOf(spec, 'LSTM');
    const impl = stackedRecurrentImpl({ type: 'LSTM', input_size: I, hidden_size: H, num_layers: 2, dropout: p }, node, (why) => {
      throw new Error(why);
    });
    const rng = makeRng(12);
    const x = randomTensor([T, N, I], rng);
    const w = [0, 1].map((k) => ({ weightIh: randomTensor([4 * H, k ? H : I], rng), weightHh: randomTensor([4 * H, H], rng), biasIh: randomTensor([4 * H], rng), biasHh: randomTensor([4 * H], rng) }));
    const gy = randomTensor([T, N, H], rng);
    const upload = (name: string, t: { shape: number[]; data: Float64Array }) => rt.tensor(name, t.shape, 'float32', t.data);
    const params = Object.fromEntries(w.flatMap((l, k) => [[`weight_ih_l${k}`, upload('wi', l.weightIh)], [`weight_hh_l${k}`, upload('wh', l.weightHh)], [`bias_ih_l${k}`, upload('bi', l.biasIh)], [`bias_hh_l${k}`, upload('bh', l.biasHh)]]));
    const xg = upload('x', x);
    const run = await impl.forward(rt, [xg], params, {}, { seed: 2, step: 1 });
    const g = upload('g', gy);
    const back = await run.backward(g);
    const [y, mask, gx, gwi0] = await rt.read([run.output, run.trace['dropout_mask.l0'], back.inputs[0]!, back.params.weight_ih_l0]);
    expect(Array.from(mask).some((m) => m === 0) && Array.from(mask).some((m) => m === 1)).toBe(true);
    const scaled = (t: { shape: number[]; data: Float64Array }) => ({ shape: t.shape, data: t.data.map((v, i) => (v * mask[i]) / (1 - p)) });
    const y0 = recurrentForwardRef('lstm', { x, h0: null, c0: null, ...w[0] }).y;
    const y0d = scaled(y0);
    const y1 = recurrentForwardRef('lstm', { x: y0d, h0: null, c0: null, ...w[1] }).y;
    expectTensorClose({ shape: run.output.shape, data: Array.from(y) }, y1, 'y');
    const g1 = recurrentBackwardRef('lstm', { x: y0d, h0: null, c0: null, ...w[1] }, 'tanh', gy, null, null);
    const g0 = recurrentBackwardRef('lstm', { x, h0: null, c0: null, ...w[0] }, 'tanh', scaled(g1.x), null, null);
    expectTensorClose({ shape: [T, N, I], data: Array.from(gx) }, g0.x, 'dL/dx');
    expectTensorClose({ shape: [4 * H, I], data: Array.from(gwi0) }, g0.weightIh, 'dL/dweight_ih_l0');
    rt.release(xg, g, run.output, back.inputs[0], ...Object.values(params), ...Object.values(back.params), ...run.scratch);
  });

  test('an MLP with Dropout(0.5) trains reproducibly from the seed', async () => {
    const spec: ModelSpec = { input: [8, 6], layers: [{ type: 'Linear', in_features: 6, out_features: 10 }, { type: 'ReLU' }, { type: 'Dropout', p: 0.5 }, { type: 'Linear', in_features: 10, out_features: 3 }] };
    const losses: number[][] = [];
    for (let k = 0; k < 2; k++) {
      const ex = await Executor.create(gpu(), spec, { seed: 7 });
      try {
        losses.push([(await ex.step()).loss, (await ex.step()).loss]);
      } finally {
        ex.dispose();
      }
    }
    expect(losses[1]).toEqual(losses[0]);
    expect(losses[0].every(Number.isFinite)).toBe(true);
  });
});

describe('MultiheadAttention in the executor', () => {
  test('PyTorch\'s initialization: in_proj_weight xavier_uniform, out_proj.weight U(±1/√E), biases 0', async () => {
    const spec: ModelSpec = { input: [2, 5, 12], loss: 'mse', layers: [{ type: 'MultiheadAttention', name: 'attn', embed_dim: 12, num_heads: 3, batch_first: true }] };
    const ex = await Executor.create(gpu(), spec);
    try {
      const init = Object.fromEntries(ex.params.map((p) => [p.name, p.init]));
      const xavier = Math.sqrt(6 / (12 + 36));
      expect(init).toEqual({
        'attn.in_proj_weight': `U(${-Number(xavier.toPrecision(4))}, ${Number(xavier.toPrecision(4))})`,
        'attn.in_proj_bias': '0',
        'attn.out_proj.weight': `U(${-Number((1 / Math.sqrt(12)).toPrecision(4))}, ${Number((1 / Math.sqrt(12)).toPrecision(4))})`,
        'attn.out_proj.bias': '0',
      });
      const r = await ex.step();
      expect(Number.isFinite(r.loss)).toBe(true);
    } finally {
      ex.dispose();
    }
  });

  test.each(DROPOUT_CASES.map((c) => [c.name, c] as const))('attention dropout with a given mask matches PyTorch (%s): output and every gradient', async (_name, c) => {
    const { result } = await runSpec(gpu(), c.spec);
    expectTensorClose(result.outputs.output, c.expected.output, 'output');
    for (const [name, t] of Object.entries(c.expected.grads)) expectTensorClose(result.grads![name], t, `dL/d${name}`);
  });

  test('a TransformerEncoderLayer with PyTorch\'s default dropout 0.1 trains reproducibly: seeded masks on the attention weights and after each block', async () => {
    const spec: ModelSpec = { input: [3, 6, 8], loss: 'mse', layers: [{ type: 'TransformerEncoderLayer', d_model: 8, nhead: 2, dim_feedforward: 16, batch_first: true }] };
    const run = async (seed: number) => {
      const ex = await Executor.create(gpu(), spec, { seed });
      try {
        return [(await ex.step()).loss, (await ex.step()).loss, (await ex.step()).loss];
      } finally {
        ex.dispose();
      }
    };
    const first = await run(4);
    expect(first.every(Number.isFinite)).toBe(true);
    expect(await run(4)).toEqual(first);
    const node = nodeOf(spec, 'MultiheadAttention');
    const impl = (await import('../../src/ops/executor/layers_attention.ts')).multiheadAttentionImpl(node, { type: 'MultiheadAttention', embed_dim: 8, num_heads: 2, dropout: 0.1, batch_first: true });
    const rt = gpu();
    const rng = makeRng(9);
    const tensors = [randomTensor([3, 6, 8], rng), randomTensor([24, 8], rng), randomTensor([24], rng), randomTensor([8, 8], rng), randomTensor([8], rng)].map((t, i) => rt.tensor(`t${i}`, t.shape, 'float32', t.data));
    const r = await impl.forward(rt, [tensors[0]], { in_proj_weight: tensors[1], in_proj_bias: tensors[2], 'out_proj.weight': tensors[3], 'out_proj.bias': tensors[4] }, {}, { seed: 1, step: 1 });
    expect(r.trace.attn_dropout_mask.shape).toEqual([3, 2, 6, 6]);
    const [mask] = await rt.read([r.trace.attn_dropout_mask]);
    const dropped = Array.from(mask).filter((m) => m === 0).length;
    expect(Array.from(mask).every((m) => m === 0 || m === 1)).toBe(true);
    // 216 Bernoulli(0.1) draws: within 4.5 standard deviations of 21.6.
    expect(Math.abs(dropped - 21.6)).toBeLessThanOrEqual(4.5 * Math.sqrt(216 * 0.09));
    rt.release(...tensors, r.output, ...r.scratch);
  });

  test.each([
    ['dropout_p without a mask', { dropout_p: 0.2 }, null, /dropout_p 0\.2 needs dropout_mask \[2, 2, 3, 3\]/],
    ['a mask without dropout_p', {}, { shape: [2, 2, 3, 3], data: new Array(36).fill(1) }, /dropout_p 0 takes no dropout_mask/],
    ['a mask of the wrong shape', { dropout_p: 0.2 }, { shape: [2, 3, 3], data: new Array(18).fill(1) }, /dropout_mask must have shape \[2, 2, 3, 3\] .* got \[2, 3, 3\]/],
    ['a mask value that is not 0 or 1', { dropout_p: 0.2 }, { shape: [2, 2, 3, 3], data: [...new Array(35).fill(1), 0.5] }, /dropout_mask\[35\] = 0\.5, expected 0 \(dropped\) or 1 \(kept\)/],
    ['dropout_p 1', { dropout_p: 1 }, null, /dropout_p must be a number in \[0, 1\), got 1/],
  ] as const)('multi_head_attention with %s: a one-line InputError', (_name, attrs, mask, message) => {
    const inputs: Record<string, HostTensor> = {
      x: { shape: [2, 3, 4], dtype: 'float32' }, in_proj_weight: { shape: [12, 4], dtype: 'float32' }, out_proj_weight: { shape: [4, 4], dtype: 'float32' },
      ...(mask ? { dropout_mask: { shape: [...mask.shape], data: [...mask.data], dtype: 'float32' } } : {}),
    };
    expect(() => OPS.multi_head_attention.prepare({ num_heads: 2, ...attrs }, inputs)).toThrow(InputError);
    expect(() => OPS.multi_head_attention.prepare({ num_heads: 2, ...attrs }, inputs)).toThrow(message);
  });

  test.each([
    ['three inputs', { input: [4, 2, 8], layers: [{ type: 'Identity', id: 'x' }, { type: 'MultiheadAttention', embed_dim: 8, num_heads: 2, inputs: ['x', 'x', 'x'] }] }, /self-attention only/],
    ['add_bias_kv', { input: [4, 2, 8], layers: [{ type: 'MultiheadAttention', embed_dim: 8, num_heads: 2, add_bias_kv: true }] }, /add_bias_kv/],
    ['attention dropout 1', { input: [4, 2, 8], layers: [{ type: 'MultiheadAttention', embed_dim: 8, num_heads: 2, dropout: 1 }] }, /attention dropout p < 1 only, got 1/],
  ] as const)('%s: a one-line InputError', async (_name, spec, message) => {
    const err = await Executor.create(gpu(), { ...(spec as unknown as ModelSpec), loss: 'mse' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });
});
