import kernelWgsl from '../../shaders/tensor_stats.wgsl?raw';
import workgroupItemWgsl from '../../shaders/common/workgroup_item.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { TensorStatsParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, workgroupItemWgsl);

export const tensorStatsKernel: KernelDef<typeof TensorStatsParams> = {
  name: 'tensor_stats', code, entryPoint: 'stats', params: TensorStatsParams,
  bindings: ['read', 'read_write'],
};

export const unitMaxKernel: KernelDef<typeof TensorStatsParams> = {
  name: 'unit_max', code, entryPoint: 'unit_max', params: TensorStatsParams,
  bindings: ['read', 'read_write'],
};

/** Floats `tensorStats` writes per tensor. */
export const STATS_WIDTH = 8;

/** A tensor's summary, decoded from the 8 floats of `tensorStats`. */
export interface TensorSummary {
  count: number;
  nonfinite: number;
  mean: number;
  std: number;
  /** L2 norm of the finite values. */
  norm: number;
  /** sqrt(mean of squares). */
  rms: number;
  max_abs: number;
  min: number;
  max: number;
  /** Fraction of values <= lo or >= hi. */
  outside_fraction: number;
}

/**
 * Writes count, non-finite count, max |v|, Σv/max|v|, Σ(v/max|v|)², the count outside (lo, hi),
 * min and max of `values` at `offset` of `out` (one workgroup).
 */
export async function tensorStats(rt: GpuRuntime, values: GpuTensor, out: GpuTensor, offset: number, lo = -Infinity, hi = Infinity): Promise<void> {
  const count = numel(values.shape);
  const clamp = (v: number) => Math.max(-3e38, Math.min(3e38, v));
  await rt.dispatch(tensorStatsKernel, { outer: 1, channels: 1, inner: count, offset, lo: clamp(lo), hi: clamp(hi) }, [values.buffer, out.buffer], [1, 1, 1], {
    flops: 8 * count, bytesRead: 8 * count, bytesWritten: 4 * STATS_WIDTH,
  });
}

/** out[offset + c] = max over outer and inner of values viewed as [outer, channels, inner]. */
export async function unitMax(rt: GpuRuntime, values: GpuTensor, out: GpuTensor, offset: number, outer: number, channels: number, inner: number): Promise<void> {
  await rt.dispatch(unitMaxKernel, { outer, channels, inner, offset, lo: 0, hi: 0 }, [values.buffer, out.buffer], grid1d(channels, 1), {
    flops: outer * channels * inner, bytesRead: 4 * outer * channels * inner, bytesWritten: 4 * channels,
  });
}

/** Decodes the 8 floats of one `tensorStats` slot (in float64). */
export function decodeStats(raw: ArrayLike<number>, offset = 0): TensorSummary {
  const [count, nonfinite, scale, sumScaled, sqScaled, outside, min, max] = Array.from({ length: STATS_WIDTH }, (_, i) => raw[offset + i]);
  const finite = count - nonfinite;
  const mean = finite > 0 ? (sumScaled * scale) / finite : 0;
  const meanSq = finite > 0 ? (sqScaled / finite) * scale * scale : 0;
  const norm = Math.sqrt(sqScaled) * scale;
  return {
    count, nonfinite, mean,
    std: Math.sqrt(Math.max(0, meanSq - mean * mean)),
    norm, rms: Math.sqrt(meanSq), max_abs: scale,
    min: finite > 0 ? min : 0, max: finite > 0 ? max : 0,
    outside_fraction: count > 0 ? outside / count : 0,
  };
}
