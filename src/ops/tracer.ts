/**
 * The Model Tracer: one training step of a whole model through the executor with every layer's
 * output and ∂L/∂output kept (`step({ keep: 'all' })`), every parameter's value, gradient and the
 * update the optimizer applied, the ledger of the step and its timings; and explanations of one
 * output element of a traced layer from the read-back values. Browser-safe (no Node imports).
 */
import { normalizeConv2dAttrs } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { batchNormForwardRef, groupNormForwardRef, layerNormForwardRef, type NormForward } from '../analysis/reference/norm.ts';
import { GATE_NAMES, recurrentForwardRef, type RecurrentCell } from '../analysis/reference/recurrent.ts';
import { numel, toFloat64, type Tensor64 } from '../analysis/tensor.ts';
import type { LedgerEntry } from '../kernels/ledger.ts';
import type { KernelTiming } from '../kernels/profiler.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import type { LayerSpec } from '../analysis/model_spec.ts';
import { explainConv2d } from './conv2d_explain.ts';
import { flatIndex, type NeuronExplanation } from './explain_types.ts';
import { ledgerClock, type Executor } from './executor/executor.ts';
import { CONV2D_ATTR_KEYS, maxPoolAttrsOf, pick } from './executor/layers.ts';
import { explainLinear } from './linear_explain.ts';

/** A read-back tensor. */
export interface TraceTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

/** One layer of the trace, in forward order. */
export interface TraceLayer {
  /** PyTorch's dotted module path. */
  name: string;
  type: string;
  /** Names of the layers it reads (`input`: the model's input). */
  inputs: string[];
  output: TraceTensor;
  /** ∂L/∂output; null when the loss does not depend on it. */
  grad_output: TraceTensor | null;
  /** The leaf layer's ModelSpec entry (its attributes; null for a Residual's sum). */
  spec: LayerSpec | null;
  /** Ledger clocks right after this layer's forward and right after its backward. */
  clock: [number, number];
}

/** A parameter before the step, ∂L/∂p, and the update Δp the optimizer applied (null when frozen). */
export interface TraceParam {
  layer: string;
  value: TraceTensor;
  grad: TraceTensor | null;
  update: TraceTensor | null;
}

/** Everything one traced step produced. */
export interface ModelTrace {
  model: string;
  loss: number;
  input: TraceTensor;
  layers: TraceLayer[];
  params: Record<string, TraceParam>;
  /** The step's peak and every buffer it created or freed (`trace` owns the kept copies). */
  memory: { peak_bytes: number; buffers: LedgerEntry[] };
  timings: { wall_ms: number; gpu_ms: number | null; dispatches: KernelTiming[] };
}

/**
 * Runs one training step of `ex` (its weights and data as set) keeping every layer's output and
 * output gradient. Parameter values are read before the step; the executor's `.grad` holds the
 * applied update afterwards, so the optimizer runs once.
 */
export async function traceStep(rt: GpuRuntime, ex: Executor): Promise<ModelTrace> {
  const before = await ex.readParams();
  const startClock = ledgerClock(rt);
  const result = await ex.step({ readGradients: true, keep: 'all' });
  const updates = await ex.readGrads();
  const shapes = new Map(ex.params.map((p) => [p.name, p.shape]));
  const params: Record<string, TraceParam> = {};
  for (const p of ex.params) {
    const shape = shapes.get(p.name)!;
    const grad = result.gradients![p.name];
    params[p.name] = {
      layer: p.layer,
      value: { shape, data: before[p.name] },
      grad: grad ? { shape, data: grad } : null,
      update: updates[p.name] ? { shape, data: updates[p.name] } : null,
    };
  }
  const input = ex.data().input;
  return {
    model: ex.graph.name,
    loss: result.loss,
    input: { shape: [...ex.graph.input.shape], data: input },
    layers: result.kept!.map((k) => ({ ...k, spec: ex.layerSpec(k.name) })),
    params,
    memory: { peak_bytes: result.peak_bytes, buffers: rt.ledger.entries.filter((e) => e.created >= startClock || (e.destroyed ?? Infinity) >= startClock).map((e) => ({ ...e })) },
    timings: { wall_ms: result.wall_ms, gpu_ms: result.gpu_ms, dispatches: result.timings.dispatches },
  };
}

