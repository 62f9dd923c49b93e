/**
 * The comparison runner behind `nnx compare` (and, in the browser, the Compare page): every
 * architecture trains on the same data set with the same seed, optimizer and step budget, one
 * after another on one GPU runtime. Params, MACs, FLOPs and the predicted memory come from the
 * analysis of the spec each run trained; losses, times, test metrics, measured memory and
 * gradient norms come from that run. No Node-only imports: the data set is loaded by the caller.
 */
import { InputError } from '../analysis/errors.ts';
import type { LayerFlow } from '../analysis/gradient_health.ts';
import type { ModelSpec, OptimizerObject } from '../analysis/model_spec.ts';
import { buildSummary } from '../analysis/summary.ts';
import type { TaskShape } from '../analysis/zoo/compare_lineups.ts';
import type { BatchLayout, Dataset } from '../data/dataset.ts';
import { DataFeeder, fitSpecToDataset, type EvalRow } from '../data/training.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { Executor } from './executor/executor.ts';

/** One architecture to train: its name in the table and its spec (sized for the data's features and outputs). */
export interface CompareEntry {
  arch: string;
  spec: ModelSpec;
}

/** The shared budget. `evalEvery` steps between test evaluations (the last step is always evaluated). */
export interface CompareSettings {
  steps: number;
  /** Mini-batch size of sample data (undefined for a graph). */
  batch?: number;
  seed: number;
  evalEvery: number;
  /** Used when a spec names no optimizer. */
  optimizer: OptimizerObject;
  /** Reduce gradient-flow statistics every step (default true); off, `gradient_flow` is empty and steps are faster (timing studies). */
  flowStats?: boolean;
}

/** ‖∂L/∂W‖ of one layer (all its parameters together) at the first and the last step, and for recurrent layers ‖∂L/∂h_t‖ per time step. */
export interface LayerGradientFlow {
  layer: string;
  type: string;
  /** Per parameter, by its local name: [first step, last step]. */
  params: Record<string, [number, number]>;
  grad_norm: [number, number];
  grad_h_norm?: { first: number[]; last: number[] };
}

/** One architecture's run. `curve[].wall_ms` is that step's wall time, as in `nnx train`. */
export interface CompareRun {
  arch: string;
  spec: ModelSpec;
  params: number;
  macs: number;
  flops: number;
  predicted_peak_bytes: number;
  measured_peak_bytes: number;
  /** Median wall time of a step (forward, backward, optimizer and the gradient statistics' readback). */
  step_ms: number;
  curve: { step: number; loss: number; wall_ms: number }[];
  evals: EvalRow[];
  final: { test_loss: number; test_accuracy: number | null };
  gradient_flow: { steps: [number, number]; layers: LayerGradientFlow[] };
}

/** What `nnx compare --json` prints. */
export interface CompareReport {
  task: string;
  data: { name: string; description: string };
  /** The trivial predictor's test loss: ln C for C classes (uniform logits), the target variance for a regression (predicting the mean). */
  baseline_loss: number;
  settings: CompareSettings;
  runs: CompareRun[];
}

