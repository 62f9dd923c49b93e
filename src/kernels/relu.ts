import kernelWgsl from '../../shaders/relu.wgsl?raw';
import elementwiseBackwardWgsl from '../../shaders/common/elementwise_backward.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { ElementwiseParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, elementwiseBackwardWgsl);

export const reluForwardKernel: KernelDef<typeof ElementwiseParams> = {
  name: 'relu_forward', code, entryPoint: 'forward', params: ElementwiseParams,
  bindings: ['read', 'read_write'],
};

export const reluBackwardKernel: KernelDef<typeof ElementwiseParams> = {
  name: 'relu_backward', code, entryPoint: 'backward', params: ElementwiseParams,
  bindings: ['read', 'read', 'read_write'],
};

/** y = max(x, 0), NaN propagated. */
export async function reluForward(rt: GpuRuntime, x: GpuTensor, y: GpuTensor): Promise<void> {
  const count = numel(x.shape);
  await rt.dispatch(reluForwardKernel, { count }, [x.buffer, y.buffer], grid1d(count, 64), {
    flops: count, bytesRead: 4 * count, bytesWritten: 4 * count,
  });
}

/** dL/dx = dL/dy where x > 0, else 0. */
export async function reluBackward(rt: GpuRuntime, x: GpuTensor, gradY: GpuTensor, gradX: GpuTensor): Promise<void> {
  const count = numel(x.shape);
  await rt.dispatch(reluBackwardKernel, { count }, [x.buffer, gradY.buffer, gradX.buffer], grid1d(count, 64), {
    flops: count, bytesRead: 8 * count, bytesWritten: 4 * count,
  });
}
