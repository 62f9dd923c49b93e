import { describe, expect, it } from 'vitest';
import { analyzeModel, inclusiveTotals, inferShapes, type LayerNode, type ModelGraph } from '../../src/analysis/graph.ts';
import type { LayerSpec, ModelSpec } from '../../src/analysis/model_spec.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';

/** Hand-checked shapes, parameters, MACs and FLOPs, layer by layer. */

const model = (input: number[], layers: LayerSpec[], extra: Partial<ModelSpec> = {}): ModelGraph => analyzeModel({ input, layers, ...extra });
/** The single leaf row of a one-layer model. */
const one = (input: number[], layer: LayerSpec, extra: Partial<ModelSpec> = {}): LayerNode => {
  const leaves = model(input, [layer], extra).layers.filter((l) => !l.container);
  expect(leaves).toHaveLength(1);
  return leaves[0];
};
const sum = (g: ModelGraph, f: (l: LayerNode) => number): number => g.layers.reduce((s, l) => s + f(l), 0);

describe('the issue\'s SingleInputNet example', () => {
  const spec: ModelSpec = {
    name: 'SingleInputNet', input: [2, 1, 28, 28], layers: [
      { type: 'Conv2d', in_channels: 1, out_channels: 10, kernel_size: 5 },
      { type: 'MaxPool2d', kernel_size: 2 }, { type: 'ReLU' },
      { type: 'Flatten' }, { type: 'Linear', in_features: 1440, out_features: 10 }],
  };
  it('shapes, params, MACs and FLOPs by hand', () => {
    const g = analyzeModel(spec);
    expect(g.layers.map((l) => l.outputShape)).toEqual([[2, 10, 24, 24], [2, 10, 12, 12], [2, 10, 12, 12], [2, 1440], [2, 10]]);
    expect(g.layers.map((l) => l.name)).toEqual(['0', '1', '2', '3', '4']);
    // conv: 10·1·5·5 + 10; linear: 1440·10 + 10
    expect(sum(g, (l) => l.paramCount)).toBe(260 + 14410);
    // conv: 2·10·24·24 outputs × 25 taps; linear: 2 rows × 1440 × 10
    expect(g.layers.map((l) => l.macs)).toEqual([288_000, 0, 0, 0, 28_800]);
    // conv 2·MACs + bias per output; pool 3 compares per output; relu 1; linear 2·MACs + bias
    expect(g.layers.map((l) => l.flops)).toEqual([576_000 + 11_520, 2880 * 3, 2880, 0, 57_600 + 20]);
  });
  it('inferShapes gives the output and every row', () => {
    const s = inferShapes(spec, { batch: 5 });
    expect(s.output).toEqual([5, 10]);
    expect(s.layers[0]).toEqual({ name: '0', type: 'Conv2d', outputShape: [5, 10, 24, 24] });
  });
});

