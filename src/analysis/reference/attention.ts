/**
 * Float64 CPU reference for `F.scaled_dot_product_attention` (PyTorch 2.x, dropout 0) and
 * self-attention `nn.MultiheadAttention(E, num_heads, batch_first)(x, x, x)`, with gradients.
 */
import { InputError } from '../errors.ts';
import { formatShape, numel, stridesOf, type Tensor64 } from '../tensor.ts';
import { linearBackwardRef, linearForwardRef } from './linear.ts';

/** A mask: bool (nonzero = takes part, as F.scaled_dot_product_attention reads it) or float (added). */
export interface AttentionMaskRef {
  tensor: Tensor64;
  bool: boolean;
}

export interface SdpaOptions {
  mask?: AttentionMaskRef | null;
  isCausal?: boolean;
  scale?: number | null;
}

/** Outputs and saved tensors of the reference: output [..., L, Ev], probabilities and scores [..., L, S]. */
export interface SdpaResult {
  output: Tensor64;
  attn: Tensor64;
  scores: Tensor64;
}

interface SdpaShape {
  lead: number[];
  B: number;
  L: number;
  S: number;
  E: number;
  Ev: number;
}

function sdpaShape(q: Tensor64, k: Tensor64, v: Tensor64): SdpaShape {
  if (q.shape.length < 3 || k.shape.length !== q.shape.length || v.shape.length !== q.shape.length) {
    throw new InputError(`attention reference: q, k, v must share a rank >= 3, got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`);
  }
  const lead = q.shape.slice(0, -2);
  const [L, E] = q.shape.slice(-2);
  const [S, Ek] = k.shape.slice(-2);
  const [Sv, Ev] = v.shape.slice(-2);
  if (formatShape(k.shape.slice(0, -2)) !== formatShape(lead) || formatShape(v.shape.slice(0, -2)) !== formatShape(lead) || Ek !== E || Sv !== S) {
    throw new InputError(`attention reference: shapes q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)} do not fit together`);
  }
  return { lead, B: numel(lead), L, S, E, Ev };
}

/** The mask value for score (b, i, j), broadcasting the mask's shape against [...lead, L, S] from the right. */
function maskLookup(mask: Tensor64, target: number[]): (flatScore: number) => number {
  const m = mask.shape;
  if (m.length > target.length || m.some((size, d) => size !== 1 && size !== target[target.length - m.length + d])) {
    throw new InputError(`attention reference: mask ${formatShape(m)} does not broadcast to ${formatShape(target)}`);
  }
  const targetStrides = stridesOf(target);
  const maskStrides = stridesOf(m);
  const shift = target.length - m.length;
  return (flat) => {
    let offset = 0;
    for (let d = 0; d < m.length; d++) {
      const index = Math.floor(flat / targetStrides[d + shift]) % target[d + shift];
      if (m[d] !== 1) offset += index * maskStrides[d];
    }
    return mask.data[offset];
  };
}

/** Forward: scores = scale·Q·Kᵀ (+ mask; −inf where a bool mask is false or above the causal diagonal), attn = softmax(scores), output = attn·V. */
export function sdpaForwardRef(q: Tensor64, k: Tensor64, v: Tensor64, options: SdpaOptions = {}): SdpaResult {
  const { lead, B, L, S, E, Ev } = sdpaShape(q, k, v);
  const scale = options.scale ?? 1 / Math.sqrt(E);
  const scoreShape = [...lead, L, S];
  const lookup = options.mask ? maskLookup(options.mask.tensor, scoreShape) : null;
  const scores = new Float64Array(B * L * S);
  const attn = new Float64Array(B * L * S);
  const out = new Float64Array(B * L * Ev);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < L; i++) {
      const row = (b * L + i) * S;
      let max = -Infinity;
      for (let j = 0; j < S; j++) {
        let dot = 0;
        for (let e = 0; e < E; e++) dot += q.data[(b * L + i) * E + e] * k.data[(b * S + j) * E + e];
        let s = scale * dot;
        if (lookup) {
          const m = lookup(row + j);
          s = options.mask!.bool ? (m !== 0 ? s : -Infinity) : s + m;
        }
        if (options.isCausal && j > i) s = -Infinity;
        scores[row + j] = s;
        max = Math.max(max, s);
      }
      let total = 0;
      for (let j = 0; j < S; j++) total += (attn[row + j] = Math.exp(scores[row + j] - max));
      for (let j = 0; j < S; j++) attn[row + j] /= total;
      for (let c = 0; c < Ev; c++) {
        let sum = 0;
        for (let j = 0; j < S; j++) sum += attn[row + j] * v.data[(b * S + j) * Ev + c];
        out[(b * L + i) * Ev + c] = sum;
      }
    }
  }
  return { output: { shape: [...lead, L, Ev], data: out }, attn: { shape: scoreShape, data: attn }, scores: { shape: scoreShape, data: scores } };
}

