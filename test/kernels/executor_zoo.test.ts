/**
 * Zoo models train on the GPU: one training step of the zoo models that are quick on SwiftShader
 * (batch 1 where the model has a batch dimension, the sequence models on shorter sequences;
 * seeded token ids for Embedding models, the karate club graph for the graph models) gives a
 * finite loss and a finite, somewhere-nonzero gradient for every trainable parameter; `nnx
 * diagnose` runs one through the real binary. The image models and the sequence models at full
 * length take a minute or more per step here and were run by hand (README, executor section).
 */
import { describe, expect, test } from 'vitest';
import { zooModel } from '../../src/analysis/zoo/index.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { nnx } from '../cli/nnx_cli.ts';
import { useGpu } from './gpu_harness.ts';

const gpu = useGpu();

/** Zoo model → its input for the test: batch 1, sequences of 8–16 tokens (the full ones are 35–128). */
const QUICK: [string, number[] | null][] = [
  ['lenet5', [1, 1, 28, 28]], ['gcn_karate', null], ['gat_karate', null], ['sage_karate', null],
  ['lstm_lm', [8, 1]], ['gru_classifier', [1, 12]], ['transformer_encoder', [1, 16]],
];

describe('zoo models train one step on the GPU', () => {
  test.each(QUICK)('%s on input %j', async (name, input) => {
    const spec = { ...zooModel(name), ...(input ? { input } : {}) };
    const ex = await Executor.create(gpu(), spec);
    try {
      const r = await ex.step({ readGradients: true });
      expect(Number.isFinite(r.loss), `loss ${r.loss}`).toBe(true);
      const trainable = ex.params.filter((p) => p.trainable).map((p) => p.name);
      expect(Object.keys(r.gradients!).sort()).toEqual(trainable.sort());
      for (const [param, g] of Object.entries(r.gradients!)) {
        expect(g.every(Number.isFinite), `∂L/∂${param} is finite`).toBe(true);
        // gru_classifier reads out[:, -1]: the reverse direction's first step, where h_prev = h0 = 0,
        // so ∂L/∂weight_hh_l0_reverse = Σ dgates·h_prevᵀ is exactly 0 (in PyTorch too).
        const zero = name === 'gru_classifier' && param === 'gru.weight_hh_l0_reverse';
        expect(g.some((v) => v !== 0), `∂L/∂${param} is ${zero ? 'exactly 0' : 'nonzero somewhere'}`).toBe(!zero);
      }
    } finally {
      ex.dispose();
    }
  }, 300_000);
});

describe('nnx diagnose on a zoo model', () => {
  test('gat_karate --steps 2 --json: every layer reported, finite losses, memory predicted and measured', () => {
    const r = nnx(['diagnose', 'gat_karate', '--steps', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.model).toBe('gat_karate');
    expect(out.input_shape).toEqual([34, 34]);
    expect(out.steps).toHaveLength(2);
    expect(out.steps.every((s: { loss: number }) => Number.isFinite(s.loss))).toBe(true);
    expect(out.layers.map((l: { name: string }) => l.name)).toEqual(['conv1', 'elu', 'conv2']);
    expect(out.layers[0].params.map((p: { name: string }) => p.name).sort()).toEqual(['att_dst', 'att_src', 'bias', 'lin.weight']);
    expect(out.verdicts.filter((v: { kind: string }) => v.kind === 'nonfinite')).toEqual([]);
    expect(out.memory.predicted_peak_bytes).toBeGreaterThan(0);
    expect(out.memory.measured_peak_bytes).toBeGreaterThan(0);
  }, 300_000);
});
