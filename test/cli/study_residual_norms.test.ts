/**
 * `nnx study residual` and `nnx study norms` at tiny sizes, in-process on one GPU runtime: the
 * report's shape, the first/last ratio and the Jacobian terms against their definitions, the norm
 * kernels' variance against float64 on badly scaled inputs, and the one-line errors of the flags.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { studyCommand } from '../../src/cli/study.ts';
import { loadFashionMnist } from '../../src/data/files_node.ts';
import { GpuRuntime } from '../../src/kernels/runtime.ts';
import { subsetSamples } from '../../src/ops/studies/common.ts';
import { normVarianceErrors, runNormsStudy } from '../../src/ops/studies/norms.ts';
import { runResidualStudy } from '../../src/ops/studies/residual.ts';

const TIMEOUT_MS = 300_000;
let rt: GpuRuntime | null = null;
beforeAll(async () => {
  rt = await GpuRuntime.create();
});
afterAll(() => rt?.destroy());

const fashion = () => subsetSamples(loadFashionMnist(), 64, 12);

describe('nnx study residual and norms', () => {
  test('residual: equal weights, ratio = first ‖∂L/∂W‖ / last, ∂L/∂x = identity + branch terms (triangle inequality)', async () => {
    const r = await runResidualStudy(rt!, fashion(), { depths: [5], activation: 'sigmoid', steps: 2, batch: 3, width: 7, lr: 0.05, seed: 1 });
    const [d] = r.depths;
    expect(d.depth).toBe(5);
    // 784·7 + 7, three 7·7 + 7 hidden layers, 7·10 + 10: the same in both models.
    expect(d.plain.params).toBe(784 * 7 + 7 + 3 * 56 + 80);
    expect(d.residual.params).toBe(d.plain.params);
    for (const m of [d.plain, d.residual]) {
      expect(m.layers.map((l) => l.name)).toEqual(['fc_in', 'block0.fc', 'block1.fc', 'block2.fc', 'fc_out']);
      expect(m.first_to_last).toBeCloseTo(m.layers[0].grad_norm / m.layers[4].grad_norm, 10);
      expect(m.loss).toHaveLength(2);
    }
    expect(d.residual.jacobian!.map((j) => j.block)).toEqual(['block0', 'block1', 'block2']);
    for (const j of d.residual.jacobian!) {
      expect(j.input_grad_norm).toBeLessThanOrEqual((j.identity_norm + j.branch_norm) * (1 + 1e-6));
      expect(j.input_grad_norm).toBeGreaterThanOrEqual(Math.abs(j.identity_norm - j.branch_norm) * (1 - 1e-6));
    }
    // The skip carries the gradient: the residual model's first layer gets more of it than the plain one's.
    expect(d.residual.first_to_last).toBeGreaterThan(d.plain.first_to_last);
    expect(rt!.ledger.liveBytes).toBe(0);
  }, TIMEOUT_MS);

  test('norms: every norm at batch 2, BatchNorm\'s train/eval gap, bytes per norm layer; float32 variance within 1e-5 of float64 up to mean 1e5', async () => {
    const r = await runNormsStudy(rt!, fashion(), { batchSizes: [2], steps: 1, lr: 0.05, seed: 0, test: 12 });
    expect(r.runs.map((x) => x.norm)).toEqual(['batch_norm', 'layer_norm', 'group_norm', 'none']);
    for (const x of r.runs) {
      expect(Number.isFinite(x.final_loss)).toBe(true);
      expect(x.test_accuracy).toBeGreaterThanOrEqual(0);
      expect(x.peak_bytes).toBeGreaterThan(0);
      expect(Object.keys(x.norm_layer_bytes)).toEqual(x.norm === 'none' ? [] : ['norm1', 'norm2']);
    }
    // LayerNorm([8, 28, 28]) and LayerNorm([16, 14, 14]) carry elementwise affine parameters: 2·(6272 + 3136).
    expect(r.runs[1].params - r.runs[3].params).toBe(2 * (6272 + 3136));
    expect(r.runs[0].params - r.runs[3].params).toBe(2 * (8 + 16));
    const gap = r.runs[0].train_eval_gap!;
    expect(gap.gap).toBeCloseTo(gap.eval_mode_loss - gap.train_mode_loss, 10);
    expect(r.variance_error.map((v) => [v.op, v.offset])).toEqual([0, 1e3, 1e4, 1e5].flatMap((o) => [['batch_norm', o], ['layer_norm', o], ['group_norm', o]]));
    for (const v of r.variance_error) expect(v.variance_relative_error).toBeLessThan(1e-5);
    expect(rt!.ledger.liveBytes).toBe(0);
  }, TIMEOUT_MS);

  test('normVarianceErrors at offset 0: the kernels\' outputs match float64 to float32 rounding', async () => {
    const rows = await normVarianceErrors(rt!, [0], 3);
    for (const v of rows) expect(v.output_max_abs_error).toBeLessThan(1e-5);
  }, TIMEOUT_MS);

  test('bad flags are refused in one line', async () => {
    for (const [argv, message] of [
      [['residual', '--activation', 'gelu'], /--activation must be one of sigmoid, relu, tanh, got "gelu"/],
      [['residual', '--depths', '2'], /--depths takes comma-separated integers >= 3, got "2"/],
      [['norms', '--batch-sizes', '0'], /--batch-sizes takes comma-separated integers >= 1, got "0"/],
    ] as const) {
      const error = await studyCommand([...argv]).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
