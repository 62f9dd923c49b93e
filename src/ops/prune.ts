/**
 * The GPU side of `nnx prune`: train a model on a data set, prune its trained weights at each
 * sparsity (analysis/pruning.ts), and score the test split as pruned and after a short
 * fine-tune. Unstructured pruning keeps its mask during the fine-tune (the pruned weights are
 * set back to 0 after every optimizer step); structured pruning fine-tunes the smaller model.
 */
import type { OptimizerObject, ModelSpec } from '../analysis/model_spec.ts';
import { countSparsity, channelPrune, channelRoutes, applyMask, magnitudeMasks, prunableWeights, type LayerSparsity, type NamedTensor, type RemovedChannels } from '../analysis/pruning.ts';
import { buildSummary } from '../analysis/summary.ts';
import type { Dataset } from '../data/dataset.ts';
import { DataFeeder } from '../data/training.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { runArchitecture, specForRun, type CompareSettings } from './compare.ts';
import { Executor } from './executor/executor.ts';

export interface PruneSettings {
  sparsities: number[];
  structured: boolean;
  /** Unstructured only: rank weights per layer or over all layers together. */
  scope: 'layer' | 'global';
  /** Dense training steps before pruning. */
  steps: number;
  /** Fine-tune steps after pruning (0: none). */
  finetune: number;
  batch: number;
  seed: number;
  optimizer: OptimizerObject;
}

/** One sparsity's result. */
export interface PruneRow {
  /** The sparsity asked for. */
  sparsity: number;
  /**
   * Per prunable weight: zeros read back from the GPU after the fine-tune (unstructured), or
   * the weights removed with their channels (structured; `numel` is the dense count).
   */
  layers: LayerSparsity[];
  /** Zeros over all prunable weights / their count (unstructured); removed channels' weights / all prunable weights (structured). */
  achieved_sparsity: number;
  /** Parameters of the model as it runs (MACs: at the spec's own input shape, batch 1 for the zoo's models): the smaller spec's (structured), or the dense count (unstructured). */
  params: number;
  /** Parameters that are not 0 (unstructured: params minus the pruned weights). */
  nonzero_params: number;
  /** MACs of a forward pass: the smaller spec's (structured), the dense count (unstructured: the zeros are still multiplied). */
  macs: number;
  test_accuracy: number | null;
  test_loss: number;
  /** After `finetune` steps (null without a fine-tune). */
  finetuned: { test_accuracy: number | null; test_loss: number } | null;
  /** Structured: per conv, the channels removed. */
  channels?: RemovedChannels[];
  /** Structured: the smaller spec. */
  spec?: ModelSpec;
}

export interface PruneReport {
  model: string;
  data: string;
  settings: PruneSettings;
  dense: { params: number; macs: number; test_accuracy: number | null; test_loss: number; step_ms: number };
  rows: PruneRow[];
}

/** Trainable weights and buffers by name, as `readParams` returns them. */
function asTensors(values: Record<string, Float32Array>, ex: Executor): Record<string, NamedTensor> {
  const shapes = new Map(ex.params.map((p) => [p.name, p.shape]));
  const out: Record<string, NamedTensor> = {};
  for (const [name, data] of Object.entries(values)) out[name] = { shape: shapes.get(name) ?? [data.length], data };
  return out;
}

/** Scores `spec` with `weights` on the test split, fine-tunes it `steps` steps (re-masking after each) and scores again. */
async function scoreAndFinetune(
  rt: GpuRuntime, spec: ModelSpec, weights: Record<string, NamedTensor>, ds: Dataset, settings: PruneSettings, masks: Record<string, Uint8Array> | null,
): Promise<{ before: { test_accuracy: number | null; test_loss: number }; after: { test_accuracy: number | null; test_loss: number } | null; final: Record<string, Float32Array> }> {
  const cs: CompareSettings = { steps: settings.finetune, batch: settings.batch, seed: settings.seed, evalEvery: Math.max(1, settings.finetune), optimizer: settings.optimizer };
  const { spec: fitted, batch, layout } = specForRun({ arch: 'pruned', spec }, ds, cs);
  const ex = await Executor.create(rt, fitted, { seed: settings.seed, batch, flowStats: false });
  try {
    ex.loadWeights(weights);
    const feeder = new DataFeeder(ds, layout, ex.graph.input.shape[0], ex.seed);
    const before = await feeder.evaluate(ex);
    if (settings.finetune === 0) return { before, after: null, final: await ex.readParams() };
    for (let k = 0; k < settings.finetune; k++) {
      feeder.beforeStep(ex, k === 0);
      await ex.step({ flowStats: false });
      if (masks) {
        const now = await ex.readParams();
        for (const [name, mask] of Object.entries(masks)) ex.setParam(name, applyMask(now[name], mask));
      }
    }
    const after = await feeder.evaluate(ex);
    return { before, after, final: await ex.readParams() };
  } finally {
    ex.dispose();
  }
}

