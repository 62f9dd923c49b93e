/**
 * Float64 CPU reference for `F.batch_norm`, `F.layer_norm` and `F.group_norm` and their
 * gradients. Each norm is described by which statistics group and which affine parameter
 * every element belongs to; statistics are exact two-pass float64 sums.
 */
import { InputError } from '../errors.ts';
import { formatShape, numel, type Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';

/** What a normalization computed: the output, the statistics and the normalized input. */
export interface NormForward {
  output: Tensor64;
  /** Per statistics group: channel (batch_norm), row (layer_norm), (n, group) (group_norm). */
  mean: Tensor64;
  /** 1 / sqrt(var + eps), var the biased variance (or the running variance in eval mode). */
  invstd: Tensor64;
  /** (x − mean) · invstd, shaped like x. */
  xhat: Tensor64;
  /** batch_norm in training mode with running statistics given: their updated values. */
  runningMean?: Tensor64;
  runningVar?: Tensor64;
}

/** Gradients of a normalization; weight and bias are null when the norm has none. */
export interface NormGrads {
  x: Tensor64;
  weight: Tensor64 | null;
  bias: Tensor64 | null;
}

/** Which statistics group and which affine parameter each flat element index uses. */
interface Layout {
  statShape: number[];
  paramShape: number[];
  group(i: number): number;
  param(i: number): number;
}

export interface BatchNormOptions {
  training: boolean;
  momentum: number;
  eps: number;
}

function checkAffine(op: string, weight: Tensor64 | null, bias: Tensor64 | null, shape: number[]): void {
  if (weight) assertShape(op, 'weight', weight, shape);
  if (bias) assertShape(op, 'bias', bias, shape);
}

function batchNormLayout(x: Tensor64): Layout {
  if (x.shape.length < 2) throw new InputError(`batch_norm: x must be [N, C, *], got ${formatShape(x.shape)}`);
  const c = x.shape[1];
  const spatial = numel(x.shape.slice(2));
  const channel = (i: number) => Math.floor(i / spatial) % c;
  return { statShape: [c], paramShape: [c], group: channel, param: channel };
}

function layerNormLayout(x: Tensor64, normalizedShape: number[]): Layout {
  const lead = x.shape.length - normalizedShape.length;
  if (lead < 0 || normalizedShape.some((s, i) => x.shape[lead + i] !== s)) {
    throw new InputError(`layer_norm: normalized_shape ${formatShape(normalizedShape)} is not the trailing shape of x ${formatShape(x.shape)}`);
  }
  const d = numel(normalizedShape);
  return { statShape: x.shape.slice(0, lead), paramShape: [...normalizedShape], group: (i) => Math.floor(i / d), param: (i) => i % d };
}

function groupNormLayout(x: Tensor64, numGroups: number): Layout {
  if (x.shape.length < 2) throw new InputError(`group_norm: x must be [N, C, *], got ${formatShape(x.shape)}`);
  const [n, c] = x.shape;
  if (c % numGroups !== 0) throw new InputError(`group_norm: ${c} channels are not divisible by num_groups ${numGroups}`);
  const spatial = numel(x.shape.slice(2));
  const perGroup = (c / numGroups) * spatial;
  return { statShape: [n, numGroups], paramShape: [c], group: (i) => Math.floor(i / perGroup), param: (i) => Math.floor(i / spatial) % c };
}

/** Per-group count, mean and biased variance, by two passes in float64. */
function statistics(x: Tensor64, layout: Layout): { count: Float64Array; mean: Float64Array; variance: Float64Array } {
  const groups = numel(layout.statShape);
  const count = new Float64Array(groups);
  const mean = new Float64Array(groups);
  const variance = new Float64Array(groups);
  for (let i = 0; i < x.data.length; i++) {
    const g = layout.group(i);
    count[g]++;
    mean[g] += x.data[i];
  }
  for (let g = 0; g < groups; g++) mean[g] /= count[g];
  for (let i = 0; i < x.data.length; i++) {
    const g = layout.group(i);
    variance[g] += (x.data[i] - mean[g]) ** 2;
  }
  for (let g = 0; g < groups; g++) variance[g] /= count[g];
  return { count, mean, variance };
}

/** xhat = (x − mean[group]) · invstd[group]; y = weight[param] · xhat + bias[param]. */
function normalize(x: Tensor64, layout: Layout, mean: Float64Array, invstd: Float64Array, weight: Tensor64 | null, bias: Tensor64 | null): NormForward {
  const xhat = new Float64Array(x.data.length);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const g = layout.group(i);
    const p = layout.param(i);
    xhat[i] = (x.data[i] - mean[g]) * invstd[g];
    out[i] = xhat[i] * (weight ? weight.data[p] : 1) + (bias ? bias.data[p] : 0);
  }
  return {
    output: { shape: [...x.shape], data: out },
    mean: { shape: [...layout.statShape], data: mean },
    invstd: { shape: [...layout.statShape], data: invstd },
    xhat: { shape: [...x.shape], data: xhat },
  };
}

function trainingForward(x: Tensor64, layout: Layout, weight: Tensor64 | null, bias: Tensor64 | null, eps: number): NormForward {
  const { mean, variance } = statistics(x, layout);
  return normalize(x, layout, mean, variance.map((v) => 1 / Math.sqrt(v + eps)), weight, bias);
}

/**
 * Backward of a normalization whose statistics came from x itself:
 * dx = invstd · (dxhat − mean(dxhat) − xhat · mean(dxhat · xhat)) per group, dxhat = dy · weight;
 * with `batchStats` false (batch_norm eval) the statistics are constants and dx = dxhat · invstd.
 */