describe('Conv2d and ConvTranspose2d', () => {
  it('resnet stem: derivation with the numbers substituted', () => {
    const n = one([1, 3, 224, 224], { type: 'Conv2d', in_channels: 3, out_channels: 64, kernel_size: 7, stride: 2, padding: 3, bias: false });
    expect(n.outputShape).toEqual([1, 64, 112, 112]);
    expect(n.derivation?.[0]).toBe('H_out = ⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1 = ⌊(224 + 2·3 − 1·(7 − 1) − 1) / 2⌋ + 1 = ⌊223 / 2⌋ + 1 = 112');
    expect(n.paramCount).toBe(64 * 3 * 49);
    expect(n.macs).toBe(64 * 112 * 112 * 3 * 49);
    expect(n.flops).toBe(2 * n.macs);
  });
  it('padding "same" with an even kernel pads one more after, and shows both sides', () => {
    const n = one([1, 2, 9, 32], { type: 'Conv2d', in_channels: 2, out_channels: 2, kernel_size: [3, 4], padding: 'same' });
    expect(n.outputShape).toEqual([1, 2, 9, 32]);
    expect(n.derivation?.[1]).toBe('W_out = ⌊(W + P_begin + P_end − D·(K − 1) − 1) / S⌋ + 1 = ⌊(32 + 1 + 2 − 1·(4 − 1) − 1) / 1⌋ + 1 = ⌊31 / 1⌋ + 1 = 32');
  });
  it('grouped and dilated: weight [out, in/groups, k, k], MACs per group', () => {
    const n = one([2, 16, 32, 32], { type: 'Conv2d', in_channels: 16, out_channels: 32, kernel_size: 3, stride: 2, padding: 2, dilation: 2, groups: 4 });
    expect(n.params).toEqual([{ name: 'weight', shape: [32, 4, 3, 3] }, { name: 'bias', shape: [32] }]);
    expect(n.outputShape).toEqual([2, 32, 16, 16]);
    expect(n.macs).toBe(2 * 32 * 16 * 16 * 4 * 9);
    expect(n.derivation?.[0]).toContain('⌊(32 + 2·2 − 2·(3 − 1) − 1) / 2⌋ + 1 = ⌊31 / 2⌋ + 1 = 16');
  });
  it('depthwise conv: one input channel per output channel', () => {
    const n = one([1, 32, 8, 8], { type: 'Conv2d', in_channels: 32, out_channels: 32, kernel_size: 3, padding: 1, groups: 32, bias: false });
    expect(n.paramCount).toBe(32 * 9);
    expect(n.macs).toBe(32 * 64 * 9);
  });
  it('ConvTranspose2d: (H − 1)·S − 2P + D·(K − 1) + OP + 1, MACs from the input side', () => {
    const n = one([1, 1, 7, 7], { type: 'ConvTranspose2d', in_channels: 1, out_channels: 3, kernel_size: 3, stride: 2, padding: 1, output_padding: 1 });
    expect(n.outputShape).toEqual([1, 3, 14, 14]);
    expect(n.params[0]).toEqual({ name: 'weight', shape: [1, 3, 3, 3] });
    expect(n.macs).toBe(49 * 3 * 9);
    expect(n.derivation?.[0]).toBe('H_out = (H − 1)·S − 2P + D·(K − 1) + OP + 1 = (7 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 14');
  });
});

describe('pooling', () => {
  it('MaxPool2d: kh·kw − 1 compares per output; saves input and int64 indices', () => {
    const n = one([1, 64, 112, 112], { type: 'MaxPool2d', kernel_size: 3, stride: 2, padding: 1 });
    expect(n.outputShape).toEqual([1, 64, 56, 56]);
    expect(n.flops).toBe(64 * 56 * 56 * 8);
    expect(n.saved.map((s) => [s.what, s.kind, s.elements])).toEqual([['input', 'float', 64 * 112 * 112], ['indices', 'int64', 64 * 56 * 56]]);
  });
  it('ceil_mode: a last window starting in the right padding is dropped (as PyTorch: 5 → 3)', () => {
    const n = one([1, 1, 5, 5], { type: 'MaxPool2d', kernel_size: 2, stride: 2, padding: 1, ceil_mode: true });
    expect(n.outputShape).toEqual([1, 1, 3, 3]);
    expect(n.derivation?.[0]).toBe('H_out = ⌈(H + 2P − D·(K − 1) − 1) / S⌉ + 1 = ⌈(5 + 2·1 − 1·(2 − 1) − 1) / 2⌉ + 1 = ⌈5 / 2⌉ + 1 = 4 − 1 (the last window would start in the right padding) = 3');
  });
  it('AvgPool2d: kh·kw operations per output', () => {
    const n = one([1, 6, 28, 28], { type: 'AvgPool2d', kernel_size: 2 });
    expect(n.outputShape).toEqual([1, 6, 14, 14]);
    expect(n.flops).toBe(6 * 14 * 14 * 4);
  });
  it('AdaptiveAvgPool2d: exact window sizes (5 → 3: windows 2, 3, 2), null keeps a size', () => {
    expect(one([1, 2, 5, 5], { type: 'AdaptiveAvgPool2d', output_size: 3 }).flops).toBe(2 * 7 * 7);
    expect(one([1, 512, 7, 7], { type: 'AdaptiveAvgPool2d', output_size: [1, 1] }).flops).toBe(512 * 49);
    expect(one([1, 2, 5, 6], { type: 'AdaptiveAvgPool2d', output_size: [null, 2] }).outputShape).toEqual([1, 2, 5, 2]);
  });
});

