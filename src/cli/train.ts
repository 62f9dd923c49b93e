import { readFileSync, writeFileSync } from 'node:fs';
import { InputError } from '../analysis/errors.ts';
import { formatCount, renderTable } from '../analysis/format.ts';
import { memoryPlan } from '../analysis/memory.ts';
import { parseOptimizer, type ModelSpec, type OptimizerObject } from '../analysis/model_spec.ts';
import { formatShape, numel } from '../analysis/tensor.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { Executor, type OptimizerConfig } from '../ops/executor/executor.ts';
import type { BatchLayout, Dataset } from '../data/dataset.ts';
import { DATA_NAMES, isNamedData, loadNamedData } from '../data/files_node.ts';
import { DataFeeder, fitSpecToDataset, type EvalRow } from '../data/training.ts';
import { parseSpecText, parseTensor, type ParsedTensor } from '../ops/spec.ts';
import { resultJson, writeStdout } from './run.ts';
import { loadModel } from './summary.ts';

export const TRAIN_USAGE = `usage: nnx train SPEC.json|MODEL [options]

  SPEC.json|MODEL   a ModelSpec file ("-" reads stdin; it may carry "weights" by PyTorch
                    state_dict name and an "optimizer") or a zoo model
  --data NAME       a data set with a train/test split, mini-batches drawn per step (seeded):
                    ${DATA_NAMES}
  --data FILE       {"inputs", "targets", "edge_index"?, "mask"?}: one fixed batch used at every
                    step (its batch dimension replaces the spec's); default: seeded random data
  --data-dir DIR    the full Fashion-MNIST (its four IDX files) instead of the shipped subset
  --eval-every M    score the test split every M steps and after the last (named data only)
  --steps K         optimizer steps (default 10)
  --optimizer O     sgd, momentum or adam (default: the spec's, else sgd)
  --lr X            learning rate of the optimizer in effect
  --batch N         replace the batch dimension (seeded data, or the mini-batch of --data NAME)
  --seed S          seed of the initialization and the random data (default: the spec's, else 0)
  --print-every N   table rows every N steps (the last step always)
  --save FILE       write the trained parameters and buffers as {state_dict name: {"shape", "data"}}
  --json            print {model, params, optimizer, steps[{step, loss, wall_ms, gpu_ms}], memory,
                    data?, evals?[{step, train_loss, test_loss, test_accuracy}]}`;

/** What `nnx train --json` prints. */
export interface TrainReport {
  model: string;
  /** Trainable parameter count. */
  params: number;
  optimizer: OptimizerConfig;
  steps: { step: number; loss: number; wall_ms: number; gpu_ms: number | null }[];
  memory: { predicted_peak_bytes: number; measured_peak_bytes: number };
  /** A named data set: its name and what it holds. */
  data?: { name: string; description: string };
  /** With --eval-every: test loss and accuracy (null for regression) during training. */
  evals?: EvalRow[];
}

/** A `--data` file, validated tensor by tensor. */
interface TrainData {
  inputs: ParsedTensor;
  targets: Record<string, unknown>;
  edgeIndex?: ParsedTensor;
  mask?: ParsedTensor;
}

const DATA_KEYS = ['inputs', 'targets', 'edge_index', 'mask'];

function readData(path: string): TrainData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`train: cannot read --data ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const raw = parseSpecText(text, `--data ${path}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(`train: --data ${path} must be a JSON object {"inputs", "targets", "edge_index"?, "mask"?}`);
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!DATA_KEYS.includes(key)) throw new InputError(`train: --data: unknown key "${key}" (known: ${DATA_KEYS.join(', ')})`);
  for (const key of ['inputs', 'targets']) if (obj[key] === undefined) throw new InputError(`train: --data ${path} has no "${key}"`);
  const inputsDtype = (obj.inputs as { dtype?: string } | null)?.dtype;
  const data: TrainData = {
    inputs: parseTensor('--data inputs', obj.inputs, inputsDtype === 'int32' || inputsDtype === 'int64' ? 'int32' : 'float32'),
    targets: obj.targets as Record<string, unknown>,
  };
  if (obj.edge_index !== undefined) {
    data.edgeIndex = parseTensor('--data edge_index', obj.edge_index, 'int32');
    if (data.edgeIndex.shape.length !== 2 || data.edgeIndex.shape[0] !== 2) throw new InputError(`train: --data edge_index has shape ${formatShape(data.edgeIndex.shape)}, expected [2, E] (sources, then targets)`);
  }
  if (obj.mask !== undefined) data.mask = parseTensor('--data mask', obj.mask, 'int32');
  return data;
}

