import code from '../../shaders/patch_tokens.wgsl?raw';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { PatchTokensParams } from './schemas.ts';

export const patchTokensForwardKernel: KernelDef<typeof PatchTokensParams> = {
  name: 'patch_tokens_forward', code, entryPoint: 'forward', params: PatchTokensParams,
  bindings: ['read', 'read', 'read', 'read_write'],
};

export const patchTokensBackwardInputKernel: KernelDef<typeof PatchTokensParams> = {
  name: 'patch_tokens_backward_input', code, entryPoint: 'backward_input', params: PatchTokensParams,
  bindings: ['read', 'read_write'],
};

export const patchTokensBackwardParamsKernel: KernelDef<typeof PatchTokensParams> = {
  name: 'patch_tokens_backward_params', code, entryPoint: 'backward_params', params: PatchTokensParams,
  bindings: ['read', 'read_write'],
};

/** Sizes of one patch-token layer: batch N, embedding D, patches P = h·w, class token and position embedding present. */
export interface PatchTokensShape {
  batch: number;
  dim: number;
  patches: number;
  hasClass: boolean;
  hasPos: boolean;
}

function packed(s: PatchTokensShape) {
  return { batch: s.batch, dim: s.dim, patches: s.patches, hasClass: s.hasClass ? 1 : 0, hasPos: s.hasPos ? 1 : 0 };
}

/** tokens [N, T, D] from x [N, D, h, w], the class token [1, 1, D] and the position embedding [1, T, D] (a 1-element placeholder when absent). */
export async function patchTokensForward(rt: GpuRuntime, s: PatchTokensShape, x: GpuTensor, classToken: GpuTensor, posEmbedding: GpuTensor, tokens: GpuTensor): Promise<void> {
  const seq = s.patches + (s.hasClass ? 1 : 0);
  const count = s.batch * seq * s.dim;
  await rt.dispatch(patchTokensForwardKernel, packed(s), [x.buffer, classToken.buffer, posEmbedding.buffer, tokens.buffer], grid1d(count, 64), {
    flops: s.hasPos ? count : 0, bytesRead: 4 * (s.hasPos ? 2 * count : count), bytesWritten: 4 * count,
  });
}

/** dL/dx [N, D, h, w] from dL/dtokens (the patch rows, transposed back). */
export async function patchTokensBackwardInput(rt: GpuRuntime, s: PatchTokensShape, gradTokens: GpuTensor, gradX: GpuTensor): Promise<void> {
  const count = s.batch * s.dim * s.patches;
  await rt.dispatch(patchTokensBackwardInputKernel, packed(s), [gradTokens.buffer, gradX.buffer], grid1d(count, 64), {
    flops: 0, bytesRead: 4 * count, bytesWritten: 4 * count,
  });
}

/** Σ over the batch of dL/dtokens → [T, D]: the position embedding's gradient; row 0 is the class token's. */
export async function patchTokensBackwardParams(rt: GpuRuntime, s: PatchTokensShape, gradTokens: GpuTensor, gradSum: GpuTensor): Promise<void> {
  const rows = (s.patches + (s.hasClass ? 1 : 0)) * s.dim;
  await rt.dispatch(patchTokensBackwardParamsKernel, packed(s), [gradTokens.buffer, gradSum.buffer], grid1d(rows, 64), {
    flops: s.batch * rows, bytesRead: 4 * s.batch * rows, bytesWritten: 4 * rows,
  });
}