describe('Linear, Embedding, norms, activations, dropout', () => {
  it('Linear on [N, T, in]: MACs per row', () => {
    const n = one([4, 7, 16], { type: 'Linear', in_features: 16, out_features: 8 });
    expect(n.outputShape).toEqual([4, 7, 8]);
    expect(n.macs).toBe(28 * 16 * 8);
    expect(n.flops).toBe(2 * 28 * 16 * 8 + 28 * 8);
    const nb = one([4, 16], { type: 'Linear', in_features: 16, out_features: 8, bias: false });
    expect(nb.paramCount).toBe(128);
    expect(nb.flops).toBe(2 * 4 * 16 * 8);
  });
  it('Embedding: integer input, a gather with no arithmetic, saves the int64 indices', () => {
    const g = model([8, 35], [{ type: 'Embedding', num_embeddings: 1000, embedding_dim: 64 }]);
    expect(g.input.kind).toBe('int');
    const n = g.layers[0];
    expect(n.outputShape).toEqual([8, 35, 64]);
    expect([n.paramCount, n.macs, n.flops]).toEqual([64_000, 0, 0]);
    expect(n.saved).toEqual([{ what: 'indices', storage: g.inputStorage, elements: 280, kind: 'int64' }]);
  });
  it('BatchNorm2d: weight and bias trainable, running stats as buffers; 8 FLOPs per element', () => {
    const n = one([2, 32, 4, 4], { type: 'BatchNorm2d', num_features: 32 });
    expect(n.paramCount).toBe(64);
    expect(n.bufferCount).toBe(64);
    expect(n.buffers.map((b) => b.name)).toEqual(['running_mean', 'running_var']);
    expect(n.flops).toBe(2 * 32 * 16 * 8);
    const plain = one([2, 32], { type: 'BatchNorm1d', num_features: 32, affine: false, track_running_stats: false });
    expect([plain.paramCount, plain.bufferCount, plain.flops]).toEqual([0, 0, 64 * 6]);
  });
  it('LayerNorm over trailing dims, GroupNorm', () => {
    const ln = one([2, 10, 4, 6], { type: 'LayerNorm', normalized_shape: [4, 6] });
    expect(ln.params).toEqual([{ name: 'weight', shape: [4, 6] }, { name: 'bias', shape: [4, 6] }]);
    expect(ln.saved[1].elements).toBe(2 * 20);
    const gn = one([2, 10, 3, 3], { type: 'GroupNorm', num_groups: 2, num_channels: 10 });
    expect(gn.paramCount).toBe(20);
    expect(gn.saved[1].elements).toBe(2 * 2 * 2);
  });
  it('activation FLOPs per element and what autograd keeps', () => {
    const cases: [LayerSpec, number, string][] = [
      [{ type: 'ReLU' }, 1, 'result'], [{ type: 'ReLU6' }, 2, 'input'], [{ type: 'LeakyReLU', negative_slope: 0.2 }, 2, 'input'],
      [{ type: 'ELU' }, 4, 'input'], [{ type: 'GELU' }, 5, 'input'], [{ type: 'GELU', approximate: 'tanh' }, 9, 'input'],
      [{ type: 'SiLU' }, 5, 'input'], [{ type: 'Sigmoid' }, 4, 'result'], [{ type: 'Tanh' }, 1, 'result'],
      [{ type: 'Softmax', dim: -1 }, 5, 'result'], [{ type: 'LogSoftmax', dim: 1 }, 5, 'result'],
    ];
    for (const [layer, perElement, keeps] of cases) {
      const n = one([3, 10], layer);
      expect(n.flops, layer.type).toBe(30 * perElement);
      expect(n.saved.map((s) => s.what), layer.type).toEqual([keeps]);
    }
  });
  it('Dropout keeps a bool mask; p = 0 returns its input (a view, nothing computed); Dropout2d one value per channel', () => {
    const d = one([4, 100], { type: 'Dropout', p: 0.5 });
    expect(d.flops).toBe(400);
    expect(d.saved).toMatchObject([{ what: 'mask', kind: 'bool', elements: 400 }]);
    const z = one([4, 100], { type: 'Dropout', p: 0 });
    expect([z.view, z.flops, z.saved.length]).toEqual([true, 0, 0]);
    const d2 = one([2, 8, 5, 5], { type: 'Dropout2d', p: 0.3 });
    expect(d2.saved).toMatchObject([{ kind: 'float', elements: 16 }]);
  });
});

