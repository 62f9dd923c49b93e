import kernelWgsl from '../../shaders/mse.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { MseParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, workgroupSumWgsl);

export const mseForwardKernel: KernelDef<typeof MseParams> = {
  name: 'mse_forward', code, entryPoint: 'forward', params: MseParams,
  bindings: ['read', 'read', 'read_write'],
};

export const mseBackwardKernel: KernelDef<typeof MseParams> = {
  name: 'mse_backward', code, entryPoint: 'backward', params: MseParams,
  bindings: ['read', 'read', 'read', 'read_write'],
};

/** loss[0] = scale · Σ (x − target)² in one workgroup. */
export async function mseForward(rt: GpuRuntime, x: GpuTensor, target: GpuTensor, loss: GpuTensor, scale: number): Promise<void> {
  const count = numel(x.shape);
  await rt.dispatch(mseForwardKernel, { count, scale }, [x.buffer, target.buffer, loss.buffer], [1, 1, 1], {
    flops: 3 * count, bytesRead: 8 * count, bytesWritten: 4,
  });
}

/** dL/dx = 2 · scale · g · (x − target). */
export async function mseBackward(rt: GpuRuntime, x: GpuTensor, target: GpuTensor, gradLoss: GpuTensor, gradX: GpuTensor, scale: number): Promise<void> {
  const count = numel(x.shape);
  await rt.dispatch(mseBackwardKernel, { count, scale }, [x.buffer, target.buffer, gradLoss.buffer, gradX.buffer], grid1d(count, 64), {
    flops: 4 * count, bytesRead: 8 * count + 4, bytesWritten: 4 * count,
  });
}
