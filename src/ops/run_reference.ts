/**
 * Runs one `nnx run` spec on the float64 CPU reference (src/analysis/reference) instead of the
 * GPU: for pages without WebGPU. The spec is validated exactly as the GPU path validates it, so
 * a bad spec fails with the same one-line message; the result has the same outputs, gradients
 * and (where the reference computes them) traced intermediates, but no adapter, GPU timings or
 * memory ledger, and says so.
 */
import { InputError } from '../analysis/errors.ts';
import { normalizeConv2dAttrs, normalizePool2dAttrs } from '../analysis/conv_shapes.ts';
import { conv2dBackwardRef, conv2dForwardRef } from '../analysis/reference/conv2d.ts';
import { crossEntropyBackwardRef, crossEntropyForwardRef, type Reduction } from '../analysis/reference/cross_entropy.ts';
import { activationBackwardRef, activationForwardRef, type ActivationName } from '../analysis/reference/elementwise.ts';
import { embeddingBackwardRef, embeddingForwardRef } from '../analysis/reference/embedding.ts';
import { gcnBackwardRef, gcnForwardRef } from '../analysis/reference/graph.ts';
import { linearBackwardRef, linearForwardRef } from '../analysis/reference/linear.ts';
import {
  batchNormBackwardRef, batchNormForwardRef, groupNormBackwardRef, groupNormForwardRef,
  layerNormBackwardRef, layerNormForwardRef, type NormForward, type NormGrads,
} from '../analysis/reference/norm.ts';
import { avgPool2dBackwardRef, avgPool2dForwardRef, maxPool2dBackwardRef, maxPool2dForwardRef } from '../analysis/reference/pool2d.ts';
import { recurrentBackwardRef, recurrentForwardRef, type Nonlinearity, type RecurrentCell } from '../analysis/reference/recurrent.ts';
import { reluBackwardRef, reluForwardRef } from '../analysis/reference/relu.ts';
import { logSumExpPartsRef, softmaxBackwardRef, softmaxForwardRef } from '../analysis/reference/softmax.ts';
import { numel, type Tensor, type Tensor64 } from '../analysis/tensor.ts';
import { findOp } from './run.ts';
import { parseGradOutputs, parseInputs, type JsonTensor, type ParsedTensor } from './spec.ts';

/** What a CPU reference run reports: the `nnx run` JSON less what only a GPU run has. */
export interface ReferenceRunResult {
  op: string;
  backend: 'cpu-reference';
  /** Says in words what ran and what is missing. */
  note: string;
  outputs: Record<string, JsonTensor>;
  grads?: Record<string, JsonTensor>;
  trace?: Record<string, JsonTensor>;
  timings: { wall_ms: number };
}

/** Outputs, gradients (by input name) and traced intermediates of one reference run. */
interface ReferenceValues {
  outputs: Record<string, Tensor64>;
  grads: Record<string, Tensor64 | null | undefined>;
  trace: Record<string, Tensor64>;
}

/** The reference of one op: inputs in float64, the given output gradients (zeros where not given). */
type ReferenceOp = (attrs: Record<string, unknown>, t: (name: string) => Tensor64 | null, gradOut: (name: string) => Tensor64 | null, raw: Record<string, ParsedTensor>) => ReferenceValues;

const NOTE = 'float64 CPU reference (src/analysis/reference), not the GPU: this page has no WebGPU or backend="cpu" was asked for; no adapter, GPU timings or memory ledger';

function normValues(f: NormForward, g: NormGrads | null): ReferenceValues {
  const outputs: Record<string, Tensor64> = { output: f.output };
  if (f.runningMean) outputs.running_mean = f.runningMean;
  if (f.runningVar) outputs.running_var = f.runningVar;
  return { outputs, grads: g ? { x: g.x, weight: g.weight, bias: g.bias } : {}, trace: { mean: f.mean, invstd: f.invstd, xhat: f.xhat } };
}

function recurrent(cell: RecurrentCell): ReferenceOp {
  return (attrs, t, gradOut) => {
    const nl = ((attrs.nonlinearity as string | undefined) ?? 'tanh') as Nonlinearity;
    const p = { x: t('x')!, h0: t('h0'), c0: t('c0'), weightIh: t('weight_ih')!, weightHh: t('weight_hh')!, biasIh: t('bias_ih'), biasHh: t('bias_hh') };
    const f = recurrentForwardRef(cell, p, nl);
    const outputs: Record<string, Tensor64> = { y: f.y, h_n: f.hN };
    if (f.cN) outputs.c_n = f.cN;
    const trace: Record<string, Tensor64> = { h: f.h };
    for (const [name, v] of Object.entries(f.gates)) trace[`gates.${name}`] = v;
    if (f.c) trace.c = f.c;
    const gy = gradOut('y');
    if (!gy) return { outputs, grads: {}, trace };
    const g = recurrentBackwardRef(cell, p, nl, gy, gradOut('h_n'), gradOut('c_n'));
    trace.grad_h_norm = g.gradHNorm;
    return {
      outputs,
      grads: { x: g.x, h0: g.h0, c0: g.c0, weight_ih: g.weightIh, weight_hh: g.weightHh, bias_ih: g.biasIh, bias_hh: g.biasHh },
      trace,
    };
  };
}

