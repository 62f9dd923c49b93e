/**
 * Pruning, pure: magnitude masks remove exactly round(s·n) weights (per layer and global, ties
 * included), and channel pruning gives a smaller spec whose analysis counts exactly the pruned
 * weights and whose float64 forward equals the original model with the reader's weights of the
 * removed channels zeroed (an independent float64 reference of the sequential model).
 */
import { describe, expect, test } from 'vitest';
import { normalizeConv2dAttrs, normalizePool2dAttrs } from '../../src/analysis/conv_shapes.ts';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { applyMask, channelPrune, countSparsity, magnitudeMasks, prunableWeights, type NamedTensor } from '../../src/analysis/pruning.ts';
import { mulberry32 } from '../../src/analysis/random.ts';
import { conv2dForwardRef } from '../../src/analysis/reference/conv2d.ts';
import { linearForwardRef } from '../../src/analysis/reference/linear.ts';
import { batchNormForwardRef } from '../../src/analysis/reference/norm.ts';
import { maxPool2dForwardRef } from '../../src/analysis/reference/pool2d.ts';
import { buildSummary } from '../../src/analysis/summary.ts';
import { numel, type Tensor64 } from '../../src/analysis/tensor.ts';

const SPEC: ModelSpec = {
  name: 'small', input: [2, 3, 9, 7],
  layers: [
    { type: 'Conv2d', name: 'c1', in_channels: 3, out_channels: 6, kernel_size: 3, padding: 1 },
    { type: 'BatchNorm2d', name: 'bn1', num_features: 6 },
    { type: 'ReLU', name: 'r1' },
    { type: 'Conv2d', name: 'c2', in_channels: 6, out_channels: 5, kernel_size: 3, bias: false },
    { type: 'ReLU', name: 'r2' },
    { type: 'MaxPool2d', name: 'pool', kernel_size: 2 },
    { type: 'Flatten', name: 'flatten' },
    { type: 'Linear', name: 'fc', in_features: 5 * 3 * 2, out_features: 4 },
  ],
};

function seededWeights(spec: ModelSpec, seed: number): Record<string, NamedTensor> {
  const u = mulberry32(seed);
  const out: Record<string, NamedTensor> = {};
  const summary = buildSummary(spec);
  for (const row of summary.layers) {
    for (const [name, shape] of [...Object.entries(row.param_shapes), ...Object.entries(row.buffer_shapes)]) {
      const positive = name === 'running_var' || (row.type === 'BatchNorm2d' && name === 'weight');
      out[`${row.name}.${name}`] = { shape, data: Float32Array.from({ length: numel(shape) }, () => (positive ? 0.5 + u() : u() * 2 - 1)) };
    }
  }
  return out;
}

const t64 = (t: NamedTensor): Tensor64 => ({ shape: t.shape, data: Float64Array.from(t.data) });

/** The float64 forward pass of a plain sequence of the layer types above. */
function forward(spec: ModelSpec, w: Record<string, NamedTensor>, x: Tensor64): Tensor64 {
  let h = x;
  for (const l of spec.layers) {
    const p = (n: string) => (w[`${l.name}.${n}`] ? t64(w[`${l.name}.${n}`]) : null);
    if (l.type === 'Conv2d') h = conv2dForwardRef(h, p('weight')!, p('bias'), normalizeConv2dAttrs({ padding: l.padding ?? 0 }, l.kernel_size as number, l.kernel_size as number));
    else if (l.type === 'BatchNorm2d') h = batchNormForwardRef(h, p('weight'), p('bias'), p('running_mean'), p('running_var'), { training: false, eps: 1e-5, momentum: 0.1 }).output;
    else if (l.type === 'ReLU') h = { shape: h.shape, data: h.data.map((v) => Math.max(v, 0)) };
    else if (l.type === 'MaxPool2d') h = maxPool2dForwardRef(h, normalizePool2dAttrs('max_pool2d', { kernel_size: l.kernel_size })).output;
    else if (l.type === 'Flatten') h = { shape: [h.shape[0], numel(h.shape.slice(1))], data: h.data };
    else if (l.type === 'Linear') h = linearForwardRef(h, p('weight')!, p('bias'));
    else throw new Error(`no reference for ${l.type}`);
  }
  return h;
}

describe('magnitude pruning', () => {
  const tensors = { a: { shape: [7, 3], data: Float32Array.from({ length: 21 }, (_, i) => Math.sin(i * 1.7) * (1 + i)) }, b: { shape: [13], data: Float32Array.from({ length: 13 }, (_, i) => (i % 3) - 1) } };

  test.each([0, 0.3, 0.5, 0.7, 0.9])('per layer: exactly round(s·n) zeros in every tensor at s = %s, the smallest |w| first', (s) => {
    const masks = magnitudeMasks(tensors, s, 'layer');
    const counted = countSparsity(Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, applyMask(t.data, masks[n])])));
    // b has a third of its values exactly 0 already; the mask prunes round(s·13), ties (|w| = 1) by index.
    expect(counted.map((c) => [c.name, c.numel, Array.from(masks[c.name]).filter((m) => m === 0).length])).toEqual([['a', 21, Math.round(s * 21)], ['b', 13, Math.round(s * 13)]]);
    const a = tensors.a.data;
    const kept = Array.from(a).filter((_, i) => masks.a[i]).map(Math.abs);
    const cut = Array.from(a).filter((_, i) => !masks.a[i]).map(Math.abs);
    if (cut.length && kept.length) expect(Math.max(...cut)).toBeLessThanOrEqual(Math.min(...kept));
  });

  test('global: round(s·34) zeros over both tensors, chosen by |w| across them', () => {
    const masks = magnitudeMasks(tensors, 0.5, 'global');
    const pruned = Array.from(masks.a).filter((m) => !m).length + Array.from(masks.b).filter((m) => !m).length;
    expect(pruned).toBe(17);
    // b's values are all |w| <= 1 and a's mostly larger: b loses more than a.
    expect(Array.from(masks.b).filter((m) => !m).length).toBeGreaterThan(Array.from(masks.a).filter((m) => !m).length);
  });

  test('prunable weights are the Conv2d and Linear weights, and bad sparsities are refused in one line', () => {
    expect(prunableWeights(SPEC)).toEqual(['c1.weight', 'c2.weight', 'fc.weight']);
    expect(() => magnitudeMasks(tensors, 1, 'layer')).toThrow(/^prune: sparsity must be a number in \[0, 1\), got 1$/);
    expect(() => magnitudeMasks(tensors, -0.1, 'global')).toThrow(/got -0\.1$/);
  });
});

