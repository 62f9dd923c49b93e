import { InputError } from '../analysis/errors.ts';
import { formatShape, numel, stridesOf } from '../analysis/tensor.ts';
import { checkAttrNames } from '../analysis/conv_shapes.ts';
import {
  attentionSoftmax, attentionSoftmaxBackward, type AttentionMask, type HeadView, type MaskMode, type ScoreLayout,
} from '../kernels/attention.ts';
import { fusedAttentionBackward, fusedAttentionForward, type AttentionViews } from '../kernels/attention_fused.ts';
import { dropoutApply } from '../kernels/dropout.ts';
import { matmul, type MatrixView, type OutputView } from '../kernels/matmul.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import type { HostTensor, OpDefinition } from './op.ts';

/** One attention problem per batch (b1, b2): L queries and S keys of width E, values of width Ev. */
export interface AttentionDims extends ScoreLayout {
  dim: number;
  valueDim: number;
  scale: number;
}

/** Dropout on the probabilities (training): a 0/1 `mask` shaped like the scores, kept ones scaled by 1/(1 − p). */
export interface AttentionDropout {
  mask: GpuTensor;
  p: number;
}

/** A mask as the host checked it: how it acts, its strides on [b1, b2, query, key], its values when known. */
export interface MaskPlan {
  mode: MaskMode;
  strides: [number, number, number, number];
  data?: ArrayLike<number>;
}

const asMatrix = (h: HeadView, transpose = false): MatrixView => ({
  tensor: h.tensor, offset: h.offset, batchStrides: h.strides,
  rowStride: transpose ? 1 : h.rowStride, colStride: transpose ? h.rowStride : 1,
});
const asOutput = (h: HeadView): OutputView => ({ tensor: h.tensor, offset: h.offset, batchStrides: h.strides, rowStride: h.rowStride });

/** A contiguous [b1, b2, rows, cols] tensor as a per-batch matrix. */
function contiguous(tensor: GpuTensor, dims: AttentionDims, rows: number, cols: number): HeadView {
  return { tensor, offset: 0, strides: [dims.batch[1] * rows * cols, rows * cols], rowStride: cols };
}

/**
 * out = softmax(scale·Q·Kᵀ + masks)·V for every batch, each operand read through its view.
 * Returns the masked scores (what entered the softmax) and the probabilities, both shaped
 * `scoreShape` ([..., L, S], contiguous). With `dropout`, P·V uses P ⊙ mask/(1 − p) (probs stay undropped).
 */
export async function attentionForward(
  rt: GpuRuntime, dims: AttentionDims, q: HeadView, k: HeadView, v: HeadView, out: HeadView, masks: AttentionMask[], scoreShape: number[],
  dropout?: AttentionDropout,
): Promise<{ scores: GpuTensor; probs: GpuTensor }> {
  const { queries: L, keys: S, dim: E, valueDim: Ev, batch } = dims;
  const scores = rt.tensor('attention.scores', scoreShape);
  const probs = rt.tensor('attention.probs', scoreShape);
  const scoreView = contiguous(scores, dims, L, S);
  await matmul(rt, asMatrix(q), asMatrix(k, true), null, asOutput(scoreView), L, S, E, { batch, alpha: dims.scale });
  await attentionSoftmax(rt, dims, masks, scores, probs);
  const kept = dropout ? await droppedProbs(rt, probs, dropout) : probs;
  await matmul(rt, asMatrix(contiguous(kept, dims, L, S)), asMatrix(v), null, asOutput(out), L, Ev, S, { batch });
  if (kept !== probs) rt.releaseAfterSubmit(kept);
  return { scores, probs };
}

/**
 * Gradients of attention from the saved probabilities P: dV = Pᵀ·dO, dP = dO·Vᵀ,
 * dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = scale·dS·K, dK = scale·dSᵀ·Q, each written through its view.
 * With `dropout` (the forward's mask), dV = P̃ᵀ·dO and dP = (dO·Vᵀ) ⊙ mask/(1 − p), P̃ = P ⊙ mask/(1 − p).
 */
