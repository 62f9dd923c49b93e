/**
 * Float64 CPU reference for single-layer, unidirectional `nn.RNN`, `nn.LSTM` and `nn.GRU`
 * (input [T, N, I], PyTorch parameter layout and gate order) and backpropagation through time.
 * Written step by step, one loop per formula, for clarity.
 */
import { InputError } from '../errors.ts';
import { formatShape, type Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';

export type RecurrentCell = 'rnn' | 'lstm' | 'gru';
export type Nonlinearity = 'tanh' | 'relu';

/** Gates per cell: the rows of weight_ih/weight_hh are gates·H, in this order. */
export const GATE_NAMES: Record<RecurrentCell, string[]> = { rnn: [], lstm: ['i', 'f', 'g', 'o'], gru: ['r', 'z', 'n'] };

export function gateCount(cell: RecurrentCell): number {
  return cell === 'rnn' ? 1 : GATE_NAMES[cell].length;
}

/** The inputs of a recurrent layer; h0, c0 and the biases may be absent (zeros). */
export interface RecurrentInputs {
  x: Tensor64;
  h0: Tensor64 | null;
  c0: Tensor64 | null;
  weightIh: Tensor64;
  weightHh: Tensor64;
  biasIh: Tensor64 | null;
  biasHh: Tensor64 | null;
}

/** Forward results: outputs and, per step, the activated gates, the cell state and h. */
export interface RecurrentForward {
  y: Tensor64;
  hN: Tensor64;
  cN: Tensor64 | null;
  /** Activated gates by name ('i', 'f', 'g', 'o' or 'r', 'z', 'n'), each [T, N, H]. */
  gates: Record<string, Tensor64>;
  /** LSTM cell states c_t, [T, N, H]. */
  c: Tensor64 | null;
  /** Hidden states h_t, [T, N, H] (equal to y). */
  h: Tensor64;
}

/** Gradients of every input that was given (null where the input was absent), and ‖dL/dh_t‖ per step. */
export interface RecurrentGrads extends RecurrentInputs {
  /** Euclidean norm over [N, H] of the total gradient dL/dh_t, per step t. */
  gradHNorm: Tensor64;
}

interface Dims {
  t: number;
  n: number;
  i: number;
  h: number;
  g: number;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function dims(cell: RecurrentCell, p: RecurrentInputs): Dims {
  const op = cell;
  if (p.x.shape.length !== 3) throw new InputError(`${op}: x must be [T, N, I], got ${formatShape(p.x.shape)}`);
  const [t, n, i] = p.x.shape;
  const g = gateCount(cell);
  if (p.weightHh.shape.length !== 2) throw new InputError(`${op}: weight_hh must be 2-D, got ${formatShape(p.weightHh.shape)}`);
  const h = p.weightHh.shape[1];
  assertShape(op, 'weight_hh', p.weightHh, [g * h, h]);
  assertShape(op, 'weight_ih', p.weightIh, [g * h, i]);
  if (p.biasIh) assertShape(op, 'bias_ih', p.biasIh, [g * h]);
  if (p.biasHh) assertShape(op, 'bias_hh', p.biasHh, [g * h]);
  for (const [name, s] of [['h0', p.h0], ['c0', p.c0]] as const) {
    if (s && s.data.length !== n * h) throw new InputError(`${op}: ${name} must be [1, ${n}, ${h}], got ${formatShape(s.shape)}`);
  }
  if (cell !== 'lstm' && p.c0) throw new InputError(`${op}: only lstm takes c0`);
  return { t, n, i, h, g };
}

/** pre[n, row] = W_ih[row]·x_t[n] + b_ih[row] (input side) and W_hh[row]·h[n] + b_hh[row] (hidden side). */
function affine(w: Tensor64, b: Tensor64 | null, v: Float64Array, vOffset: number, cols: number, row: number): number {
  let s = b ? b.data[row] : 0;
  for (let k = 0; k < cols; k++) s += w.data[row * cols + k] * v[vOffset + k];
  return s;
}

/** Runs the layer over all T steps. */
export function recurrentForwardRef(cell: RecurrentCell, p: RecurrentInputs, nonlinearity: Nonlinearity = 'tanh'): RecurrentForward {
  const { t: T, n: N, i: I, h: H } = dims(cell, p);
  const size = T * N * H;
  const hs = new Float64Array(size);
  const cs = cell === 'lstm' ? new Float64Array(size) : null;
  const gates: Record<string, Float64Array> = {};
  for (const name of GATE_NAMES[cell]) gates[name] = new Float64Array(size);
  let hPrev = p.h0 ? Float64Array.from(p.h0.data) : new Float64Array(N * H);
  let cPrev = p.c0 ? Float64Array.from(p.c0.data) : new Float64Array(N * H);
  for (let t = 0; t < T; t++) {
    const hNext = new Float64Array(N * H);
    const cNext = new Float64Array(N * H);
    for (let n = 0; n < N; n++) {
      for (let u = 0; u < H; u++) {
        const at = (t * N + n) * H + u;
        const xi = (gate: number) => affine(p.weightIh, p.biasIh, p.x.data, (t * N + n) * I, I, gate * H + u);
        const hh = (gate: number) => affine(p.weightHh, p.biasHh, hPrev, n * H, H, gate * H + u);
        let h: number;
        if (cell === 'rnn') {
          const a = xi(0) + hh(0);
          h = nonlinearity === 'tanh' ? Math.tanh(a) : Math.max(a, 0);
        } else if (cell === 'lstm') {
          const i = sigmoid(xi(0) + hh(0));
          const f = sigmoid(xi(1) + hh(1));
          const g = Math.tanh(xi(2) + hh(2));
          const o = sigmoid(xi(3) + hh(3));
          const c = f * cPrev[n * H + u] + i * g;
          h = o * Math.tanh(c);
          gates.i[at] = i;
          gates.f[at] = f;
          gates.g[at] = g;
          gates.o[at] = o;
          cs![at] = c;
          cNext[n * H + u] = c;
        } else {
          const r = sigmoid(xi(0) + hh(0));
          const z = sigmoid(xi(1) + hh(1));
          const nn = Math.tanh(xi(2) + r * hh(2));
          h = (1 - z) * nn + z * hPrev[n * H + u];
          gates.r[at] = r;
          gates.z[at] = z;
          gates.n[at] = nn;
        }
        hs[at] = h;
        hNext[n * H + u] = h;
      }
    }
    hPrev = hNext;
    cPrev = cNext;
  }
  const shape = [T, N, H];
  return {
    y: { shape, data: hs },
    hN: { shape: [1, N, H], data: T > 0 ? hs.slice((T - 1) * N * H) : hPrev },
    cN: cell === 'lstm' ? { shape: [1, N, H], data: T > 0 ? cs!.slice((T - 1) * N * H) : cPrev } : null,
    gates: Object.fromEntries(Object.entries(gates).map(([k, v]) => [k, { shape, data: v }])),
    c: cs ? { shape, data: cs } : null,
    h: { shape, data: Float64Array.from(hs) },
  };
}

/**
 * Backpropagation through time for L = Σ y·gradY + h_n·gradHN (+ c_n·gradCN): walks t from
 * T − 1 to 0 carrying dL/dh (and dL/dc), accumulating the parameter gradients.
 */
export function recurrentBackwardRef(
  cell: RecurrentCell, p: RecurrentInputs, nonlinearity: Nonlinearity,
  gradY: Tensor64 | null, gradHN: Tensor64 | null, gradCN: Tensor64 | null,
): RecurrentGrads {
  const { t: T, n: N, i: I, h: H, g: G } = dims(cell, p);
  const f = recurrentForwardRef(cell, p, nonlinearity);
  if (gradY) assertShape(cell, 'grad y', gradY, [T, N, H]);
  const gx = new Float64Array(T * N * I);
  const gwIh = new Float64Array(G * H * I);
  const gwHh = new Float64Array(G * H * H);
  const gbIh = new Float64Array(G * H);
  const gbHh = new Float64Array(G * H);
  const norms = new Float64Array(T);
  let dh = gradHN ? Float64Array.from(gradHN.data) : new Float64Array(N * H);
  let dc = gradCN ? Float64Array.from(gradCN.data) : new Float64Array(N * H);
  const h0 = p.h0 ? p.h0.data : new Float64Array(N * H);
  const c0 = p.c0 ? p.c0.data : new Float64Array(N * H);
  for (let t = T - 1; t >= 0; t--) {
    const hPrev = (n: number, k: number) => (t > 0 ? f.h.data[((t - 1) * N + n) * H + k] : h0[n * H + k]);
    if (gradY) for (let j = 0; j < N * H; j++) dh[j] += gradY.data[t * N * H + j];
    norms[t] = Math.sqrt(dh.reduce((s, v) => s + v * v, 0));
    // Per (n, u): gradient of the input-side pre-activations (dXg) and of the hidden-side ones (dA).
    const dXg = new Float64Array(N * G * H);
    const dA = new Float64Array(N * G * H);
    const dhPrev = new Float64Array(N * H);
    const dcPrev = new Float64Array(N * H);
    for (let n = 0; n < N; n++) {
      for (let u = 0; u < H; u++) {
        const at = (t * N + n) * H + u;
        const j = n * H + u;
        const row = (gate: number) => n * G * H + gate * H + u;
        if (cell === 'rnn') {
          const h = f.h.data[at];
          const d = dh[j] * (nonlinearity === 'tanh' ? 1 - h * h : h > 0 ? 1 : 0);
          dXg[row(0)] = dA[row(0)] = d;
        } else if (cell === 'lstm') {
          const [i, fg, g, o, c] = [f.gates.i.data[at], f.gates.f.data[at], f.gates.g.data[at], f.gates.o.data[at], f.c!.data[at]];
          const cPrev = t > 0 ? f.c!.data[at - N * H] : c0[j];
          const tc = Math.tanh(c);
          const dcT = dc[j] + dh[j] * o * (1 - tc * tc);
          const pre = [dcT * g * i * (1 - i), dcT * cPrev * fg * (1 - fg), dcT * i * (1 - g * g), dh[j] * tc * o * (1 - o)];
          pre.forEach((v, gate) => (dXg[row(gate)] = dA[row(gate)] = v));
          dcPrev[j] = dcT * fg;
        } else {
          const [r, z, nn] = [f.gates.r.data[at], f.gates.z.data[at], f.gates.n.data[at]];
          const hp = hPrev(n, u);
          let hn = p.biasHh ? p.biasHh.data[2 * H + u] : 0;
          for (let k = 0; k < H; k++) hn += p.weightHh.data[(2 * H + u) * H + k] * hPrev(n, k);
          const dn = dh[j] * (1 - z) * (1 - nn * nn);
          const dz = dh[j] * (hp - nn) * z * (1 - z);
          const dr = dn * hn * r * (1 - r);
          dXg[row(0)] = dA[row(0)] = dr;
          dXg[row(1)] = dA[row(1)] = dz;
          dXg[row(2)] = dn;
          dA[row(2)] = dn * r;
          dhPrev[j] += dh[j] * z;
        }
      }
    }
    for (let n = 0; n < N; n++) {
      for (let row = 0; row < G * H; row++) {
        const dx = dXg[n * G * H + row];
        const da = dA[n * G * H + row];
        gbIh[row] += dx;
        gbHh[row] += da;
        for (let k = 0; k < I; k++) {
          gwIh[row * I + k] += dx * p.x.data[(t * N + n) * I + k];
          gx[(t * N + n) * I + k] += dx * p.weightIh.data[row * I + k];
        }
        for (let k = 0; k < H; k++) {
          gwHh[row * H + k] += da * hPrev(n, k);
          dhPrev[n * H + k] += da * p.weightHh.data[row * H + k];
        }
      }
    }
    dh = dhPrev;
    dc = dcPrev;
  }
  const hShape = p.h0 ? [...p.h0.shape] : [1, N, H];
  return {
    x: { shape: [...p.x.shape], data: gx },
    h0: p.h0 ? { shape: hShape, data: dh } : null,
    c0: p.c0 ? { shape: [...p.c0.shape], data: dc } : null,
    weightIh: { shape: [...p.weightIh.shape], data: gwIh },
    weightHh: { shape: [...p.weightHh.shape], data: gwHh },
    biasIh: p.biasIh ? { shape: [G * H], data: gbIh } : null,
    biasHh: p.biasHh ? { shape: [G * H], data: gbHh } : null,
    gradHNorm: { shape: [T], data: norms },
  };
}
