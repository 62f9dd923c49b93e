import code from '../../shaders/dropout.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { DropoutParams } from './schemas.ts';

export const dropoutMaskKernel: KernelDef<typeof DropoutParams> = {
  name: 'dropout_mask', code, entryPoint: 'draw_mask', params: DropoutParams,
  bindings: ['read_write'],
};

export const dropoutApplyKernel: KernelDef<typeof DropoutParams> = {
  name: 'dropout_apply', code, entryPoint: 'apply', params: DropoutParams,
  bindings: ['read', 'read', 'read_write'],
};

/** PyTorch's keep probability and scale for drop probability p (p = 1 zeroes everything). */
export function dropoutScale(p: number): { keep: number; scale: number } {
  return p >= 1 ? { keep: 0, scale: 0 } : { keep: 1 - p, scale: 1 / (1 - p) };
}

/** Fills mask (one value per group) with seeded Bernoulli(1 − p) draws: 1 kept, 0 dropped. */
export async function dropoutMask(rt: GpuRuntime, mask: GpuTensor, p: number, seed: number): Promise<void> {
  const count = numel(mask.shape);
  const { keep, scale } = dropoutScale(p);
  await rt.dispatch(dropoutMaskKernel, { count, inner: 1, seed: seed >>> 0, keep, scale }, [mask.buffer], grid1d(count, 64), {
    flops: 8 * count, bytesRead: 0, bytesWritten: 4 * count,
  });
}

/** y = x · mask[i / inner] / (1 − p): forward on x, backward on dL/dy with the same mask. */
export async function dropoutApply(rt: GpuRuntime, x: GpuTensor, mask: GpuTensor, y: GpuTensor, p: number): Promise<void> {
  const count = numel(x.shape);
  const inner = count / numel(mask.shape);
  const { keep, scale } = dropoutScale(p);
  await rt.dispatch(dropoutApplyKernel, { count, inner, seed: 0, keep, scale }, [x.buffer, mask.buffer, y.buffer], grid1d(count, 64), {
    flops: 2 * count, bytesRead: 4 * count + 4 * numel(mask.shape), bytesWritten: 4 * count,
  });
}
