/**
 * Study "data efficiency": the image line-up (CNN vs ViT) trained on the first 500, 2,000 and
 * all training images of Fashion-MNIST with the same step budget, scored on the same test
 * images. Who wins on small data? Every number comes from the runs.
 */
import { InputError } from '../../analysis/errors.ts';
import { lineup } from '../../analysis/zoo/compare_lineups.ts';
import type { SampleDataset } from '../../data/dataset.ts';
import type { EvalRow } from '../../data/training.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { runArchitecture, type CompareHooks } from '../compare.ts';
import { lineupEntries, subsetSamples } from './common.ts';

export interface DataEfficiencyOptions {
  /** Training images per run; `all` is the whole training split. */
  sizes: (number | 'all')[];
  archs: string[];
  steps: number;
  batch: number;
  seed: number;
  /** Steps between test evaluations (default: only after the last step). */
  evalEvery?: number;
}

/** One architecture at one training-set size. */
export interface DataEfficiencyRow {
  arch: string;
  train_images: number;
  params: number;
  step_ms: number;
  evals: EvalRow[];
  final: { test_loss: number; test_accuracy: number | null };
}

/** What `nnx study data-efficiency --json` prints. */
export interface DataEfficiencyReport {
  study: 'data-efficiency';
  data: { name: string; description: string; test_images: number };
  settings: Omit<DataEfficiencyOptions, 'sizes'> & { sizes: number[] };
  rows: DataEfficiencyRow[];
  /** The architecture with the highest final test accuracy at each size. */
  best: { train_images: number; arch: string; test_accuracy: number }[];
}

/** The study's defaults (the image line-up's budget). */
export const DATA_EFFICIENCY_DEFAULTS: DataEfficiencyOptions = { sizes: [500, 2000, 'all'], archs: ['cnn', 'vit'], steps: lineup('image').steps, batch: lineup('image').batch!, seed: 0 };

/** Trains every architecture at every size on `ds` (Fashion-MNIST, any number of test images) and reports the test metrics. */
export async function runDataEfficiency(rt: GpuRuntime, ds: SampleDataset, options: DataEfficiencyOptions, hooks: CompareHooks & { onRow?(row: DataEfficiencyRow): void } = {}): Promise<DataEfficiencyReport> {
  if (ds.task !== 'classification' || ds.sequence) throw new InputError(`study data-efficiency: needs an image classification data set, got ${ds.name}`);
  const sizes = options.sizes.map((s) => (s === 'all' ? ds.train.count : s));
  for (const n of sizes) {
    if (n < options.batch) throw new InputError(`study data-efficiency: ${n} training images is fewer than the batch (${options.batch})`);
    if (n > ds.train.count) throw new InputError(`study data-efficiency: ${n} training images asked for, ${ds.name} has ${ds.train.count}`);
  }
  const entries = lineupEntries('study data-efficiency', 'image', options.archs, { features: ds.sampleShape[0], outputs: ds.numClasses! });
  const rows: DataEfficiencyRow[] = [];
  const settings = { steps: options.steps, batch: options.batch, seed: options.seed, evalEvery: options.evalEvery ?? options.steps, optimizer: lineup('image').optimizer };
  for (const n of sizes) {
    const subset = subsetSamples(ds, n);
    for (const entry of entries) {
      const run = await runArchitecture(rt, entry, subset, settings, hooks);
      const row: DataEfficiencyRow = { arch: entry.arch, train_images: n, params: run.params, step_ms: run.step_ms, evals: run.evals, final: run.final };
      rows.push(row);
      hooks.onRow?.(row);
    }
  }
  const best = sizes.map((n) => {
    const at = rows.filter((r) => r.train_images === n);
    const top = at.reduce((a, b) => ((b.final.test_accuracy ?? 0) > (a.final.test_accuracy ?? 0) ? b : a));
    return { train_images: n, arch: top.arch, test_accuracy: top.final.test_accuracy ?? 0 };
  });
  return {
    study: 'data-efficiency',
    data: { name: ds.name, description: ds.description, test_images: ds.test.count },
    settings: { ...options, sizes, evalEvery: settings.evalEvery },
    rows, best,
  };
}