/** Trains `spec` densely on `ds`, then prunes and scores it at every sparsity. */
export async function pruneStudy(rt: GpuRuntime, spec: ModelSpec, ds: Dataset, settings: PruneSettings, onProgress?: (line: string) => void): Promise<PruneReport> {
  if (settings.structured) channelRoutes(spec);
  const cs: CompareSettings = { steps: settings.steps, batch: settings.batch, seed: settings.seed, evalEvery: settings.steps, optimizer: settings.optimizer, flowStats: false };
  let trained: Record<string, NamedTensor> = {};
  const dense = await runArchitecture(rt, { arch: spec.name ?? 'model', spec }, ds, cs, {
    onTrained: async (_, ex) => {
      trained = asTensors(await ex.readParams(), ex);
    },
  });
  onProgress?.(`dense: test accuracy ${dense.final.test_accuracy} after ${settings.steps} steps`);
  const prunable = prunableWeights(spec);
  const denseSummary = buildSummary(spec);
  const prunableCount = prunable.reduce((s, n) => s + trained[n].data.length, 0);
  const rows: PruneRow[] = [];
  for (const sparsity of settings.sparsities) {
    if (settings.structured) {
      const small = channelPrune(spec, trained, sparsity);
      const scored = await scoreAndFinetune(rt, small.spec, small.weights, ds, settings, null);
      const summary = buildSummary(small.spec);
      const kept = prunable.reduce((s, n) => s + small.weights[n].data.length, 0);
      const layers = prunable.map((name) => {
        const before = trained[name].data.length;
        const zeros = before - small.weights[name].data.length;
        return { name, numel: before, zeros, sparsity: zeros / before };
      });
      rows.push({
        sparsity, layers,
        achieved_sparsity: 1 - kept / prunableCount,
        params: summary.totals.params, nonzero_params: summary.totals.params, macs: summary.totals.macs,
        test_accuracy: scored.before.test_accuracy, test_loss: scored.before.test_loss, finetuned: scored.after,
        channels: small.removed, spec: small.spec,
      });
    } else {
      const tensors = Object.fromEntries(prunable.map((n) => [n, trained[n]]));
      const masks = magnitudeMasks(tensors, sparsity, settings.scope);
      const pruned: Record<string, NamedTensor> = { ...trained };
      for (const n of prunable) pruned[n] = { shape: trained[n].shape, data: applyMask(trained[n].data, masks[n]) };
      const scored = await scoreAndFinetune(rt, spec, pruned, ds, settings, masks);
      const layers = countSparsity(Object.fromEntries(prunable.map((n) => [n, scored.final[n]])));
      const zeros = layers.reduce((s, l) => s + l.zeros, 0);
      rows.push({
        sparsity, layers, achieved_sparsity: zeros / prunableCount,
        params: denseSummary.totals.params, nonzero_params: denseSummary.totals.params - zeros, macs: denseSummary.totals.macs,
        test_accuracy: scored.before.test_accuracy, test_loss: scored.before.test_loss, finetuned: scored.after,
      });
    }
    const row = rows[rows.length - 1];
    onProgress?.(`sparsity ${sparsity}: test accuracy ${row.test_accuracy}${row.finetuned ? `, ${row.finetuned.test_accuracy} after ${settings.finetune} fine-tune steps` : ''}`);
  }
  return {
    model: spec.name ?? 'model',
    data: ds.name,
    settings,
    dense: { params: denseSummary.totals.params, macs: denseSummary.totals.macs, test_accuracy: dense.final.test_accuracy, test_loss: dense.final.test_loss, step_ms: dense.step_ms },
    rows,
  };
}
