import kernelWgsl from '../../shaders/norm.wgsl?raw';
import workgroupItemWgsl from '../../shaders/common/workgroup_item.wgsl?raw';
import { NORM_FLOPS_PER_ELEMENT } from '../analysis/layers/norm.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { NormParams } from './schemas.ts';
import type { ParamsOf } from './uniform.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, workgroupItemWgsl);

const kernel = (name: string, entryPoint: string, bindings: KernelDef['bindings']): KernelDef<typeof NormParams> => ({
  name, code, entryPoint, params: NormParams, bindings,
});

export const normStatsPartialKernel = kernel('norm_stats_partial', 'stats_partial', ['read', 'read_write']);
export const normStatsPartialSerialKernel = kernel('norm_stats_partial_serial', 'stats_partial_serial', ['read', 'read_write']);
export const normStatsFinalizeKernel = kernel('norm_stats_finalize', 'stats_finalize', ['read', 'read_write', 'read_write', 'read_write']);
export const normRunningStatsKernel = kernel('norm_running_stats', 'running_stats', ['read', 'read', 'read', 'read', 'read_write', 'read_write']);
export const normEvalStatsKernel = kernel('norm_eval_stats', 'eval_stats', ['read', 'read_write']);
export const normApplyKernel = kernel('norm_apply', 'apply', ['read', 'read', 'read', 'read', 'read', 'read_write', 'read_write']);
export const normNormalizeKernel = kernel('norm_normalize', 'normalize', ['read', 'read', 'read', 'read_write']);
export const normGradPartialKernel = kernel('norm_grad_partial', 'grad_partial', ['read', 'read', 'read', 'read_write']);
export const normGradPartialSerialKernel = kernel('norm_grad_partial_serial', 'grad_partial_serial', ['read', 'read', 'read', 'read_write']);
export const normGradFinalizeKernel = kernel('norm_grad_finalize', 'grad_finalize', ['read', 'read_write']);
export const normBackwardInputKernel = kernel('norm_backward_input', 'backward_input', ['read', 'read', 'read', 'read', 'read', 'read_write']);
export const normAffineGradKernel = kernel('norm_affine_grad', 'affine_grad', ['read', 'read', 'read_write', 'read_write']);
export const normAffineGradSerialKernel = kernel('norm_affine_grad_serial', 'affine_grad_serial', ['read', 'read', 'read_write', 'read_write']);

/**
 * Up to this many elements per affine parameter, one invocation sums them serially; above it a
 * workgroup reduces them (measured on SwiftShader: layer_norm over [64, 32, 32], 8 elements per
 * parameter, took 2.7 s as 65,536 reducing workgroups).
 */
const SERIAL_AFFINE_MAX = 256;

/** Elements per workgroup chunk of a statistics group (each chunk's stats are merged afterwards). */
export const NORM_CHUNK = 4096;

/**
 * Statistics groups of at most this many elements (layer_norm's rows, small group_norm groups)
 * are summed by one invocation each: a workgroup's tree reduction waits at barriers that
 * SwiftShader runs slowly (softmax's [256, 1000] rows measured 9× faster that way).
 */
const SERIAL_STATS_MAX = 1024;

/** Workgroup layout of the per-chunk passes: one invocation per chunk for short groups. */
function chunkLaunch(p: ParamsOf<typeof NormParams>): { serial: boolean; grid: [number, number, number] } {
  const serial = Math.min(groupCount(p), p.chunkSize) <= SERIAL_STATS_MAX;
  return { serial, grid: serial ? grid1d(p.statGroups * p.chunks, 64) : grid1d(p.statGroups * p.chunks, 1) };
}

/**
 * How a norm views x: statistics group j holds ((a·statGroups + j)·statInner + b) for
 * a < statOuter, b < statInner; element i's affine parameter is (i / affInner) % affCount.
 */
export interface NormLayout {
  total: number;
  statOuter: number;
  statGroups: number;
  statInner: number;
  affCount: number;
  affInner: number;
}