describe('shape layers and merges', () => {
  it('Flatten, Select, Reshape, Mean', () => {
    expect(one([2, 3, 4, 5], { type: 'Flatten', start_dim: 2 }).outputShape).toEqual([2, 3, 20]);
    expect(one([2, 7, 9], { type: 'Select', dim: 1, index: -1 }).outputShape).toEqual([2, 9]);
    expect(one([2, 12], { type: 'Reshape', shape: [2, -1, 4] }).outputShape).toEqual([2, 3, 4]);
    const m = one([2, 7, 9], { type: 'Mean', dim: 1 });
    expect([m.outputShape, m.flops]).toEqual([[2, 9], 126]);
    expect(one([2, 7, 9], { type: 'Mean', dim: [1, 2], keepdim: true }).outputShape).toEqual([2, 1, 1]);
  });
  it('Add broadcasts, Mul keeps both factors, Concat along a dim, MatMul counts batch·m·k·n', () => {
    const g = model([2, 4, 6, 6], [
      { type: 'Conv2d', name: 'a', in_channels: 4, out_channels: 4, kernel_size: 1 },
      { type: 'AdaptiveAvgPool2d', name: 'gate', output_size: 1 },
      { type: 'Mul', name: 'se', inputs: ['a', 'gate'] },
      { type: 'Add', name: 'sum', inputs: ['se', 'input'] },
      { type: 'Concat', name: 'cat', inputs: ['sum', 'a', 'input'], dim: 1 },
    ]);
    const by = Object.fromEntries(g.layers.map((l) => [l.name, l]));
    expect(by.se.outputShape).toEqual([2, 4, 6, 6]);
    expect(by.se.saved.length).toBe(2);
    expect(by.sum.flops).toBe(288);
    expect(by.cat.outputShape).toEqual([2, 12, 6, 6]);
    const mm = model([2, 5, 8], [{ type: 'Linear', name: 'k', in_features: 8, out_features: 8 }, { type: 'Reshape', name: 'kt', shape: [2, 8, 5] }, { type: 'MatMul', inputs: ['input', 'kt'] }]);
    expect(mm.output.shape).toEqual([2, 5, 5]);
    expect(mm.layers[2].macs).toBe(2 * 5 * 8 * 5);
  });
  it('Residual: body + shortcut summed, shortcut rows named under the block', () => {
    const g = model([1, 8, 8, 8], [{
      type: 'Residual', name: 'block', body: [
        { type: 'Conv2d', in_channels: 8, out_channels: 16, kernel_size: 3, stride: 2, padding: 1 },
        { type: 'ReLU' }],
      shortcut: [{ type: 'Conv2d', in_channels: 8, out_channels: 16, kernel_size: 1, stride: 2 }],
    }]);
    expect(g.layers.map((l) => l.name)).toEqual(['block', 'block.0', 'block.1', 'block.shortcut', 'block.shortcut.0']);
    expect(g.output.shape).toEqual([1, 16, 4, 4]);
    expect(g.layers[0].flops).toBe(256);
    const inc = inclusiveTotals(g);
    expect(inc[0].params).toBe(16 * 8 * 9 + 16 + 16 * 8 + 16);
  });
  it('trainable: false freezes a layer and its children', () => {
    const g = model([1, 4], [
      { type: 'Sequential', name: 'frozen', trainable: false, layers: [{ type: 'Linear', in_features: 4, out_features: 4 }] },
      { type: 'Linear', name: 'head', in_features: 4, out_features: 2 },
    ]);
    expect(g.layers.map((l) => [l.name, l.trainable])).toEqual([['frozen', false], ['frozen.0', false], ['head', true]]);
  });
});

