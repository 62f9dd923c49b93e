import code from '../../shaders/strided_copy.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { KernelError } from './errors.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { StridedCopyParams } from './schemas.ts';

const gatherKernel: KernelDef<typeof StridedCopyParams> = {
  name: 'strided_gather', code, entryPoint: 'gather', params: StridedCopyParams, bindings: ['read', 'read_write'],
};
const scatterKernel: KernelDef<typeof StridedCopyParams> = {
  name: 'strided_scatter', code, entryPoint: 'scatter', params: StridedCopyParams, bindings: ['read', 'read_write'],
};

/** A strided view of a buffer: sizes walked row-major, element strides (any sign, 0 to broadcast), an element offset. */
export interface StridedView {
  sizes: number[];
  strides: number[];
  offset: number;
}

/** Row-major element strides of a contiguous shape. */
export function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let k = shape.length - 2; k >= 0; k--) strides[k] = strides[k + 1] * shape[k + 1];
  return strides;
}

/**
 * The view as at most `rank` dimensions (size-1 dimensions dropped, adjacent ones merged where
 * they walk memory contiguously), padded in front with size 1.
 */
export function compactView(sizes: number[], strides: number[], rank: number): { sizes: number[]; strides: number[] } {
  const s: number[] = [];
  const t: number[] = [];
  sizes.forEach((size, k) => {
    if (size === 1) return;
    const last = s.length - 1;
    if (last >= 0 && t[last] === size * strides[k]) {
      s[last] *= size;
      t[last] = strides[k];
    } else {
      s.push(size);
      t.push(strides[k]);
    }
  });
  if (s.length > rank) throw new KernelError(`strided view [${sizes.join(', ')}] with strides [${strides.join(', ')}] needs ${s.length} dimensions, the kernel walks ${rank}`);
  while (s.length < rank) {
    s.unshift(1);
    t.unshift(0);
  }
  return { sizes: s, strides: t };
}

async function stridedCopy(kernel: KernelDef<typeof StridedCopyParams>, rt: GpuRuntime, source: GpuTensor, destination: GpuTensor, view: StridedView, scale: number): Promise<void> {
  const count = numel(view.sizes);
  const { sizes, strides } = compactView(view.sizes, view.strides, 6);
  await rt.dispatch(kernel, {
    count, offset: view.offset, scale, size1: sizes[1], size2: sizes[2], size3: sizes[3], size4: sizes[4], size5: sizes[5],
    stride0: strides[0], stride1: strides[1], stride2: strides[2], stride3: strides[3], stride4: strides[4], stride5: strides[5],
  }, [source.buffer, destination.buffer], grid1d(count, 64), { flops: scale === 1 ? 0 : count, bytesRead: 4 * count, bytesWritten: 4 * count });
}

/** destination[i] = scale · source[view(i)]: destination is the view made contiguous. */
export function stridedGather(rt: GpuRuntime, source: GpuTensor, destination: GpuTensor, view: StridedView, scale = 1): Promise<void> {
  return stridedCopy(gatherKernel, rt, source, destination, view, scale);
}

/** destination[view(i)] = scale · source[i]: the inverse of a gather; the view must not repeat an element. */
export function stridedScatter(rt: GpuRuntime, source: GpuTensor, destination: GpuTensor, view: StridedView, scale = 1): Promise<void> {
  return stridedCopy(scatterKernel, rt, source, destination, view, scale);
}
