/**
 * Study "norms": the same small CNN with BatchNorm, LayerNorm, GroupNorm and no normalization,
 * trained on Fashion-MNIST at several batch sizes: final loss and test accuracy, the median step
 * time, the bytes each norm layer allocates per step (from the ledger), BatchNorm's train/eval
 * gap (the last training batch scored with batch statistics vs with the running statistics), and
 * the float32 variance error of each norm kernel on inputs with a large mean against float64.
 */
import { InputError } from '../../analysis/errors.ts';
import { mulberry32 } from '../../analysis/random.ts';
import type { LayerSpec, ModelSpec } from '../../analysis/model_spec.ts';
import type { SampleDataset } from '../../data/dataset.ts';
import { DataFeeder, fitSpecToDataset } from '../../data/training.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { normalStream } from '../executor/init.ts';
import { Executor } from '../executor/executor.ts';
import { runSpec } from '../run.ts';
import { subsetSamples } from './common.ts';

/** The normalizations compared, by the name the report uses. */
export const NORM_KINDS = ['batch_norm', 'layer_norm', 'group_norm', 'none'] as const;
export type NormKind = (typeof NORM_KINDS)[number];

export interface NormsStudyOptions {
  batchSizes: number[];
  steps: number;
  /** SGD with momentum 0.9 at this learning rate. */
  lr: number;
  seed: number;
  /** Test images scored after training. */
  test: number;
}

/** One normalization at one batch size. */
export interface NormRun {
  norm: NormKind;
  batch: number;
  params: number;
  final_loss: number;
  test_loss: number;
  test_accuracy: number;
  step_ms: number;
  /** The ledger's peak live bytes during a step (after the first). */
  peak_bytes: number;
  /** Bytes the norm layers' forward and backward allocate in one step, by layer. */
  norm_layer_bytes: Record<string, number>;
  /** BatchNorm: the last training batch's loss with batch statistics (train mode) and with the running statistics (eval mode). */
  train_eval_gap?: { train_mode_loss: number; eval_mode_loss: number; gap: number };
}

/** One kernel's statistics on x = offset + N(0, 1) against float64 on the same float32 inputs. */
export interface VarianceErrorRow {
  op: 'batch_norm' | 'layer_norm' | 'group_norm';
  offset: number;
  /** Largest |var_float32 − var_float64| / var_float64 over the normalized groups (var_float32 = 1/invstd² − eps). */
  variance_relative_error: number;
  /** Largest |output − float64 output|. */
  output_max_abs_error: number;
}

/** What `nnx study norms --json` prints. */
export interface NormsStudyReport {
  study: 'norms';
  data: { name: string; description: string; test_images: number };
  settings: NormsStudyOptions;
  runs: NormRun[];
  variance_error: VarianceErrorRow[];
}

/** The study's defaults. */
export const NORMS_DEFAULTS: NormsStudyOptions = { batchSizes: [2, 8, 32], steps: 20, lr: 0.05, seed: 0, test: 500 };

function normLayer(kind: NormKind, name: string, channels: number, side: number): LayerSpec[] {
  if (kind === 'batch_norm') return [{ type: 'BatchNorm2d', name, num_features: channels }];
  if (kind === 'layer_norm') return [{ type: 'LayerNorm', name, normalized_shape: [channels, side, side] }];
  if (kind === 'group_norm') return [{ type: 'GroupNorm', name, num_groups: 4, num_channels: channels }];
  return [];
}

/** [N, 1, 28, 28] → Conv(1, 8, 3) → norm → ReLU → MaxPool 2 → Conv(8, 16, 3) → norm → ReLU → global average pool → Linear(16, 10). */
export function normsStudySpec(kind: NormKind, channels = 1, classes = 10): ModelSpec {
  return {
    name: `cnn_${kind}`, input: [1, channels, 28, 28],
    layers: [
      { type: 'Conv2d', name: 'conv1', in_channels: channels, out_channels: 8, kernel_size: 3, padding: 1 },
      ...normLayer(kind, 'norm1', 8, 28),
      { type: 'ReLU', name: 'relu1' },
      { type: 'MaxPool2d', name: 'pool', kernel_size: 2 },
      { type: 'Conv2d', name: 'conv2', in_channels: 8, out_channels: 16, kernel_size: 3, padding: 1 },
      ...normLayer(kind, 'norm2', 16, 14),
      { type: 'ReLU', name: 'relu2' },
      { type: 'AdaptiveAvgPool2d', name: 'gap', output_size: 1 },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Linear', name: 'fc', in_features: 16, out_features: classes },
    ],
  };
}

