import kernelWgsl from '../../shaders/conv2d_backward_weight.wgsl?raw';
import conv2dParamsWgsl from '../../shaders/common/conv2d_params.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import workgroupItemWgsl from '../../shaders/common/workgroup_item.wgsl?raw';
import type { Conv2dAttrs } from '../analysis/conv_shapes.ts';
import { numel } from '../analysis/tensor.ts';
import { conv2dParams } from './conv2d_forward.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { Conv2dParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, conv2dParamsWgsl, workgroupSumWgsl, workgroupItemWgsl);

export const conv2dBackwardWeightKernel: KernelDef<typeof Conv2dParams> = {
  name: 'conv2d_backward_weight', code, entryPoint: 'main', params: Conv2dParams,
  bindings: ['read', 'read', 'read_write'],
};

/** dL/dweight of conv2d: one workgroup per weight element reduces over batch and positions. */
export async function conv2dBackwardWeight(
  rt: GpuRuntime, gradY: GpuTensor, x: GpuTensor, gradWeight: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  const params = conv2dParams(x.shape, gradWeight.shape, gradY.shape, attrs, false);
  const macs = numel(gradY.shape) * (x.shape[1] / attrs.groups) * gradWeight.shape[2] * gradWeight.shape[3];
  await rt.dispatch(conv2dBackwardWeightKernel, params, [gradY.buffer, x.buffer, gradWeight.buffer], grid1d(numel(gradWeight.shape), 1), {
    flops: 2 * macs,
    bytesRead: 4 * (numel(gradY.shape) + numel(x.shape)),
    bytesWritten: 4 * numel(gradWeight.shape),
  });
}
