import kernelWgsl from '../../shaders/activation.wgsl?raw';
import elementwiseBackwardWgsl from '../../shaders/common/elementwise_backward.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { ActivationParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, elementwiseBackwardWgsl);

/** The activations of activation.wgsl, by their `kind` value. */
export const ACTIVATION_KINDS = { tanh: 0, sigmoid: 1, gelu: 2, silu: 3, leaky_relu: 4, gelu_tanh: 5, relu6: 6, elu: 7 } as const;
export type ActivationKind = keyof typeof ACTIVATION_KINDS;

/** Which tensor backward reads: the output for tanh and sigmoid, the input otherwise (as autograd saves). */
export function activationSaves(kind: ActivationKind): 'output' | 'input' {
  return kind === 'tanh' || kind === 'sigmoid' ? 'output' : 'input';
}

/** FLOPs per element of the forward pass (erf, exp and tanh count as one, as the analysis counts). */
const FLOPS: Record<ActivationKind, number> = { tanh: 1, sigmoid: 4, gelu: 5, silu: 5, leaky_relu: 2, gelu_tanh: 8, relu6: 2, elu: 3 };

export const activationForwardKernel: KernelDef<typeof ActivationParams> = {
  name: 'activation_forward', code, entryPoint: 'forward', params: ActivationParams,
  bindings: ['read', 'read_write'],
};

export const activationBackwardKernel: KernelDef<typeof ActivationParams> = {
  name: 'activation_backward', code, entryPoint: 'backward', params: ActivationParams,
  bindings: ['read', 'read', 'read_write'],
};

/** y = f(x) elementwise; `slope` is leaky_relu's negative slope or elu's alpha. */
export async function activationForward(rt: GpuRuntime, kind: ActivationKind, x: GpuTensor, y: GpuTensor, slope = 0.01): Promise<void> {
  const count = numel(x.shape);
  await rt.dispatch(activationForwardKernel, { count, kind: ACTIVATION_KINDS[kind], slope }, [x.buffer, y.buffer], grid1d(count, 64), {
    flops: count * FLOPS[kind], bytesRead: 4 * count, bytesWritten: 4 * count,
  });
}

/** dL/dx = dL/dy · f'(·) from the saved tensor (output for tanh/sigmoid, input otherwise). */
export async function activationBackward(rt: GpuRuntime, kind: ActivationKind, saved: GpuTensor, gradY: GpuTensor, gradX: GpuTensor, slope = 0.01): Promise<void> {
  const count = numel(saved.shape);
  await rt.dispatch(activationBackwardKernel, { count, kind: ACTIVATION_KINDS[kind], slope }, [saved.buffer, gradY.buffer, gradX.buffer], grid1d(count, 64), {
    flops: count * (FLOPS[kind] + 2), bytesRead: 8 * count, bytesWritten: 4 * count,
  });
}
