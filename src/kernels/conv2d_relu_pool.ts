import kernelWgsl from '../../shaders/conv2d_relu_pool.wgsl?raw';
import conv2dParamsWgsl from '../../shaders/common/conv2d_params.wgsl?raw';
import slideRowsWgsl from '../../shaders/common/slide_rows.wgsl?raw';
import type { Conv2dAttrs, Pool2dAttrs } from '../analysis/conv_shapes.ts';
import { numel } from '../analysis/tensor.ts';
import { packConvWeights } from './conv2d_blocked.ts';
import { conv2dForwardCost, conv2dParams } from './conv2d_forward.ts';
import { composeWgsl } from './compose_wgsl.ts';
import { KernelError } from './errors.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { Conv2dParams } from './schemas.ts';

const kernel: KernelDef<typeof Conv2dParams> = {
  name: 'conv2d_relu_pool', code: composeWgsl(kernelWgsl, conv2dParamsWgsl, slideRowsWgsl), entryPoint: 'main', params: Conv2dParams,
  bindings: ['read', 'read', 'read', 'read_write', 'read_write'],
};

/**
 * Whether conv2d → ReLU → max_pool2d can run as `conv2dReluPool`: a 3×3 conv with stride 1 and
 * dilation 1, and 2×2 windows with stride 2, no padding, dilation 1 and floor rounding.
 */
export function convReluPoolApplies(weightShape: number[], conv: Conv2dAttrs, pool: Pool2dAttrs): boolean {
  const [kh, kw] = weightShape.slice(2);
  return kh === 3 && kw === 3 && conv.stride.every((s) => s === 1) && conv.dilation.every((d) => d === 1)
    && pool.kernel.every((k) => k === 2) && pool.stride.every((s) => s === 2) && pool.padding.every((p) => p === 0)
    && pool.dilation.every((d) => d === 1) && !pool.ceilMode;
}

/**
 * pooled = max_pool2d(ReLU(conv2d(x, weight) + bias), 2) in one dispatch (after packing the
 * weight). `winners` [N, C, H/2, W/2] gets, per pooled element, the flat index in the conv
 * output's plane of its window's first maximum, or −1 where that maximum is not positive: with
 * them maxPool2dBackward returns ∂L/∂ the conv's output through both the pool and the ReLU.
 * The conv output [N, C, H, W] is never written.
 */
export async function conv2dReluPool(
  rt: GpuRuntime, x: GpuTensor, weight: GpuTensor, bias: GpuTensor | null, convShape: number[], pooled: GpuTensor, winners: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  if (weight.shape[2] !== 3 || weight.shape[3] !== 3) throw new KernelError(`conv2d_relu_pool: needs a 3×3 kernel, got ${weight.shape[2]}×${weight.shape[3]}`);
  const params = conv2dParams(x.shape, weight.shape, convShape, attrs, bias !== null);
  const packed = await packConvWeights(rt, 0, weight, x.shape[1], convShape[1], params, attrs);
  const [n, , ph, pw] = pooled.shape;
  const blocks = Math.ceil(convShape[1] / attrs.groups / 4);
  const [gx, gy] = grid1d(n * ph * Math.ceil(pw / 4), 64);
  const convCost = conv2dForwardCost(x, weight, { ...pooled, shape: convShape }, bias !== null);
  const convElements = numel(convShape);
  await rt.dispatch(kernel, params, [x.buffer, packed.buffer, (bias ?? weight).buffer, pooled.buffer, winners.buffer], [gx, gy, attrs.groups * blocks], {
    flops: convCost.flops + 2 * convElements,
    bytesRead: convCost.bytesRead,
    bytesWritten: 8 * numel(pooled.shape),
  });
  rt.releaseAfterSubmit(packed);
}