/** Elements per statistics group. */
export function groupCount(l: NormLayout): number {
  return l.statOuter * l.statInner;
}

/** The params of every norm kernel for a layout and its flags. */
export function normParams(
  l: NormLayout, flags: { hasWeight: boolean; hasBias: boolean; training: boolean; eps: number; momentum?: number },
): ParamsOf<typeof NormParams> {
  return {
    ...l,
    chunkSize: NORM_CHUNK,
    chunks: Math.max(1, Math.ceil(groupCount(l) / NORM_CHUNK)),
    hasWeight: flags.hasWeight ? 1 : 0,
    hasBias: flags.hasBias ? 1 : 0,
    training: flags.training ? 1 : 0,
    eps: flags.eps,
    momentum: flags.momentum ?? 0,
  };
}

/** Floats the per-chunk partial buffers need: two per (group, chunk). */
export function partialsLength(p: ParamsOf<typeof NormParams>): number {
  return 2 * p.statGroups * p.chunks;
}

/**
 * Mean, biased variance and 1/sqrt(var + eps) per statistics group: per-chunk corrected
 * two-pass sums, then Chan's pairwise merge of the chunks (exact for large means and counts).
 */
export async function normStatistics(
  rt: GpuRuntime, p: ParamsOf<typeof NormParams>, x: GpuTensor, partials: GpuTensor, mean: GpuTensor, variance: GpuTensor, invstd: GpuTensor,
): Promise<void> {
  const { serial, grid } = chunkLaunch(p);
  await rt.dispatch(serial ? normStatsPartialSerialKernel : normStatsPartialKernel, p, [x.buffer, partials.buffer], grid, {
    flops: 5 * p.total, bytesRead: 8 * p.total, bytesWritten: 4 * partialsLength(p),
  });
  await rt.dispatch(normStatsFinalizeKernel, p, [partials.buffer, mean.buffer, variance.buffer, invstd.buffer], grid1d(p.statGroups, 64), {
    flops: 8 * p.statGroups * p.chunks, bytesRead: 4 * partialsLength(p), bytesWritten: 12 * p.statGroups,
  });
}

/** running ← (1 − momentum)·running + momentum·batch (unbiased variance), per channel. */
export async function normRunningStats(
  rt: GpuRuntime, p: ParamsOf<typeof NormParams>, mean: GpuTensor, variance: GpuTensor,
  runningMean: GpuTensor, runningVar: GpuTensor, newMean: GpuTensor, newVar: GpuTensor,
): Promise<void> {
  const buffers = [mean, variance, runningMean, runningVar, newMean, newVar].map((t) => t.buffer);
  await rt.dispatch(normRunningStatsKernel, p, buffers, grid1d(p.statGroups, 64), {
    flops: 8 * p.statGroups, bytesRead: 16 * p.statGroups, bytesWritten: 8 * p.statGroups,
  });
}

/** invstd = 1/sqrt(running_var + eps) (batch_norm eval). */
export async function normEvalStats(rt: GpuRuntime, p: ParamsOf<typeof NormParams>, runningVar: GpuTensor, invstd: GpuTensor): Promise<void> {
  await rt.dispatch(normEvalStatsKernel, p, [runningVar.buffer, invstd.buffer], grid1d(p.statGroups, 64), {
    flops: 3 * p.statGroups, bytesRead: 4 * p.statGroups, bytesWritten: 4 * p.statGroups,
  });
}

