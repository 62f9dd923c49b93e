/**
 * Float64 CPU references for the graph ops (PyG GCNConv, GATConv, SAGEConv semantics), written
 * edge by edge in scatter form, independently of the GPU kernels' CSR gather form.
 * edge_index is flat [2, E]: sources then targets.
 */
import type { Tensor64 } from '../tensor.ts';

function edgesOf(edgeIndex: ArrayLike<number>): [number[], number[]] {
  const e = edgeIndex.length / 2;
  return [Array.from({ length: e }, (_, k) => edgeIndex[k]), Array.from({ length: e }, (_, k) => edgeIndex[e + k])];
}

/** PyG's remove_self_loops + add_self_loops: loops dropped, one per node appended. */
function withSelfLoops(src: number[], dst: number[], v: number): [number[], number[]] {
  const s: number[] = [];
  const t: number[] = [];
  src.forEach((a, k) => {
    if (a !== dst[k]) s.push(a), t.push(dst[k]);
  });
  for (let i = 0; i < v; i++) s.push(i), t.push(i);
  return [s, t];
}

/** y[r, o] = Σ_k a[r, k]·w[o, k] for a [rows, in], w [out, in]. */
function matmulT(a: Float64Array, w: Float64Array, rows: number, inF: number, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) {
    let s = 0;
    for (let k = 0; k < inF; k++) s += a[r * inF + k] * w[o * inF + k];
    y[r * outF + o] = s;
  }
  return y;
}

/** dA = g·W and dW = gᵀ·A for y = A·Wᵀ. */
function matmulTBackward(a: Float64Array, w: Float64Array, g: Float64Array, rows: number, inF: number, outF: number): [Float64Array, Float64Array] {
  const da = new Float64Array(rows * inF);
  const dw = new Float64Array(outF * inF);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) {
    const go = g[r * outF + o];
    for (let k = 0; k < inF; k++) {
      da[r * inF + k] += go * w[o * inF + k];
      dw[o * inF + k] += go * a[r * inF + k];
    }
  }
  return [da, dw];
}

function colSum(g: Float64Array, rows: number, cols: number): Float64Array {
  const s = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) s[c] += g[r * cols + c];
  return s;
}

export interface GcnRefOptions {
  addSelfLoops?: boolean;
  normalize?: boolean;
}

function gcnCoefficients(edgeIndex: ArrayLike<number>, v: number, o: GcnRefOptions): [number[], number[], number[]] {
  const normalize = o.normalize ?? true;
  let [src, dst] = edgesOf(edgeIndex);
  if (o.addSelfLoops ?? normalize) [src, dst] = withSelfLoops(src, dst, v);
  if (!normalize) return [src, dst, src.map(() => 1)];
  const deg = new Float64Array(v);
  for (const t of dst) deg[t] += 1;
  const inv = (i: number) => (deg[i] > 0 ? 1 / Math.sqrt(deg[i]) : 0);
  return [src, dst, src.map((s, k) => inv(s) * inv(dst[k]))];
}

/** GCNConv forward: out = Σ_{j→i} norm·(x·Wᵀ)_j + b. */
export function gcnForwardRef(x: Tensor64, edgeIndex: ArrayLike<number>, weight: Tensor64, bias: Tensor64 | null, o: GcnRefOptions = {}): Tensor64 {
  const [v, inF] = x.shape;
  const outF = weight.shape[0];
  const [src, dst, norm] = gcnCoefficients(edgeIndex, v, o);
  const h = matmulT(x.data, weight.data, v, inF, outF);
  const out = new Float64Array(v * outF);
  src.forEach((s, k) => {
    for (let f = 0; f < outF; f++) out[dst[k] * outF + f] += norm[k] * h[s * outF + f];
  });
  if (bias) for (let i = 0; i < v; i++) for (let f = 0; f < outF; f++) out[i * outF + f] += bias.data[f];
  return { shape: [v, outF], data: out };
}

/** GCNConv backward: gradients of x, weight and bias. */
export function gcnBackwardRef(x: Tensor64, edgeIndex: ArrayLike<number>, weight: Tensor64, bias: Tensor64 | null, g: Tensor64, o: GcnRefOptions = {}) {
  const [v, inF] = x.shape;
  const outF = weight.shape[0];
  const [src, dst, norm] = gcnCoefficients(edgeIndex, v, o);
  const dh = new Float64Array(v * outF);
  src.forEach((s, k) => {
    for (let f = 0; f < outF; f++) dh[s * outF + f] += norm[k] * g.data[dst[k] * outF + f];
  });
  const [dx, dw] = matmulTBackward(x.data, weight.data, dh, v, inF, outF);
  return {
    x: { shape: [v, inF], data: dx }, weight: { shape: [outF, inF], data: dw },
    bias: bias ? { shape: [outF], data: colSum(g.data, v, outF) } : null,
  };
}