/**
 * The spec with the data's sizes: its batch dimension (or, for a graph model, its node and
 * edge counts) replaces the spec's; every other dimension must agree.
 */
function fitSpecToData(spec: ModelSpec, data: TrainData, batch: number | undefined): { spec: ModelSpec; batch?: number } {
  const given = data.inputs.shape;
  const expected = spec.input;
  const batchDim = spec.batch_dim === undefined ? 0 : spec.batch_dim;
  const free = batchDim ?? (spec.graph ? 0 : null);
  const agrees = given.length === expected.length && given.every((s, i) => i === free || s === expected[i]);
  if (!agrees) {
    const which = free === null ? 'every dimension must match' : `only dim ${free} (${batchDim === null ? 'the nodes' : 'the batch'}) may differ`;
    throw new InputError(`train: --data inputs has shape ${formatShape(given)}, the model's input is ${formatShape(expected)} (${which})`);
  }
  if (spec.graph) {
    if (!data.edgeIndex) throw new InputError('train: --data has no "edge_index" [2, E], which the graph model needs');
    const numNodes = given[0];
    return { spec: { ...spec, input: given, graph: { num_nodes: numNodes, num_edges: data.edgeIndex.shape[1] } } };
  }
  if (data.edgeIndex) throw new InputError('train: --data has "edge_index" but the model has no graph layers (no "graph" in the spec)');
  if (batchDim === null) return { spec };
  const fromData = given[batchDim];
  if (batch !== undefined && batch !== fromData) throw new InputError(`train: --batch ${batch} disagrees with the batch of --data inputs ${formatShape(given)} (${fromData})`);
  return { spec, batch: fromData };
}

/** Sends the `--data` tensors to the executor after checking the targets against the model output. */
export function applyData(ex: Executor, data: TrainData): void {
  const out = ex.graph.output.shape;
  const isInt = ex.graph.input.kind === 'int';
  if (isInt !== (data.inputs.dtype === 'int32')) {
    throw new InputError(`train: --data inputs are ${data.inputs.dtype}, the model reads ${isInt ? 'int32 token ids (it starts with an Embedding)' : 'float32 values'}`);
  }
  const classes = ex.loss === 'cross_entropy';
  const targets = parseTensor('--data targets', data.targets, classes ? 'int32' : 'float32');
  const expected = classes ? [out[0]] : out;
  if (formatShape(targets.shape) !== formatShape(expected)) {
    throw new InputError(`train: --data targets has shape ${formatShape(targets.shape)}, ${ex.loss} on the model output ${formatShape(out)} needs ${formatShape(expected)}${classes ? ' int32 class indices' : ''}`);
  }
  ex.setData(data.inputs.data, targets.data, { edgeIndex: data.edgeIndex?.data, mask: data.mask?.data });
}

export interface TrainOptions {
  optimizer?: string;
  lr?: number;
  batch?: number;
  seed?: number;
  /** A `--data` file or data set name. */
  data?: string;
  /** `--data-dir`: where the full Fashion-MNIST is. */
  dataDir?: string;
  /** `--eval-every`: steps between test evaluations (named data only). */
  evalEvery?: number;
  /** `--save`: where to write the trained state_dict as JSON. */
  save?: string;
}

/** A training run checked and ready for the GPU: the spec sized to the data, the optimizer in effect, the weights parsed. */
export interface PreparedTraining {
  spec: ModelSpec;
  batch?: number;
  optimizer: OptimizerObject;
  weights: Record<string, ParsedTensor>;
  data: TrainData | null;
  /** A named data set and how its batches are laid out for the model. */
  dataset: { data: Dataset; layout: BatchLayout; evalEvery?: number } | null;
  /** Where to write the trained state_dict, if anywhere. */
  save?: string;
}

