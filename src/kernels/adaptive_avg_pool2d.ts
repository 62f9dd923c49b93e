import kernelWgsl from '../../shaders/adaptive_avg_pool2d.wgsl?raw';
import poolPlanesWgsl from '../../shaders/common/pool_planes.wgsl?raw';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { AdaptiveAvgPool2dParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, poolPlanesWgsl);

const forwardKernel: KernelDef<typeof AdaptiveAvgPool2dParams> = {
  name: 'adaptive_avg_pool2d', code, entryPoint: 'forward', params: AdaptiveAvgPool2dParams, bindings: ['read', 'read_write'],
};
const backwardKernel: KernelDef<typeof AdaptiveAvgPool2dParams> = {
  name: 'adaptive_avg_pool2d_backward', code, entryPoint: 'backward', params: AdaptiveAvgPool2dParams, bindings: ['read', 'read_write'],
};

/** Plane sizes of an adaptive average pool: [planes, H, W] → [planes, outH, outW]. */
export interface AdaptivePoolDims {
  planes: number;
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
}

/** y = adaptive_avg_pool2d(x) with PyTorch's windows [⌊i·H/out⌋, ⌈(i+1)·H/out⌉). */
export async function adaptiveAvgPool2d(rt: GpuRuntime, x: GpuTensor, y: GpuTensor, dims: AdaptivePoolDims): Promise<void> {
  const outputs = dims.planes * dims.outHeight * dims.outWidth;
  const inputs = dims.planes * dims.inHeight * dims.inWidth;
  await rt.dispatch(forwardKernel, { ...dims }, [x.buffer, y.buffer], grid1d(outputs, 64), { flops: inputs + outputs, bytesRead: 4 * inputs, bytesWritten: 4 * outputs });
}

/** ∂L/∂x of adaptive_avg_pool2d from ∂L/∂y. */
export async function adaptiveAvgPool2dBackward(rt: GpuRuntime, gradY: GpuTensor, gradX: GpuTensor, dims: AdaptivePoolDims): Promise<void> {
  const outputs = dims.planes * dims.outHeight * dims.outWidth;
  const inputs = dims.planes * dims.inHeight * dims.inWidth;
  await rt.dispatch(backwardKernel, { ...dims }, [gradY.buffer, gradX.buffer], grid1d(inputs, 64), { flops: inputs * dims.outHeight * dims.outWidth, bytesRead: 4 * outputs, bytesWritten: 4 * inputs });
}