/** In-degree of every node and the mean of its in-neighbours' features (zero where it has none). */
function neighbourMean(x: Float64Array, src: number[], dst: number[], v: number, inF: number): { count: Float64Array; mean: Float64Array } {
  const count = new Float64Array(v);
  for (const t of dst) count[t]++;
  const mean = new Float64Array(v * inF);
  src.forEach((s, k) => {
    for (let f = 0; f < inF; f++) mean[dst[k] * inF + f] += x[s * inF + f] / count[dst[k]];
  });
  return { count, mean };
}

/** SAGEConv (mean) forward: out = mean_{j→i} x_j · W_lᵀ + b_l + x_i · W_rᵀ. */
export function sageForwardRef(x: Tensor64, edgeIndex: ArrayLike<number>, weightL: Tensor64, biasL: Tensor64 | null, weightR: Tensor64 | null): Tensor64 {
  const [v, inF] = x.shape;
  const outF = weightL.shape[0];
  const [src, dst] = edgesOf(edgeIndex);
  const { mean } = neighbourMean(x.data, src, dst, v, inF);
  const out = matmulT(mean, weightL.data, v, inF, outF);
  if (biasL) for (let i = 0; i < v; i++) for (let f = 0; f < outF; f++) out[i * outF + f] += biasL.data[f];
  if (weightR) {
    const r = matmulT(x.data, weightR.data, v, inF, outF);
    r.forEach((val, i) => (out[i] += val));
  }
  return { shape: [v, outF], data: out };
}

/** SAGEConv (mean) backward. */
export function sageBackwardRef(x: Tensor64, edgeIndex: ArrayLike<number>, weightL: Tensor64, biasL: Tensor64 | null, weightR: Tensor64 | null, g: Tensor64) {
  const [v, inF] = x.shape;
  const outF = weightL.shape[0];
  const [src, dst] = edgesOf(edgeIndex);
  const { count, mean } = neighbourMean(x.data, src, dst, v, inF);
  const [dMean, dwl] = matmulTBackward(mean, weightL.data, g.data, v, inF, outF);
  const dx = new Float64Array(v * inF);
  src.forEach((s, k) => {
    for (let f = 0; f < inF; f++) dx[s * inF + f] += dMean[dst[k] * inF + f] / count[dst[k]];
  });
  let dwr: Float64Array | null = null;
  if (weightR) {
    const [dxr, w] = matmulTBackward(x.data, weightR.data, g.data, v, inF, outF);
    dxr.forEach((val, i) => (dx[i] += val));
    dwr = w;
  }
  return {
    x: { shape: [v, inF], data: dx }, weight_l: { shape: [outF, inF], data: dwl },
    bias_l: biasL ? { shape: [outF], data: colSum(g.data, v, outF) } : null,
    weight_r: dwr ? { shape: [outF, inF], data: dwr } : null,
  };
}

export interface GatRefOptions {
  heads?: number;
  concat?: boolean;
  negativeSlope?: number;
  addSelfLoops?: boolean;
}

interface GatState {
  v: number; inF: number; heads: number; c: number; src: number[]; dst: number[];
  h: Float64Array; raw: Float64Array; alpha: Float64Array; slope: number; concat: boolean;
}

function gatState(x: Tensor64, edgeIndex: ArrayLike<number>, weight: Tensor64, attSrc: Tensor64, attDst: Tensor64, o: GatRefOptions): GatState {
  const [v, inF] = x.shape;
  const heads = o.heads ?? 1;
  const c = weight.shape[0] / heads;
  const slope = o.negativeSlope ?? 0.2;
  let [src, dst] = edgesOf(edgeIndex);
  if (o.addSelfLoops ?? true) [src, dst] = withSelfLoops(src, dst, v);
  const hc = heads * c;
  const h = matmulT(x.data, weight.data, v, inF, hc);
  const as = new Float64Array(v * heads);
  const ad = new Float64Array(v * heads);
  for (let i = 0; i < v; i++) for (let hh = 0; hh < heads; hh++) for (let k = 0; k < c; k++) {
    as[i * heads + hh] += h[i * hc + hh * c + k] * attSrc.data[hh * c + k];
    ad[i * heads + hh] += h[i * hc + hh * c + k] * attDst.data[hh * c + k];
  }
  const e = src.length;
  const raw = new Float64Array(e * heads);
  const alpha = new Float64Array(e * heads);
  const max = new Float64Array(v * heads).fill(-Infinity);
  const sum = new Float64Array(v * heads);
  for (let m = 0; m < e; m++) for (let hh = 0; hh < heads; hh++) {
    const r = as[src[m] * heads + hh] + ad[dst[m] * heads + hh];
    raw[m * heads + hh] = r;
    const lk = r > 0 ? r : slope * r;
    max[dst[m] * heads + hh] = Math.max(max[dst[m] * heads + hh], lk);
  }
  for (let m = 0; m < e; m++) for (let hh = 0; hh < heads; hh++) {
    const r = raw[m * heads + hh];
    const ex = Math.exp((r > 0 ? r : slope * r) - max[dst[m] * heads + hh]);
    alpha[m * heads + hh] = ex;
    sum[dst[m] * heads + hh] += ex;
  }
  for (let m = 0; m < e; m++) for (let hh = 0; hh < heads; hh++) alpha[m * heads + hh] /= sum[dst[m] * heads + hh];
  return { v, inF, heads, c, src, dst, h, raw, alpha, slope, concat: o.concat ?? true };
}

