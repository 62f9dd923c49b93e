/**
 * The executor's layer families against PyTorch (test/fixtures/generate_executor_families.py →
 * executor_families_cases.json): a 2-layer bidirectional GRU, a 2-layer batch_first LSTM, a
 * bidirectional ReLU RNN, Select on dim 1, Mean over one and two dims, AdaptiveAvgPool2d,
 * ConvTranspose2d, an Embedding (padding_idx) → LSTM token model, and two-layer GCN, GAT
 * (2 heads) and SAGE nets whose loss counts masked nodes only; one SGD or Adam step each.
 * Weights go in through Executor.loadWeights, the data (token ids, edge_index, mask) through
 * setData; the loss, every parameter gradient and the updated parameters must match within
 * 2e-4 + 2e-3·|expected|.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { expectTensorClose, useGpu } from './gpu_harness.ts';

interface Tensor {
  shape: number[];
  data: number[];
}

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

const close = (got: Float32Array, want: Tensor, what: string) => expectTensorClose({ shape: want.shape, data: Array.from(got) }, want, what);

describe('executor families: one training step matches PyTorch', () => {
  test('the fixtures cover every family the brief names, with SGD and Adam', () => {
    const names = [...new Set(CASES.map((c) => c.name.replace(/_(sgd|adam)$/, '')))].sort();
    expect(names).toEqual([
      'adaptive_avg_pool', 'conv_transpose', 'embedding_lstm_tokens', 'gat2_heads_masked', 'gcn2_masked', 'gru2_bidirectional_select',
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
      expect(Math.abs(r.loss - c.expected.loss), `loss ${r.loss} vs PyTorch ${c.expected.loss}`).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(c.expected.loss));
      for (const [name, t] of Object.entries(c.expected.grads)) close(r.gradients![name], t, `${c.name}: ∂L/∂${name}`);
      const after = await ex.readParams();
      for (const [name, t] of Object.entries(c.expected.params)) close(after[name], t, `${c.name}: ${name} after the step`);
    } finally {
      ex.dispose();
    }
  });
});
