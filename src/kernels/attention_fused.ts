import kernelWgsl from '../../shaders/attention_fused.wgsl?raw';
import attentionMaskWgsl from '../../shaders/common/attention_mask.wgsl?raw';
import type { AttentionMask, HeadView, ScoreLayout } from './attention.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { FusedAttentionParams } from './schemas.ts';
import type { ParamsOf } from './uniform.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, attentionMaskWgsl);

const BINDINGS: KernelDef['bindings'] = ['read', 'read', 'read', 'read', 'read', 'read', 'read_write', 'read_write'];
const kernel = (name: string, entryPoint: string): KernelDef<typeof FusedAttentionParams> => ({
  name, code, entryPoint, params: FusedAttentionParams, bindings: BINDINGS,
});

export const fusedAttentionForwardKernel = kernel('attention_fused_forward', 'forward');
export const fusedAttentionQueryGradKernel = kernel('attention_fused_backward_query', 'backward_query');
export const fusedAttentionKeyGradKernel = kernel('attention_fused_backward_key', 'backward_key');
export const fusedAttentionValueGradKernel = kernel('attention_fused_backward_value', 'backward_value');

const MASK_MODES = { keep: 1, drop: 2, add: 3 } as const;

/** Score rows plus the widths and scale of one attention problem per batch (b1, b2). */
export interface FusedAttentionDims extends ScoreLayout {
  dim: number;
  valueDim: number;
  scale: number;
}

/** The q, k, v and output views (the gradients are read and written in the same layouts). */
export interface AttentionViews {
  q: HeadView;
  k: HeadView;
  v: HeadView;
  out: HeadView;
}

function fusedParams(dims: FusedAttentionDims, views: AttentionViews, masks: AttentionMask[]): ParamsOf<typeof FusedAttentionParams> {
  if (masks.length > 2) throw new Error('fused attention takes at most two masks');
  const view = (h: HeadView) => [h.offset, h.strides[0], h.strides[1], h.rowStride];
  const mask = (m?: AttentionMask) => (m ? [MASK_MODES[m.mode], ...m.strides] : [0, 0, 0, 0, 0]);
  const [qOffset, qStride1, qStride2, qRow] = view(views.q);
  const [kOffset, kStride1, kStride2, kRow] = view(views.k);
  const [vOffset, vStride1, vStride2, vRow] = view(views.v);
  const [oOffset, oStride1, oStride2, oRow] = view(views.out);
  const [mask1Mode, mask1Stride1, mask1Stride2, mask1Row, mask1Col] = mask(masks[0]);
  const [mask2Mode, mask2Stride1, mask2Stride2, mask2Row, mask2Col] = mask(masks[1]);
  return {
    rows: dims.batch[0] * dims.batch[1] * dims.queries, queries: dims.queries, keys: dims.keys, dim: dims.dim, valueDim: dims.valueDim,
    batch2: dims.batch[1], causal: dims.causal ? 1 : 0, scale: dims.scale,
    qOffset, qStride1, qStride2, qRow, kOffset, kStride1, kStride2, kRow, vOffset, vStride1, vStride2, vRow, oOffset, oStride1, oStride2, oRow,
    mask1Mode, mask1Stride1, mask1Stride2, mask1Row, mask1Col, mask2Mode, mask2Stride1, mask2Stride2, mask2Row, mask2Col,
  };
}

/** Mask buffers for bindings 1 and 2; an absent mask binds a one-element stand-in (released after submit). */
function maskBuffers(rt: GpuRuntime, masks: AttentionMask[]): GPUBuffer[] {
  if (masks.length === 2) return masks.map((m) => m.tensor.buffer);
  const none = rt.tensor('attention.no_mask', [1]);
  rt.releaseAfterSubmit(none);
  return [masks[0]?.tensor.buffer ?? none.buffer, none.buffer];
}

/**
 * out = softmax(scale·Q·Kᵀ + masks)·V with an online softmax, one pass over the keys per query
 * row; the L×S scores are never stored. Returns `stats` [2·rows]: each row's logsumexp in the
 * first half (what backward needs), the second half scratch for backward.
 */
export async function fusedAttentionForward(rt: GpuRuntime, dims: FusedAttentionDims, views: AttentionViews, masks: AttentionMask[]): Promise<GpuTensor> {
  const p = fusedParams(dims, views, masks);
  const stats = rt.tensor('attention.row_logsumexp', [2 * p.rows]);
  const pairs = p.rows * p.keys;
  await rt.dispatch(fusedAttentionForwardKernel, p, [
    ...maskBuffers(rt, masks), views.q.tensor.buffer, views.k.tensor.buffer, views.v.tensor.buffer, views.q.tensor.buffer, stats.buffer, views.out.tensor.buffer,
  ], grid1d(p.rows, 64), {
    flops: pairs * (2 * p.dim + 2 * p.valueDim + 4), bytesRead: 4 * (pairs * (p.dim + p.valueDim) + p.rows * p.dim), bytesWritten: 4 * p.rows * (p.valueDim + 1),
  });
  return stats;
}

/**
 * dQ, dK, dV of fused attention from the forward's `stats`, recomputing the probabilities
 * P = exp(s − logsumexp) per pair: three dispatches (query rows, then key rows for dK and dV).
 * The gradients take the layouts of q, k and v; `gradOut` that of the output.
 */
export async function fusedAttentionBackward(
  rt: GpuRuntime, dims: FusedAttentionDims, views: AttentionViews, masks: AttentionMask[], stats: GpuTensor, gradOut: HeadView,
  grads: { q: HeadView; k: HeadView; v: HeadView },
): Promise<void> {
  const sameLayout = (a: HeadView, b: HeadView) => a.offset === b.offset && a.rowStride === b.rowStride && a.strides.every((s, i) => s === b.strides[i]);
  if (!sameLayout(gradOut, views.out) || !sameLayout(grads.q, views.q) || !sameLayout(grads.k, views.k) || !sameLayout(grads.v, views.v)) {
    throw new Error('fused attention backward: each gradient must share the layout of its tensor');
  }
  const p = fusedParams(dims, views, masks);
  const inputs = [...maskBuffers(rt, masks), views.q.tensor.buffer, views.k.tensor.buffer, views.v.tensor.buffer, gradOut.tensor.buffer, stats.buffer];
  const pairs = p.rows * p.keys;
  const keyRows = dims.batch[0] * dims.batch[1] * dims.keys;
  const perPair = 2 * p.dim + 2 * p.valueDim + 6;
  const read = 4 * pairs * (p.dim + p.valueDim);
  await rt.dispatch(fusedAttentionQueryGradKernel, p, [...inputs, grads.q.tensor.buffer], grid1d(p.rows, 64), {
    flops: pairs * (2 * perPair + 2 * p.dim), bytesRead: 2 * read + 4 * pairs * p.dim, bytesWritten: 4 * p.rows * (p.dim + 1),
  });
  await rt.dispatch(fusedAttentionKeyGradKernel, p, [...inputs, grads.k.tensor.buffer], grid1d(keyRows, 64), {
    flops: pairs * (perPair + 2 * p.dim), bytesRead: read + 4 * pairs * (p.dim + 2), bytesWritten: 4 * keyRows * p.dim,
  });
  await rt.dispatch(fusedAttentionValueGradKernel, p, [...inputs, grads.v.tensor.buffer], grid1d(keyRows, 64), {
    flops: pairs * (2 * p.dim + 2 * p.valueDim + 3), bytesRead: read + 4 * pairs, bytesWritten: 4 * keyRows * p.valueDim,
  });
}
