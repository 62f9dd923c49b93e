import kernelWgsl from '../../shaders/softmax.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import workgroupItemWgsl from '../../shaders/common/workgroup_item.wgsl?raw';
import { InputError } from '../analysis/errors.ts';
import { formatShape, numel, type Tensor } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { SoftmaxParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, workgroupSumWgsl, workgroupItemWgsl);

/** The [outer, size, inner] view of a tensor around its softmax dim. */
export interface SoftmaxView {
  outer: number;
  size: number;
  inner: number;
}

/**
 * Rows no longer than this, or this many rows and more, run one per invocation; fewer, longer
 * rows get a workgroup each. A workgroup's tree reduction waits at eight barriers, which
 * SwiftShader runs slowly: measured there back to back (GPU ms, wide vs narrow), [256, 1000]
 * 332–361 vs 39; [16, 1000] 6.6 vs 0.5. On a GPU the workgroup per row pays off for the few
 * long rows that cannot fill it otherwise, so those keep it.
 */
const NARROW_MAX = 32;
const NARROW_MIN_ROWS = 128;

const kernel = (entryPoint: string, bindings: KernelDef['bindings']): KernelDef<typeof SoftmaxParams> => ({
  name: `softmax_${entryPoint}`, code, entryPoint, params: SoftmaxParams, bindings,
});
const forwardKernels = { wide: kernel('forward_wide', ['read', 'read_write', 'read_write', 'read_write']), narrow: kernel('forward_narrow', ['read', 'read_write', 'read_write', 'read_write']) };
const backwardKernels = { wide: kernel('backward_wide', ['read', 'read', 'read_write']), narrow: kernel('backward_narrow', ['read', 'read', 'read_write']) };

/** Resolves `dim` (negative counts from the end) for a tensor of `shape`; throws naming rank and dim. */
export function softmaxView(op: string, shape: number[], dim: unknown): SoftmaxView & { dim: number } {
  const rank = shape.length;
  if (rank < 1) throw new InputError(`${op}: x must have at least one dimension, got a 0-D tensor`);
  if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new InputError(`${op}: dim must be an integer, got ${JSON.stringify(dim)}`);
  if (dim < -rank || dim >= rank) throw new InputError(`${op}: dim ${dim} is out of range for x ${formatShape(shape)} of rank ${rank} (expected ${-rank} to ${rank - 1})`);
  const d = dim < 0 ? dim + rank : dim;
  return { dim: d, outer: numel(shape.slice(0, d)), size: shape[d], inner: numel(shape.slice(d + 1)) };
}

function launch(view: SoftmaxView): { variant: 'wide' | 'narrow'; grid: [number, number, number] } {
  const rows = view.outer * view.inner;
  return view.size <= NARROW_MAX || rows >= NARROW_MIN_ROWS ? { variant: 'narrow', grid: grid1d(rows, 64) } : { variant: 'wide', grid: grid1d(rows, 1) };
}

/**
 * y = softmax (or log_softmax when `log`) of x along the view's size axis; rowMax and
 * rowSumExp (outer·inner values) receive each row's max and Σ exp(x − max). `naive` skips the max.
 */
export async function softmaxForward(
  rt: GpuRuntime, x: GpuTensor, y: GpuTensor, rowMax: GpuTensor, rowSumExp: GpuTensor, view: SoftmaxView, log: boolean, naive = false,
): Promise<void> {
  const count = numel(x.shape);
  const { variant, grid } = launch(view);
  await rt.dispatch(forwardKernels[variant], { ...view, log: log ? 1 : 0, naive: naive ? 1 : 0 }, [x.buffer, y.buffer, rowMax.buffer, rowSumExp.buffer], grid, {
    flops: 5 * count, bytesRead: 12 * count, bytesWritten: 4 * count + 8 * view.outer * view.inner,
  });
}

/** dL/dx from the saved output y: softmax y·(g − Σ g·y), log_softmax g − exp(y)·Σ g. */
export async function softmaxBackward(rt: GpuRuntime, y: GpuTensor, gradY: GpuTensor, gradX: GpuTensor, view: SoftmaxView, log: boolean): Promise<void> {
  const count = numel(y.shape);
  const { variant, grid } = launch(view);
  await rt.dispatch(backwardKernels[variant], { ...view, log: log ? 1 : 0, naive: 0 }, [y.buffer, gradY.buffer, gradX.buffer], grid, {
    flops: 4 * count, bytesRead: 16 * count, bytesWritten: 4 * count,
  });
}

/**
 * The NAIVE softmax exp(x) / Σ exp(x) (or its log, x − log Σ exp(x)) on the GPU, no max
 * subtracted, so float32 overflows to inf/NaN for large logits: for showing why the stable form
 * exists. Uploads `x`, runs one dispatch, reads the result back and frees everything.
 */
export async function runNaiveSoftmax(rt: GpuRuntime, x: Tensor, dim: number, log = false): Promise<Tensor<Float32Array>> {
  const view = softmaxView(log ? 'log_softmax' : 'softmax', x.shape, dim);
  const rows = [view.outer * view.inner];
  const input = rt.tensor('softmax_naive.x', x.shape, 'float32', x.data);
  const output = rt.tensor('softmax_naive.output', x.shape);
  const rowMax = rt.tensor('softmax_naive.max', rows);
  const rowSum = rt.tensor('softmax_naive.sum_exp', rows);
  try {
    await softmaxForward(rt, input, output, rowMax, rowSum, view, log, true);
    return { shape: [...x.shape], data: await rt.readFloat(output) };
  } finally {
    rt.release(input, output, rowMax, rowSum);
  }
}
