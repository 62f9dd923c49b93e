/**
 * The executor's layer families against PyTorch (test/fixtures/generate_executor_families.py →
 * executor_families_cases.json): a 2-layer bidirectional GRU, a 2-layer batch_first LSTM, a
 * bidirectional ReLU RNN, Select on dim 1, Mean over one and two dims, AdaptiveAvgPool2d (a pair,
 * and None for a dimension that keeps its size), ConvTranspose2d, an Embedding (padding_idx) →
 * LSTM token model, and two-layer GCN, GAT (2 heads) and SAGE nets whose loss counts masked
 * nodes only; one SGD or Adam step each.
 * Weights go in through Executor.loadWeights, the data (token ids, edge_index, mask) through
 * setData; the loss, every parameter gradient and the updated parameters must match within
 * 2e-4 + 2e-3·|expected|.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import type { JsonTensor as Tensor } from '../../src/ops/spec.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { expectScalarClose, expectValuesClose, useGpu } from './gpu_harness.ts';

interface Case {
  name: string;
  spec: ModelSpec;
  params: Record<string, Tensor>;
  input: Tensor;
  target: Tensor;
  edge_index?: Tensor;
  mask?: Tensor;
  expected: { loss: number; grads: Record<string, Tensor>; params: Record<string, Tensor> };
}

const CASES: Case[] = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/executor_families_cases.json'), 'utf8'));
const gpu = useGpu();

describe('executor families: one training step matches PyTorch', () => {
  test('the fixtures cover every family the brief names, with SGD and Adam', () => {
    const names = [...new Set(CASES.map((c) => c.name.replace(/_(sgd|adam)$/, '')))].sort();
    expect(names).toEqual([
      'adaptive_avg_pool', 'adaptive_avg_pool_null', 'conv_transpose', 'embedding_lstm_tokens', 'gat2_heads_masked', 'gcn2_masked', 'gru2_bidirectional_select',
      'lstm2_batch_first', 'mean_keepdim_dims', 'rnn_relu_bidirectional', 'sage2_masked_mse', 'select_dim1_mean',
    ]);
    expect(CASES.length).toBe(2 * names.length);
  });

  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const ex = await Executor.create(gpu(), c.spec);
    try {
      expect(ex.params.map((p) => p.name).sort()).toEqual(Object.keys(c.params).sort());
      ex.loadWeights(c.params);
      ex.setData(c.input.data, c.target.data, { edgeIndex: c.edge_index?.data, mask: c.mask?.data });
      const r = await ex.step({ readGradients: true });
      expectScalarClose(r.loss, c.expected.loss, `${c.name}: loss (vs PyTorch)`);
      for (const [name, t] of Object.entries(c.expected.grads)) expectValuesClose(r.gradients![name], t, `${c.name}: ∂L/∂${name}`);
      const after = await ex.readParams();
      for (const [name, t] of Object.entries(c.expected.params)) expectValuesClose(after[name], t, `${c.name}: ${name} after the step`);
    } finally {
      ex.dispose();
    }
  });
});

describe('executor data and weights', () => {
  const tokenSpec: ModelSpec = {
    name: 'tokens', input: [4, 3], loss: 'cross_entropy', layers: [
      { type: 'Embedding', name: 'embed', num_embeddings: 7, embedding_dim: 3, padding_idx: 2 },
      { type: 'GRU', name: 'gru', input_size: 3, hidden_size: 4, num_layers: 2, batch_first: true },
      { type: 'Select', name: 'last', dim: 1, index: -1 },
      { type: 'Linear', name: 'head', in_features: 4, out_features: 2 },
    ],
  };

  test('token models: seeded ids in [0, num_embeddings), padding row zero at init, grad_h_norm has T steps', async () => {
    const ex = await Executor.create(gpu(), tokenSpec);
    try {
      const { input } = ex.data();
      expect(input).toBeInstanceOf(Int32Array);
      expect(input.length).toBe(12);
      expect(Math.min(...input)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...input)).toBeLessThan(7);
      expect(new Set(input).size).toBeGreaterThan(2);
      const weight = (await ex.readParams())['embed.weight'];
      expect(Array.from(weight.subarray(6, 9))).toEqual([0, 0, 0]);
      expect(Array.from(weight).filter((v) => v !== 0).length).toBe(18);
      const r = await ex.step();
      expect(Number.isFinite(r.loss)).toBe(true);
      const gru = r.layers.find((l) => l.name === 'gru')!;
      // batch_first [N = 4, T = 3]: one norm per time step of the top layer.
      expect(gru.grad_h_norm).toHaveLength(3);
      expect(gru.grad_h_norm!.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    } finally {
      ex.dispose();
    }
  });

  test('setData and loadWeights refuse bad data with one-line errors naming the numbers', async () => {
    const ex = await Executor.create(gpu(), tokenSpec);
    try {
      const ids = Array.from({ length: 12 }, (_, i) => i % 7);
      expect(() => ex.setData([...ids.slice(0, 11), 7], [0, 1, 0, 1])).toThrow(/input\[11\] = 7 is not a token id in \[0, 7\)/);
      expect(() => ex.setData(ids, [0, 1, 0, 2])).toThrow(/target\[3\] = 2 is not a class index in \[0, 2\)/);
      expect(() => ex.setData(ids, [0, 1, 0])).toThrow(/target has 3 values, cross_entropy needs 4/);
      expect(() => ex.setData(ids, [0, 1, 0, 1], { edgeIndex: [0, 1] })).toThrow(/no graph layers/);
      expect(() => ex.loadWeights({ 'gru.weight_ih_l2': { shape: [12, 4], data: new Array(48).fill(0) } })).toThrow(/unknown name "gru.weight_ih_l2" \(did you mean .*"gru.weight_ih_l1"/);
      expect(() => ex.loadWeights({ 'head.weight': { shape: [4, 2], data: new Array(8).fill(0) } })).toThrow(/"head.weight" has shape \[4, 2\], the model expects \[2, 4\]/);
      // A rejected call changes nothing; an accepted one overwrites only the names it gives.
      const before = await ex.readParams();
      ex.loadWeights({ 'head.bias': { shape: [2], data: [0.5, -0.25] } });
      const after = await ex.readParams();
      expect(Array.from(after['head.bias'])).toEqual([0.5, -0.25]);
      expect(Array.from(after['head.weight'])).toEqual(Array.from(before['head.weight']));
    } finally {
      ex.dispose();
    }
  });

  test('graph models: the karate club for its size, a seeded random graph otherwise; edge_index and mask are checked', async () => {
    const layers = [{ type: 'GCNConv', name: 'conv', in_channels: 3, out_channels: 2 }];
    const karate = await Executor.create(gpu(), { name: 'k', input: [34, 3], batch_dim: null, graph: { num_nodes: 34, num_edges: 156 }, layers });
    const random = await Executor.create(gpu(), { name: 'r', input: [6, 3], batch_dim: null, graph: { num_nodes: 6, num_edges: 8 }, layers });
    try {
      const k = karate.data().edgeIndex!;
      expect(k.length).toBe(312);
      // Node 33 (the officer) has 17 friends: 17 messages into it.
      expect(k.subarray(156).filter((t) => t === 33).length).toBe(17);
      const e = random.data().edgeIndex!;
      expect(e.length).toBe(16);
      expect(Array.from(e).every((n) => n >= 0 && n < 6)).toBe(true);
      const x = new Array(18).fill(0.5);
      expect(() => random.setData(x, [0, 1, 0, 1, 0, 1], { edgeIndex: [0, 1, 2] })).toThrow(/edge_index has 3 values, the spec's graph needs \[2, 8\]/);
      expect(() => random.setData(x, [0, 1, 0, 1, 0, 1], { edgeIndex: [...new Array(15).fill(0), 6] })).toThrow(/edge_index\[1\]\[7\] = 6 is not a node in \[0, 6\)/);
      expect(() => random.setData(x, [0, 1, 0, 1, 0, 1], { mask: [0, 0, 0, 0, 0, 0] })).toThrow(/mask selects no node/);
      random.setData(x, [0, 1, 0, 1, 0, 1], { mask: [1, 0, 0, 1, 1, 0] });
      const r = await random.step();
      expect(Number.isFinite(r.loss)).toBe(true);
      const rk = await karate.step();
      expect(Number.isFinite(rk.loss)).toBe(true);
    } finally {
      karate.dispose();
      random.dispose();
    }
  });
});
