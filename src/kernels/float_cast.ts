import code from '../../shaders/float_cast.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { ElementwiseParams } from './schemas.ts';

/** The reduced float formats simulated by a float32 round trip. */
export type FloatFormat = 'float16' | 'bfloat16';

const kernels: Record<FloatFormat, KernelDef<typeof ElementwiseParams>> = {
  float16: { name: 'float_cast_to_float16', code, entryPoint: 'to_float16', params: ElementwiseParams, bindings: ['read', 'read_write'] },
  bfloat16: { name: 'float_cast_to_bfloat16', code, entryPoint: 'to_bfloat16', params: ElementwiseParams, bindings: ['read', 'read_write'] },
};

/** y = x rounded to `format` and back to float32 (round to nearest even, bit manipulation; the only path, no shader-f16). */
export async function floatRoundTrip(rt: GpuRuntime, format: FloatFormat, x: GpuTensor, y: GpuTensor): Promise<void> {
  const count = numel(x.shape);
  await rt.dispatch(kernels[format], { count }, [x.buffer, y.buffer], grid1d(count, 64), {
    flops: 4 * count, bytesRead: 4 * count, bytesWritten: 4 * count,
  });
}