async function trainRun(rt: GpuRuntime, ds: SampleDataset, kind: NormKind, batch: number, o: NormsStudyOptions): Promise<NormRun> {
  const fitted = fitSpecToDataset(normsStudySpec(kind, ds.sampleShape[0], ds.numClasses), ds, batch);
  const ex = await Executor.create(rt, fitted.spec, { optimizer: { type: 'momentum', lr: o.lr }, seed: o.seed, batch: fitted.batch, flowStats: false });
  try {
    const feeder = new DataFeeder(ds, fitted.layout, fitted.batch, o.seed);
    const times: number[] = [];
    let loss = NaN;
    let peak = 0;
    const normBytes: Record<string, number> = {};
    for (let k = 0; k < o.steps; k++) {
      feeder.beforeStep(ex, k === 0);
      const r = await ex.step();
      loss = r.loss;
      if (k > 0 || o.steps === 1) {
        times.push(r.wall_ms);
        peak = Math.max(peak, r.peak_bytes);
      }
      if (k === o.steps - 1) {
        for (const e of rt.ledger.entries) {
          const m = /^(forward|backward) (norm\d)$/.exec(e.owner);
          if (m && e.created >= r.clock[0] && e.created <= r.clock[1]) normBytes[m[2]] = (normBytes[m[2]] ?? 0) + e.bytes;
        }
      }
    }
    const test = await feeder.evaluate(ex);
    const run: NormRun = {
      norm: kind, batch, params: ex.params.filter((p) => p.trainable).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0),
      final_loss: loss, test_loss: test.test_loss, test_accuracy: test.test_accuracy ?? 0,
      step_ms: [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)], peak_bytes: peak, norm_layer_bytes: normBytes,
    };
    if (kind === 'batch_norm') {
      // The same batch through the model twice, after training: batch statistics (a step at lr 0 would update
      // the running statistics, so the train-mode loss is the last step's), then the running statistics.
      const { input, target } = ex.data();
      const evalLoss = (await ex.evaluate(input, target)).loss;
      run.train_eval_gap = { train_mode_loss: loss, eval_mode_loss: evalLoss, gap: evalLoss - loss };
    }
    return run;
  } finally {
    ex.dispose();
  }
}

/** Float64 mean and biased variance of each group of `x` (the elements `groupOf` maps to the same index). */
function groupStats(x: Float32Array, groups: number, groupOf: (i: number) => number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(groups);
  const count = new Float64Array(groups);
  x.forEach((v, i) => {
    mean[groupOf(i)] += v;
    count[groupOf(i)]++;
  });
  mean.forEach((_, g) => (mean[g] /= count[g]));
  const variance = new Float64Array(groups);
  x.forEach((v, i) => (variance[groupOf(i)] += (v - mean[groupOf(i)]) ** 2));
  variance.forEach((_, g) => (variance[g] /= count[g]));
  return { mean, variance };
}

/**
 * Each norm kernel (training-mode statistics, no affine) on x [4, 6, 5, 3] = offset + N(0, 1):
 * the variance it normalizes with (from its traced invstd) and its output, against float64 on
 * the same float32 values. Large offsets cancel catastrophically in a one-pass E[x²] − E[x]².
 */
export async function normVarianceErrors(rt: GpuRuntime, offsets: number[], seed = 0): Promise<VarianceErrorRow[]> {
  const shape = [4, 6, 5, 3];
  const [n, c] = shape;
  const inner = shape[2] * shape[3];
  const eps = 1e-5;
  const normal = normalStream(mulberry32(seed + 1));
  const noise = Float64Array.from({ length: n * c * inner }, () => normal());
  const ops: { op: VarianceErrorRow['op']; attrs: Record<string, unknown>; groups: number; groupOf: (i: number) => number }[] = [
    { op: 'batch_norm', attrs: { training: true, eps }, groups: c, groupOf: (i) => Math.floor(i / inner) % c },
    { op: 'layer_norm', attrs: { normalized_shape: shape.slice(1), eps }, groups: n, groupOf: (i) => Math.floor(i / (c * inner)) },
    { op: 'group_norm', attrs: { num_groups: 3, eps }, groups: n * 3, groupOf: (i) => Math.floor(i / (2 * inner)) },
  ];
  const rows: VarianceErrorRow[] = [];
  for (const offset of offsets) {
    const x = Float32Array.from(noise, (v) => offset + v);
    for (const { op, attrs, groups, groupOf } of ops) {
      const { result } = await runSpec(rt, { op, attrs, inputs: { x: { shape, data: Array.from(x) } } }, { trace: true });
      const invstd = result.trace!.invstd.data as number[];
      const output = result.outputs.output.data as number[];
      const ref = groupStats(x, groups, groupOf);
      let varianceError = 0;
      for (let g = 0; g < groups; g++) varianceError = Math.max(varianceError, Math.abs(1 / invstd[g] ** 2 - eps - ref.variance[g]) / ref.variance[g]);
      let outputError = 0;
      x.forEach((v, i) => {
        const g = groupOf(i);
        outputError = Math.max(outputError, Math.abs(output[i] - (v - ref.mean[g]) / Math.sqrt(ref.variance[g] + eps)));
      });
      rows.push({ op, offset, variance_relative_error: varianceError, output_max_abs_error: outputError });
    }
  }
  return rows;
}

/** Offsets of the badly scaled inputs. */
export const VARIANCE_OFFSETS = [0, 1e3, 1e4, 1e5];

/** Trains every normalization at every batch size, then measures the kernels' variance error. */
export async function runNormsStudy(rt: GpuRuntime, ds: SampleDataset, o: NormsStudyOptions, onRun?: (run: NormRun) => void): Promise<NormsStudyReport> {
  if (ds.task !== 'classification' || ds.sequence || ds.sampleShape.length !== 3 || ds.sampleShape[1] !== 28 || ds.sampleShape[2] !== 28) {
    throw new InputError(`study norms: needs 28×28 image classification data, got ${ds.name}`);
  }
  for (const b of o.batchSizes) if (b > ds.train.count) throw new InputError(`study norms: batch ${b} is larger than the ${ds.train.count} training images`);
  const scored = subsetSamples(ds, undefined, o.test);
  const runs: NormRun[] = [];
  for (const batch of o.batchSizes) {
    for (const kind of NORM_KINDS) {
      const run = await trainRun(rt, scored, kind, batch, o);
      runs.push(run);
      onRun?.(run);
    }
  }
  return {
    study: 'norms', data: { name: ds.name, description: ds.description, test_images: o.test }, settings: o, runs,
    variance_error: await normVarianceErrors(rt, VARIANCE_OFFSETS, o.seed),
  };
}