function activation(name: string): ReferenceOp {
  return (attrs, t, gradOut) => {
    const kind: ActivationName = name === 'gelu' && attrs.approximate === 'tanh' ? 'gelu_tanh' : (name as ActivationName);
    const slope = name === 'elu' ? ((attrs.alpha as number | undefined) ?? 1) : ((attrs.negative_slope as number | undefined) ?? 0.01);
    const x = t('x')!;
    const g = gradOut('output');
    return { outputs: { output: activationForwardRef(kind, x, slope) }, grads: g ? { x: activationBackwardRef(kind, x, g, slope) } : {}, trace: {} };
  };
}

function softmax(log: boolean): ReferenceOp {
  return (attrs, t, gradOut) => {
    const x = t('x')!;
    const dim = ((attrs.dim as number) + x.shape.length) % x.shape.length;
    const g = gradOut('output');
    const parts = logSumExpPartsRef(x, dim);
    const statsShape = x.shape.filter((_, i) => i !== dim);
    return {
      outputs: { output: softmaxForwardRef(x, dim, log) },
      grads: g ? { x: softmaxBackwardRef(x, g, dim, log) } : {},
      trace: { max: { shape: statsShape, data: parts.max }, sum_exp: { shape: statsShape, data: parts.sumExp } },
    };
  };
}

/** The ops the CPU reference runs, by `nnx run` name. */
const REFERENCE_OPS: Record<string, ReferenceOp> = {
  conv2d(attrs, t, gradOut) {
    const [x, weight, bias] = [t('x')!, t('weight')!, t('bias')];
    const a = normalizeConv2dAttrs(attrs, weight.shape[2], weight.shape[3]);
    const g = gradOut('output');
    return { outputs: { output: conv2dForwardRef(x, weight, bias, a) }, grads: g ? { ...conv2dBackwardRef(x, weight, bias, a, g) } : {}, trace: {} };
  },
  linear(_attrs, t, gradOut) {
    const [x, weight, bias] = [t('x')!, t('weight')!, t('bias')];
    const g = gradOut('output');
    return { outputs: { output: linearForwardRef(x, weight, bias) }, grads: g ? { ...linearBackwardRef(x, weight, bias, g) } : {}, trace: {} };
  },
  max_pool2d(attrs, t, gradOut) {
    const a = normalizePool2dAttrs('max_pool2d', attrs);
    const g = gradOut('output');
    return { outputs: { output: maxPool2dForwardRef(t('x')!, a).output }, grads: g ? { x: maxPool2dBackwardRef(t('x')!, a, g) } : {}, trace: {} };
  },
  avg_pool2d(attrs, t, gradOut) {
    const a = normalizePool2dAttrs('avg_pool2d', attrs);
    const g = gradOut('output');
    return { outputs: { output: avgPool2dForwardRef(t('x')!, a) }, grads: g ? { x: avgPool2dBackwardRef(t('x')!, a, g) } : {}, trace: {} };
  },
  relu(_attrs, t, gradOut) {
    const g = gradOut('output');
    return { outputs: { output: reluForwardRef(t('x')!) }, grads: g ? { x: reluBackwardRef(t('x')!, g) } : {}, trace: {} };
  },
  cross_entropy(attrs, t, gradOut, raw) {
    const target = { shape: raw.target.shape, data: Int32Array.from(raw.target.data) };
    const reduction = (attrs.reduction ?? 'mean') as Reduction;
    const ignoreIndex = (attrs.ignore_index ?? -100) as number;
    const g = gradOut('loss');
    return {
      outputs: { loss: crossEntropyForwardRef(t('logits')!, target, reduction, ignoreIndex).loss },
      grads: g ? { logits: crossEntropyBackwardRef(t('logits')!, target, reduction, g, ignoreIndex) } : {},
      trace: {},
    };
  },
  batch_norm(attrs, t, gradOut) {
    const o = { training: attrs.training === true, momentum: (attrs.momentum as number | undefined) ?? 0.1, eps: (attrs.eps as number | undefined) ?? 1e-5 };
    const args = [t('x')!, t('weight'), t('bias'), t('running_mean'), t('running_var'), o] as const;
    const g = gradOut('output');
    return normValues(batchNormForwardRef(...args), g ? batchNormBackwardRef(...args, g) : null);
  },
  layer_norm(attrs, t, gradOut) {
    const raw = attrs.normalized_shape as number | number[];
    const args = [t('x')!, typeof raw === 'number' ? [raw] : raw, t('weight'), t('bias'), (attrs.eps as number | undefined) ?? 1e-5] as const;
    const g = gradOut('output');
    return normValues(layerNormForwardRef(...args), g ? layerNormBackwardRef(...args, g) : null);
  },
  group_norm(attrs, t, gradOut) {
    const args = [t('x')!, attrs.num_groups as number, t('weight'), t('bias'), (attrs.eps as number | undefined) ?? 1e-5] as const;
    const g = gradOut('output');
    return normValues(groupNormForwardRef(...args), g ? groupNormBackwardRef(...args, g) : null);
  },
  rnn: recurrent('rnn'),
  lstm: recurrent('lstm'),
  gru: recurrent('gru'),
  softmax: softmax(false),
  log_softmax: softmax(true),
  tanh: activation('tanh'),
  sigmoid: activation('sigmoid'),
  gelu: activation('gelu'),
  silu: activation('silu'),
  leaky_relu: activation('leaky_relu'),
  relu6: activation('relu6'),
  elu: activation('elu'),
  embedding(attrs, t, gradOut, raw) {
    const weight = t('weight')!;
    const vocab = weight.shape[0];
    const pad = typeof attrs.padding_idx === 'number' ? (attrs.padding_idx + vocab) % vocab : -1;
    const g = gradOut('output');
    return {
      outputs: { output: embeddingForwardRef(weight, raw.indices.data, raw.indices.shape) },
      grads: g ? { weight: embeddingBackwardRef(weight, raw.indices.data, g, pad) } : {},
      trace: {},
    };
  },
  gcn(attrs, t, gradOut, raw) {
    const [x, weight, bias] = [t('x')!, t('weight')!, t('bias')];
    const o = { normalize: attrs.normalize as boolean | undefined, addSelfLoops: attrs.add_self_loops as boolean | undefined };
    const edges = raw.edge_index.data;
    const g = gradOut('output');
    return { outputs: { output: gcnForwardRef(x, edges, weight, bias, o) }, grads: g ? { ...gcnBackwardRef(x, edges, weight, bias, g, o) } : {}, trace: {} };
  },
};