/** Live bytes at a ledger clock, without the tracer's own copies (owner `trace`). */
export function liveBytesAt(trace: ModelTrace, clock: number): number {
  return liveBuffersAt(trace, clock).reduce((sum, e) => sum + e.bytes, 0);
}

/** The buffers alive at a ledger clock (created before it, not yet destroyed), without the tracer's copies. */
export function liveBuffersAt(trace: ModelTrace, clock: number): LedgerEntry[] {
  return trace.memory.buffers.filter((e) => e.owner !== 'trace' && e.created < clock && (e.destroyed === null || e.destroyed >= clock));
}

/** One tap of a max-pooling window: its input index (null on padding), the value, whether it won. */
export interface PoolTap {
  input_index: number[] | null;
  x: number;
  winner: boolean;
}

/** A normalized element: the statistics of its group (a channel over the batch, a row, an (n, group) pair), x̂ and the affine step. */
export interface NormExplanation {
  /** What the statistics run over, e.g. "channel 2 over the batch (98 values)". */
  group: string;
  mean: number;
  /** 1/√(var + eps), var the biased variance. */
  invstd: number;
  x: number;
  xhat: number;
  weight: number;
  bias: number;
  /** weight·x̂ + bias in float64. */
  recomputed: number;
  output: number;
}

/** A recurrent unit at one step, recomputed in float64 from the read-back input and weights (src/analysis/reference/recurrent.ts). */
export interface RecurrentExplanation {
  step: number;
  batch: number;
  unit: number;
  /** Activated gates at this step ('i', 'f', 'g', 'o' or 'r', 'z', 'n'; none for a plain RNN). */
  gates: Record<string, number>;
  /** LSTM: the cell state before and after this step. */
  c_prev: number | null;
  c: number | null;
  h_prev: number;
  /** h_t in float64. */
  recomputed: number;
  output: number;
}

/** What `--explain LAYER:i,j,…` reports: the dot product (conv, linear), the window (max pooling), the statistics (norms) or the gates (recurrent). */
export type TraceExplanation = { layer: string; type: string; output_index: number[] } & (
  | { kind: 'dot'; dot: NeuronExplanation }
  | { kind: 'max_pool'; window: PoolTap[]; output: number }
  | { kind: 'norm'; norm: NormExplanation }
  | { kind: 'recurrent'; recurrent: RecurrentExplanation }
);

const NORMS = ['BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'GroupNorm'];
const RECURRENT = ['RNN', 'LSTM', 'GRU'];

/** Layer types `explainTraceNeuron` explains. */
export const EXPLAINED_TYPES = ['Conv2d', 'Linear', 'MaxPool2d', ...NORMS, ...RECURRENT];

function f32(t: TraceTensor): { shape: number[]; data: Float32Array } {
  return { shape: t.shape, data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data) };
}

/**
 * Explains output element `index` of layer `name` from the trace's read-back values: the layer's
 * input is the output of the layer it reads (or the model input), its weights the values before
 * the step. A type without an explanation, an unknown layer or an index outside the output is an
 * InputError naming it.
 */
