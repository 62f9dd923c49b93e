import kernelWgsl from '../../shaders/conv2d_small_k.wgsl?raw';
import conv2dParamsWgsl from '../../shaders/common/conv2d_params.wgsl?raw';
import type { Conv2dAttrs } from '../analysis/conv_shapes.ts';
import { numel } from '../analysis/tensor.ts';
import { conv2dForwardCost, conv2dParams, sumOverSlices } from './conv2d_forward.ts';
import type { GpuRuntime, GpuTensor, KernelDef } from './runtime.ts';
import { Conv2dParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, conv2dParamsWgsl);

/** The longest reduction (inChannels·kernelH·kernelW) the small-K kernels take. */
export const SMALL_K_MAX = 32;
/** The most output channels for which they beat the implicit GEMM (see `usesSmallK`). */
export const SMALL_K_MAX_OUT = 16;
/** Output pixels each weight-gradient invocation sums at least, before the slices are added up. */
const PIXELS_PER_INVOCATION = 16;
const MAX_SLICES = 256;

/**
 * Whether conv2d's forward and weight gradient can take the small-K kernels: groups 1, K ≤ 32
 * and at most 16 output channels. Measured on SwiftShader (loaded machine, GPU ms, GEMM vs
 * small-K, forward / weight gradient): 1→16 on [64, 1, 28, 28] 1,138 vs 681 / 1,538 vs 784;
 * 3→16 on [16, 3, 28, 28] 380 vs 245 / 459 vs 344; but 1→64 391 vs 539 / 353 vs 628 and 3→64
 * on [8, 3, 32, 32] 362 vs 462 / 247 vs 1,024: with more channels the GEMM's tiles fill up.
 */
export function usesSmallK(inChannels: number, outChannels: number, kernelH: number, kernelW: number, groups: number): boolean {
  return groups === 1 && inChannels * kernelH * kernelW <= SMALL_K_MAX && outChannels <= SMALL_K_MAX_OUT;
}

const forwardKernel: KernelDef<typeof Conv2dParams> = {
  name: 'conv2d_small_k_forward', code, entryPoint: 'forward', params: Conv2dParams,
  bindings: ['read', 'read', 'read', 'read_write'],
};

function weightGradKernel(inChannels: number, kernelH: number, kernelW: number): KernelDef<typeof Conv2dParams> {
  const k = inChannels * kernelH * kernelW;
  return {
    name: 'conv2d_small_k_weight_grad', code, entryPoint: 'weight_grad', params: Conv2dParams,
    bindings: ['read', 'read', 'read_write'],
    constants: { IN_CHANNELS: inChannels, KERNEL_H: kernelH, KERNEL_W: kernelW, GRAD_THREADS: k <= 16 ? 64 : 32 },
  };
}

/** y = conv2d(x, weight) + bias for a short K: one invocation per output pixel and 16 output channels. */
export async function conv2dSmallKForward(
  rt: GpuRuntime, x: GpuTensor, weight: GpuTensor, bias: GpuTensor | null, y: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  const [n, outChannels, oh, ow] = y.shape;
  const params = conv2dParams(x.shape, weight.shape, y.shape, attrs, bias !== null);
  await rt.dispatch(forwardKernel, params, [x.buffer, weight.buffer, (bias ?? weight).buffer, y.buffer], [Math.ceil((oh * ow) / 64), n, Math.ceil(outChannels / 16)], conv2dForwardCost(x, weight, y, bias !== null));
}

/** dL/dweight for a short K: slices of output pixels summed in registers, then across slices. */
export async function conv2dSmallKBackwardWeight(
  rt: GpuRuntime, gradY: GpuTensor, x: GpuTensor, gradWeight: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  const [outChannels, inChannels, kernelH, kernelW] = gradWeight.shape;
  const kernel = weightGradKernel(inChannels, kernelH, kernelW);
  const threads = kernel.constants!.GRAD_THREADS;
  const pixels = gradY.shape[0] * gradY.shape[2] * gradY.shape[3];
  const slices = Math.max(1, Math.min(MAX_SLICES, Math.ceil(pixels / (threads * PIXELS_PER_INVOCATION))));
  const params = conv2dParams(x.shape, gradWeight.shape, gradY.shape, attrs, false);
  await sumOverSlices(rt, gradWeight, slices, (partials) => rt.dispatch(kernel, params, [x.buffer, gradY.buffer, partials.buffer], [slices, Math.ceil(outChannels / 4), 1], {
    flops: 2 * numel(gradY.shape) * inChannels * kernelH * kernelW,
    bytesRead: 4 * (numel(gradY.shape) + numel(x.shape)),
    bytesWritten: 4 * numel(gradWeight.shape) * slices,
  }));
}
