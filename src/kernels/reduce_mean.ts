import code from '../../shaders/reduce_mean.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { ReduceMeanParams } from './schemas.ts';
import { compactView, contiguousStrides, stridedGather } from './strided_copy.ts';

const reduceMeanKernel: KernelDef<typeof ReduceMeanParams> = {
  name: 'reduce_mean', code, entryPoint: 'main', params: ReduceMeanParams, bindings: ['read', 'read_write'],
};

/** The kept and reduced dimensions of a contiguous shape, each as its sizes and strides. */
function split(shape: number[], dims: number[]) {
  const strides = contiguousStrides(shape);
  const kept = shape.map((_, k) => k).filter((k) => !dims.includes(k));
  return {
    keep: compactView(kept.map((k) => shape[k]), kept.map((k) => strides[k]), 4),
    reduce: compactView(dims.map((k) => shape[k]), dims.map((k) => strides[k]), 4),
  };
}

/** output = x.mean(dims) for a contiguous x (output holds the kept dimensions in order). */
export async function reduceMean(rt: GpuRuntime, x: GpuTensor, output: GpuTensor, dims: number[]): Promise<void> {
  const { keep, reduce } = split(x.shape, dims);
  const count = numel(keep.sizes);
  const reduced = numel(reduce.sizes);
  await rt.dispatch(reduceMeanKernel, {
    count, reduced, scale: 1 / reduced,
    keep1: keep.sizes[1], keep2: keep.sizes[2], keep3: keep.sizes[3],
    kstride0: keep.strides[0], kstride1: keep.strides[1], kstride2: keep.strides[2], kstride3: keep.strides[3],
    red1: reduce.sizes[1], red2: reduce.sizes[2], red3: reduce.sizes[3],
    rstride0: reduce.strides[0], rstride1: reduce.strides[1], rstride2: reduce.strides[2], rstride3: reduce.strides[3],
  }, [x.buffer, output.buffer], grid1d(count, 64), { flops: count * reduced, bytesRead: 4 * count * reduced, bytesWritten: 4 * count });
}

/** gradX = broadcast of gradOutput over the reduced dims, divided by their size (x.mean's backward). */
export async function reduceMeanBackward(rt: GpuRuntime, gradOutput: GpuTensor, gradX: GpuTensor, dims: number[]): Promise<void> {
  const shape = gradX.shape;
  const kept = shape.map((_, k) => k).filter((k) => !dims.includes(k));
  const gStrides = contiguousStrides(kept.map((k) => shape[k]));
  const strides = shape.map((_, k) => (dims.includes(k) ? 0 : gStrides[kept.indexOf(k)]));
  await stridedGather(rt, gradOutput, gradX, { sizes: shape, strides, offset: 0 }, 1 / numel(dims.map((k) => shape[k])));
}
