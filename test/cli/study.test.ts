/**
 * `nnx study` with tiny sizes: the graph-scale JSON contract through the real binary, the
 * data-efficiency and sequence-length runners (what `--json` prints) in-process on one GPU
 * runtime, and the one-line errors of the dispatcher and the flags.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { studyCommand } from '../../src/cli/study.ts';
import { loadFashionMnist } from '../../src/data/files_node.ts';
import { GpuRuntime } from '../../src/kernels/runtime.ts';
import { subsetSamples } from '../../src/ops/studies/common.ts';
import { runDataEfficiency } from '../../src/ops/studies/data_efficiency.ts';
import type { GraphScaleReport } from '../../src/ops/studies/graph_scale.ts';
import { runSequenceLength } from '../../src/ops/studies/sequence_length.ts';
import { nnx } from './nnx_cli.ts';

/** SwiftShader compiles every pipeline in a run's first step; on a loaded 2-core machine that takes minutes. */
const TIMEOUT_MS = 300_000;
let rt: GpuRuntime | null = null;
beforeAll(async () => {
  rt = await GpuRuntime.create();
});
afterAll(() => rt?.destroy());

/** `nnx study …` in-process refuses with an InputError of one line matching `message`. */
async function expectRefused(argv: string[], message: RegExp): Promise<void> {
  const error = await studyCommand(argv).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message).not.toContain('\n');
}

describe('nnx study', () => {
  test('graph-scale --json (the binary): a row per architecture and size, times and memory measured, the analysis cost beside', () => {
    const r = nnx(['study', 'graph-scale', '--sizes', '40,120', '--archs', 'gcn,sage', '--steps', '3', '--json'], undefined, TIMEOUT_MS);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as GraphScaleReport;
    expect(report.study).toBe('graph-scale');
    expect(report.settings).toEqual({ sizes: [40, 120], archs: ['gcn', 'sage'], steps: 3, seed: 0 });
    expect(report.rows.map((x) => [x.arch, x.nodes])).toEqual([['gcn', 40], ['sage', 40], ['gcn', 120], ['sage', 120]]);
    for (const x of report.rows) {
      // sbm:V lists about 10·V/2 distinct undirected edges, each both ways.
      expect(x.edges).toBeGreaterThan(6 * x.nodes);
      expect(x.edges % 2).toBe(0);
      expect(x.epoch_ms).toBeGreaterThan(0);
      expect(x.first_epoch_ms).toBeGreaterThan(0);
      expect(x.measured_peak_bytes).toBeGreaterThan(0);
      expect(x.predicted_peak_bytes).toBeGreaterThan(0);
      expect(x.message_passing.flops).toBeGreaterThan(0);
      expect(x.message_passing.flops).toBeLessThanOrEqual(x.flops);
      expect(x.test_accuracy).toBeGreaterThanOrEqual(0);
      expect(x.test_accuracy).toBeLessThanOrEqual(1);
    }
    // GCN's message passing (PyG's GCNConv, self-loops added): per layer V·in·out + (E + V)·out MACs.
    // The line-up's GCN is 4 → 16 → 4 on the 4-feature, 4-class block model.
    for (const x of report.rows.filter((row) => row.arch === 'gcn')) {
      const m = x.edges + x.nodes;
      expect(x.message_passing.macs).toBe(x.nodes * 4 * 16 + m * 16 + x.nodes * 16 * 4 + m * 4);
    }
  }, TIMEOUT_MS);

  test('data-efficiency: one run per size and architecture on the same test images, best per size', async () => {
    const ds = subsetSamples(loadFashionMnist(), undefined, 8);
    const report = await runDataEfficiency(rt!, ds, { sizes: [8, 'all'], archs: ['vit'], steps: 1, batch: 8, seed: 0 });
    expect(report.study).toBe('data-efficiency');
    expect(report.data.test_images).toBe(8);
    expect(report.settings.sizes).toEqual([8, 4000]);
    expect(report.rows.map((x) => [x.arch, x.train_images, x.params, x.evals.map((e) => e.step)])).toEqual([['vit', 8, 79_690, [1]], ['vit', 4000, 79_690, [1]]]);
    for (const x of report.rows) {
      expect(x.final.test_accuracy! * 8).toBe(Math.round(x.final.test_accuracy! * 8));
      expect(x.final.test_loss).toBeGreaterThan(0);
      expect(x.step_ms).toBeGreaterThan(0);
    }
    expect(report.best.map((b) => [b.train_images, b.arch])).toEqual([[8, 'vit'], [4000, 'vit']]);
    await expect(runDataEfficiency(rt!, ds, { sizes: [4], archs: ['vit'], steps: 1, batch: 8, seed: 0 })).rejects.toThrow(/4 training images is fewer than the batch \(8\)/);
  }, TIMEOUT_MS);

  test('sequence-length: MSE against the trivial predictor, ‖∂L/∂h_t‖ per step for recurrent models only', async () => {
    const report = await runSequenceLength(rt!, { lengths: [3, 6], archs: ['rnn', 'transformer'], steps: 2, batch: 4, seed: 0, train: 16, test: 8 });
    expect(report.rows.map((x) => [x.arch, x.length])).toEqual([['rnn', 3], ['transformer', 3], ['rnn', 6], ['transformer', 6]]);
    for (const x of report.rows) {
      expect(x.test_mse).toBeGreaterThan(0);
      expect(x.baseline_mse).toBeGreaterThan(0);
      expect(Number.isFinite(x.first_loss) && Number.isFinite(x.last_loss)).toBe(true);
      if (x.arch === 'rnn') {
        expect(x.grad_h_norm).toHaveLength(x.length);
        expect(x.grad_h_ratio).toBeCloseTo(x.grad_h_norm![0] / x.grad_h_norm![x.length - 1], 12);
      } else {
        expect(x.grad_h_norm).toBeNull();
        expect(x.grad_h_ratio).toBeNull();
      }
    }
  }, TIMEOUT_MS);

  test('one-line errors: unknown study, option, architecture; bad lists', async () => {
    const r = nnx(['study', 'residuals']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('nnx: study: unknown study "residuals" (studies: data-efficiency, sequence-length, graph-scale, residual, norms)');
    await expectRefused(['graph-scale', '--epochs', '3'], /^study graph-scale: unknown option --epochs/);
    await expectRefused(['graph-scale', '--sizes', '1000,x'], /^study graph-scale: --sizes takes comma-separated integers >= 8, got "1000,x"/);
    await expectRefused(['graph-scale', '--sizes', '4'], /--sizes takes comma-separated integers >= 8, got "4"/);
    await expectRefused(['sequence-length', '--steps'], /^study sequence-length: --steps needs a value/);
    await expectRefused(['sequence-length', '--archs', 'rnn,mamba', '--lengths', '3', '--steps', '1', '--train', '4', '--test', '4', '--batch', '4'], /^study sequence-length: unknown architecture "mamba" \(known: rnn, lstm, gru, transformer\)/);
    await expectRefused(['data-efficiency', '--sizes', '9000', '--archs', 'vit'], /^study data-efficiency: 9000 training images asked for, fashion-mnist has 4000/);
  });
});
