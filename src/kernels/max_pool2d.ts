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

/** The backward entry (`backward`, or `backward_tiles` when the windows tile the input), with or without the ReLU mask. */
function backwardKernel(tiled: boolean, reluMask: boolean): KernelDef<typeof MaxPool2dParams> {
  return {
    name: `max_pool2d_backward${tiled ? '_tiles' : ''}${reluMask ? '_relu' : ''}`, code, entryPoint: tiled ? 'backward_tiles' : 'backward', params: MaxPool2dParams,
    bindings: ['read', 'read', 'read_write', 'read'], constants: { RELU_MASK: reluMask ? 1 : 0 },
  };
}

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

/** Outputs of a row each `forward_tiles` invocation takes. */
const TILE_OUTPUTS = 8;

const maxPool2dForwardTilesKernel: KernelDef<typeof MaxPool2dParams> = {
  ...maxPool2dForwardKernel, name: 'max_pool2d_forward_tiles', entryPoint: 'forward_tiles', constants: { TILE_OUTPUTS },
};

/**
 * y = max over each window; `argmax` gets the flat in-plane index of the first maximum. Windows
 * that tile the input run `forward_tiles`, TILE_OUTPUTS outputs per invocation.
 */
export async function maxPool2dForward(rt: GpuRuntime, x: GpuTensor, y: GpuTensor, argmax: GpuTensor, attrs: Pool2dAttrs): Promise<void> {
  const outputs = numel(y.shape);
  const params = maxPoolParams(x.shape, y.shape, attrs);
  const tiled = windowsTileInput(attrs);
  const invocations = tiled ? params.planes * params.outHeight * Math.ceil(params.outWidth / TILE_OUTPUTS) : outputs;
  await rt.dispatch(tiled ? maxPool2dForwardTilesKernel : maxPool2dForwardKernel, params, [x.buffer, y.buffer, argmax.buffer], grid1d(invocations, 64), {
    flops: outputs * attrs.kernel[0] * attrs.kernel[1],
    bytesRead: 4 * outputs * attrs.kernel[0] * attrs.kernel[1],
    bytesWritten: 8 * outputs,
  });
}

/**
 * dL/dx of max pooling: each input element collects the gradient of windows it won. With
 * `reluMask` x is a ReLU's output and gradX is ∂L/∂ that ReLU's input (0 where x ≤ 0): the
 * ReLU's backward in the same pass.
 */
export async function maxPool2dBackward(rt: GpuRuntime, gradY: GpuTensor, argmax: GpuTensor, x: GpuTensor, gradX: GpuTensor, attrs: Pool2dAttrs, reluMask = false): Promise<void> {
  const inputs = numel(gradX.shape);
  const params = maxPoolParams(gradX.shape, gradY.shape, attrs);
  const tiled = windowsTileInput(attrs);
  const invocations = tiled ? params.planes * Math.ceil(params.inHeight / attrs.kernel[0]) * Math.ceil(params.inWidth / attrs.kernel[1]) : inputs;
  await rt.dispatch(backwardKernel(tiled, reluMask), params, [gradY.buffer, argmax.buffer, gradX.buffer, x.buffer], grid1d(invocations, 64), {
    flops: numel(gradY.shape) * (reluMask ? 2 : 1),
    bytesRead: (reluMask ? 12 : 8) * numel(gradY.shape),
    bytesWritten: 4 * inputs,
  });
}
