/**
 * The loss landscape around a trained model (Li et al., 2018): train K steps with the executor,
 * draw two seeded Gaussian directions d1, d2 normalized filter by filter to the trained weights
 * θ, then for every grid point (α, β) write θ + α·d1 + β·d2 into the parameter buffers on the GPU
 * (one landscape_combine dispatch per parameter) and run the model forward in eval mode on one
 * fixed evaluation batch. Browser-safe (no Node imports): the data set is loaded by the caller.
 */
import { InputError } from '../analysis/errors.ts';
import { filterNormalize, gridAxis, type NamedValues } from '../analysis/landscape.ts';
import type { ModelSpec, OptimizerObject } from '../analysis/model_spec.ts';
import { mulberry32 } from '../analysis/random.ts';
import { numel } from '../analysis/tensor.ts';
import { gatherBatch, type Dataset } from '../data/dataset.ts';
import { DataFeeder, fitSpecToDataset } from '../data/training.ts';
import { landscapeCombine } from '../kernels/landscape_combine.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import { Executor } from './executor/executor.ts';
import { normalStream, streamSeed } from './executor/init.ts';
import { parseTensor } from './spec.ts';

/** The grid: `grid` points per axis from −span to span; `seed` draws the directions. */
export interface LandscapeSettings {
  grid: number;
  span: number;
  seed: number;
}

/** The surface: `loss[a][b]` is the loss at alphas[a]·d1 + betas[b]·d2 (null where it is not finite). */
export interface LandscapeGrid {
  alphas: number[];
  betas: number[];
  loss: (number | null)[][];
  /** The trained model's loss on the evaluation batch, before any perturbation. */
  center_loss: number;
  /** Wall time of one grid point: the weight writes and the forward pass with its loss readback. */
  ms_per_point: number;
  points: number;
  /** Samples in the fixed evaluation batch. */
  eval_batch: number;
}

/** A seeded N(0, 1) direction over every parameter (stream `name`: "d1", "d2"), filter-normalized to `params`. */
export function randomDirection(params: NamedValues[], seed: number, name: string): Float32Array[] {
  return params.map((p) => {
    const normal = normalStream(mulberry32(streamSeed(seed, `landscape ${name} ${p.name}`)));
    const raw = Float64Array.from({ length: numel(p.shape) }, () => normal());
    return filterNormalize(p.data, raw, p.shape);
  });
}

/**
 * Evaluates the loss on the grid around the executor's current weights with `input`/`target` as
 * the evaluation batch. Every parameter is restored to θ afterwards. `onRow` reports progress.
 */
export async function landscapeGrid(rt: GpuRuntime, ex: Executor, input: ArrayLike<number>, target: ArrayLike<number>, settings: LandscapeSettings, onRow?: (done: number, total: number) => void): Promise<LandscapeGrid> {
  const alphas = gridAxis(settings.grid, settings.span);
  const betas = gridAxis(settings.grid, settings.span);
  const center = await ex.evaluate(input, target);
  const values = await ex.readParams();
  const params = ex.params.map((p) => ({ name: p.name, shape: p.shape, data: values[p.name] }));
  const d1 = randomDirection(params, settings.seed, 'd1');
  const d2 = randomDirection(params, settings.seed, 'd2');
  const previous = rt.owner;
  rt.owner = 'landscape';
  const held: GpuTensor[] = [];
  const theta: GpuTensor[] = [];
  try {
    const upload = (label: string, shape: number[], data: Float32Array) => {
      const t = rt.tensor(label, shape, 'float32', data);
      held.push(t);
      return t;
    };
    for (const p of params) theta.push(upload(`${p.name} (θ)`, p.shape, p.data));
    const dir1 = params.map((p, i) => upload(`${p.name} (d1)`, p.shape, d1[i]));
    const dir2 = params.map((p, i) => upload(`${p.name} (d2)`, p.shape, d2[i]));
    const loss: (number | null)[][] = [];
    const started = performance.now();
    for (let a = 0; a < alphas.length; a++) {
      const row: (number | null)[] = [];
      for (const beta of betas) {
        for (let i = 0; i < params.length; i++) await landscapeCombine(rt, theta[i], dir1[i], dir2[i], alphas[a], beta, ex.params[i].tensor);
        const { loss: l } = await ex.evaluate(input, target);
        row.push(Number.isFinite(l) ? l : null);
      }
      loss.push(row);
      onRow?.(a + 1, alphas.length);
    }
    const elapsed = performance.now() - started;
    const points = alphas.length * betas.length;
    const batch = ex.graph.input.shape[0];
    return { alphas, betas, loss, center_loss: center.loss, ms_per_point: elapsed / points, points, eval_batch: batch };
  } finally {
    // θ goes back into the parameters even when a point failed.
    theta.forEach((t, i) => rt.copy(t.buffer, ex.params[i].tensor.buffer, 4 * numel(params[i].shape)));
    await rt.submit();
    rt.release(...held);
    rt.owner = previous;
  }
}

