/**
 * pruneStudy on the GPU with a tiny CNN on the first Fashion-MNIST images (a few steps; speed
 * is never asserted): unstructured rows read back exactly round(s·n) zeros per weight after the
 * fine-tune (the mask held through the optimizer steps), structured rows report the analysis of
 * the smaller spec and its weights' element count. The ledger ends at 0 live bytes.
 */
import { describe, expect, test } from 'vitest';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { prunableWeights } from '../../src/analysis/pruning.ts';
import { buildSummary } from '../../src/analysis/summary.ts';
import type { SampleDataset, SampleSplit } from '../../src/data/dataset.ts';
import { loadNamedData } from '../../src/data/files_node.ts';
import { pruneStudy, type PruneSettings } from '../../src/ops/prune.ts';
import { useGpu } from './gpu_harness.ts';

const SPEC: ModelSpec = {
  name: 'tiny_cnn', input: [1, 1, 28, 28],
  layers: [
    { type: 'Conv2d', name: 'conv', in_channels: 1, out_channels: 6, kernel_size: 3, stride: 3 },
    { type: 'ReLU', name: 'relu' },
    { type: 'Flatten', name: 'flatten' },
    { type: 'Linear', name: 'fc', in_features: 6 * 9 * 9, out_features: 10 },
  ],
};

function head(split: SampleSplit, n: number): SampleSplit {
  const size = split.inputs.length / split.count;
  return { inputs: split.inputs.slice(0, n * size), targets: split.targets.slice(0, n), count: n };
}

describe('pruneStudy', () => {
  const gpu = useGpu();
  const full = loadNamedData('fashion-mnist') as SampleDataset;
  const ds: SampleDataset = { ...full, train: head(full.train, 200), test: head(full.test, 40) };
  const base: PruneSettings = { sparsities: [0.5, 0.9], structured: false, scope: 'layer', steps: 4, finetune: 2, batch: 20, seed: 0, optimizer: { type: 'adam', lr: 0.01 } };

  test('unstructured: exact zeros per layer after the fine-tune, dense parameter count, accuracies scored', async () => {
    const rt = gpu();
    const r = await pruneStudy(rt, SPEC, ds, base);
    const dense = buildSummary(SPEC).totals;
    expect(r.dense.params).toBe(dense.params);
    expect(r.rows.map((row) => row.layers.map((l) => [l.name, l.numel, l.zeros]))).toEqual([0.5, 0.9].map((s) => [['conv.weight', 54, Math.round(s * 54)], ['fc.weight', 4860, Math.round(s * 4860)]]));
    for (const row of r.rows) {
      expect(row.nonzero_params).toBe(dense.params - row.layers.reduce((n, l) => n + l.zeros, 0));
      for (const acc of [row.test_accuracy, row.finetuned!.test_accuracy]) expect(acc! * 40).toBeCloseTo(Math.round(acc! * 40), 9);
    }
    expect(rt.ledger.liveBytes).toBe(0);
  });

  test('structured: the smaller spec\'s params and MACs, filters removed with the Linear\'s columns', async () => {
    const rt = gpu();
    const r = await pruneStudy(rt, SPEC, ds, { ...base, structured: true, sparsities: [0.5], finetune: 0 });
    const row = r.rows[0];
    expect(row.channels!.map((c) => [c.conv, c.removed.length, c.followers])).toEqual([['conv', 3, ['fc']]]);
    const small = buildSummary(row.spec!).totals;
    expect([row.params, row.macs]).toEqual([small.params, small.macs]);
    expect(small.params).toBe(3 * 9 + 3 + 10 * 3 * 81 + 10);
    expect(row.layers.map((l) => [l.name, l.zeros])).toEqual(prunableWeights(SPEC).map((n) => [n, n === 'conv.weight' ? 27 : 2430]));
    expect(row.finetuned).toBeNull();
    expect(rt.ledger.liveBytes).toBe(0);
  });
});
