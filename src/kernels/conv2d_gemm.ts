import kernelWgsl from '../../shaders/conv2d_gemm.wgsl?raw';
import conv2dParamsWgsl from '../../shaders/common/conv2d_params.wgsl?raw';
import registerBlockWgsl from '../../shaders/common/register_block.wgsl?raw';
import type { Conv2dAttrs } from '../analysis/conv_shapes.ts';
import { numel } from '../analysis/tensor.ts';
import { conv2dForwardCost, conv2dParams, sumOverSlices } from './conv2d_forward.ts';
import type { GpuRuntime, GpuTensor, KernelDef } from './runtime.ts';
import { Conv2dParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, conv2dParamsWgsl, registerBlockWgsl);

/** Tile shapes (rows × columns of C per workgroup, 8×8 per invocation, 64 invocations). */
const TILE_SHAPES: [number, number][] = [[64, 64], [128, 32], [256, 16], [32, 128], [16, 256]];
/** Below this many tiles a long K is split across workgroups (the weight gradient), so every core gets work. */
const SPLIT_BELOW_TILES = 32;
const MIN_K_PER_SPLIT = 512;
const MAX_SPLITS = 64;

/** The tile shape with the least padded work for an M×N product (64×64 on a tie). */
export function gemmTile(m: number, n: number): [number, number] {
  let best = TILE_SHAPES[0];
  let bestWork = Infinity;
  for (const [tm, tn] of TILE_SHAPES) {
    const work = Math.ceil(m / tm) * tm * Math.ceil(n / tn) * tn;
    if (work < bestWork) [best, bestWork] = [[tm, tn], work];
  }
  return best;
}

/** K slices of the weight gradient: one unless C has few tiles and K is long. */
export function weightGradSplits(m: number, n: number, k: number, groups: number): number {
  const [tm, tn] = gemmTile(m, n);
  const tiles = Math.ceil(m / tm) * Math.ceil(n / tn) * groups;
  if (tiles >= SPLIT_BELOW_TILES) return 1;
  return Math.max(1, Math.min(MAX_SPLITS, Math.ceil((2 * SPLIT_BELOW_TILES) / tiles), Math.floor(k / MIN_K_PER_SPLIT)));
}

function gemmKernel(name: string, mode: number, m: number, n: number, relu = false): KernelDef<typeof Conv2dParams> {
  const [tm, tn] = gemmTile(m, n);
  return { name, code, entryPoint: 'main', params: Conv2dParams, bindings: ['read', 'read', 'read', 'read_write'], constants: { MODE: mode, RELU: relu ? 1 : 0, TILE_M: tm, TILE_N: tn } };
}

/** Workgroups for an M×N GEMM per group and K slice (slices·groups on z). */
function tiles(kernel: KernelDef<typeof Conv2dParams>, m: number, n: number, z: number): [number, number, number] {
  return [Math.ceil(m / kernel.constants!.TILE_M), Math.ceil(n / kernel.constants!.TILE_N), z];
}

/**
 * y = conv2d(x, weight) + bias as a tiled implicit GEMM (M = N·OH·OW, N = out/groups, K =
 * in/groups·kh·kw). With `relu` the epilogue also applies ReLU: y = ReLU(conv2d(x, weight) + bias)
 * in the same dispatch (kernel `conv2d_gemm_forward_relu`).
 */
export async function conv2dGemmForward(
  rt: GpuRuntime, x: GpuTensor, weight: GpuTensor, bias: GpuTensor | null, y: GpuTensor, attrs: Conv2dAttrs, relu = false,
): Promise<void> {
  const [n, , oh, ow] = y.shape;
  const outPerGroup = weight.shape[0] / attrs.groups;
  const params = conv2dParams(x.shape, weight.shape, y.shape, attrs, bias !== null);
  const kernel = gemmKernel(relu ? 'conv2d_gemm_forward_relu' : 'conv2d_gemm_forward', 0, n * oh * ow, outPerGroup, relu);
  const cost = conv2dForwardCost(x, weight, y, bias !== null);
  if (relu) cost.flops += numel(y.shape);
  await rt.dispatch(kernel, params, [x.buffer, weight.buffer, (bias ?? weight).buffer, y.buffer], tiles(kernel, n * oh * ow, outPerGroup, attrs.groups), cost);
}

/** dL/dx as an implicit GEMM (M = N·H·W, N = in/groups, K = out/groups·kh·kw). */
export async function conv2dGemmBackwardInput(
  rt: GpuRuntime, gradY: GpuTensor, weight: GpuTensor, gradX: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  const [n, , h, w] = gradX.shape;
  const inPerGroup = weight.shape[1];
  const params = conv2dParams(gradX.shape, weight.shape, gradY.shape, attrs, false);
  const kernel = gemmKernel('conv2d_gemm_backward_input', 1, n * h * w, inPerGroup);
  await rt.dispatch(kernel, params, [gradY.buffer, weight.buffer, weight.buffer, gradX.buffer], tiles(kernel, n * h * w, inPerGroup, attrs.groups), {
    flops: 2 * numel(gradY.shape) * inPerGroup * weight.shape[2] * weight.shape[3],
    bytesRead: 4 * (numel(gradY.shape) + numel(weight.shape)),
    bytesWritten: 4 * numel(gradX.shape),
  });
}

/**
 * dL/dweight as an implicit GEMM (M = out/groups, N = in/groups·kh·kw, K = N·OH·OW). A small
 * weight with a long K is split along K into partial sums, then summed per weight.
 */
export async function conv2dGemmBackwardWeight(
  rt: GpuRuntime, gradY: GpuTensor, x: GpuTensor, gradWeight: GpuTensor, attrs: Conv2dAttrs,
): Promise<void> {
  const outPerGroup = gradWeight.shape[0] / attrs.groups;
  const cols = gradWeight.shape[1] * gradWeight.shape[2] * gradWeight.shape[3];
  const k = gradY.shape[0] * gradY.shape[2] * gradY.shape[3];
  const splits = weightGradSplits(outPerGroup, cols, k, attrs.groups);
  const params = conv2dParams(x.shape, gradWeight.shape, gradY.shape, attrs, false);
  const kernel = gemmKernel('conv2d_gemm_backward_weight', 2, outPerGroup, cols);
  await sumOverSlices(rt, gradWeight, splits, (target) => rt.dispatch(kernel, params, [gradY.buffer, x.buffer, x.buffer, target.buffer], tiles(kernel, outPerGroup, cols, attrs.groups * splits), {
    flops: 2 * numel(gradY.shape) * cols,
    bytesRead: 4 * (numel(gradY.shape) + numel(x.shape)),
    bytesWritten: 4 * numel(gradWeight.shape) * splits,
  }));
}
