import kernelWgsl from '../../shaders/conv2d_backward_input.wgsl?raw';
import conv2dParamsWgsl from '../../shaders/common/conv2d_params.wgsl?raw';
import type { Conv2dAttrs } from '../analysis/conv_shapes.ts';
import { numel } from '../analysis/tensor.ts';
import { conv2dParams } from './conv2d_forward.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { Conv2dParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, conv2dParamsWgsl);

export const conv2dBackwardInputKernel: KernelDef<typeof Conv2dParams> = {
  name: 'conv2d_backward_input', code, entryPoint: 'main', params: Conv2dParams,
  bindings: ['read', 'read', 'read_write'],
};

/** dL/dx of conv2d: one invocation per input element gathers the outputs that used it. */
export async function conv2dBackwardInput(
  rt: GpuRuntime, gradY: GpuTensor, weight: GpuTensor, gradX: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  const params = conv2dParams(gradX.shape, weight.shape, gradY.shape, attrs, false);
  const macs = numel(gradY.shape) * (gradX.shape[1] / attrs.groups) * weight.shape[2] * weight.shape[3];
  await rt.dispatch(conv2dBackwardInputKernel, params, [gradY.buffer, weight.buffer, gradX.buffer], grid1d(numel(gradX.shape), 64), {
    flops: 2 * macs,
    bytesRead: 4 * (numel(gradY.shape) + numel(weight.shape)),
    bytesWritten: 4 * numel(gradX.shape),
  });
}
