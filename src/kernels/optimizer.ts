import code from '../../shaders/optimizer.wgsl?raw';
import { numel } from '../analysis/tensor.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { OptimizerParams } from './schemas.ts';

export const sgdKernel: KernelDef<typeof OptimizerParams> = {
  name: 'sgd_step', code, entryPoint: 'sgd', params: OptimizerParams,
  bindings: ['read_write', 'read_write', 'read_write'],
};

export const adamKernel: KernelDef<typeof OptimizerParams> = {
  name: 'adam_step', code, entryPoint: 'adam', params: OptimizerParams,
  bindings: ['read_write', 'read_write', 'read_write', 'read_write'],
};

/** torch.optim.SGD's hyper-parameters (momentum 0 is plain SGD). */
export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** torch.optim.Adam's hyper-parameters. */
export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

const UNUSED = { beta1: 0, beta2: 0, eps: 0, bias1: 1, bias2: 1 };

/**
 * One SGD step on a parameter; `momentumBuffer` is any tensor when momentum is 0. `step` counts
 * from 1 (the first step copies the gradient into the momentum buffer, as PyTorch). Afterwards
 * `grad` holds the applied update Δp.
 */
export async function sgdStep(rt: GpuRuntime, param: GpuTensor, grad: GpuTensor, momentumBuffer: GpuTensor, h: SgdHyper, step: number): Promise<void> {
  const count = numel(param.shape);
  await rt.dispatch(sgdKernel, {
    count, lr: h.lr, momentum: h.momentum, dampening: h.dampening, weightDecay: h.weightDecay, nesterov: h.nesterov ? 1 : 0, firstStep: step === 1 ? 1 : 0, ...UNUSED,
  }, [param.buffer, grad.buffer, momentumBuffer.buffer], grid1d(count, 64), {
    flops: 6 * count, bytesRead: (h.momentum ? 12 : 8) * count, bytesWritten: (h.momentum ? 12 : 8) * count,
  });
}

/** One Adam step (bias-corrected, `step` from 1); afterwards `grad` holds the applied update Δp. */
export async function adamStep(rt: GpuRuntime, param: GpuTensor, grad: GpuTensor, expAvg: GpuTensor, expAvgSq: GpuTensor, h: AdamHyper, step: number): Promise<void> {
  const count = numel(param.shape);
  await rt.dispatch(adamKernel, {
    count, lr: h.lr, momentum: 0, dampening: 0, weightDecay: h.weightDecay, nesterov: 0, firstStep: step === 1 ? 1 : 0,
    beta1: h.beta1, beta2: h.beta2, eps: h.eps, bias1: 1 - h.beta1 ** step, bias2: 1 - h.beta2 ** step,
  }, [param.buffer, grad.buffer, expAvg.buffer, expAvgSq.buffer], grid1d(count, 64), {
    flops: 14 * count, bytesRead: 16 * count, bytesWritten: 16 * count,
  });
}
