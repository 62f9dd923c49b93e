import { InputError } from '../analysis/errors.ts';
import { formatCount, renderTable } from '../analysis/format.ts';
import { formatShape } from '../analysis/tensor.ts';
import { gatherBatch } from '../data/dataset.ts';
import { DATA_NAMES, isNamedData } from '../data/files_node.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { Executor } from '../ops/executor/executor.ts';
import { EXPLAINED_TYPES, explainTraceNeuron, traceJson, traceStep, type ModelTrace, type TraceExplanation, type TraceTensor } from '../ops/tracer.ts';
import { writeStdout } from './run.ts';
import { loadModel } from './summary.ts';
import { applyData, prepareTraining, type PreparedTraining } from './train.ts';

export const TRACE_USAGE = `usage: nnx trace SPEC.json|MODEL [options]

  SPEC.json|MODEL       a ModelSpec file ("-" reads stdin; it may carry "weights" by PyTorch
                        state_dict name and an "optimizer") or a zoo model
  --data FILE           {"inputs", "targets", "edge_index"?, "mask"?}: the batch to trace
  --data NAME[:index]   samples index, index+1, … of a data set's training split (default 0):
                        ${DATA_NAMES}
  --batch N             samples in the batch (default: the data file's, else 1)
  --seed S              seed of the initialization and the random data (default: the spec's, else 0)
  --explain LAYER:i,j,… explain one output element of a layer (Conv2d, Linear: every x·w term,
                        the sum and the bias; MaxPool2d: the window and its winner; BatchNorm,
                        LayerNorm, GroupNorm: mean, invstd, x̂; RNN, LSTM, GRU: the gates at
                        that step)
  --json                print {model, loss, layers[{name, type, inputs, output, grad_output}],
                        params{name: {value, grad, update}}, memory, timings, explain?}

One forward and backward pass on the GPU with every layer's output and gradient kept, then the
optimizer step (its update reported, applied once).`;

export interface TraceOptions {
  data?: string;
  batch?: number;
  seed?: number;
  explain?: { layer: string; index: number[] };
}

/** `--data fashion-mnist:7` → the data set and the first sample's index; a plain name starts at 0. */
function splitDataIndex(value: string): { name: string; index: number } {
  if (isNamedData(value)) return { name: value, index: 0 };
  const m = /^(.*):(\d+)$/.exec(value);
  if (m && isNamedData(m[1])) return { name: m[1], index: Number(m[2]) };
  return { name: value, index: 0 };
}

function parseExplain(text: string | undefined): { layer: string; index: number[] } {
  const m = /^(.+):(-?\d+(?:,-?\d+)*)$/.exec(text ?? '');
  if (!m) throw new InputError(`trace: --explain takes LAYER:i,j,… (e.g. 6:0,3,1,0), got ${JSON.stringify(text ?? '')}`);
  return { layer: m[1], index: m[2].split(',').map(Number) };
}

/** A trace checked without the GPU: the model, its weights and the data, sized as `nnx train` sizes them. */
export interface PreparedTrace {
  training: PreparedTraining;
  /** `--data NAME:index`: the data set's name and the first sample. */
  named: { name: string; index: number } | null;
}

/** Loads the model (a spec, the zoo or an ONNX file) and checks weights and data; throws InputError with the numbers. */
export function prepareTrace(source: string, options: TraceOptions): PreparedTrace {
  const split = options.data === undefined ? null : splitDataIndex(options.data);
  const named = split && isNamedData(split.name) ? split : null;
  const spec = loadModel(source);
  // One sample by default; a graph model (no batch dimension) and a data file keep their sizes.
  const batched = spec.batch_dim !== null && !spec.graph && !(split && !named);
  const training = prepareTraining(spec, { data: split?.name, seed: options.seed, batch: options.batch ?? (batched ? 1 : undefined) });
  const ds = training.dataset?.data;
  if (named && ds?.kind === 'graph' && named.index !== 0) throw new InputError(`trace: --data ${named.name} is one graph; it takes no sample index`);
  if (named && ds?.kind === 'samples') {
    const n = training.batch ?? 1;
    if (named.index + n > ds.train.count) throw new InputError(`trace: --data ${options.data}: samples ${named.index}..${named.index + n - 1} are outside the training split (${ds.train.count} samples)`);
  }
  return { training, named };
}

/** Runs the traced step on the GPU with the prepared model, weights and data. */
export async function runTrace(rt: GpuRuntime, { training: prepared, named }: PreparedTrace, options: TraceOptions): Promise<{ trace: ModelTrace; explain?: TraceExplanation }> {
  const ex = await Executor.create(rt, prepared.spec, { optimizer: prepared.optimizer, seed: options.seed, batch: prepared.batch, flowStats: false });
  try {
    const explained = options.explain?.layer;
    if (explained !== undefined && !ex.layerNames.includes(explained)) throw new InputError(`--explain: no layer "${explained}" (layers: ${ex.layerNames.join(', ')})`);
    const explainedType = explained === undefined ? null : ex.graph.layers.find((l) => l.name === explained)?.type;
    if (explainedType && !EXPLAINED_TYPES.includes(explainedType)) throw new InputError(`--explain: layer "${explained}" is ${explainedType}; explanations exist for ${EXPLAINED_TYPES.join(', ')}`);
    ex.loadWeights(prepared.weights);
    if (prepared.data) applyData(ex, prepared.data);
    if (prepared.dataset) {
      const { data: ds, layout } = prepared.dataset;
      if (ds.kind === 'graph') {
        ex.setData(ds.features, ds.labels, { edgeIndex: ds.edgeIndex, mask: ds.trainMask });
      } else {
        const n = prepared.batch ?? 1;
        const { input, target } = gatherBatch(ds, ds.train, Int32Array.from({ length: n }, (_, i) => named!.index + i), layout);
        ex.setData(input, target);
      }
    }
    const trace = await traceStep(rt, ex);
    return { trace, ...(options.explain ? { explain: explainTraceNeuron(trace, options.explain.layer, options.explain.index) } : {}) };
  } finally {
    ex.dispose();
  }
}

