import kernelWgsl from '../../shaders/conv2d_blocked.wgsl?raw';
import conv2dParamsWgsl from '../../shaders/common/conv2d_params.wgsl?raw';
import slideRowsWgsl from '../../shaders/common/slide_rows.wgsl?raw';
import type { Conv2dAttrs } from '../analysis/conv_shapes.ts';
import { numel } from '../analysis/tensor.ts';
import { conv2dForwardCost, conv2dParams, sumOverSlices } from './conv2d_forward.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { KernelError } from './errors.ts';
import { stridedScatter } from './strided_copy.ts';
import { Conv2dParams } from './schemas.ts';
import type { KernelCost } from './profiler.ts';
import type { ParamsOf } from './uniform.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, conv2dParamsWgsl, slideRowsWgsl);

/** Most kernel taps (kh·kw) the blocked weight gradient keeps in registers. */
export const BLOCKED_WEIGHT_GRAD_MAX_TAPS = 9;
/** Output pixels each weight-gradient invocation sums at least before the slices are added up. */
const MIN_PIXELS_PER_SLICE = 196;
/** Weight-gradient invocations worth having in flight: below this the rows are split into slices. */
const TARGET_INVOCATIONS = 4096;
const MAX_SLICES = 256;

function correlationKernel(name: string, entryPoint: string, mode: number, weightShape: number[], attrs: Conv2dAttrs, relu = false): KernelDef<typeof Conv2dParams> {
  const slide = weightShape[3] === 3 && attrs.dilation[1] === 1 && (mode === 1 || attrs.stride[1] === 1);
  return {
    name, code, entryPoint, params: Conv2dParams, bindings: entryPoint === 'pack_weights' ? ['read', 'read_write'] : ['read', 'read', 'read', 'read_write'],
    constants: { MODE: mode, SLIDE3: slide ? 1 : 0, RELU: relu ? 1 : 0 },
  };
}

/**
 * The weight packed as vec4s of 4 destination channels per (group, source channel, tap, block
 * of 4), for MODE 0 (forward: destination = output channels) or 1 (input gradient: the flipped,
 * transposed weight). The caller releases it after submit.
 */
export async function packConvWeights(
  rt: GpuRuntime, mode: number, weight: GpuTensor, srcChannels: number, dstChannels: number, params: ParamsOf<typeof Conv2dParams>, attrs: Conv2dAttrs,
): Promise<GpuTensor> {
  const blocks = Math.ceil(dstChannels / attrs.groups / 4);
  const packedCount = srcChannels * weight.shape[2] * weight.shape[3] * blocks;
  const packed = rt.tensor('conv2d.weight packed', [packedCount, 4]);
  await rt.dispatch(correlationKernel('conv2d_blocked_pack_weights', 'pack_weights', mode, weight.shape, attrs), params, [weight.buffer, packed.buffer], grid1d(packedCount, 64), {
    flops: 0, bytesRead: 4 * numel(weight.shape), bytesWritten: 16 * packedCount,
  });
  return packed;
}

/** Whether a pass runs `main_rows2`: a 3×3 kernel sliding at stride 1 and dilation 1 over rows and columns. */
function twoRowsApply(mode: number, weightShape: number[], attrs: Conv2dAttrs): boolean {
  return weightShape[2] === 3 && weightShape[3] === 3 && attrs.dilation.every((d) => d === 1) && (mode === 1 || attrs.stride.every((s) => s === 1));
}

/**
 * Runs one correlation pass: packs the weight as vec4s of 4 destination channels (`dstPerGroup`
 * of them per group), then computes `dst` from `src` in register blocks of 2 rows × 8 pixels ×
 * 4 channels (3×3 at stride 1) or 8 pixels × 8 channels.
 */
async function correlate(
  rt: GpuRuntime, mode: number, name: string, src: GpuTensor, weight: GpuTensor, bias: GpuTensor | null, dst: GpuTensor,
  params: ParamsOf<typeof Conv2dParams>, attrs: Conv2dAttrs, cost: KernelCost, relu = false,
): Promise<void> {
  const blocks = Math.ceil(dst.shape[1] / attrs.groups / 4);
  const packed = await packConvWeights(rt, mode, weight, src.shape[1], dst.shape[1], params, attrs);
  const [n, , h, w] = dst.shape;
  const rows2 = twoRowsApply(mode, weight.shape, attrs);
  const [x, y] = grid1d(n * (rows2 ? Math.ceil(h / 2) : h) * Math.ceil(w / 8), 64);
  const z = attrs.groups * (rows2 ? blocks : Math.ceil(blocks / 2));
  await rt.dispatch(correlationKernel(name, rows2 ? 'main_rows2' : 'main', mode, weight.shape, attrs, relu), params, [src.buffer, packed.buffer, (bias ?? weight).buffer, dst.buffer], [x, y, z], cost);
  rt.releaseAfterSubmit(packed);
}

