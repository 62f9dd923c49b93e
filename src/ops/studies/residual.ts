/**
 * Study "residual": plain and residual MLPs of the same width and weight count at several depths,
 * trained a few SGD steps on Fashion-MNIST. Per depth and per weight layer, ‖∂L/∂W‖ and the RMS
 * of ∂L/∂(layer output); the first-to-last ratio of ‖∂L/∂W‖; the loss after K steps; and the
 * Jacobian view of a residual block y = x + F(x): ∂L/∂x = ∂L/∂y·(I + ∂F/∂x), with the measured
 * norms of both terms (‖∂L/∂y·I‖ = ‖∂L/∂y‖ and ‖∂L/∂y·∂F/∂x‖ = ‖∂L/∂x − ∂L/∂y‖).
 */
import { InputError } from '../../analysis/errors.ts';
import type { LayerSpec, ModelSpec } from '../../analysis/model_spec.ts';
import type { SampleDataset } from '../../data/dataset.ts';
import { DataFeeder, fitSpecToDataset } from '../../data/training.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { Executor, type KeptLayer } from '../executor/executor.ts';

/** Activations the study builds its MLPs with. */
export const RESIDUAL_ACTIVATIONS = ['sigmoid', 'relu', 'tanh'] as const;
export type ResidualActivation = (typeof RESIDUAL_ACTIVATIONS)[number];

export interface ResidualStudyOptions {
  depths: number[];
  activation: ResidualActivation;
  steps: number;
  batch: number;
  width: number;
  lr: number;
  seed: number;
}

/** One weight layer at the last step. */
export interface ResidualLayerRow {
  name: string;
  /** ‖∂L/∂W‖ of the layer's weight. */
  grad_norm: number;
  /** RMS of ∂L/∂(layer output). */
  grad_output_rms: number | null;
}

/** ∂L/∂x = ∂L/∂y + ∂L/∂y·∂F/∂x through one residual block, measured at the last step. */
export interface BlockJacobian {
  block: string;
  /** ‖∂L/∂y‖: what the identity passes back. */
  identity_norm: number;
  /** ‖∂L/∂y·∂F/∂x‖ = ‖∂L/∂x − ∂L/∂y‖: what the branch passes back. */
  branch_norm: number;
  /** ‖∂L/∂x‖. */
  input_grad_norm: number;
}

/** One model at one depth. */
export interface ResidualModelRun {
  model: string;
  params: number;
  layers: ResidualLayerRow[];
  /** ‖∂L/∂W‖ of the first weight layer over the last one's. */
  first_to_last: number;
  loss: number[];
  /** Median wall time of a step (the residual model's last step, which reads every layer back, is left out). */
  step_ms: number;
  /** Residual models: the first, middle and last blocks. */
  jacobian?: BlockJacobian[];
}

/** What `nnx study residual --json` prints. */
export interface ResidualStudyReport {
  study: 'residual';
  data: { name: string; description: string };
  settings: ResidualStudyOptions;
  depths: { depth: number; plain: ResidualModelRun; residual: ResidualModelRun }[];
}

/** The study's defaults. */
export const RESIDUAL_DEFAULTS: ResidualStudyOptions = { depths: [10, 20, 50], activation: 'sigmoid', steps: 3, batch: 16, width: 32, lr: 0.05, seed: 0 };

const ACTIVATION_TYPES: Record<ResidualActivation, string> = { sigmoid: 'Sigmoid', relu: 'ReLU', tanh: 'Tanh' };

/**
 * `depth` Linear layers of width `width` on a flattened [N, C, H, W] image: Linear in, depth − 2
 * hidden layers (plain: activation → Linear; residual: x + Linear(activation(x))), activation,
 * Linear out. Both have the same weights; only the skips differ.
 */
export function residualStudySpec(kind: 'plain' | 'residual', depth: number, width: number, activation: ResidualActivation, sample: number[], classes: number): ModelSpec {
  const act = ACTIVATION_TYPES[activation];
  const features = sample.reduce((a, b) => a * b, 1);
  const layers: LayerSpec[] = [{ type: 'Flatten', name: 'flatten' }, { type: 'Linear', name: 'fc_in', in_features: features, out_features: width }];
  for (let i = 0; i < depth - 2; i++) {
    const branch: LayerSpec[] = [{ type: act, name: 'act' }, { type: 'Linear', name: 'fc', in_features: width, out_features: width }];
    layers.push(kind === 'residual' ? { type: 'Residual', name: `block${i}`, body: branch } : { type: 'Sequential', name: `block${i}`, layers: branch });
  }
  layers.push({ type: act, name: 'act_out' }, { type: 'Linear', name: 'fc_out', in_features: width, out_features: classes });
  return { name: `${kind}_${activation}_mlp_${depth}`, input: [1, ...sample], layers };
}