function norm(t: TraceTensor | null): string {
  if (!t) return '-';
  let s = 0;
  for (const v of t.data) s += v * v;
  return Math.sqrt(s).toPrecision(4);
}

/** The per-layer table, the loss and the explanation, for people. */
export function formatTrace(trace: ModelTrace, explain?: TraceExplanation): string {
  const lines = [`${trace.model}: loss ${trace.loss.toPrecision(6)}, peak ${formatCount(trace.memory.peak_bytes)} bytes (the kept copies included)`, ''];
  lines.push(...renderTable([
    ['layer', 'type', 'reads', 'output', '‖output‖', '‖∂L/∂output‖'],
    ...trace.layers.map((l) => [l.name, l.type, l.inputs.join(', '), formatShape(l.output.shape), norm(l.output), norm(l.grad_output)]),
  ], ['l', 'l', 'l', 'l', 'r', 'r']));
  lines.push('', ...renderTable([
    ['parameter', 'shape', '‖p‖', '‖∂L/∂p‖', '‖Δp‖'],
    ...Object.entries(trace.params).map(([name, p]) => [name, formatShape(p.value.shape), norm(p.value), norm(p.grad), norm(p.update)]),
  ], ['l', 'l', 'r', 'r', 'r']));
  if (explain) {
    lines.push('', `${explain.layer} (${explain.type}) output[${explain.output_index.join(', ')}]:`);
    if (explain.kind === 'dot') {
      const d = explain.dot;
      lines.push(`  ${d.terms.length} terms x·w, Σ = ${d.sum}, bias ${d.bias ?? 'none'}, Σ + bias = ${d.recomputed}, GPU ${d.output} (|difference| ${d.abs_difference.toExponential(2)})`);
    } else if (explain.kind === 'max_pool') {
      const w = explain.window.find((t) => t.winner);
      lines.push(`  window ${explain.window.map((t) => (t.input_index ? t.x.toPrecision(5) : 'pad')).join(' ')}; winner ${w ? `[${w.input_index!.join(', ')}] = ${w.x}` : 'none'}; GPU ${explain.output}`);
    } else if (explain.kind === 'norm') {
      const n = explain.norm;
      lines.push(`  ${n.group}: mean ${n.mean}, invstd ${n.invstd}; x ${n.x} → x̂ ${n.xhat} → ${n.weight}·x̂ + ${n.bias} = ${n.recomputed}, GPU ${n.output}`);
    } else {
      const r = explain.recurrent;
      const gates = Object.entries(r.gates).map(([g, v]) => `${g} ${v.toPrecision(6)}`).join(', ');
      lines.push(`  step ${r.step}, sample ${r.batch}, unit ${r.unit}: ${gates ? `gates ${gates}; ` : ''}${r.c === null ? '' : `c ${r.c_prev} → ${r.c}; `}h_prev ${r.h_prev} → h ${r.recomputed} (float64), GPU ${r.output}`);
    }
  }
  return lines.join('\n');
}

function int(command: string, flag: string, text: string | undefined, min: number): number {
  const v = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || v < min) throw new InputError(`${command}: ${flag} must be a whole number >= ${min}, got ${JSON.stringify(text ?? '')}`);
  return v;
}

/** The arguments of `nnx trace` and of `nnx tape` (which takes no --explain); null for --help. */
export function parseTraceArgs(command: 'trace' | 'tape', argv: string[]): { source: string; options: TraceOptions; json: boolean } | null {
  let source: string | null = null;
  let json = false;
  const options: TraceOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return null;
    else if (a === '--json') json = true;
    else if (a === '--batch') options.batch = int(command, '--batch', argv[++i], 1);
    else if (a === '--seed') options.seed = int(command, '--seed', argv[++i], 0);
    else if (a === '--explain' && command === 'trace') options.explain = parseExplain(argv[++i]);
    else if (a === '--data') {
      options.data = argv[++i];
      if (!options.data) throw new InputError(`${command}: --data needs a file or a data set (${DATA_NAMES})`);
    } else if (a.startsWith('--')) throw new InputError(`${command}: unknown option ${a} (nnx ${command} --help)`);
    else if (source === null) source = a;
    else throw new InputError(`${command}: one model expected, got ${source} and ${a}`);
  }
  if (!source) throw new InputError(`${command}: missing SPEC.json or MODEL (nnx ${command} --help)`);
  return { source, options, json };
}

/** `nnx trace SPEC.json|ZOO [--data FILE|NAME[:index]] [--batch N] [--seed S] [--explain LAYER:i,j,…] [--json]`. */
export async function traceCommand(argv: string[]): Promise<number> {
  const args = parseTraceArgs('trace', argv);
  if (!args) {
    console.log(TRACE_USAGE);
    return 0;
  }
  const { source, options, json } = args;
  const prepared = prepareTrace(source, options);
  const rt = await GpuRuntime.create();
  try {
    const { trace, explain } = await runTrace(rt, prepared, options);
    await writeStdout(json ? `${JSON.stringify(traceJson(trace, explain))}\n` : `${formatTrace(trace, explain)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