/**
 * y = conv2d(x, weight) + bias with a register block of 8 pixels × 8 output channels per
 * invocation and no workgroup memory; with `relu`, y = ReLU(conv2d(x, weight) + bias) in the
 * same dispatch (kernel `conv2d_blocked_forward_relu`).
 */
export async function conv2dBlockedForward(
  rt: GpuRuntime, x: GpuTensor, weight: GpuTensor, bias: GpuTensor | null, y: GpuTensor, attrs: Conv2dAttrs, relu = false,
): Promise<void> {
  const params = conv2dParams(x.shape, weight.shape, y.shape, attrs, bias !== null);
  const cost = conv2dForwardCost(x, weight, y, bias !== null);
  if (relu) cost.flops += numel(y.shape);
  await correlate(rt, 0, relu ? 'conv2d_blocked_forward_relu' : 'conv2d_blocked_forward', x, weight, bias, y, params, attrs, cost, relu);
}

/** Largest stride the blocked input gradient takes: it runs a stride-s conv's as a stride-1 one on gradY spread s apart, s² times the multiply-adds. */
export const BLOCKED_INPUT_GRAD_MAX_STRIDE = 2;

/** Whether the blocked input gradient applies (stride at most BLOCKED_INPUT_GRAD_MAX_STRIDE). */
export function blockedInputGradApplies(attrs: Conv2dAttrs): boolean {
  return attrs.stride.every((s) => s <= BLOCKED_INPUT_GRAD_MAX_STRIDE);
}

/** Writes source [n, c, oh, ow] into every (sh, sw)-th pixel of destination [n, c, h, w], from the first; the other pixels keep their values. */
function spreadPixels(rt: GpuRuntime, source: GpuTensor, destination: GpuTensor, [sh, sw]: [number, number]): Promise<void> {
  const [n, c, oh, ow] = source.shape;
  const [, , h, w] = destination.shape;
  return stridedScatter(rt, source, destination, { sizes: [n, c, oh, ow], strides: [c * h * w, h * w, sh * w, sw], offset: 0 });
}

/**
 * dL/dx: gradY correlated with the flipped, transposed weight as a stride-1 pass, 8 pixels × 8
 * input channels (or 2 rows × 8 pixels × 4 for 3×3) per invocation. A strided conv's gradY is
 * first spread into a zero tensor, s apart, the size of the stride-1 conv's output (the
 * transposed conv's zero insertion): 3/4 of its multiply-adds are by zero at stride 2, but on
 * SwiftShader the blocked pass still beats the implicit GEMM (see README "Training step"). A
 * 1×1 kernel without padding needs no spreading: its stride-1 pass over gradY is dx at every
 * s-th pixel, zeros elsewhere.
 */
export async function conv2dBlockedBackwardInput(
  rt: GpuRuntime, gradY: GpuTensor, weight: GpuTensor, gradX: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  if (!blockedInputGradApplies(attrs)) throw new KernelError(`conv2d_blocked_backward_input: stride must be at most ${BLOCKED_INPUT_GRAD_MAX_STRIDE}, got ${attrs.stride.join('×')}`);
  const strided = attrs.stride[0] > 1 || attrs.stride[1] > 1;
  const unit: Conv2dAttrs = { ...attrs, stride: [1, 1] };
  const [n, c, oh, ow] = gradY.shape;
  const [, inChannels, h, w] = gradX.shape;
  if (strided && weight.shape[2] === 1 && weight.shape[3] === 1 && attrs.padTop + attrs.padLeft + attrs.padBottom + attrs.padRight === 0) {
    // A 1×1 kernel without padding: dx is the stride-1 pass over gradY itself, placed s apart, zeros between.
    const compact = rt.tensor('conv2d.grad.x (strided pixels)', [n, inChannels, oh, ow]);
    await conv2dBlockedBackwardInput(rt, gradY, weight, compact, unit);
    rt.clear(gradX);
    await spreadPixels(rt, compact, gradX, attrs.stride);
    rt.releaseAfterSubmit(compact);
    return;
  }
  let spread = gradY;
  if (strided) {
    const height = h + attrs.padTop + attrs.padBottom - attrs.dilation[0] * (weight.shape[2] - 1);
    const width = w + attrs.padLeft + attrs.padRight - attrs.dilation[1] * (weight.shape[3] - 1);
    spread = rt.tensor('conv2d.grad.output spread (stride 1)', [n, c, height, width]);
    await spreadPixels(rt, gradY, spread, attrs.stride);
  }
  const params = conv2dParams(gradX.shape, weight.shape, spread.shape, unit, false);
  await correlate(rt, 1, 'conv2d_blocked_backward_input', spread, weight, null, gradX, params, unit, {
    flops: 2 * numel(spread.shape) * weight.shape[1] * weight.shape[2] * weight.shape[3],
    bytesRead: 4 * (numel(spread.shape) + numel(weight.shape)),
    bytesWritten: 4 * numel(gradX.shape),
  });
  if (spread !== gradY) rt.releaseAfterSubmit(spread);
}