function backward(op: string, x: Tensor64, layout: Layout, f: NormForward, weight: Tensor64 | null, bias: Tensor64 | null, gradOut: Tensor64, batchStats: boolean): NormGrads {
  assertShape(op, 'grad_output', gradOut, x.shape);
  const groups = numel(layout.statShape);
  const dy = gradOut.data;
  const xhat = f.xhat.data;
  const invstd = f.invstd.data;
  const dxhat = dy.map((g, i) => g * (weight ? weight.data[layout.param(i)] : 1));
  const count = new Float64Array(groups);
  const sumD = new Float64Array(groups);
  const sumDX = new Float64Array(groups);
  for (let i = 0; i < dy.length; i++) {
    const g = layout.group(i);
    count[g]++;
    sumD[g] += dxhat[i];
    sumDX[g] += dxhat[i] * xhat[i];
  }
  const dx = new Float64Array(dy.length);
  for (let i = 0; i < dy.length; i++) {
    const g = layout.group(i);
    dx[i] = batchStats ? invstd[g] * (dxhat[i] - sumD[g] / count[g] - (xhat[i] * sumDX[g]) / count[g]) : dxhat[i] * invstd[g];
  }
  const params = numel(layout.paramShape);
  const gw = new Float64Array(params);
  const gb = new Float64Array(params);
  for (let i = 0; i < dy.length; i++) {
    const p = layout.param(i);
    gw[p] += dy[i] * xhat[i];
    gb[p] += dy[i];
  }
  return {
    x: { shape: [...x.shape], data: dx },
    weight: weight ? { shape: [...layout.paramShape], data: gw } : null,
    bias: bias ? { shape: [...layout.paramShape], data: gb } : null,
  };
}

/**
 * `F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)` on
 * [N, C, *]. Training: batch statistics over every axis but C (biased variance), and the
 * running statistics move by `momentum` towards the batch mean and the unbiased variance.
 * Eval: the running statistics normalize.
 */
export function batchNormForwardRef(
  x: Tensor64, weight: Tensor64 | null, bias: Tensor64 | null,
  runningMean: Tensor64 | null, runningVar: Tensor64 | null, o: BatchNormOptions,
): NormForward {
  const layout = batchNormLayout(x);
  checkAffine('batch_norm', weight, bias, layout.paramShape);
  if (runningMean) assertShape('batch_norm', 'running_mean', runningMean, layout.statShape);
  if (runningVar) assertShape('batch_norm', 'running_var', runningVar, layout.statShape);
  if (!o.training) {
    if (!runningMean || !runningVar) throw new InputError('batch_norm: eval mode needs running_mean and running_var');
    const invstd = runningVar.data.map((v) => 1 / Math.sqrt(v + o.eps));
    return normalize(x, layout, Float64Array.from(runningMean.data), invstd, weight, bias);
  }
  const { count, mean, variance } = statistics(x, layout);
  const f = normalize(x, layout, mean, variance.map((v) => 1 / Math.sqrt(v + o.eps)), weight, bias);
  if (runningMean && runningVar) {
    const n = count[0];
    f.runningMean = { shape: [...layout.statShape], data: runningMean.data.map((r, c) => (1 - o.momentum) * r + o.momentum * mean[c]) };
    f.runningVar = { shape: [...layout.statShape], data: runningVar.data.map((r, c) => (1 - o.momentum) * r + o.momentum * variance[c] * (n / (n - 1))) };
  }
  return f;
}

/** batch_norm backward (statistics differentiated in training mode, constants in eval mode). */
export function batchNormBackwardRef(
  x: Tensor64, weight: Tensor64 | null, bias: Tensor64 | null,
  runningMean: Tensor64 | null, runningVar: Tensor64 | null, o: BatchNormOptions, gradOut: Tensor64,
): NormGrads {
  const f = batchNormForwardRef(x, weight, bias, runningMean, runningVar, o);
  return backward('batch_norm', x, batchNormLayout(x), f, weight, bias, gradOut, o.training);
}

/** `F.layer_norm(x, normalized_shape, weight, bias, eps)`: statistics over the trailing dims. */
export function layerNormForwardRef(x: Tensor64, normalizedShape: number[], weight: Tensor64 | null, bias: Tensor64 | null, eps: number): NormForward {
  const layout = layerNormLayout(x, normalizedShape);
  checkAffine('layer_norm', weight, bias, layout.paramShape);
  return trainingForward(x, layout, weight, bias, eps);
}

/** layer_norm backward. */
export function layerNormBackwardRef(x: Tensor64, normalizedShape: number[], weight: Tensor64 | null, bias: Tensor64 | null, eps: number, gradOut: Tensor64): NormGrads {
  const f = layerNormForwardRef(x, normalizedShape, weight, bias, eps);
  return backward('layer_norm', x, layerNormLayout(x, normalizedShape), f, weight, bias, gradOut, true);
}

/** `F.group_norm(x, num_groups, weight, bias, eps)`: statistics per sample over C/G channels × spatial. */
export function groupNormForwardRef(x: Tensor64, numGroups: number, weight: Tensor64 | null, bias: Tensor64 | null, eps: number): NormForward {
  const layout = groupNormLayout(x, numGroups);
  checkAffine('group_norm', weight, bias, layout.paramShape);
  return trainingForward(x, layout, weight, bias, eps);
}

/** group_norm backward. */
export function groupNormBackwardRef(x: Tensor64, numGroups: number, weight: Tensor64 | null, bias: Tensor64 | null, eps: number, gradOut: Tensor64): NormGrads {
  const f = groupNormForwardRef(x, numGroups, weight, bias, eps);
  return backward('group_norm', x, groupNormLayout(x, numGroups), f, weight, bias, gradOut, true);
}