/** GATConv forward (dropout 0). */
export function gatForwardRef(x: Tensor64, edgeIndex: ArrayLike<number>, weight: Tensor64, attSrc: Tensor64, attDst: Tensor64, bias: Tensor64 | null, o: GatRefOptions = {}): Tensor64 {
  const s = gatState(x, edgeIndex, weight, attSrc, attDst, o);
  const hc = s.heads * s.c;
  const agg = new Float64Array(s.v * hc);
  s.src.forEach((j, m) => {
    for (let hh = 0; hh < s.heads; hh++) for (let k = 0; k < s.c; k++) agg[s.dst[m] * hc + hh * s.c + k] += s.alpha[m * s.heads + hh] * s.h[j * hc + hh * s.c + k];
  });
  const width = s.concat ? hc : s.c;
  const out = new Float64Array(s.v * width);
  for (let i = 0; i < s.v; i++) for (let f = 0; f < width; f++) {
    let val = 0;
    if (s.concat) val = agg[i * hc + f];
    else for (let hh = 0; hh < s.heads; hh++) val += agg[i * hc + hh * s.c + f] / s.heads;
    out[i * width + f] = val + (bias ? bias.data[f] : 0);
  }
  return { shape: [s.v, width], data: out };
}

/** GATConv backward: gradients of x, weight, att_src, att_dst and bias. */
export function gatBackwardRef(x: Tensor64, edgeIndex: ArrayLike<number>, weight: Tensor64, attSrc: Tensor64, attDst: Tensor64, bias: Tensor64 | null, g: Tensor64, o: GatRefOptions = {}) {
  const s = gatState(x, edgeIndex, weight, attSrc, attDst, o);
  const { v, heads, c } = s;
  const hc = heads * c;
  const width = s.concat ? hc : c;
  const dAgg = new Float64Array(v * hc);
  for (let i = 0; i < v; i++) for (let hh = 0; hh < heads; hh++) for (let k = 0; k < c; k++) {
    dAgg[i * hc + hh * c + k] = s.concat ? g.data[i * width + hh * c + k] : g.data[i * width + k] / heads;
  }
  const dh = new Float64Array(v * hc);
  const e = s.src.length;
  const dAlpha = new Float64Array(e * heads);
  s.src.forEach((j, m) => {
    const i = s.dst[m];
    for (let hh = 0; hh < heads; hh++) for (let k = 0; k < c; k++) {
      dh[j * hc + hh * c + k] += s.alpha[m * heads + hh] * dAgg[i * hc + hh * c + k];
      dAlpha[m * heads + hh] += dAgg[i * hc + hh * c + k] * s.h[j * hc + hh * c + k];
    }
  });
  const dot = new Float64Array(v * heads);
  for (let m = 0; m < e; m++) for (let hh = 0; hh < heads; hh++) dot[s.dst[m] * heads + hh] += s.alpha[m * heads + hh] * dAlpha[m * heads + hh];
  const dAs = new Float64Array(v * heads);
  const dAd = new Float64Array(v * heads);
  for (let m = 0; m < e; m++) for (let hh = 0; hh < heads; hh++) {
    const k = m * heads + hh;
    const de = s.alpha[k] * (dAlpha[k] - dot[s.dst[m] * heads + hh]);
    const dr = s.raw[k] > 0 ? de : s.slope * de;
    dAs[s.src[m] * heads + hh] += dr;
    dAd[s.dst[m] * heads + hh] += dr;
  }
  const dAttSrc = new Float64Array(hc);
  const dAttDst = new Float64Array(hc);
  for (let i = 0; i < v; i++) for (let hh = 0; hh < heads; hh++) for (let k = 0; k < c; k++) {
    const idx = i * hc + hh * c + k;
    dh[idx] += dAs[i * heads + hh] * attSrc.data[hh * c + k] + dAd[i * heads + hh] * attDst.data[hh * c + k];
    dAttSrc[hh * c + k] += dAs[i * heads + hh] * s.h[idx];
    dAttDst[hh * c + k] += dAd[i * heads + hh] * s.h[idx];
  }
  const [dx, dw] = matmulTBackward(x.data, weight.data, dh, v, s.inF, hc);
  return {
    x: { shape: [v, s.inF], data: dx }, weight: { shape: [hc, s.inF], data: dw },
    att_src: { shape: [1, heads, c], data: dAttSrc }, att_dst: { shape: [1, heads, c], data: dAttDst },
    bias: bias ? { shape: [width], data: colSum(g.data, v, width) } : null,
  };
}