export async function attentionBackward(
  rt: GpuRuntime, dims: AttentionDims, q: HeadView, k: HeadView, v: HeadView, probs: GpuTensor, gradOut: HeadView,
  grads: { q: HeadView; k: HeadView; v: HeadView }, dropout?: AttentionDropout,
): Promise<void> {
  const { queries: L, keys: S, dim: E, valueDim: Ev, batch, scale } = dims;
  const kept = dropout ? await droppedProbs(rt, probs, dropout) : probs;
  const gradScores = rt.tensor('attention.grad_scores', probs.shape);
  const ds = contiguous(gradScores, dims, L, S);
  await matmul(rt, asMatrix(contiguous(kept, dims, L, S), true), asMatrix(gradOut), null, asOutput(grads.v), S, Ev, L, { batch });
  if (dropout) {
    const gradKept = rt.tensor('attention.grad_probs (dropout)', probs.shape);
    await matmul(rt, asMatrix(gradOut), asMatrix(v, true), null, asOutput(contiguous(gradKept, dims, L, S)), L, S, Ev, { batch });
    await dropoutApply(rt, gradKept, dropout.mask, gradScores, dropout.p);
    rt.releaseAfterSubmit(kept, gradKept);
  } else {
    await matmul(rt, asMatrix(gradOut), asMatrix(v, true), null, asOutput(ds), L, S, Ev, { batch });
  }
  await attentionSoftmaxBackward(rt, dims, probs, gradScores);
  await matmul(rt, asMatrix(ds), asMatrix(k), null, asOutput(grads.q), L, E, S, { batch, alpha: scale });
  await matmul(rt, asMatrix(ds, true), asMatrix(q), null, asOutput(grads.k), S, E, L, { batch, alpha: scale });
  rt.releaseAfterSubmit(gradScores);
}

/** Which attention path the ops take: `auto` (the rule in `usesFusedAttention`) or one forced (tests, `nnx bench --attention`). */
export type AttentionPath = 'auto' | 'fused' | 'unfused';
let attentionPath: AttentionPath = 'auto';

/** Sets the attention path for every later forward; tracing and dropout always take the unfused path. */
export function setAttentionPath(path: AttentionPath): void {
  attentionPath = path;
}

/**
 * Score matrices up to this many elements per batch run fused under `auto`. The fused kernels give one
 * invocation per row and reuse nothing between rows, so on SwiftShader (nnx bench, forward + backward,
 * median of 3) they lose badly to the tiled matmuls on large rows: ViT-tiny [4,3,197,64] 24.6 s fused vs
 * 4.4 s unfused, causal [8,4,128,32] 8.6 s vs 3.4 s, though peak memory halves (4.9 vs 10.4 MB); on
 * [2,2,5,4] fused wins, 39 vs 57 ms (8 dispatches become 4). 64×64 is a guess between, not a measured crossover.
 */
const FUSED_MAX_SCORES = 64 * 64;

/** Whether a forward runs fused: never when tracing (the trace shows the L×S scores) or with dropout (its mask is L×S). */
export function usesFusedAttention(trace: boolean, dims: ScoreLayout, dropout?: AttentionDropout): boolean {
  if (trace || dropout) return false;
  if (attentionPath !== 'auto') return attentionPath === 'fused';
  return dims.queries * dims.keys <= FUSED_MAX_SCORES;
}

/** What an attention forward left for backward and the trace: the probabilities (unfused) or the rows' logsumexp (fused). */
export interface AttentionRun {
  saved: Record<string, GpuTensor>;
  backward(gradOut: HeadView, grads: { q: HeadView; k: HeadView; v: HeadView }): Promise<void>;
}

/**
 * Attention forward on the fused path (online softmax, no L×S tensor) or the unfused one (scores and
 * probabilities stored; `saved` names them `scoresName`/`probsName`, scores only when tracing).
 */
export async function runAttention(
  rt: GpuRuntime, dims: AttentionDims, views: AttentionViews, masks: AttentionMask[], scoreShape: number[], trace: boolean,
  names: { scores?: string; probs: string }, dropout?: AttentionDropout,
): Promise<AttentionRun> {
  if (usesFusedAttention(trace, dims, dropout)) {
    const stats = await fusedAttentionForward(rt, dims, views, masks);
    return {
      saved: { row_logsumexp: stats },
      backward: (gradOut, grads) => fusedAttentionBackward(rt, dims, views, masks, stats, gradOut, grads),
    };
  }
  const { scores, probs } = await attentionForward(rt, dims, views.q, views.k, views.v, views.out, masks, scoreShape, dropout);
  const saved: Record<string, GpuTensor> = { [names.probs]: probs };
  if (trace && names.scores) saved[names.scores] = scores;
  else rt.releaseAfterSubmit(scores);
  return {
    saved,
    backward: (gradOut, grads) => attentionBackward(rt, dims, views.q, views.k, views.v, probs, gradOut, grads, dropout),
  };
}