/** What a landscape run trains: the optimizer used when the spec names none, the steps, the batch. */
export interface LandscapeRunSettings extends LandscapeSettings {
  steps: number;
  batch?: number;
  optimizer: OptimizerObject;
}

/** One model's landscape: the grid, the spec it trained, its training losses. */
export interface LandscapeRun extends LandscapeGrid {
  arch: string;
  spec: ModelSpec;
  train_loss: number[];
}

/** The evaluation batch: the first test samples (a graph: every node), or the executor's seeded data. */
function evaluationBatch(ex: Executor, data: { ds: Dataset; layout: ReturnType<typeof fitSpecToDataset>['layout'] } | null): { input: ArrayLike<number>; target: ArrayLike<number> } {
  if (!data) return ex.data();
  const { ds, layout } = data;
  if (ds.kind === 'graph') return { input: ds.features, target: ds.labels };
  const n = ex.graph.input.shape[layout.timeFirst ? 1 : 0];
  if (n > ds.test.count) throw new InputError(`landscape: the evaluation batch of ${n} samples is larger than ${ds.name}'s test split (${ds.test.count})`);
  return gatherBatch(ds, ds.test, Int32Array.from({ length: n }, (_, i) => i), layout);
}

/**
 * Trains `spec` for `settings.steps` steps (on `ds` when given, else on the executor's seeded
 * data) from its seeded initialization or the spec's `weights`, and maps the loss landscape
 * around the trained weights.
 */
export async function trainAndMap(rt: GpuRuntime, arch: string, spec: ModelSpec, ds: Dataset | null, settings: LandscapeRunSettings, onProgress?: (what: string) => void): Promise<LandscapeRun> {
  const withOptimizer: ModelSpec = { ...spec, optimizer: spec.optimizer ?? settings.optimizer };
  const fitted = ds ? fitSpecToDataset({ ...withOptimizer, loss: ds.task === 'regression' ? 'mse' : 'cross_entropy' }, ds, settings.batch) : { spec: withOptimizer, batch: settings.batch, layout: { timeFirst: false, oneHot: false } };
  const ex = await Executor.create(rt, fitted.spec, { seed: settings.seed, batch: fitted.batch, flowStats: false });
  try {
    ex.loadWeights(Object.fromEntries(Object.entries(spec.weights ?? {}).map(([name, t]) => [name, parseTensor(`weights: ${name}`, t, 'float32')])));
    const feeder = ds ? new DataFeeder(ds, fitted.layout, ex.graph.input.shape[fitted.layout.timeFirst ? 1 : 0], ex.seed) : null;
    const trainLoss: number[] = [];
    for (let k = 0; k < settings.steps; k++) {
      feeder?.beforeStep(ex, k === 0);
      const r = await ex.step({ flowStats: false });
      if (!Number.isFinite(r.loss)) throw new InputError(`landscape: ${arch}: the loss became ${r.loss} at step ${r.step} (lower the learning rate)`);
      trainLoss.push(r.loss);
      onProgress?.(`${arch}: training step ${r.step}/${settings.steps}, loss ${r.loss.toPrecision(4)}`);
    }
    const { input, target } = evaluationBatch(ex, ds ? { ds, layout: fitted.layout } : null);
    const grid = await landscapeGrid(rt, ex, input, target, settings, (done, total) => onProgress?.(`${arch}: grid row ${done}/${total}`));
    return { arch, spec: fitted.spec, train_loss: trainLoss, ...grid };
  } finally {
    ex.dispose();
  }
}