export function explainTraceNeuron(trace: ModelTrace, name: string, index: number[]): TraceExplanation {
  const layer = trace.layers.find((l) => l.name === name);
  if (!layer) throw new InputError(`--explain: no layer "${name}" (layers: ${trace.layers.map((l) => l.name).join(', ')})`);
  if (!EXPLAINED_TYPES.includes(layer.type) || !layer.spec) {
    throw new InputError(`--explain: layer "${name}" is ${layer.type}; explanations exist for ${EXPLAINED_TYPES.join(', ')}`);
  }
  const source = layer.inputs[0] === 'input' ? trace.input : trace.layers.find((l) => l.name === layer.inputs[0])!.output;
  const x = f32(source);
  const output = f32(layer.output);
  const param = (local: string) => trace.params[`${name}.${local}`]?.value;
  const head = { layer: name, type: layer.type, output_index: index };
  try {
    const flat = flatIndex(name, index, output.shape);
    if (layer.type === 'Conv2d' || layer.type === 'Linear') {
      const weight = f32(param('weight')!);
      const bias = param('bias') ? f32(param('bias')!) : null;
      const dot = layer.type === 'Linear'
        ? explainLinear(x, weight, bias, output, index)
        : explainConv2d(x, weight, bias, output, normalizeConv2dAttrs(pick(layer.spec, CONV2D_ATTR_KEYS), weight.shape[2], weight.shape[3]), index);
      return { ...head, kind: 'dot', dot };
    }
    if (layer.type === 'MaxPool2d') return { ...head, kind: 'max_pool', window: maxPoolWindow(layer.spec, x, index), output: output.data[flat] };
    if (RECURRENT.includes(layer.type)) return { ...head, kind: 'recurrent', recurrent: recurrentStep(layer, x, param, index, output.data[flat]) };
    return { ...head, kind: 'norm', norm: normElement(layer.type, layer.spec, toFloat64(x), param('weight'), param('bias'), index, flat, output.data[flat]) };
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(`--explain: ${e.message}`);
    throw e;
  }
}

function maxPoolWindow(spec: LayerSpec, x: { shape: number[]; data: Float32Array }, [n, c, oy, ox]: number[]): PoolTap[] {
  const a = maxPoolAttrsOf(spec);
  const [, channels, h, w] = x.shape;
  const taps: PoolTap[] = [];
  for (let ky = 0; ky < a.kernel[0]; ky++) {
    for (let kx = 0; kx < a.kernel[1]; kx++) {
      const iy = oy * a.stride[0] - a.padding[0] + ky * a.dilation[0];
      const ix = ox * a.stride[1] - a.padding[1] + kx * a.dilation[1];
      const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
      taps.push({ input_index: inside ? [n, c, iy, ix] : null, x: inside ? x.data[((n * channels + c) * h + iy) * w + ix] : -Infinity, winner: false });
    }
  }
  // The first maximum wins, as PyTorch's kernel scans the window.
  let best = -1;
  taps.forEach((t, i) => {
    if (t.input_index && (best < 0 || t.x > taps[best].x || Number.isNaN(t.x))) best = i;
  });
  if (best >= 0) taps[best].winner = true;
  return taps;
}

/** The element's statistics from the float64 norm references, on the read-back input. */
function normElement(type: string, spec: LayerSpec, x: Tensor64, weight: TraceTensor | undefined, bias: TraceTensor | undefined, index: number[], flat: number, output: number): NormExplanation {
  const eps = typeof spec.eps === 'number' ? spec.eps : 1e-5;
  const w = weight ? toFloat64(weight) : null;
  const b = bias ? toFloat64(bias) : null;
  const [batch, channels] = x.shape;
  const inner = numel(x.shape.slice(2));
  let f: NormForward;
  let group: number;
  let param: number;
  let described: string;
  if (type === 'LayerNorm') {
    const shape = (Array.isArray(spec.normalized_shape) ? spec.normalized_shape : [spec.normalized_shape]) as number[];
    const row = numel(shape);
    f = layerNormForwardRef(x, shape, w, b, eps);
    group = Math.floor(flat / row);
    param = flat % row;
    described = `row ${group} (${row} values)`;
  } else if (type === 'GroupNorm') {
    const groups = spec.num_groups as number;
    f = groupNormForwardRef(x, groups, w, b, eps);
    const perGroup = channels / groups;
    group = index[0] * groups + Math.floor(index[1] / perGroup);
    param = index[1];
    described = `sample ${index[0]}, group ${group % groups}: channels ${(group % groups) * perGroup}..${(group % groups + 1) * perGroup - 1} (${perGroup * inner} values)`;
  } else {
    f = batchNormForwardRef(x, w, b, null, null, { training: true, momentum: 0.1, eps });
    group = index[1];
    param = index[1];
    described = `channel ${group} over the batch (${batch * inner} values)`;
  }
  const g = w ? w.data[param] : 1;
  const beta = b ? b.data[param] : 0;
  const xhat = f.xhat.data[flat];
  return { group: described, mean: f.mean.data[group], invstd: f.invstd.data[group], x: x.data[flat], xhat, weight: g, bias: beta, recomputed: g * xhat + beta, output };
}

