/**
 * The GPU executor against PyTorch (test/fixtures/generate_executor.py → executor_cases.json):
 * an MLP with tanh, a small CNN with BatchNorm2d and a residual block, and an LSTM with a Linear
 * head, each with fixed weights, one batch and one SGD or Adam step. The weights go in through
 * Executor.setParam, the data through setData; the loss, every parameter gradient (read before
 * the optimizer overwrites .grad), the updated parameters and BatchNorm's running statistics
 * must match within 2e-4 + 2e-3·|expected|.
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
  expected: { loss: number; grads: Record<string, Tensor>; params: Record<string, Tensor>; buffers: Record<string, Tensor> };
}

const CASES: Case[] = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/executor_cases.json'), 'utf8'));
const gpu = useGpu();

describe('executor: one training step matches PyTorch', () => {
  test('the fixtures cover an MLP, a CNN with BatchNorm and a residual block, an LSTM; SGD and Adam', () => {
    expect(CASES.map((c) => c.name).sort()).toEqual(['cnn_bn_residual_adam', 'cnn_bn_residual_sgd', 'lstm_last_adam', 'lstm_last_sgd', 'mlp_tanh_adam', 'mlp_tanh_sgd']);
  });

  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const ex = await Executor.create(gpu(), c.spec);
    try {
      expect(ex.params.map((p) => p.name).sort()).toEqual(Object.keys(c.params).sort());
      for (const [name, t] of Object.entries(c.params)) ex.setParam(name, t.data);
      ex.setData(c.input.data, c.target.data);
      const r = await ex.step({ readGradients: true });
      expectScalarClose(r.loss, c.expected.loss, `${c.name}: loss (vs PyTorch)`);
      for (const [name, t] of Object.entries(c.expected.grads)) expectValuesClose(r.gradients![name], t, `${c.name}: ∂L/∂${name}`);
      const after = await ex.readParams();
      for (const [name, t] of Object.entries(c.expected.params)) expectValuesClose(after[name], t, `${c.name}: ${name} after the step`);
      for (const [name, t] of Object.entries(c.expected.buffers)) expectValuesClose(after[name], t, `${c.name}: buffer ${name} after the step`);
    } finally {
      ex.dispose();
    }
  });
});