/** Op names the CPU reference path runs. */
export const REFERENCE_OP_NAMES: readonly string[] = Object.keys(REFERENCE_OPS);

function toJson(t: Tensor): JsonTensor {
  return { shape: [...t.shape], data: Array.from(t.data) };
}

function jsonGroup(group: Record<string, Tensor64>): Record<string, JsonTensor> {
  return Object.fromEntries(Object.entries(group).map(([name, t]) => [name, toJson(t)]));
}

/**
 * Runs a spec on the float64 CPU reference: the same validation, outputs, gradients (when
 * `grad_output` is given) and traced intermediates as the GPU's `runSpec`, as plain JSON.
 */
export function runSpecOnReference(spec: unknown): ReferenceRunResult {
  const started = performance.now();
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new InputError('spec must be a JSON object with "op", "attrs" and "inputs"');
  const raw = spec as Record<string, unknown>;
  const op = findOp(raw.op);
  const reference = REFERENCE_OPS[op.name];
  if (!reference) throw new InputError(`${op.name} has no CPU reference here, so it needs WebGPU (the CPU reference runs: ${REFERENCE_OP_NAMES.join(', ')})`);
  const attrs = raw.attrs ?? {};
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) throw new InputError(`${op.name}: "attrs" must be an object`);
  const inputs = parseInputs(op, raw);
  const prepared = op.prepare(attrs as Record<string, unknown>, inputs);
  const gradOutputs = raw.grad_output === undefined ? null : parseGradOutputs(op, raw.grad_output, prepared.outputShapes);
  const t = (name: string): Tensor64 | null => (inputs[name] ? { shape: inputs[name].shape, data: Float64Array.from(inputs[name].data) } : null);
  const gradOut = (name: string): Tensor64 | null => {
    if (!gradOutputs || !prepared.outputShapes[name]) return null;
    const shape = prepared.outputShapes[name];
    const given = gradOutputs[name];
    return { shape, data: given ? Float64Array.from(given.data) : new Float64Array(numel(shape)) };
  };
  const values = reference(attrs as Record<string, unknown>, t, gradOut, inputs);
  const result: ReferenceRunResult = { op: op.name, backend: 'cpu-reference', note: NOTE, outputs: jsonGroup(values.outputs), timings: { wall_ms: 0 } };
  if (gradOutputs) {
    const grads: Record<string, Tensor64> = {};
    for (const input of op.inputs) {
      const g = values.grads[input.name];
      if (input.differentiable && inputs[input.name] && g) grads[input.name] = g;
    }
    result.grads = jsonGroup(grads);
  }
  result.trace = jsonGroup(values.trace);
  result.timings.wall_ms = performance.now() - started;
  return result;
}