/** One unit of a one-layer, unidirectional RNN/LSTM/GRU at one step, from the float64 reference run over the read-back input. */
function recurrentStep(layer: TraceLayer, x: { shape: number[]; data: Float32Array }, param: (local: string) => TraceTensor | undefined, index: number[], output: number): RecurrentExplanation {
  const spec = layer.spec!;
  if ((spec.num_layers ?? 1) !== 1 || spec.bidirectional || spec.proj_size) {
    throw new InputError(`--explain: layer "${layer.name}" (${layer.type}) has num_layers ${spec.num_layers ?? 1}${spec.bidirectional ? ', bidirectional' : ''}${spec.proj_size ? ', proj_size' : ''}; recurrent explanations cover one unidirectional layer`);
  }
  const batchFirst = spec.batch_first === true;
  const [t, n, unit] = batchFirst ? [index[1], index[0], index[2]] : index;
  // The reference reads [T, N, I]: a batch-first input is transposed.
  const [d0, d1, features] = x.shape;
  const [steps, batch] = batchFirst ? [d1, d0] : [d0, d1];
  const seq = new Float64Array(x.data.length);
  for (let s = 0; s < steps; s++) for (let b = 0; b < batch; b++) for (let k = 0; k < features; k++) {
    seq[(s * batch + b) * features + k] = x.data[(batchFirst ? b * steps + s : s * batch + b) * features + k];
  }
  const cell = layer.type.toLowerCase() as RecurrentCell;
  const opt = (local: string) => (param(local) ? toFloat64(param(local)!) : null);
  const ref = recurrentForwardRef(cell, {
    x: { shape: [steps, batch, features], data: seq }, h0: null, c0: null,
    weightIh: opt('weight_ih_l0')!, weightHh: opt('weight_hh_l0')!, biasIh: opt('bias_ih_l0'), biasHh: opt('bias_hh_l0'),
  }, spec.nonlinearity === 'relu' ? 'relu' : 'tanh');
  const hidden = ref.h.shape[2];
  const at = (t * batch + n) * hidden + unit;
  const before = ((t - 1) * batch + n) * hidden + unit;
  return {
    step: t, batch: n, unit,
    gates: Object.fromEntries(GATE_NAMES[cell].map((g) => [g, ref.gates[g].data[at]])),
    c_prev: ref.c ? (t > 0 ? ref.c.data[before] : 0) : null,
    c: ref.c ? ref.c.data[at] : null,
    h_prev: t > 0 ? ref.h.data[before] : 0,
    recomputed: ref.h.data[at],
    output,
  };
}

function plain(t: TraceTensor | null): { shape: number[]; data: number[] } | null {
  return t ? { shape: t.shape, data: Array.from(t.data) } : null;
}

/** The `nnx trace --json` document: {model, loss, layers[{name, type, inputs, output, grad_output}], params{name: {value, grad, update}}, memory, timings, explain?}. */
export function traceJson(trace: ModelTrace, explain?: TraceExplanation): Record<string, unknown> {
  return {
    model: trace.model,
    loss: trace.loss,
    layers: trace.layers.map((l) => ({ name: l.name, type: l.type, inputs: l.inputs, output: plain(l.output), grad_output: plain(l.grad_output) })),
    params: Object.fromEntries(Object.entries(trace.params).map(([k, p]) => [k, { value: plain(p.value), grad: plain(p.grad), update: plain(p.update) }])),
    memory: trace.memory,
    timings: trace.timings,
    ...(explain ? { explain } : {}),
  };
}
