import kernelWgsl from '../../shaders/fake_quantize.wgsl?raw';
import elementwiseBackwardWgsl from '../../shaders/common/elementwise_backward.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { FakeQuantizeParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, elementwiseBackwardWgsl);

/** Quantization parameters of one fake quantization: one scale and zero point per channel (one channel per tensor). */
export interface FakeQuantizeSpec {
  scale: ArrayLike<number>;
  zeroPoint: ArrayLike<number>;
  quantMin: number;
  quantMax: number;
  /** The [outer, channels, inner] view of x; per tensor: channels 1, inner = every element. */
  channels: number;
  inner: number;
}

export const fakeQuantizeForwardKernel: KernelDef<typeof FakeQuantizeParams> = {
  name: 'fake_quantize_forward', code, entryPoint: 'forward', params: FakeQuantizeParams,
  bindings: ['read', 'read', 'read_write', 'read_write', 'read_write'],
};

export const fakeQuantizeBackwardKernel: KernelDef<typeof FakeQuantizeParams> = {
  name: 'fake_quantize_backward', code, entryPoint: 'backward', params: FakeQuantizeParams,
  bindings: ['read', 'read', 'read_write'],
};

/** (scale, 1/scale, zero_point) per channel, with PyTorch's float32 1.0f / scale (float64 division then fround is the same rounding). */
function packQparams(spec: FakeQuantizeSpec): Float32Array {
  const packed = new Float32Array(3 * spec.channels);
  for (let c = 0; c < spec.channels; c++) {
    const scale = Math.fround(spec.scale[c]);
    packed.set([scale, Math.fround(1 / scale), spec.zeroPoint[c]], 3 * c);
  }
  return packed;
}

function params(count: number, spec: FakeQuantizeSpec) {
  return { count, channels: spec.channels, inner: spec.inner, quantMin: spec.quantMin, quantMax: spec.quantMax };
}

/** output = fake-quantized x, codes = the clamped integer codes (as floats), mask = 1 where the code was in range. */
export async function fakeQuantizeForward(rt: GpuRuntime, x: GpuTensor, output: GpuTensor, codes: GpuTensor, mask: GpuTensor, spec: FakeQuantizeSpec): Promise<void> {
  const count = numel(x.shape);
  const qparams = rt.tensor('fake_quantize.qparams', [spec.channels, 3], 'float32', packQparams(spec));
  await rt.dispatch(fakeQuantizeForwardKernel, params(count, spec), [x.buffer, qparams.buffer, output.buffer, codes.buffer, mask.buffer], grid1d(count, 64), {
    flops: 6 * count, bytesRead: 4 * count + 12 * spec.channels, bytesWritten: 12 * count,
  });
  rt.releaseAfterSubmit(qparams);
}

/** The straight-through gradient: grad_x = grad_output where mask is 1, else 0. */
export async function fakeQuantizeBackward(rt: GpuRuntime, mask: GpuTensor, gradOutput: GpuTensor, gradX: GpuTensor, spec: FakeQuantizeSpec): Promise<void> {
  const count = numel(mask.shape);
  await rt.dispatch(fakeQuantizeBackwardKernel, params(count, spec), [mask.buffer, gradOutput.buffer, gradX.buffer], grid1d(count, 64), {
    flops: count, bytesRead: 8 * count, bytesWritten: 4 * count,
  });
}
