import code from '../../shaders/add.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { ElementwiseParams } from './schemas.ts';

export const addKernel: KernelDef<typeof ElementwiseParams> = {
  name: 'add', code, entryPoint: 'forward', params: ElementwiseParams,
  bindings: ['read', 'read', 'read_write'],
};

export const accumulateKernel: KernelDef<typeof ElementwiseParams> = {
  name: 'accumulate', code, entryPoint: 'accumulate', params: ElementwiseParams,
  bindings: ['read', 'read_write'],
};

/** sum = a + b for two tensors of the same number of elements. */
export async function addTensors(rt: GpuRuntime, a: GpuTensor, b: GpuTensor, sum: GpuTensor): Promise<void> {
  const count = numel(a.shape);
  await rt.dispatch(addKernel, { count }, [a.buffer, b.buffer, sum.buffer], grid1d(count, 64), {
    flops: count, bytesRead: 8 * count, bytesWritten: 4 * count,
  });
}

/** acc += addend, in place. */
export async function accumulate(rt: GpuRuntime, addend: GpuTensor, acc: GpuTensor): Promise<void> {
  const count = numel(acc.shape);
  await rt.dispatch(accumulateKernel, { count }, [addend.buffer, acc.buffer], grid1d(count, 64), {
    flops: count, bytesRead: 8 * count, bytesWritten: 4 * count,
  });
}
