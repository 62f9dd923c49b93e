import code from '../../shaders/landscape_combine.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { LandscapeCombineParams } from './schemas.ts';

export const landscapeCombineKernel: KernelDef<typeof LandscapeCombineParams> = {
  name: 'landscape_combine', code, entryPoint: 'combine', params: LandscapeCombineParams,
  bindings: ['read', 'read', 'read', 'read_write'],
};

/** out = theta + alpha·d1 + beta·d2, elementwise over tensors of the same size. */
export async function landscapeCombine(rt: GpuRuntime, theta: GpuTensor, d1: GpuTensor, d2: GpuTensor, alpha: number, beta: number, out: GpuTensor): Promise<void> {
  const count = numel(theta.shape);
  await rt.dispatch(landscapeCombineKernel, { count, alpha, beta }, [theta.buffer, d1.buffer, d2.buffer, out.buffer], grid1d(count, 64), {
    flops: 4 * count, bytesRead: 12 * count, bytesWritten: 4 * count,
  });
}