describe('recurrent layers count every time step', () => {
  it('torchinfo\'s LSTMNet: Embedding + 2-layer LSTM + Linear, MACs over 100 steps', () => {
    const g = model([1, 100], [
      { type: 'Embedding', name: 'embedding', num_embeddings: 20, embedding_dim: 10 },
      { type: 'LSTM', name: 'encoder', input_size: 10, hidden_size: 20, num_layers: 2, batch_first: true },
      { type: 'Linear', name: 'decoder', in_features: 20, out_features: 20 },
    ]);
    const lstm = g.layers[1];
    expect(lstm.outputShape).toEqual([1, 100, 20]);
    // layer 0: 4·20·(10 + 20) = 2400 per step; layer 1: 4·20·(20 + 20) = 3200 per step.
    expect(lstm.macs).toBe(100 * (2400 + 3200));
    expect(lstm.flops).toBe(2 * 560_000 + 2 * 100 * 20 * 30);
    expect(lstm.params.map((p) => `${p.name} ${p.shape.join('x')}`)).toEqual([
      'weight_ih_l0 80x10', 'weight_hh_l0 80x20', 'bias_ih_l0 80', 'bias_hh_l0 80',
      'weight_ih_l1 80x20', 'weight_hh_l1 80x20', 'bias_ih_l1 80', 'bias_hh_l1 80',
    ]);
    expect(sum(g, (l) => l.paramCount)).toBe(200 + 5920 + 420);
    expect(sum(g, (l) => l.macs)).toBe(560_000 + 40_000);
  });
  it('bidirectional GRU: 3H(I + H) per step per direction; output 2H wide', () => {
    const n = one([32, 100, 128], { type: 'GRU', input_size: 128, hidden_size: 256, batch_first: true, bidirectional: true });
    expect(n.outputShape).toEqual([32, 100, 512]);
    expect(n.macs).toBe(2 * 32 * 100 * 3 * 256 * (128 + 256));
    expect(n.paramCount).toBe(2 * (3 * 256 * (128 + 256) + 2 * 3 * 256));
  });
  it('RNN sequence-first and unbatched; LSTM proj_size', () => {
    expect(one([12, 3, 8], { type: 'RNN', input_size: 8, hidden_size: 16 }).outputShape).toEqual([12, 3, 16]);
    const u = one([12, 8], { type: 'RNN', input_size: 8, hidden_size: 16, bias: false });
    expect(u.outputShape).toEqual([12, 16]);
    expect(u.macs).toBe(12 * 16 * 24);
    expect(u.flops).toBe(2 * u.macs + 12 * 16 * 2);
    const p = one([5, 2, 8], { type: 'LSTM', input_size: 8, hidden_size: 12, proj_size: 4 });
    expect(p.outputShape).toEqual([5, 2, 4]);
    expect(p.macs).toBe(10 * (48 * (8 + 4) + 12 * 4));
  });
});