/** Progress callbacks, for live curves. */
export interface CompareHooks {
  /** Awaited before every step: a page pauses a run by not resolving it. */
  beforeStep?(arch: string, step: number): Promise<void> | void;
  onStep?(arch: string, point: CompareRun['curve'][number]): void;
  onEval?(arch: string, row: EvalRow): void;
  /** Awaited after the last evaluation, before the executor is freed: the trained model, for predictions. */
  onTrained?(arch: string, ex: Executor, layout: BatchLayout): Promise<void> | void;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** What a line-up's specs are built for, from the data: features per node, step or image channel, and outputs (classes, or 1 for a regression). */
export function taskShape(ds: Dataset): TaskShape {
  if (ds.kind === 'graph') return { features: ds.numFeatures, outputs: ds.numClasses };
  return { features: ds.sampleShape[ds.sequence ? 1 : 0], outputs: ds.task === 'regression' ? 1 : ds.numClasses! };
}

/** The test split's trivial loss, in float64. */
export function baselineLoss(ds: Dataset): number {
  if (ds.kind === 'graph' || ds.task === 'classification') return Math.log(ds.numClasses!);
  const t = Array.from(ds.test.targets);
  const mean = t.reduce((s, v) => s + v, 0) / t.length;
  return t.reduce((s, v) => s + (v - mean) ** 2, 0) / t.length;
}

/** The spec a run trains: sized to the data, with the task's loss and (unless it names one) the line-up's optimizer. */
export function specForRun(entry: CompareEntry, ds: Dataset, settings: CompareSettings): { spec: ModelSpec; batch?: number; layout: ReturnType<typeof fitSpecToDataset>['layout'] } {
  const loss = ds.task === 'regression' ? 'mse' : 'cross_entropy';
  if (entry.spec.loss && entry.spec.loss !== loss) throw new InputError(`compare: ${entry.arch} has "loss": "${entry.spec.loss}", the ${ds.name} task needs ${loss}`);
  const fitted = fitSpecToDataset({ ...entry.spec, loss, optimizer: entry.spec.optimizer ?? settings.optimizer, seed: settings.seed }, ds, settings.batch);
  return fitted;
}

function layerFlow(first: LayerFlow, last: LayerFlow): LayerGradientFlow | null {
  if (!first.params.length && !first.grad_h_norm) return null;
  const norm = (l: LayerFlow) => Math.sqrt(l.params.reduce((s, p) => s + p.grad_norm ** 2, 0));
  const row: LayerGradientFlow = {
    layer: first.name, type: first.type,
    params: Object.fromEntries(first.params.map((p, i) => [p.name, [p.grad_norm, last.params[i].grad_norm]])),
    grad_norm: [norm(first), norm(last)],
  };
  if (first.grad_h_norm && last.grad_h_norm) row.grad_h_norm = { first: first.grad_h_norm, last: last.grad_h_norm };
  return row;
}

/** Trains one architecture for `settings.steps` steps and scores it. */
export async function runArchitecture(rt: GpuRuntime, entry: CompareEntry, ds: Dataset, settings: CompareSettings, hooks: CompareHooks = {}): Promise<CompareRun> {
  const { spec, batch, layout } = specForRun(entry, ds, settings);
  const summary = buildSummary(spec, { optimizer: (spec.optimizer as OptimizerObject).type });
  const ex = await Executor.create(rt, spec, { seed: settings.seed, batch, flowStats: settings.flowStats ?? true });
  try {
    const feeder = new DataFeeder(ds, layout, ex.graph.input.shape[layout.timeFirst ? 1 : 0], ex.seed);
    const curve: CompareRun['curve'] = [];
    const evals: EvalRow[] = [];
    let firstFlow: LayerFlow[] = [];
    let lastFlow: LayerFlow[] = [];
    let measured = 0;
    let since = 0;
    for (let k = 0; k < settings.steps; k++) {
      await hooks.beforeStep?.(entry.arch, k + 1);
      feeder.beforeStep(ex, k === 0);
      // Gradient-flow statistics cost a reduction per tensor: only the reported steps pay it.
      const r = await ex.step({ flowStats: (settings.flowStats ?? true) && (k === 0 || k === settings.steps - 1) });
      if (!Number.isFinite(r.loss)) throw new InputError(`compare: ${entry.arch}: the loss became ${r.loss} at step ${r.step} (lower the learning rate)`);
      const point = { step: r.step, loss: r.loss, wall_ms: r.wall_ms };
      curve.push(point);
      hooks.onStep?.(entry.arch, point);
      if (k === 0) firstFlow = r.layers;
      lastFlow = r.layers;
      measured = Math.max(measured, r.peak_bytes);
      if (r.step % settings.evalEvery === 0 || k === settings.steps - 1) {
        const window = curve.slice(since);
        since = curve.length;
        const row = { step: r.step, train_loss: window.reduce((s, p) => s + p.loss, 0) / window.length, ...(await feeder.evaluate(ex)) };
        evals.push(row);
        hooks.onEval?.(entry.arch, row);
      }
    }
    await hooks.onTrained?.(entry.arch, ex, layout);
    const last = evals[evals.length - 1];
    return {
      arch: entry.arch,
      spec,
      params: summary.totals.trainable_params,
      macs: summary.totals.macs,
      flops: summary.totals.flops,
      predicted_peak_bytes: summary.memory.peak_bytes,
      measured_peak_bytes: measured,
      step_ms: median(curve.map((p) => p.wall_ms)),
      curve,
      evals,
      final: { test_loss: last.test_loss, test_accuracy: last.test_accuracy },
      gradient_flow: {
        steps: [1, settings.steps],
        layers: firstFlow.map((f, i) => layerFlow(f, lastFlow[i])).filter((l): l is LayerGradientFlow => l !== null),
      },
    };
  } finally {
    ex.dispose();
  }
}

/** Trains every entry in turn on `ds` with the same settings. Specs are checked against the data before any GPU work. */
export async function runCompare(rt: GpuRuntime, task: string, entries: CompareEntry[], ds: Dataset, settings: CompareSettings, hooks: CompareHooks = {}): Promise<CompareReport> {
  for (const e of entries) buildSummary(specForRun(e, ds, settings).spec);
  const runs: CompareRun[] = [];
  for (const e of entries) runs.push(await runArchitecture(rt, e, ds, settings, hooks));
  return { task, data: { name: ds.name, description: ds.description }, baseline_loss: baselineLoss(ds), settings, runs };
}
