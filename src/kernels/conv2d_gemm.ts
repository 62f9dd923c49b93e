import code from '../../shaders/conv2d_gemm.wgsl?raw';
import type { Conv2dAttrs } from '../analysis/conv_shapes.ts';
import { numel } from '../analysis/tensor.ts';
import { conv2dParams } from './conv2d_forward.ts';
import type { GpuRuntime, GpuTensor, KernelDef } from './runtime.ts';
import { Conv2dParams } from './schemas.ts';

const TILE = 64;

function gemmKernel(name: string, mode: number): KernelDef<typeof Conv2dParams> {
  return { name, code, entryPoint: 'main', params: Conv2dParams, bindings: ['read', 'read', 'read', 'read_write'], constants: { MODE: mode } };
}

export const conv2dGemmForwardKernel = gemmKernel('conv2d_gemm_forward', 0);
export const conv2dGemmInputGradKernel = gemmKernel('conv2d_gemm_backward_input', 1);
export const conv2dGemmWeightGradKernel = gemmKernel('conv2d_gemm_backward_weight', 2);

/** Workgroups for an M×N GEMM per group: 64×64 tiles, groups on z. */
function tiles(m: number, n: number, groups: number): [number, number, number] {
  return [Math.ceil(m / TILE), Math.ceil(n / TILE), groups];
}

/** y = conv2d(x, weight) + bias as a tiled implicit GEMM (M = N·OH·OW, N = out/groups, K = in/groups·kh·kw). */
export async function conv2dGemmForward(
  rt: GpuRuntime, x: GpuTensor, weight: GpuTensor, bias: GpuTensor | null, y: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  const [n, , oh, ow] = y.shape;
  const outPerGroup = weight.shape[0] / attrs.groups;
  const k = weight.shape[1] * weight.shape[2] * weight.shape[3];
  const params = conv2dParams(x.shape, weight.shape, y.shape, attrs, bias !== null);
  await rt.dispatch(conv2dGemmForwardKernel, params, [x.buffer, weight.buffer, (bias ?? weight).buffer, y.buffer], tiles(n * oh * ow, outPerGroup, attrs.groups), {
    flops: 2 * numel(y.shape) * k + (bias ? numel(y.shape) : 0),
    bytesRead: 4 * (numel(x.shape) + numel(weight.shape)),
    bytesWritten: 4 * numel(y.shape),
  });
}

/** dL/dx as an implicit GEMM (M = N·H·W, N = in/groups, K = out/groups·kh·kw). */
export async function conv2dGemmBackwardInput(
  rt: GpuRuntime, gradY: GpuTensor, weight: GpuTensor, gradX: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  const [n, , h, w] = gradX.shape;
  const inPerGroup = weight.shape[1];
  const params = conv2dParams(gradX.shape, weight.shape, gradY.shape, attrs, false);
  await rt.dispatch(conv2dGemmInputGradKernel, params, [gradY.buffer, weight.buffer, weight.buffer, gradX.buffer], tiles(n * h * w, inPerGroup, attrs.groups), {
    flops: 2 * numel(gradY.shape) * inPerGroup * weight.shape[2] * weight.shape[3],
    bytesRead: 4 * (numel(gradY.shape) + numel(weight.shape)),
    bytesWritten: 4 * numel(gradX.shape),
  });
}

/** dL/dweight as an implicit GEMM (M = out/groups, N = in/groups·kh·kw, K = N·OH·OW). */
export async function conv2dGemmBackwardWeight(
  rt: GpuRuntime, gradY: GpuTensor, x: GpuTensor, gradWeight: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  const outPerGroup = gradWeight.shape[0] / attrs.groups;
  const cols = gradWeight.shape[1] * gradWeight.shape[2] * gradWeight.shape[3];
  const params = conv2dParams(x.shape, gradWeight.shape, gradY.shape, attrs, false);
  await rt.dispatch(conv2dGemmWeightGradKernel, params, [gradY.buffer, x.buffer, x.buffer, gradWeight.buffer], tiles(outPerGroup, cols, attrs.groups), {
    flops: 2 * numel(gradY.shape) * cols,
    bytesRead: 4 * (numel(gradY.shape) + numel(x.shape)),
    bytesWritten: 4 * numel(gradWeight.shape),
  });
}
