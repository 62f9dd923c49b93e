import kernelWgsl from '../../shaders/max_pool2d.wgsl?raw';
import poolPlanesWgsl from '../../shaders/common/pool_planes.wgsl?raw';
import type { Pool2dAttrs } from '../analysis/conv_shapes.ts';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { MaxPool2dParams } from './schemas.ts';
import type { ParamsOf } from './uniform.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, poolPlanesWgsl);

export const maxPool2dForwardKernel: KernelDef<typeof MaxPool2dParams> = {
  name: 'max_pool2d_forward', code, entryPoint: 'forward', params: MaxPool2dParams,
  bindings: ['read', 'read_write', 'read_write'],
};

export const maxPool2dBackwardKernel: KernelDef<typeof MaxPool2dParams> = {
  name: 'max_pool2d_backward', code, entryPoint: 'backward', params: MaxPool2dParams,
  bindings: ['read', 'read', 'read_write'],
};

export const maxPool2dBackwardTilesKernel: KernelDef<typeof MaxPool2dParams> = { ...maxPool2dBackwardKernel, name: 'max_pool2d_backward_tiles', entryPoint: 'backward_tiles' };

/** Whether the windows tile the input (stride = kernel, dilation 1, no padding), so backward can run one invocation per window. */
export function windowsTileInput(a: Pool2dAttrs): boolean {
  return a.stride[0] === a.kernel[0] && a.stride[1] === a.kernel[1] && a.dilation[0] === 1 && a.dilation[1] === 1 && a.padding[0] === 0 && a.padding[1] === 0;
}

function maxPoolParams(x: number[], y: number[], a: Pool2dAttrs): ParamsOf<typeof MaxPool2dParams> {
  const r = x.length;
  return {
    planes: numel(x.slice(0, r - 2)), inHeight: x[r - 2], inWidth: x[r - 1], outHeight: y[r - 2], outWidth: y[r - 1],
    kernelH: a.kernel[0], kernelW: a.kernel[1], strideH: a.stride[0], strideW: a.stride[1],
    padH: a.padding[0], padW: a.padding[1], dilationH: a.dilation[0], dilationW: a.dilation[1],
  };
}

/** y = max over each window; `argmax` gets the flat in-plane index of the first maximum. */
export async function maxPool2dForward(rt: GpuRuntime, x: GpuTensor, y: GpuTensor, argmax: GpuTensor, attrs: Pool2dAttrs): Promise<void> {
  const outputs = numel(y.shape);
  await rt.dispatch(maxPool2dForwardKernel, maxPoolParams(x.shape, y.shape, attrs), [x.buffer, y.buffer, argmax.buffer], grid1d(outputs, 64), {
    flops: outputs * attrs.kernel[0] * attrs.kernel[1],
    bytesRead: 4 * outputs * attrs.kernel[0] * attrs.kernel[1],
    bytesWritten: 8 * outputs,
  });
}

/** dL/dx of max pooling: each input element collects the gradient of windows it won. */
export async function maxPool2dBackward(rt: GpuRuntime, gradY: GpuTensor, argmax: GpuTensor, gradX: GpuTensor, attrs: Pool2dAttrs): Promise<void> {
  const inputs = numel(gradX.shape);
  const params = maxPoolParams(gradX.shape, gradY.shape, attrs);
  const tiled = windowsTileInput(attrs);
  const invocations = tiled ? params.planes * Math.ceil(params.inHeight / attrs.kernel[0]) * Math.ceil(params.inWidth / attrs.kernel[1]) : inputs;
  await rt.dispatch(tiled ? maxPool2dBackwardTilesKernel : maxPool2dBackwardKernel, params, [gradY.buffer, argmax.buffer, gradX.buffer], grid1d(invocations, 64), {
    flops: numel(gradY.shape),
    bytesRead: 8 * numel(gradY.shape),
    bytesWritten: 4 * inputs,
  });
}
