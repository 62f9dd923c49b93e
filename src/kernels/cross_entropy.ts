import kernelWgsl from '../../shaders/cross_entropy.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import workgroupItemWgsl from '../../shaders/common/workgroup_item.wgsl?raw';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { CrossEntropyParams } from './schemas.ts';
import type { ParamsOf } from './uniform.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, workgroupSumWgsl, workgroupItemWgsl);

export const crossEntropyRowsKernel: KernelDef<typeof CrossEntropyParams> = {
  name: 'cross_entropy_rows', code, entryPoint: 'rows', params: CrossEntropyParams,
  bindings: ['read', 'read', 'read_write', 'read_write'],
};

export const crossEntropyRowsSerialKernel: KernelDef<typeof CrossEntropyParams> = { ...crossEntropyRowsKernel, name: 'cross_entropy_rows_serial', entryPoint: 'rows_serial' };

/**
 * Rows of at most this many classes, or this many rows and more, take one invocation each; a
 * workgroup per row reduces with barriers that SwiftShader runs slowly (see softmax.ts).
 */
const SERIAL_MAX_CLASSES = 1024;
const SERIAL_MIN_ROWS = 128;

export const crossEntropyTotalKernel: KernelDef<typeof CrossEntropyParams> = {
  name: 'cross_entropy_total', code, entryPoint: 'total', params: CrossEntropyParams,
  bindings: ['read', 'read_write'],
};

export const crossEntropyBackwardKernel: KernelDef<typeof CrossEntropyParams> = {
  name: 'cross_entropy_backward', code, entryPoint: 'backward', params: CrossEntropyParams,
  bindings: ['read', 'read', 'read', 'read_write'],
};

/** Rows, classes, ignored target value and the loss scale (1/count for mean, 1 for sum). */
export type CrossEntropyShape = Omit<ParamsOf<typeof CrossEntropyParams>, 'perRowGrad'>;

/** Softmax probabilities and per-row losses (stable log-sum-exp), an invocation or a workgroup per row. */
export async function crossEntropyRows(
  rt: GpuRuntime, logits: GpuTensor, target: GpuTensor, probs: GpuTensor, rowLoss: GpuTensor, s: CrossEntropyShape,
): Promise<void> {
  const count = s.rows * s.classes;
  const serial = s.classes <= SERIAL_MAX_CLASSES || s.rows >= SERIAL_MIN_ROWS;
  const kernel = serial ? crossEntropyRowsSerialKernel : crossEntropyRowsKernel;
  await rt.dispatch(kernel, { ...s, perRowGrad: 0 }, [logits.buffer, target.buffer, probs.buffer, rowLoss.buffer], serial ? grid1d(s.rows, 64) : grid1d(s.rows, 1), {
    flops: 5 * count, bytesRead: 4 * (2 * count + s.rows), bytesWritten: 4 * (count + s.rows),
  });
}

/** loss[0] = scale · Σ rowLoss. */
export async function crossEntropyTotal(rt: GpuRuntime, rowLoss: GpuTensor, loss: GpuTensor, s: CrossEntropyShape): Promise<void> {
  await rt.dispatch(crossEntropyTotalKernel, { ...s, perRowGrad: 0 }, [rowLoss.buffer, loss.buffer], [1, 1, 1], {
    flops: s.rows, bytesRead: 4 * s.rows, bytesWritten: 4,
  });
}

/** dL/dlogits = g · (softmax − onehot(target)), g per row when the loss was not reduced. */
export async function crossEntropyBackward(
  rt: GpuRuntime, probs: GpuTensor, target: GpuTensor, gradLoss: GpuTensor, gradLogits: GpuTensor, s: CrossEntropyShape, perRowGrad: boolean,
): Promise<void> {
  const count = s.rows * s.classes;
  await rt.dispatch(
    crossEntropyBackwardKernel, { ...s, perRowGrad: perRowGrad ? 1 : 0 },
    [probs.buffer, target.buffer, gradLoss.buffer, gradLogits.buffer], grid1d(count, 64),
    { flops: 3 * count, bytesRead: 4 * (count + s.rows + 1), bytesWritten: 4 * count },
  );
}