function norm(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return Math.sqrt(s);
}

/** The identity and branch terms of ∂L/∂x through blocks i (input: the output of what precedes it). */
function blockJacobians(kept: KeptLayer[], blocks: number[]): BlockJacobian[] {
  return blocks.map((i) => {
    const out = kept.find((k) => k.name === `block${i}`);
    const before = kept.find((k) => k.name === (i === 0 ? 'fc_in' : `block${i - 1}`));
    if (!out?.grad_output || !before?.grad_output) throw new InputError(`study residual: block${i} or its input kept no gradient`);
    const gy = out.grad_output.data;
    const gx = before.grad_output.data;
    const branch = Float64Array.from(gx, (v, j) => v - gy[j]);
    return { block: `block${i}`, identity_norm: norm(gy), branch_norm: norm(branch), input_grad_norm: norm(gx) };
  });
}

async function trainOne(rt: GpuRuntime, ds: SampleDataset, spec: ModelSpec, options: ResidualStudyOptions, residual: boolean, depth: number): Promise<ResidualModelRun> {
  const fitted = fitSpecToDataset(spec, ds, options.batch);
  const ex = await Executor.create(rt, fitted.spec, { optimizer: { type: 'sgd', lr: options.lr }, seed: options.seed, batch: fitted.batch });
  try {
    const feeder = new DataFeeder(ds, fitted.layout, fitted.batch, options.seed);
    const loss: number[] = [];
    const times: number[] = [];
    let last = null;
    for (let k = 0; k < options.steps; k++) {
      feeder.beforeStep(ex, k === 0);
      const keep = residual && k === options.steps - 1;
      last = await ex.step(keep ? { keep: 'all' } : {});
      loss.push(last.loss);
      // The step that reads every layer back is not a training step's time.
      if (!keep || options.steps === 1) times.push(last.wall_ms);
    }
    const weights = last!.layers.filter((l) => l.type === 'Linear');
    const layers = weights.map((l) => ({ name: l.name, grad_norm: l.params.find((p) => p.name === 'weight')!.grad_norm, grad_output_rms: l.grad?.rms ?? null }));
    const run: ResidualModelRun = {
      model: spec.name!, params: ex.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0),
      layers, first_to_last: layers[0].grad_norm / layers[layers.length - 1].grad_norm, loss,
      step_ms: [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)],
    };
    if (residual) run.jacobian = blockJacobians(last!.kept!, [...new Set([0, Math.floor((depth - 2) / 2), depth - 3])]);
    return run;
  } finally {
    ex.dispose();
  }
}

/** Trains a plain and a residual MLP at every depth and reports their gradient flow. */
export async function runResidualStudy(rt: GpuRuntime, ds: SampleDataset, options: ResidualStudyOptions, onDepth?: (row: ResidualStudyReport['depths'][number]) => void): Promise<ResidualStudyReport> {
  if (ds.task !== 'classification' || ds.sequence) throw new InputError(`study residual: needs an image classification data set, got ${ds.name}`);
  for (const d of options.depths) if (d < 3) throw new InputError(`study residual: depth ${d} is too shallow (a residual block needs at least 3 Linear layers: in, one block, out)`);
  if (options.batch > ds.train.count) throw new InputError(`study residual: --batch ${options.batch} is larger than the ${ds.train.count} training images`);
  const depths: ResidualStudyReport['depths'] = [];
  for (const depth of options.depths) {
    const build = (kind: 'plain' | 'residual') => residualStudySpec(kind, depth, options.width, options.activation, ds.sampleShape, ds.numClasses!);
    const row = {
      depth,
      plain: await trainOne(rt, ds, build('plain'), options, false, depth),
      residual: await trainOne(rt, ds, build('residual'), options, true, depth),
    };
    depths.push(row);
    onDepth?.(row);
  }
  return { study: 'residual', data: { name: ds.name, description: ds.description }, settings: options, depths };
}