describe('attention and transformers', () => {
  it('MultiheadAttention counts the projections and both attention matmuls', () => {
    const n = one([2, 10, 32], { type: 'MultiheadAttention', embed_dim: 32, num_heads: 4, batch_first: true });
    expect(n.paramCount).toBe(4 * 32 * 32 + 4 * 32);
    // Q, K, V: 3·L·E²; Q·Kᵀ and P·V: 2·L·L·E; out_proj: L·E²; ×N
    expect(n.macs).toBe(2 * (3 * 10 * 1024 + 2 * 10 * 10 * 32 + 10 * 1024));
    expect(n.workspace).toBe(2 * 4 * 10 * 10);
    expect(n.saved.find((s) => s.what === 'attention probabilities')?.elements).toBe(800);
  });
  it('vit_b_16: each block\'s attention matmuls (2·197²·768) are in the total', () => {
    const g = analyzeModel(zooModel('vit_b_16'));
    const attn = g.layers.filter((l) => l.type === 'MultiheadAttention');
    expect(attn).toHaveLength(12);
    expect(attn[0].macs).toBe(4 * 197 * 768 * 768 + 2 * 197 * 197 * 768);
  });
  it('TransformerEncoderLayer expands to PyTorch\'s submodules, post-norm by default', () => {
    const g = model([3, 5, 16], [{ type: 'TransformerEncoderLayer', name: 'enc', d_model: 16, nhead: 2, dim_feedforward: 32, batch_first: true }]);
    expect(g.layers.map((l) => l.name.replace('enc.', ''))).toEqual(
      ['enc', 'self_attn', 'dropout1', 'add1', 'norm1', 'linear1', 'activation', 'dropout', 'linear2', 'dropout2', 'add2', 'norm2']);
    expect(g.layers[0].type).toBe('TransformerEncoderLayer');
    expect(inclusiveTotals(g)[0].params).toBe((4 * 256 + 64) + (16 * 32 + 32) + (32 * 16 + 16) + 4 * 16);
  });
  it('PatchEmbedding: conv_proj + class token + position embedding', () => {
    const g = model([2, 3, 32, 32], [{ type: 'PatchEmbedding', name: 'pe', embed_dim: 24, patch_size: 8 }]);
    expect(g.output.shape).toEqual([2, 17, 24]);
    const tokens = g.layers.find((l) => l.name === 'pe.tokens');
    expect(tokens?.params).toEqual([{ name: 'class_token', shape: [1, 1, 24] }, { name: 'pos_embedding', shape: [1, 17, 24] }]);
  });
});

describe('graph layers (PyTorch Geometric parameter layout) on the karate club', () => {
  it('GCN: 628 params; X·W plus one MAC per message (156 edges + 34 self-loops) per feature', () => {
    const g = analyzeModel(zooModel('gcn_karate'));
    expect(g.layers[0].params).toEqual([{ name: 'lin.weight', shape: [16, 34] }, { name: 'bias', shape: [16] }]);
    expect(sum(g, (l) => l.paramCount)).toBe(628);
    expect(g.layers[0].macs).toBe(34 * 34 * 16 + 190 * 16);
    expect(g.output.shape).toEqual([34, 4]);
  });
  it('GAT: lin (no bias), att_src, att_dst, bias; heads concatenated then averaged', () => {
    const g = analyzeModel(zooModel('gat_karate'));
    expect(g.layers[0].outputShape).toEqual([34, 64]);
    expect(g.layers[0].paramCount).toBe(34 * 64 + 2 * 64 + 64);
    expect(g.layers[2].paramCount).toBe(64 * 4 + 2 * 4 + 4);
    expect(g.layers[0].macs).toBe(34 * 34 * 64 + 2 * 34 * 64 + 190 * 64);
    expect(sum(g, (l) => l.paramCount)).toBe(2636);
  });
  it('GraphSAGE: lin_l (bias) + lin_r (no bias); the mean aggregation has no MACs', () => {
    const g = analyzeModel(zooModel('sage_karate'));
    expect(g.layers[0].params.map((p) => p.name)).toEqual(['lin_l.weight', 'lin_l.bias', 'lin_r.weight']);
    expect(sum(g, (l) => l.paramCount)).toBe(1236);
    expect(g.layers[0].macs).toBe(2 * 34 * 34 * 16);
    expect(g.layers[0].flops).toBe(2 * g.layers[0].macs + 156 * 34 + 34 * 34 + 34 * 16 + 34 * 16);
  });
});