/** P ⊙ mask/(1 − p) in a new tensor. */
async function droppedProbs(rt: GpuRuntime, probs: GpuTensor, dropout: AttentionDropout): Promise<GpuTensor> {
  const kept = rt.tensor('attention.probs (dropout)', probs.shape);
  await dropoutApply(rt, probs, dropout.mask, kept, dropout.p);
  return kept;
}

/**
 * Host check that no query row has every key masked out (PyTorch returns NaN there): a one-line
 * InputError naming the row. Masks whose values the host does not know, and additive masks
 * (finite values never mask a key out), are not checked.
 */
export function checkMaskedRows(op: string, dims: ScoreLayout, masks: MaskPlan[], describeRow: (b1: number, b2: number, i: number) => string): void {
  const known = masks.filter((m) => m.mode !== 'add');
  if (known.length === 0 || known.some((m) => !m.data)) return;
  const [B1, B2] = dims.batch;
  for (let b1 = 0; b1 < B1; b1++) {
    for (let b2 = 0; b2 < B2; b2++) {
      for (let i = 0; i < dims.queries; i++) {
        let allowed = false;
        for (let j = 0; j < dims.keys && !allowed; j++) {
          if (dims.causal && j > i) break;
          allowed = known.every((m) => {
            const value = m.data![b1 * m.strides[0] + b2 * m.strides[1] + i * m.strides[2] + j * m.strides[3]];
            return m.mode === 'keep' ? value !== 0 : value === 0;
          });
        }
        if (!allowed) {
          throw new InputError(`${op}: every key of query row ${describeRow(b1, b2, i)} is masked out, so its softmax has no terms (PyTorch returns NaN there); let at least one key take part`);
        }
      }
    }
  }
}