/**
 * Output rows per slice of the blocked weight gradient's sum: enough slices that about
 * TARGET_INVOCATIONS invocations run (each owns 8 output channels × 1 input channel), at least
 * MIN_PIXELS_PER_SLICE pixels per slice and at most MAX_SLICES slices.
 */
export function blockedWeightGradRowsPerSlice(outShape: number[], weightShape: number[], groups: number): number {
  const [batch, , outHeight, outWidth] = outShape;
  const rows = batch * outHeight;
  const perSlice = groups * weightShape[1] * Math.ceil(weightShape[0] / groups / 8);
  const slices = Math.min(MAX_SLICES, Math.ceil(TARGET_INVOCATIONS / perSlice));
  return Math.min(rows, Math.max(Math.ceil(MIN_PIXELS_PER_SLICE / outWidth), Math.ceil(rows / slices)));
}

/**
 * dL/dweight for kernels of at most 9 taps: one invocation per (slice of output rows, 8 output
 * channels, input channel) sums its taps in registers; channel_sum adds the
 * slices. With `gradBias` the same pass also sums dL/dbias (gradY per output channel), as the
 * tail of each slice.
 */
export async function conv2dBlockedBackwardWeight(
  rt: GpuRuntime, gradY: GpuTensor, x: GpuTensor, gradWeight: GpuTensor, attrs: Conv2dAttrs, gradBias: GpuTensor | null = null,
): Promise<void> {
  const [outChannels, inPerGroup, kernelH, kernelW] = gradWeight.shape;
  if (kernelH * kernelW > BLOCKED_WEIGHT_GRAD_MAX_TAPS) {
    throw new KernelError(`conv2d_blocked_weight_grad: a ${kernelH}×${kernelW} kernel has more than ${BLOCKED_WEIGHT_GRAD_MAX_TAPS} taps`);
  }
  const slide = kernelW === 3 && attrs.stride[0] === 1 && attrs.stride[1] === 1 && attrs.dilation[0] === 1 && attrs.dilation[1] === 1;
  const rowsPerSlice = blockedWeightGradRowsPerSlice(gradY.shape, gradWeight.shape, attrs.groups);
  const slices = Math.ceil((gradY.shape[0] * gradY.shape[2]) / rowsPerSlice);
  const kernel: KernelDef<typeof Conv2dParams> = {
    name: 'conv2d_blocked_weight_grad', code, entryPoint: 'weight_grad', params: Conv2dParams,
    bindings: ['read', 'read', 'read_write'],
    constants: { KERNEL_H: kernelH, KERNEL_W: kernelW, ROWS_PER_SLICE: rowsPerSlice, SLIDE3: slide ? 1 : 0, BIAS_SUMS: gradBias ? 1 : 0 },
  };
  const weights = numel(gradWeight.shape);
  const sliceSize = weights + (gradBias ? outChannels : 0);
  const [gx, gy] = grid1d(slices * inPerGroup, 64);
  const dispatch = (target: GpuTensor) => rt.dispatch(kernel, conv2dParams(x.shape, gradWeight.shape, gradY.shape, attrs, false), [x.buffer, gradY.buffer, target.buffer], [gx, gy, attrs.groups * Math.ceil(outChannels / attrs.groups / 8)], {
    flops: 2 * numel(gradY.shape) * inPerGroup * kernelH * kernelW + (gradBias ? numel(gradY.shape) : 0),
    bytesRead: 4 * (numel(gradY.shape) + numel(x.shape)),
    bytesWritten: 4 * sliceSize * slices,
  });
  if (!gradBias) {
    await sumOverSlices(rt, gradWeight, slices, dispatch);
    return;
  }
  const sums = rt.tensor('conv2d.grad.weight and bias', [sliceSize]);
  await sumOverSlices(rt, sums, slices, dispatch);
  rt.copy(sums.buffer, gradWeight.buffer, 4 * weights);
  rt.copy(sums.buffer, gradBias.buffer, 4 * outChannels, 4 * weights);
  rt.releaseAfterSubmit(sums);
}
