import kernelWgsl from '../../shaders/avg_pool2d.wgsl?raw';
import poolPlanesWgsl from '../../shaders/common/pool_planes.wgsl?raw';
import type { Pool2dAttrs } from '../analysis/conv_shapes.ts';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { AvgPool2dParams } from './schemas.ts';
import type { ParamsOf } from './uniform.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, poolPlanesWgsl);

export const avgPool2dForwardKernel: KernelDef<typeof AvgPool2dParams> = {
  name: 'avg_pool2d_forward', code, entryPoint: 'forward', params: AvgPool2dParams,
  bindings: ['read', 'read_write'],
};

export const avgPool2dBackwardKernel: KernelDef<typeof AvgPool2dParams> = {
  name: 'avg_pool2d_backward', code, entryPoint: 'backward', params: AvgPool2dParams,
  bindings: ['read', 'read_write'],
};

function avgPoolParams(x: number[], y: number[], a: Pool2dAttrs): ParamsOf<typeof AvgPool2dParams> {
  const r = x.length;
  return {
    planes: numel(x.slice(0, r - 2)), inHeight: x[r - 2], inWidth: x[r - 1], outHeight: y[r - 2], outWidth: y[r - 1],
    kernelH: a.kernel[0], kernelW: a.kernel[1], strideH: a.stride[0], strideW: a.stride[1],
    padH: a.padding[0], padW: a.padding[1], countIncludePad: a.countIncludePad ? 1 : 0, divisorOverride: a.divisorOverride ?? 0,
  };
}

/** y = mean of each window with PyTorch's divisor rule. */
export async function avgPool2dForward(rt: GpuRuntime, x: GpuTensor, y: GpuTensor, attrs: Pool2dAttrs): Promise<void> {
  const outputs = numel(y.shape);
  await rt.dispatch(avgPool2dForwardKernel, avgPoolParams(x.shape, y.shape, attrs), [x.buffer, y.buffer], grid1d(outputs, 64), {
    flops: outputs * (attrs.kernel[0] * attrs.kernel[1] + 1),
    bytesRead: 4 * outputs * attrs.kernel[0] * attrs.kernel[1],
    bytesWritten: 4 * outputs,
  });
}

/** dL/dx of average pooling: each input element gathers gradY / divisor of its windows. */
export async function avgPool2dBackward(rt: GpuRuntime, gradY: GpuTensor, gradX: GpuTensor, attrs: Pool2dAttrs): Promise<void> {
  const inputs = numel(gradX.shape);
  await rt.dispatch(avgPool2dBackwardKernel, avgPoolParams(gradX.shape, gradY.shape, attrs), [gradY.buffer, gradX.buffer], grid1d(inputs, 64), {
    flops: 2 * numel(gradY.shape) * attrs.kernel[0] * attrs.kernel[1],
    bytesRead: 4 * numel(gradY.shape),
    bytesWritten: 4 * inputs,
  });
}