/** A boolean attribute, default `fallback`. */
export function boolAttr(op: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InputError(`${op}: ${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

const OP = 'scaled_dot_product_attention';

/**
 * Strides of attn_mask broadcast to [...lead, L, S], on the two batch levels the kernels use
 * (b1 = the leading dims but the last, flattened; b2 = the last leading dim; `single`: b1 = the only one).
 */
function sdpaMaskStrides(maskShape: number[], lead: number[], L: number, S: number, single: boolean): [number, number, number, number] {
  const target = [...lead, L, S];
  const fail = (why: string) => new InputError(`${OP}: attn_mask ${formatShape(maskShape)} is not broadcastable to the scores ${formatShape(target)}${why}`);
  if (maskShape.length > target.length) throw fail(': it has more dimensions');
  const padded = [...Array(target.length - maskShape.length).fill(1), ...maskShape];
  const own = stridesOf(padded);
  const strides = padded.map((size, d) => {
    if (size === target[d]) return target[d] === 1 ? 0 : own[d];
    if (size === 1) return 0;
    throw fail(`: dimension ${d - (target.length - maskShape.length)} has size ${size}, expected ${target[d]} or 1`);
  });
  const n = lead.length;
  const outer = strides.slice(0, n - 1);
  // b1 flattens lead[0..n-2], so their strides must be all zero or one contiguous block.
  let unit = 0;
  let span = 1;
  for (let d = n - 2; d >= 0; d--) {
    if (target[d] > 1 && outer[d] !== 0 && unit === 0) unit = outer[d] / span;
    span *= target[d];
  }
  span = 1;
  for (let d = n - 2; d >= 0; d--) {
    if (target[d] > 1 && outer[d] !== unit * span) throw fail(': it must span the batch dimensions before the last either fully or not at all');
    span *= target[d];
  }
  return single ? [strides[0], 0, strides[1], strides[2]] : [unit, strides[n - 1], strides[n], strides[n + 1]];
}

/** `F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal=, scale=)` (dropout_p 0), PyTorch 2.x semantics. */
export const scaledDotProductAttentionOp: OpDefinition = {
  name: OP,
  inputs: [
    { name: 'q', dtype: 'float32', differentiable: true },
    { name: 'k', dtype: 'float32', differentiable: true },
    { name: 'v', dtype: 'float32', differentiable: true },
    { name: 'attn_mask', dtype: 'float32', optional: true, acceptsBool: true, differentiable: false },
  ],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames(OP, attrs, ['is_causal', 'scale', 'dropout_p']);
    const causal = boolAttr(OP, 'is_causal', attrs.is_causal, false);
    if (attrs.dropout_p !== undefined && attrs.dropout_p !== 0) throw new InputError(`${OP}: dropout_p must be 0 (dropout is not implemented here), got ${JSON.stringify(attrs.dropout_p)}`);
    const qs = inputs.q.shape;
    const ks = inputs.k.shape;
    const vs = inputs.v.shape;
    for (const [name, s] of [['q', qs], ['k', ks], ['v', vs]] as const) {
      if (s.length < 3) throw new InputError(`${OP}: ${name} must have at least 3 dimensions [..., ${name === 'q' ? 'L' : 'S'}, E], got ${formatShape(s)}`);
    }
    const lead = qs.slice(0, -2);
    for (const [name, s] of [['k', ks], ['v', vs]] as const) {
      if (formatShape(s.slice(0, -2)) !== formatShape(lead)) {
        throw new InputError(`${OP}: ${name} ${formatShape(s)} has leading dimensions ${formatShape(s.slice(0, -2))}, but q ${formatShape(qs)} has ${formatShape(lead)}`);
      }
    }
    const [L, E] = qs.slice(-2);
    const [S, Ek] = ks.slice(-2);
    const [Sv, Ev] = vs.slice(-2);
    if (Ek !== E) throw new InputError(`${OP}: q ${formatShape(qs)} has E = ${E} but k ${formatShape(ks)} has E = ${Ek}`);
    if (Sv !== S) throw new InputError(`${OP}: k ${formatShape(ks)} has S = ${S} keys but v ${formatShape(vs)} has ${Sv}`);
    let scale = 1 / Math.sqrt(E);
    if (attrs.scale !== undefined && attrs.scale !== null) {
      if (typeof attrs.scale !== 'number' || !Number.isFinite(attrs.scale)) throw new InputError(`${OP}: scale must be a finite number or null, got ${JSON.stringify(attrs.scale)}`);
      scale = attrs.scale;
    }
    const mask: HostTensor | undefined = inputs.attn_mask;
    if (mask && causal) throw new InputError(`${OP}: give attn_mask or is_causal, not both (PyTorch refuses the pair too)`);
    // Batch levels (b1, b2) = (the leading dims but the last, the last); a single leading dim goes
    // in b1, which the matmul can split across dispatches when it exceeds the workgroup-count limit.
    const single = lead.length === 1;
    const batch: [number, number] = single ? [lead[0], 1] : [numel(lead.slice(0, -1)), lead[lead.length - 1]];
    const dims: AttentionDims = { batch, queries: L, keys: S, causal, dim: E, valueDim: Ev, scale };
    const maskPlan: MaskPlan | null = mask
      ? { mode: mask.bool ? 'keep' : 'add', strides: sdpaMaskStrides(mask.shape, lead, L, S, single), data: mask.data }
      : null;
    if (maskPlan) {
      const leadStrides = stridesOf(lead);
      checkMaskedRows(OP, dims, [maskPlan], (b1, b2, i) => {
        const flat = b1 * batch[1] + b2;
        const index = lead.map((size, d) => Math.floor(flat / leadStrides[d]) % size);
        return `[${[...index, i].join(', ')}] (batch index ${formatShape(index)}, query ${i})`;
      });
    }
    const scoreShape = [...lead, L, S];
    const outShape = [...lead, L, Ev];
    return {
      outputShapes: { output: outShape },
      async forward(rt, { q, k, v, attn_mask }, { trace }) {
        const view = (tensor: GpuTensor, rows: number, cols: number): HeadView => contiguous(tensor, dims, rows, cols);
        const output = rt.tensor(`${OP}.output`, outShape);
        const masks: AttentionMask[] = maskPlan && attn_mask ? [{ tensor: attn_mask, mode: maskPlan.mode, strides: maskPlan.strides }] : [];
        const views: AttentionViews = { q: view(q, L, E), k: view(k, S, E), v: view(v, S, Ev), out: view(output, L, Ev) };
        const attention = await runAttention(rt, dims, views, masks, scoreShape, trace, { scores: 'scores', probs: 'attn' });
        return {
          outputs: { output },
          trace: attention.saved,
          async backward({ output: gradOutput }) {
            const grads = {
              q: rt.tensor(`${OP}.grad.q`, q.shape),
              k: rt.tensor(`${OP}.grad.k`, k.shape),
              v: rt.tensor(`${OP}.grad.v`, v.shape),
            };
            await attention.backward(view(gradOutput, L, Ev), {
              q: view(grads.q, L, E), k: view(grads.k, S, E), v: view(grads.v, S, Ev),
            });
            return grads;
          },
        };
      },
    };
  },
};
