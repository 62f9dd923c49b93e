import kernelWgsl from '../../shaders/attention.wgsl?raw';
import attentionMaskWgsl from '../../shaders/common/attention_mask.wgsl?raw';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { AttentionParams } from './schemas.ts';
import type { ParamsOf } from './uniform.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, attentionMaskWgsl);

const kernel = (name: string, entryPoint: string, bindings: KernelDef['bindings']): KernelDef<typeof AttentionParams> => ({
  name, code, entryPoint, params: AttentionParams, bindings,
});

export const attentionSoftmaxKernel = kernel('attention_softmax', 'softmax_forward', ['read', 'read', 'read_write', 'read_write']);
export const attentionSoftmaxBackwardKernel = kernel('attention_softmax_backward', 'softmax_backward', ['read', 'read_write']);
export const attentionGatherHeadsKernel = kernel('attention_gather_heads', 'gather_heads', ['read', 'read_write']);

/** How a mask acts: `keep` bool (nonzero takes part), `drop` bool (nonzero is masked out), `add` float. */
export type MaskMode = 'keep' | 'drop' | 'add';
const MASK_MODES: Record<MaskMode, number> = { keep: 1, drop: 2, add: 3 };

/** A mask on the [b1, b2, query, key] scores: element at strides[0]·b1 + strides[1]·b2 + strides[2]·i + strides[3]·j. */
export interface AttentionMask {
  tensor: GpuTensor;
  mode: MaskMode;
  strides: [number, number, number, number];
}

/** The score rows: batch (b1, b2), `queries` rows of `keys` scores each, top-left causal or not. */
export interface ScoreLayout {
  batch: [number, number];
  queries: number;
  keys: number;
  causal: boolean;
}

function rowParams(layout: ScoreLayout): ParamsOf<typeof AttentionParams> {
  return {
    rows: layout.batch[0] * layout.batch[1] * layout.queries, queries: layout.queries, keys: layout.keys, batch2: layout.batch[1],
    causal: layout.causal ? 1 : 0,
    mask1Mode: 0, mask1Stride1: 0, mask1Stride2: 0, mask1Row: 0, mask1Col: 0,
    mask2Mode: 0, mask2Stride1: 0, mask2Stride2: 0, mask2Row: 0, mask2Col: 0,
    width: 0, srcOffset: 0, srcStride1: 0, srcStride2: 0, srcRow: 0,
  };
}

/**
 * In place over `scores` [rows, keys]: the causal mask and up to two masks applied (−inf where
 * masked); then probs = the rows' softmax with the row max subtracted.
 */
export async function attentionSoftmax(rt: GpuRuntime, layout: ScoreLayout, masks: AttentionMask[], scores: GpuTensor, probs: GpuTensor): Promise<void> {
  if (masks.length > 2) throw new Error('attentionSoftmax takes at most two masks');
  const p = rowParams(layout);
  const [m1, m2] = masks;
  if (m1) [p.mask1Mode, p.mask1Stride1, p.mask1Stride2, p.mask1Row, p.mask1Col] = [MASK_MODES[m1.mode], ...m1.strides];
  if (m2) [p.mask2Mode, p.mask2Stride1, p.mask2Stride2, p.mask2Row, p.mask2Col] = [MASK_MODES[m2.mode], ...m2.strides];
  const count = p.rows * p.keys;
  // Bindings must not alias the written buffers, so an absent mask binds a one-element stand-in.
  const none = m1 && m2 ? null : rt.tensor('attention.no_mask', [1]);
  await rt.dispatch(attentionSoftmaxKernel, p, [(m1?.tensor ?? none!).buffer, (m2?.tensor ?? none!).buffer, scores.buffer, probs.buffer], grid1d(p.rows, 64), {
    flops: 5 * count, bytesRead: 4 * count * (1 + masks.length), bytesWritten: 12 * count,
  });
  if (none) rt.releaseAfterSubmit(none);
}

/** In place over `grad` [rows, keys]: dS = P ⊙ (dP − Σ_j dP_j·P_j) per row, P the saved probabilities. */
export async function attentionSoftmaxBackward(rt: GpuRuntime, layout: ScoreLayout, probs: GpuTensor, grad: GpuTensor): Promise<void> {
  const p = rowParams(layout);
  const count = p.rows * p.keys;
  await rt.dispatch(attentionSoftmaxBackwardKernel, p, [probs.buffer, grad.buffer], grid1d(p.rows, 64), {
    flops: 4 * count, bytesRead: 12 * count, bytesWritten: 4 * count,
  });
}

/** A strided per-head slice: row i of batch (b1, b2) starts at offset + strides[0]·b1 + strides[1]·b2 + rowStride·i. */
export interface HeadView {
  tensor: GpuTensor;
  offset: number;
  strides: [number, number];
  rowStride: number;
}

/** Copies `width` columns of every row of a strided view into a contiguous [b1, b2, rows, width] tensor. */
export async function gatherHeads(rt: GpuRuntime, source: HeadView, batch: [number, number], rows: number, width: number, out: GpuTensor): Promise<void> {
  const p = rowParams({ batch, queries: rows, keys: 0, causal: false });
  Object.assign(p, { width, srcOffset: source.offset, srcStride1: source.strides[0], srcStride2: source.strides[1], srcRow: source.rowStride });
  const count = p.rows * width;
  await rt.dispatch(attentionGatherHeadsKernel, p, [source.tensor.buffer, out.buffer], grid1d(count, 64), {
    flops: 0, bytesRead: 4 * count, bytesWritten: 4 * count,
  });
}