/** Everything that can be checked without a GPU: the data file, its shapes against the spec, the weights' values, the optimizer. */
export function prepareTraining(source: ModelSpec, options: TrainOptions): PreparedTraining {
  const named = options.data !== undefined && isNamedData(options.data);
  if (!named && options.dataDir !== undefined) throw new InputError('train: --data-dir needs --data fashion-mnist');
  if (!named && options.evalEvery !== undefined) throw new InputError(`train: --eval-every needs a named data set with a test split (--data ${DATA_NAMES})`);
  const data = options.data && !named ? readData(options.data) : null;
  let dataset: PreparedTraining['dataset'] = null;
  let fitted: { spec: ModelSpec; batch?: number } = data ? fitSpecToData(source, data, options.batch) : { spec: source, batch: options.batch };
  if (named) {
    // Text windows take the model's sequence length (dim 1 of [N, T], dim 0 of [T, N]).
    const window = source.input[source.batch_dim === 1 ? 0 : 1];
    const ds = loadNamedData(options.data!, { dataDir: options.dataDir, seed: options.seed ?? source.seed ?? 0, window });
    const { layout, ...rest } = fitSpecToDataset(source, ds, options.batch);
    fitted = rest;
    dataset = { data: ds, layout, evalEvery: options.evalEvery };
  }
  const { spec, batch } = fitted;
  // --optimizer keeps the spec's hyper-parameters when it names the spec's optimizer, else PyTorch's defaults.
  const fromSpec = parseOptimizer(spec.optimizer ?? 'sgd', 'spec: optimizer');
  const optimizer = !options.optimizer || options.optimizer === fromSpec.type ? fromSpec : parseOptimizer(options.optimizer, '--optimizer');
  if (options.lr !== undefined) optimizer.lr = options.lr;
  const weights = Object.fromEntries(Object.entries(spec.weights ?? {}).map(([name, t]) => [name, parseTensor(`weights: ${name}`, t, 'float32')]));
  return { spec, batch, optimizer, weights, data, dataset, save: options.save };
}