describe('structured channel pruning', () => {
  const weights = seededWeights(SPEC, 3);

  test.each([0.3, 0.5, 0.9])('sparsity %s: the smaller spec counts exactly the pruned weights and computes the masked original', (s) => {
    const small = channelPrune(SPEC, weights, s);
    expect(small.removed.map((r) => [r.conv, r.removed.length, r.followers])).toEqual([
      ['c1', Math.min(5, Math.round(s * 6)), ['bn1', 'c2']],
      ['c2', Math.min(4, Math.round(s * 5)), ['fc']],
    ]);
    const summary = buildSummary(small.spec);
    const paramNames = summary.layers.flatMap((r) => Object.keys(r.param_shapes).map((n) => `${r.name}.${n}`));
    expect(summary.totals.params).toBe(paramNames.reduce((sum, n) => sum + small.weights[n].data.length, 0));
    for (const r of summary.layers) for (const [n, shape] of Object.entries(r.param_shapes)) expect(small.weights[`${r.name}.${n}`].shape).toEqual(shape);
    // The removed filters have the smallest L1 norms.
    for (const r of small.removed) {
      const keptNorms = r.l1_norms.filter((_, o) => !r.removed.includes(o));
      expect(Math.max(...r.removed.map((o) => r.l1_norms[o]))).toBeLessThanOrEqual(Math.min(...keptNorms));
    }
    // The original with the readers' weights of the removed channels zeroed.
    const masked: Record<string, NamedTensor> = { ...weights };
    const zeroColumns = (name: string, channels: number[], block: number) => {
      const t = masked[name];
      const cols = t.shape[1];
      const per = numel(t.shape.slice(2)) * block;
      const data = Float32Array.from(t.data);
      for (let o = 0; o < t.shape[0]; o++) for (const c of channels) data.fill(0, (o * cols / block + c) * per, (o * cols / block + c + 1) * per);
      masked[name] = { shape: t.shape, data };
    };
    zeroColumns('c2.weight', small.removed[0].removed, 1);
    zeroColumns('fc.weight', small.removed[1].removed, 6);
    const u = mulberry32(9);
    const x: Tensor64 = { shape: SPEC.input, data: Float64Array.from({ length: numel(SPEC.input) }, () => u() * 2 - 1) };
    const expected = forward(SPEC, masked, x);
    const actual = forward(small.spec, small.weights, x);
    expect(actual.shape).toEqual([2, 4]);
    for (let i = 0; i < expected.data.length; i++) expect(Math.abs(actual.data[i] - expected.data[i])).toBeLessThan(1e-12);
    // And differs from the unmasked original (the removed channels carried signal).
    expect(Math.max(...forward(SPEC, weights, x).data.map((v, i) => Math.abs(v - expected.data[i])))).toBeGreaterThan(1e-6);
  });

  test('models it cannot prune by channel are refused in one line naming the layer', () => {
    const dag: ModelSpec = { input: [1, 3, 4, 4], layers: [{ type: 'Conv2d', name: 'a', in_channels: 3, out_channels: 4, kernel_size: 1 }, { type: 'Add', name: 'add', inputs: ['a', 'a'] }] };
    expect(() => channelPrune(dag, seededWeights(dag, 1), 0.5)).toThrow(/^prune --structured needs a plain sequence of layers; layer "add" \(Add\) names its inputs$/);
    const grouped: ModelSpec = { input: [1, 4, 4, 4], layers: [{ type: 'Conv2d', name: 'a', in_channels: 4, out_channels: 4, kernel_size: 1, groups: 2 }, { type: 'Conv2d', name: 'b', in_channels: 4, out_channels: 2, kernel_size: 1 }] };
    expect(() => channelPrune(grouped, seededWeights(grouped, 1), 0.5)).toThrow(/^prune --structured: conv "a" has groups 2/);
    const softmax: ModelSpec = { input: [1, 3, 4, 4], layers: [{ type: 'Conv2d', name: 'a', in_channels: 3, out_channels: 4, kernel_size: 1 }, { type: 'Softmax', name: 'sm', dim: 1 }, { type: 'Conv2d', name: 'b', in_channels: 4, out_channels: 2, kernel_size: 1 }] };
    expect(() => channelPrune(softmax, seededWeights(softmax, 1), 0.5)).toThrow(/^prune --structured: the channels of conv "a" reach layer "sm" \(Softmax\)/);
  });
});