/** xhat = (x − mean)·invstd and y = weight·xhat + bias; absent weight/bias tensors may be any buffer. */
export async function normApply(
  rt: GpuRuntime, p: ParamsOf<typeof NormParams>, x: GpuTensor, mean: GpuTensor, invstd: GpuTensor,
  weight: GpuTensor | null, bias: GpuTensor | null, xhat: GpuTensor, y: GpuTensor,
): Promise<void> {
  const buffers = [x, mean, invstd, weight ?? x, bias ?? x, xhat, y].map((t) => t.buffer);
  await rt.dispatch(normApplyKernel, p, buffers, grid1d(p.total, 64), {
    flops: p.total * (2 + (weight || bias ? NORM_FLOPS_PER_ELEMENT.affine : 0)),
    bytesRead: 4 * (p.total + 2 * p.statGroups + (weight ? p.affCount : 0) + (bias ? p.affCount : 0)),
    bytesWritten: 8 * p.total,
  });
}

/** xhat = (x − mean)·invstd alone: backward recomputes it when forward did not keep it. */
export async function normNormalize(rt: GpuRuntime, p: ParamsOf<typeof NormParams>, x: GpuTensor, mean: GpuTensor, invstd: GpuTensor, xhat: GpuTensor): Promise<void> {
  await rt.dispatch(normNormalizeKernel, p, [x, mean, invstd, xhat].map((t) => t.buffer), grid1d(p.total, 64), {
    flops: 2 * p.total, bytesRead: 4 * (p.total + 2 * p.statGroups), bytesWritten: 4 * p.total,
  });
}

/** sums[2j], sums[2j + 1] = Σ_group dxhat, Σ_group dxhat·xhat, dxhat = dy·weight. */
export async function normGradSums(
  rt: GpuRuntime, p: ParamsOf<typeof NormParams>, dy: GpuTensor, xhat: GpuTensor, weight: GpuTensor | null, partials: GpuTensor, sums: GpuTensor,
): Promise<void> {
  const { serial, grid } = chunkLaunch(p);
  await rt.dispatch(serial ? normGradPartialSerialKernel : normGradPartialKernel, p, [dy.buffer, xhat.buffer, (weight ?? dy).buffer, partials.buffer], grid, {
    flops: 4 * p.total, bytesRead: 4 * (2 * p.total + (weight ? p.affCount : 0)), bytesWritten: 4 * partialsLength(p),
  });
  await rt.dispatch(normGradFinalizeKernel, p, [partials.buffer, sums.buffer], grid1d(p.statGroups, 64), {
    flops: 2 * p.statGroups * p.chunks, bytesRead: 4 * partialsLength(p), bytesWritten: 8 * p.statGroups,
  });
}

/** dx from dy, xhat, invstd and (with batch statistics) the per-group sums. */
export async function normBackwardInput(
  rt: GpuRuntime, p: ParamsOf<typeof NormParams>, dy: GpuTensor, xhat: GpuTensor, invstd: GpuTensor,
  weight: GpuTensor | null, sums: GpuTensor | null, dx: GpuTensor,
): Promise<void> {
  const buffers = [dy, xhat, invstd, weight ?? dy, sums ?? invstd, dx].map((t) => t.buffer);
  await rt.dispatch(normBackwardInputKernel, p, buffers, grid1d(p.total, 64), {
    flops: p.total * (p.training ? 7 : 2), bytesRead: 4 * (2 * p.total + 3 * p.statGroups), bytesWritten: 4 * p.total,
  });
}

/** dweight[k] = Σ dy·xhat, dbias[k] = Σ dy over the elements of parameter k. */
export async function normAffineGrad(
  rt: GpuRuntime, p: ParamsOf<typeof NormParams>, dy: GpuTensor, xhat: GpuTensor, gradWeight: GpuTensor, gradBias: GpuTensor,
): Promise<void> {
  const serial = p.total / p.affCount <= SERIAL_AFFINE_MAX;
  const kernel = serial ? normAffineGradSerialKernel : normAffineGradKernel;
  await rt.dispatch(kernel, p, [dy.buffer, xhat.buffer, gradWeight.buffer, gradBias.buffer], serial ? grid1d(p.affCount, 64) : grid1d(p.affCount, 1), {
    flops: 3 * p.total, bytesRead: 8 * p.total, bytesWritten: 8 * p.affCount,
  });
}
