/**
 * `F.batch_norm`, `F.layer_norm` and `F.group_norm`, forward and backward, on the kernels of
 * shaders/norm.wgsl. Each norm is one view of x (which elements share statistics, which share
 * an affine parameter); the trace shows the statistics (`mean`, `invstd` per channel, row or
 * (sample, group)) and the normalized input `xhat`.
 */
import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { formatShape, numel } from '../analysis/tensor.ts';
import {
  normAffineGrad, normApply, normBackwardInput, normEvalStats, normGradSums, normNormalize, normParams,
  normRunningStats, normStatistics, partialsLength, type NormLayout,
} from '../kernels/norm.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import type { HostTensor, OpDefinition, OpRun, PreparedOp } from './op.ts';
import { uniformIn } from './input_samplers.ts';

function numberAttr(op: string, name: string, value: unknown, fallback: number, min = -Infinity): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InputError(`${op}: ${name} must be a finite number${min > -Infinity ? ` >= ${min}` : ''}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function boolAttr(op: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InputError(`${op}: ${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function positiveInt(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new InputError(`${op}: ${name} must be an integer >= 1, got ${JSON.stringify(value)}`);
  return value;
}

function checkParam(op: string, name: string, t: HostTensor | undefined, shape: number[], why: string): void {
  if (t && formatShape(t.shape) !== formatShape(shape)) throw new InputError(`${op}: ${name} must have shape ${formatShape(shape)} (${why}), got ${formatShape(t.shape)}`);
}

function checkNotEmpty(op: string, x: HostTensor): void {
  if (numel(x.shape) === 0) throw new InputError(`${op}: x ${formatShape(x.shape)} has no elements to normalize`);
}

/** What one norm needs besides its inputs. */
interface NormPlan {
  op: string;
  layout: NormLayout;
  statShape: number[];
  paramShape: number[];
  eps: number;
  /** Statistics from x (true) or from running_mean/running_var (batch_norm eval). */
  batchStats: boolean;
  momentum: number;
  /** batch_norm training with running statistics given: write their updated values. */
  updateRunning: boolean;
}

/**
 * The forward pass of every norm, and its backward closure. Like PyTorch, the fast path keeps
 * only x, mean and invstd for backward, which recomputes xhat; a traced run keeps xhat to show it.
 */
async function runNorm(rt: GpuRuntime, plan: NormPlan, inputs: Record<string, GpuTensor>, keepXhat: boolean): Promise<OpRun> {
  const { op, layout, statShape, paramShape } = plan;
  const { x, weight, bias, running_mean: runningMean, running_var: runningVar } = inputs;
  const flags = { hasWeight: !!weight, hasBias: !!bias, eps: plan.eps, momentum: plan.momentum };
  const p = normParams(layout, { ...flags, training: plan.batchStats });
  const mean = rt.tensor(`${op}.mean`, statShape);
  const invstd = rt.tensor(`${op}.invstd`, statShape);
  const xhat = rt.tensor(`${op}.xhat`, x.shape);
  const outputsXhat = keepXhat ? xhat : null;
  const output = rt.tensor(`${op}.output`, x.shape);
  const outputs: Record<string, GpuTensor> = { output };
  const temporaries: GpuTensor[] = [];
  if (plan.batchStats) {
    const partials = rt.tensor(`${op}.stat_partials`, [partialsLength(p)]);
    const variance = rt.tensor(`${op}.var`, statShape);
    temporaries.push(partials, variance);
    await normStatistics(rt, p, x, partials, mean, variance, invstd);
    if (plan.updateRunning) {
      outputs.running_mean = rt.tensor(`${op}.running_mean`, statShape);
      outputs.running_var = rt.tensor(`${op}.running_var`, statShape);
      await normRunningStats(rt, p, mean, variance, runningMean, runningVar, outputs.running_mean, outputs.running_var);
    }
  } else {
    rt.copy(runningMean.buffer, mean.buffer, 4 * layout.statGroups);
    await normEvalStats(rt, p, runningVar, invstd);
  }
  await normApply(rt, p, x, mean, invstd, weight ?? null, bias ?? null, xhat, output);
  if (!keepXhat) temporaries.push(xhat);
  await rt.submit();
  rt.release(...temporaries);
  return {
    outputs,
    trace: keepXhat ? { mean, invstd, xhat } : { mean, invstd },
    async backward({ output: dy }) {
      const temps: GpuTensor[] = [];
      let xhat = outputsXhat;
      if (!xhat) {
        xhat = rt.tensor(`${op}.xhat`, x.shape);
        temps.push(xhat);
        await normNormalize(rt, p, x, mean, invstd, xhat);
      }
      let sums: GpuTensor | null = null;
      if (plan.batchStats) {
        const partials = rt.tensor(`${op}.grad_partials`, [partialsLength(p)]);
        sums = rt.tensor(`${op}.grad_sums`, [2 * layout.statGroups]);
        temps.push(partials, sums);
        await normGradSums(rt, p, dy, xhat, weight ?? null, partials, sums);
      }
      const grads: Record<string, GpuTensor> = { x: rt.tensor(`${op}.grad.x`, x.shape) };
      await normBackwardInput(rt, p, dy, xhat, invstd, weight ?? null, sums, grads.x);
      if (weight || bias) {
        const gw = rt.tensor(`${op}.grad.weight`, paramShape);
        const gb = rt.tensor(`${op}.grad.bias`, paramShape);
        await normAffineGrad(rt, p, dy, xhat, gw, gb);
        if (weight) grads.weight = gw;
        else temps.push(gw);
        if (bias) grads.bias = gb;
        else temps.push(gb);
      }
      await rt.submit();
      rt.release(...temps);
      return grads;
    },
  };
}

const AFFINE_INPUTS = [
  { name: 'x', dtype: 'float32', differentiable: true },
  { name: 'weight', dtype: 'float32', optional: true, differentiable: true },
  { name: 'bias', dtype: 'float32', optional: true, differentiable: true },
] as const;

function prepared(plan: NormPlan, outputShapes: Record<string, number[]>): PreparedOp {
  return { outputShapes, forward: (rt, inputs, { trace }) => runNorm(rt, plan, inputs, trace) };
}

/**
 * `F.batch_norm(x, running_mean, running_var, weight, bias, training=False, momentum=0.1,
 * eps=1e-5)` on x [N, C, *]. Training: batch statistics over N and the spatial dims (biased
 * variance normalizes), and, when running_mean/running_var are given, their updated values as
 * outputs (unbiased variance, PyTorch's momentum rule). Eval: the running statistics normalize.
 */
export const batchNormOp: OpDefinition = {
  name: 'batch_norm',
  inputs: [
    ...AFFINE_INPUTS,
    { name: 'running_mean', dtype: 'float32', optional: true, differentiable: false },
    { name: 'running_var', dtype: 'float32', optional: true, differentiable: false, sample: uniformIn(0.5, 1.5) },
  ],
  outputs: ['output', 'running_mean', 'running_var'],
  prepare(attrs, inputs) {
    const op = 'batch_norm';
    checkAttrNames(op, attrs, ['training', 'momentum', 'eps']);
    const training = boolAttr(op, 'training', attrs.training, false);
    const momentum = numberAttr(op, 'momentum', attrs.momentum, 0.1);
    const eps = numberAttr(op, 'eps', attrs.eps, 1e-5, 0);
    const xs = inputs.x.shape;
    if (xs.length < 2) throw new InputError(`${op}: x must be [N, C] or [N, C, *], got shape ${formatShape(xs)}`);
    checkNotEmpty(op, inputs.x);
    const [n, c] = xs;
    const spatial = numel(xs.slice(2));
    const why = `C = ${c}, the channels of x ${formatShape(xs)}`;
    for (const name of ['weight', 'bias', 'running_mean', 'running_var']) checkParam(op, name, inputs[name], [c], why);
    const rm = inputs.running_mean;
    const rv = inputs.running_var;
    if (!training && (!rm || !rv)) throw new InputError(`${op}: eval mode (training false) normalizes with running_mean and running_var [${c}]; ${!rm ? 'running_mean' : 'running_var'} is missing`);
    if (!!rm !== !!rv) throw new InputError(`${op}: running_mean and running_var must be given together (got only ${rm ? 'running_mean' : 'running_var'})`);
    if (training && n * spatial < 2) throw new InputError(`${op}: training needs more than 1 value per channel, got x ${formatShape(xs)} (N·spatial = ${n * spatial})`);
    if (!training && rv?.data) {
      const bad = Array.from(rv.data).findIndex((v) => !(v + eps > 0));
      if (bad >= 0) throw new InputError(`${op}: running_var[${bad}] + eps = ${rv.data[bad]} + ${eps} must be > 0`);
    }
    const layout: NormLayout = { total: numel(xs), statOuter: n, statGroups: c, statInner: spatial, affCount: c, affInner: spatial };
    return prepared(
      { op, layout, statShape: [c], paramShape: [c], eps, batchStats: training, momentum, updateRunning: training && !!rm },
      { output: [...xs], running_mean: [c], running_var: [c] },
    );
  },
};

/** `F.layer_norm(x, normalized_shape, weight, bias, eps=1e-5)`: statistics over the trailing dims. */
export const layerNormOp: OpDefinition = {
  name: 'layer_norm',
  inputs: [...AFFINE_INPUTS],
  outputs: ['output'],
  prepare(attrs, inputs) {
    const op = 'layer_norm';
    checkAttrNames(op, attrs, ['normalized_shape', 'eps']);
    const xs = inputs.x.shape;
    const raw = attrs.normalized_shape;
    if (raw === undefined) throw new InputError(`${op}: attribute normalized_shape is required (the trailing dims of x ${formatShape(xs)} to normalize over)`);
    const list = typeof raw === 'number' ? [raw] : raw;
    if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
      throw new InputError(`${op}: normalized_shape must be an integer >= 1 or a non-empty list of them, got ${JSON.stringify(raw)}`);
    }
    const shape = list as number[];
    const eps = numberAttr(op, 'eps', attrs.eps, 1e-5, 0);
    const lead = xs.length - shape.length;
    if (lead < 0 || shape.some((s, i) => xs[lead + i] !== s)) {
      throw new InputError(`${op}: normalized_shape ${formatShape(shape)} does not match the trailing dimensions of x ${formatShape(xs)}`);
    }
    checkNotEmpty(op, inputs.x);
    for (const name of ['weight', 'bias']) checkParam(op, name, inputs[name], shape, 'normalized_shape');
    const d = numel(shape);
    const rows = numel(xs.slice(0, lead));
    const layout: NormLayout = { total: numel(xs), statOuter: 1, statGroups: rows, statInner: d, affCount: d, affInner: 1 };
    return prepared(
      { op, layout, statShape: xs.slice(0, lead), paramShape: [...shape], eps, batchStats: true, momentum: 0, updateRunning: false },
      { output: [...xs] },
    );
  },
};

/** `F.group_norm(x, num_groups, weight, bias, eps=1e-5)` on x [N, C, *]: statistics per sample over C/G channels. */
export const groupNormOp: OpDefinition = {
  name: 'group_norm',
  inputs: [...AFFINE_INPUTS],
  outputs: ['output'],
  prepare(attrs, inputs) {
    const op = 'group_norm';
    checkAttrNames(op, attrs, ['num_groups', 'eps']);
    if (attrs.num_groups === undefined) throw new InputError(`${op}: attribute num_groups is required`);
    const groups = positiveInt(op, 'num_groups', attrs.num_groups);
    const eps = numberAttr(op, 'eps', attrs.eps, 1e-5, 0);
    const xs = inputs.x.shape;
    if (xs.length < 2) throw new InputError(`${op}: x must be [N, C, *], got shape ${formatShape(xs)}`);
    checkNotEmpty(op, inputs.x);
    const [n, c] = xs;
    if (c % groups !== 0) throw new InputError(`${op}: the ${c} channels of x ${formatShape(xs)} are not divisible by num_groups ${groups}`);
    for (const name of ['weight', 'bias']) checkParam(op, name, inputs[name], [c], `C = ${c}, the channels of x ${formatShape(xs)}`);
    const spatial = numel(xs.slice(2));
    const layout: NormLayout = { total: numel(xs), statOuter: 1, statGroups: n * groups, statInner: (c / groups) * spatial, affCount: c, affInner: spatial };
    return prepared(
      { op, layout, statShape: [n, groups], paramShape: [c], eps, batchStats: true, momentum: 0, updateRunning: false },
      { output: [...xs] },
    );
  },
};