/** Backward from the forward's probabilities: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = scale·dS·K, dK = scale·dSᵀ·Q. */
export function sdpaBackwardRef(q: Tensor64, k: Tensor64, v: Tensor64, options: SdpaOptions, gradOut: Tensor64): { q: Tensor64; k: Tensor64; v: Tensor64 } {
  const { B, L, S, E, Ev } = sdpaShape(q, k, v);
  const scale = options.scale ?? 1 / Math.sqrt(E);
  const P = sdpaForwardRef(q, k, v, options).attn.data;
  const g = gradOut.data;
  const gq = new Float64Array(q.data.length);
  const gk = new Float64Array(k.data.length);
  const gv = new Float64Array(v.data.length);
  const dS = new Float64Array(S);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < L; i++) {
      const row = (b * L + i) * S;
      let rowDot = 0;
      for (let j = 0; j < S; j++) {
        let dP = 0;
        for (let c = 0; c < Ev; c++) {
          dP += g[(b * L + i) * Ev + c] * v.data[(b * S + j) * Ev + c];
          gv[(b * S + j) * Ev + c] += P[row + j] * g[(b * L + i) * Ev + c];
        }
        dS[j] = dP;
        rowDot += dP * P[row + j];
      }
      for (let j = 0; j < S; j++) {
        const ds = P[row + j] * (dS[j] - rowDot) * scale;
        for (let e = 0; e < E; e++) {
          gq[(b * L + i) * E + e] += ds * k.data[(b * S + j) * E + e];
          gk[(b * S + j) * E + e] += ds * q.data[(b * L + i) * E + e];
        }
      }
    }
  }
  return { q: { shape: [...q.shape], data: gq }, k: { shape: [...k.shape], data: gk }, v: { shape: [...v.shape], data: gv } };
}

/** nn.MultiheadAttention self-attention parameters and options (masks in its convention: bool True = may NOT attend). */
export interface MhaParams {
  inProjWeight: Tensor64;
  inProjBias: Tensor64 | null;
  outProjWeight: Tensor64;
  outProjBias: Tensor64 | null;
  numHeads: number;
  isCausal?: boolean;
  batchFirst?: boolean;
  attnMask?: AttentionMaskRef | null;
  keyPaddingMask?: AttentionMaskRef | null;
}

/** Forward results: output in x's layout, per-head probabilities [N, H, L, L] and projections [N, H, L, D]. */
export interface MhaResult {
  output: Tensor64;
  attnWeights: Tensor64;
  q: Tensor64;
  k: Tensor64;
  v: Tensor64;
}

/** Swaps the first two axes of a 3-D tensor ([L, N, E] ↔ [N, L, E]). */
function swap01(t: Tensor64): Tensor64 {
  const [a, b, c] = t.shape;
  const data = new Float64Array(t.data.length);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let e = 0; e < c; e++) data[(j * a + i) * c + e] = t.data[(i * b + j) * c + e];
  return { shape: [b, a, c], data };
}

interface MhaPieces {
  xb: Tensor64;
  N: number;
  L: number;
  E: number;
  H: number;
  D: number;
  mask: AttentionMaskRef;
}

/** x in batch-first layout and the masks merged into one additive [N, H, L, L] mask (0, −inf or the float values). */
function mhaPieces(x: Tensor64, p: MhaParams): MhaPieces {
  const xb = p.batchFirst === false ? swap01(x) : x;
  const [N, L, E] = xb.shape;
  const H = p.numHeads;
  if (E % H !== 0) throw new InputError(`attention reference: embed_dim ${E} is not divisible by num_heads ${H}`);
  const merged = new Float64Array(N * H * L * L);
  const add = (m: AttentionMaskRef | null | undefined, at: (n: number, h: number, i: number, j: number) => number) => {
    if (!m) return;
    merged.forEach((_, flat) => {
      const j = flat % L;
      const i = Math.floor(flat / L) % L;
      const h = Math.floor(flat / (L * L)) % H;
      const n = Math.floor(flat / (H * L * L));
      const value = m.tensor.data[at(n, h, i, j)];
      merged[flat] += m.bool ? (value !== 0 ? -Infinity : 0) : value;
    });
  };
  const a = p.attnMask;
  add(a, (n, h, i, j) => (a!.tensor.shape.length === 2 ? i * L + j : ((n * H + h) * L + i) * L + j));
  add(p.keyPaddingMask, (n, _h, _i, j) => n * L + j);
  if (p.isCausal) merged.forEach((_, flat) => { if (flat % L > Math.floor(flat / L) % L) merged[flat] = -Infinity; });
  return { xb, N, L, E, H, D: E / H, mask: { tensor: { shape: [N, H, L, L], data: merged }, bool: false } };
}

