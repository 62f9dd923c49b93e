import kernelWgsl from '../../shaders/conv2d_forward.wgsl?raw';
import conv2dParamsWgsl from '../../shaders/common/conv2d_params.wgsl?raw';
import type { Conv2dAttrs } from '../analysis/conv_shapes.ts';
import { numel } from '../analysis/tensor.ts';
import { channelSum } from './channel_sum.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { Conv2dParams } from './schemas.ts';
import type { KernelCost } from './profiler.ts';
import type { ParamsOf } from './uniform.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, conv2dParamsWgsl);

export const conv2dForwardKernel: KernelDef<typeof Conv2dParams> = {
  name: 'conv2d_forward', code, entryPoint: 'main', params: Conv2dParams,
  bindings: ['read', 'read', 'read', 'read_write'],
};

/** The uniform values shared by the three conv2d kernels. */
export function conv2dParams(x: number[], w: number[], out: number[], a: Conv2dAttrs, hasBias: boolean): ParamsOf<typeof Conv2dParams> {
  return {
    batch: x[0], inChannels: x[1], inHeight: x[2], inWidth: x[3],
    outChannels: out[1], outHeight: out[2], outWidth: out[3],
    kernelH: w[2], kernelW: w[3], strideH: a.stride[0], strideW: a.stride[1],
    padTop: a.padTop, padLeft: a.padLeft, dilationH: a.dilation[0], dilationW: a.dilation[1],
    groups: a.groups, hasBias: hasBias ? 1 : 0,
  };
}

/**
 * Runs a weight-gradient kernel that writes `slices` partial sums of the weight gradient (into
 * a [slices, ...weight] buffer when there are several, straight into `gradWeight` otherwise),
 * then adds the slices up.
 */
export async function sumOverSlices(rt: GpuRuntime, gradWeight: GpuTensor, slices: number, write: (target: GpuTensor) => Promise<void>): Promise<void> {
  const partials = slices > 1 ? rt.tensor('conv2d.grad.weight partials', [slices, ...gradWeight.shape]) : gradWeight;
  await write(partials);
  if (slices > 1) {
    await channelSum(rt, partials, gradWeight, slices, numel(gradWeight.shape), 1);
    rt.releaseAfterSubmit(partials);
  }
}

/** What a conv2d forward pass costs, whichever kernel runs it. */
export function conv2dForwardCost(x: GpuTensor, weight: GpuTensor, y: GpuTensor, hasBias: boolean): KernelCost {
  const outputs = numel(y.shape);
  return {
    flops: 2 * outputs * weight.shape[1] * weight.shape[2] * weight.shape[3] + (hasBias ? outputs : 0),
    bytesRead: 4 * (numel(x.shape) + numel(weight.shape) + (hasBias ? y.shape[1] : 0)),
    bytesWritten: 4 * outputs,
  };
}

/** y = conv2d(x, weight) + bias, one invocation per output element. */
export async function conv2dForward(
  rt: GpuRuntime, x: GpuTensor, weight: GpuTensor, bias: GpuTensor | null, y: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  const params = conv2dParams(x.shape, weight.shape, y.shape, attrs, bias !== null);
  await rt.dispatch(conv2dForwardKernel, params, [x.buffer, weight.buffer, (bias ?? weight).buffer, y.buffer], grid1d(numel(y.shape), 64), conv2dForwardCost(x, weight, y, bias !== null));
}