/** Writes every parameter and buffer of the executor as {state_dict name: {shape, data}} JSON. */
async function saveStateDict(ex: Executor, path: string): Promise<void> {
  const shapes = new Map<string, number[]>();
  for (const layer of ex.graph.layers) for (const t of [...layer.params, ...layer.buffers]) shapes.set(`${layer.name}.${t.name}`, t.shape);
  const values = await ex.readParams();
  const out = Object.fromEntries(Object.entries(values).map(([name, data]) => [name, { shape: shapes.get(name) ?? [data.length], data: Array.from(data) }]));
  try {
    writeFileSync(path, `${JSON.stringify(out)}\n`);
  } catch (error) {
    throw new InputError(`train: cannot write --save ${path}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/** Trains the prepared model for `steps` steps on the GPU and reports every step's loss and time. */
export async function runTraining(rt: GpuRuntime, run: PreparedTraining, steps: number, seed?: number): Promise<TrainReport> {
  const ex = await Executor.create(rt, run.spec, { optimizer: run.optimizer, seed, batch: run.batch, flowStats: false });
  try {
    ex.loadWeights(run.weights);
    if (run.data) applyData(ex, run.data);
    const feeder = run.dataset ? new DataFeeder(run.dataset.data, run.dataset.layout, ex.graph.input.shape[run.dataset.layout.timeFirst ? 1 : 0], ex.seed) : null;
    const evalEvery = run.dataset?.evalEvery;
    const evals: EvalRow[] = [];
    const rows: TrainReport['steps'] = [];
    let measured = 0;
    for (let k = 0; k < steps; k++) {
      feeder?.beforeStep(ex, k === 0);
      const r = await ex.step();
      rows.push({ step: r.step, loss: r.loss, wall_ms: r.wall_ms, gpu_ms: r.gpu_ms });
      measured = Math.max(measured, r.peak_bytes);
      if (feeder && evalEvery && (r.step % evalEvery === 0 || k === steps - 1)) {
        const since = rows.slice(evals.length ? rows.findIndex((s) => s.step === evals[evals.length - 1].step) + 1 : 0);
        const trainLoss = since.reduce((sum, s) => sum + s.loss, 0) / since.length;
        evals.push({ step: r.step, train_loss: trainLoss, ...(await feeder.evaluate(ex)) });
      }
    }
    if (run.save) await saveStateDict(ex, run.save);
    return {
      model: run.spec.name ?? 'model',
      params: ex.params.filter((p) => p.trainable).reduce((sum, p) => sum + numel(p.shape), 0),
      optimizer: ex.optimizer,
      steps: rows,
      memory: { predicted_peak_bytes: memoryPlan(ex.graph, 'fp32', ex.optimizer.type).peak_bytes, measured_peak_bytes: measured },
      ...(run.dataset ? { data: { name: run.dataset.data.name, description: run.dataset.data.description } } : {}),
      ...(evalEvery ? { evals } : {}),
    };
  } finally {
    ex.dispose();
  }
}

function loss(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(6) : String(v);
}

function ms(v: number | null): string {
  return v === null ? '-' : v.toFixed(1);
}

/** The step table and the final loss, for people. */
export function formatTraining(r: TrainReport, printEvery = 1): string {
  const o = r.optimizer;
  const hyper = o.type === 'adam' ? `lr ${o.lr}, betas (${o.betas.join(', ')}), eps ${o.eps}` : o.type === 'momentum' ? `lr ${o.lr}, momentum ${o.momentum}` : `lr ${o.lr}`;
  const lines = [`${r.model}: ${formatCount(r.params)} trainable parameters, optimizer ${o.type} (${hyper}${o.weight_decay ? `, weight_decay ${o.weight_decay}` : ''})`, ...(r.data ? [`data: ${r.data.description}`] : []), ''];
  const shown = r.steps.filter((s, i) => s.step % printEvery === 0 || i === r.steps.length - 1);
  lines.push(...renderTable([['step', 'loss', 'wall ms', 'GPU ms'], ...shown.map((s) => [String(s.step), loss(s.loss), ms(s.wall_ms), ms(s.gpu_ms)])], ['r', 'r', 'r', 'r']));
  const last = r.steps[r.steps.length - 1];
  lines.push('', `final loss ${loss(last.loss)} after ${last.step} step${last.step === 1 ? '' : 's'} (first ${loss(r.steps[0].loss)})`);
  if (r.evals?.length) {
    const metric = (v: number | null) => (v === null ? '-' : v.toFixed(4));
    lines.push('', ...renderTable([['step', 'train loss', 'test loss', 'test accuracy'], ...r.evals.map((e) => [String(e.step), loss(e.train_loss), loss(e.test_loss), metric(e.test_accuracy)])], ['r', 'r', 'r', 'r']));
  }
  lines.push(`memory: predicted peak ${formatCount(r.memory.predicted_peak_bytes)} bytes (fp32 plan), measured ${formatCount(r.memory.measured_peak_bytes)} bytes`);
  return lines.join('\n');
}

function num(flag: string, text: string | undefined, integer: boolean, min: number): number {
  const v = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min) {
    throw new InputError(`train: ${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(text ?? '')}`);
  }
  return v;
}

const OPTIMIZERS = ['sgd', 'momentum', 'adam'];

/** `nnx train SPEC.json|MODEL [--data FILE|NAME] [--data-dir DIR] [--eval-every M] [--steps K] [--optimizer O] [--lr X] [--batch N] [--seed S] [--json]`. */
export async function trainCommand(argv: string[]): Promise<number> {
  let source: string | null = null;
  let json = false;
  let printEvery = 1;
  let steps = 10;
  const options: TrainOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(TRAIN_USAGE);
      return 0;
    } else if (a === '--json') json = true;
    else if (a === '--steps') steps = num('--steps', argv[++i], true, 1);
    else if (a === '--lr') options.lr = num('--lr', argv[++i], false, 0);
    else if (a === '--batch') options.batch = num('--batch', argv[++i], true, 1);
    else if (a === '--seed') options.seed = num('--seed', argv[++i], true, 0);
    else if (a === '--print-every') printEvery = num('--print-every', argv[++i], true, 1);
    else if (a === '--eval-every') options.evalEvery = num('--eval-every', argv[++i], true, 1);
    else if (a === '--save') {
      options.save = argv[++i];
      if (!options.save) throw new InputError('train: --save needs a file name');
    }
    else if (a === '--data') {
      options.data = argv[++i];
      if (!options.data) throw new InputError(`train: --data needs a file or a data set (${DATA_NAMES})`);
    } else if (a === '--data-dir') {
      options.dataDir = argv[++i];
      if (!options.dataDir) throw new InputError('train: --data-dir needs a folder');
    } else if (a === '--optimizer') {
      const o = argv[++i];
      if (!OPTIMIZERS.includes(o)) throw new InputError(`train: --optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${JSON.stringify(o ?? '')}`);
      options.optimizer = o;
    } else if (a.startsWith('--')) throw new InputError(`train: unknown option ${a} (nnx train --help)`);
    else if (source === null) source = a;
    else throw new InputError(`train: one spec expected, got ${source} and ${a}`);
  }
  if (!source) throw new InputError('train: missing SPEC.json or MODEL (nnx train --help)');
  const prepared = prepareTraining(loadModel(source), options);
  const rt = await GpuRuntime.create();
  try {
    const report = await runTraining(rt, prepared, steps, options.seed);
    await writeStdout(json ? `${resultJson(report)}\n` : `${formatTraining(report, printEvery)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