/** Columns [offset, offset + H·D) of a row-major [N·L, width] matrix as per-head [N, H, L, D]. */
function splitHeads(t: Tensor64, N: number, L: number, H: number, D: number, width: number, offset: number): Tensor64 {
  const data = new Float64Array(N * H * L * D);
  for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let i = 0; i < L; i++) for (let d = 0; d < D; d++) {
    data[((n * H + h) * L + i) * D + d] = t.data[(n * L + i) * width + offset + h * D + d];
  }
  return { shape: [N, H, L, D], data };
}

/** Inverse of splitHeads for one [N, H, L, D] tensor into columns [offset, offset + E) of a [N·L, width] matrix. */
function mergeHeads(t: Tensor64, into: Float64Array, width: number, offset: number): void {
  const [N, H, L, D] = t.shape;
  for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let i = 0; i < L; i++) for (let d = 0; d < D; d++) {
    into[(n * L + i) * width + offset + h * D + d] = t.data[((n * H + h) * L + i) * D + d];
  }
}

/** Self-attention forward: in-projection, per-head softmax(Q·Kᵀ/√D + mask)·V, heads merged, out-projection. */
export function mhaForwardRef(x: Tensor64, p: MhaParams): MhaResult {
  const { xb, N, L, E, H, D, mask } = mhaPieces(x, p);
  const qkv = linearForwardRef(xb, p.inProjWeight, p.inProjBias);
  const [q, k, v] = [0, E, 2 * E].map((offset) => splitHeads(qkv, N, L, H, D, 3 * E, offset));
  const core = sdpaForwardRef(q, k, v, { mask });
  const heads = new Float64Array(N * L * E);
  mergeHeads(core.output, heads, E, 0);
  const out = linearForwardRef({ shape: [N, L, E], data: heads }, p.outProjWeight, p.outProjBias);
  return { output: p.batchFirst === false ? swap01(out) : out, attnWeights: core.attn, q, k, v };
}

/** Gradients of self-attention for x and every parameter given (biases null when absent). */
export function mhaBackwardRef(x: Tensor64, p: MhaParams, gradOut: Tensor64): {
  x: Tensor64; inProjWeight: Tensor64; inProjBias: Tensor64 | null; outProjWeight: Tensor64; outProjBias: Tensor64 | null;
} {
  const { xb, N, L, E, H, D, mask } = mhaPieces(x, p);
  const g = p.batchFirst === false ? swap01(gradOut) : gradOut;
  const qkv = linearForwardRef(xb, p.inProjWeight, p.inProjBias);
  const [q, k, v] = [0, E, 2 * E].map((offset) => splitHeads(qkv, N, L, H, D, 3 * E, offset));
  const core = sdpaForwardRef(q, k, v, { mask });
  const headsData = new Float64Array(N * L * E);
  mergeHeads(core.output, headsData, E, 0);
  const heads: Tensor64 = { shape: [N, L, E], data: headsData };
  const outGrads = linearBackwardRef(heads, p.outProjWeight, p.outProjBias, g);
  const gHeads = splitHeads(outGrads.x, N, L, H, D, E, 0);
  const coreGrads = sdpaBackwardRef(q, k, v, { mask }, gHeads);
  const gQkv = new Float64Array(N * L * 3 * E);
  [coreGrads.q, coreGrads.k, coreGrads.v].forEach((t, part) => mergeHeads(t, gQkv, 3 * E, part * E));
  const inGrads = linearBackwardRef(xb, p.inProjWeight, p.inProjBias, { shape: [N, L, 3 * E], data: gQkv });
  return {
    x: p.batchFirst === false ? swap01(inGrads.x) : inGrads.x,
    inProjWeight: inGrads.weight, inProjBias: inGrads.bias, outProjWeight: outGrads.weight, outProjBias: outGrads.bias,
  };
}
