/**
 * The Layer Lab's descriptions of `scaled_dot_product_attention` and `multi_head_attention`
 * (F.scaled_dot_product_attention, nn.MultiheadAttention(batch_first=True) self-attention).
 * Click a cell of the attention probabilities: that head's query row is taken apart — scores,
 * max, exp, normalizer, probabilities and the weighted sum of value rows — in float64 from the
 * inputs the page sent, beside the GPU's traced values.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { NnxError } from '../../analysis/errors.ts';
import { LAYER_RULES } from '../../analysis/layers/index.ts';
import { numel, type Tensor } from '../../analysis/tensor.ts';
import type { JsonTensor, RunSpec } from '../../ops/spec.ts';
import '../attention_matrix.ts';
import { formatCount, formatFloat32, formatFloat64, formatShape } from '../format.ts';
import { checkInts, COMPACT_TABLE_STYLE, figures, flat, GRAD_ROW, int, invalid, SEED_ROW } from './common.ts';
import { seededRandom, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type LabRunData, type NeuronFocus, type Validation } from './types.ts';

const MAX_ELEMENTS = 65_536;

/** One query row of attention recomputed in float64. `add[s]` is the additive mask (−∞ where masked). */
function attendRow(q: ArrayLike<number>, keys: ArrayLike<number>[], values: ArrayLike<number>[], scale: number, add: number[]) {
  const dots = keys.map((k) => {
    let s = 0;
    for (let e = 0; e < q.length; e++) s += q[e] * k[e];
    return s;
  });
  const scores = dots.map((d, s) => scale * d + add[s]);
  const m = Math.max(...scores);
  const exps = scores.map((v) => Math.exp(v - m));
  const sum = exps.reduce((a, b) => a + b, 0);
  const p = exps.map((v) => v / sum);
  const ev = values[0]?.length ?? 0;
  const out = Array.from({ length: ev }, (_, j) => p.reduce((acc, pi, s) => acc + pi * values[s][j], 0));
  return { dots, scores, m, exps, sum, p, out };
}

/** A float64 value, with ±∞ written as the GPU columns write it. */
const f64 = (v: number, digits: number) => (Number.isFinite(v) ? formatFloat64(v, digits) : formatFloat32(v));

/** Rows `[start, start + count)` of a row-major [rows, width] block starting at `offset`. */
function rowsOf(data: ArrayLike<number>, offset: number, count: number, width: number): Float64Array[] {
  return Array.from({ length: count }, (_, r) => Float64Array.from({ length: width }, (_, j) => data[offset + r * width + j]));
}

function cellTable(heads: string[], rows: (TemplateResult | typeof nothing)[]): TemplateResult {
  return html`<div class="terms" tabindex="0" role="region" aria-label=${heads.join(', ')}>${COMPACT_TABLE_STYLE}<table class="compact"><thead><tr>${heads.map((h, i) => html`<th class=${i ? 'num' : ''}>${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

interface RowView {
  /** Heading, e.g. "head 1, query 3". */
  title: string;
  probs: Tensor;
  masked: boolean[];
  row: number;
  pick: (row: number) => void;
  /** The head shown, how many there are, and how to switch to another (same query row). */
  head: number;
  heads: number;
  pickHead: (head: number) => void;
  r: ReturnType<typeof attendRow>;
  add: number[];
  gpuScores: ArrayLike<number> | null;
  gpuProbs: ArrayLike<number>;
  scale: number;
  values: Float64Array[];
  /** The GPU's values of this row's weighted sum, when the op returns them. */
  gpuOut: ArrayLike<number> | null;
  outLabel: string;
  extra?: TemplateResult;
  /** Shown full width after the weighted sum (multi-head attention's output projection). */
  after?: TemplateResult;
}

/** The step-by-step panel of one query row, shared by both attention ops. */
function rowPanel(v: RowView): TemplateResult {
  const { r } = v;
  const S = r.scores.length;
  const live = v.masked.slice(v.row * S, (v.row + 1) * S);
  return html`<div class="detail" data-role="attention-detail">
    <div class="head"><h2 class="mono">${v.title}</h2><span class="muted small">float64 from the inputs the page sent, beside the GPU's traced values</span></div>
    <div class="layout">
      <div>
        <div class="small" style="display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin-bottom:6px" data-role="heads">
          <span class="muted">head</span>
          ${Array.from({ length: v.heads }, (_, hh) => html`<button class=${hh === v.head ? 'primary' : ''} style="padding:2px 9px;font-size:12px" data-head=${hh} @click=${() => v.pickHead(hh)}>${hh}</button>`)}
        </div>
        <h3 style="margin-bottom:6px;font-size:12px">attention probabilities of head ${v.head} (GPU); click a query row</h3>
        <nnx-attention-matrix .probs=${v.probs} .masked=${v.masked} .row=${v.row} @nnx-row-select=${(e: CustomEvent<{ row: number }>) => v.pick(e.detail.row)}></nnx-attention-matrix>
      </div>
      <div>
        ${figures([
          { label: 'scale', value: formatFloat64(v.scale, 7), role: 'scale', raw: v.scale },
          { label: 'max of the scores m (f64)', value: formatFloat64(r.m), role: 'max', raw: r.m },
          { label: 'normalizer Σ exp(score − m) (f64)', value: formatFloat64(r.sum), role: 'sum-exp', raw: r.sum },
          { label: 'keys taking part', value: `${live.filter((x) => !x).length} of ${S}`, role: 'live', raw: live.filter((x) => !x).length },
        ])}
        ${v.extra ?? nothing}
      </div>
      <div style="grid-column: 1 / -1">
        ${cellTable(['key', 'q·k (f64)', 'mask', 'score (f64)', ...(v.gpuScores ? ['GPU score'] : []), 'score − m', 'exp', 'p (f64)', 'GPU p'], r.scores.map((sc, s) => html`<tr class=${live[s] ? 'padded' : ''} data-s=${s} data-masked=${live[s] ? 'true' : 'false'}>
          <td class="mono" title=${live[s] ? 'masked: takes no part' : ''}>k${s}${live[s] ? ' ×' : ''}</td>
          <td class="num">${formatFloat64(r.dots[s], 5)}</td>
          <td class="num">${v.add[s] === 0 ? '0' : f64(v.add[s], 4)}</td>
          <td class="num" data-role="score" data-value=${sc}>${f64(sc, 5)}</td>
          ${v.gpuScores ? html`<td class="num" data-role="gpu-score" data-value=${v.gpuScores[s]}>${formatFloat32(v.gpuScores[s])}</td>` : nothing}
          <td class="num">${f64(sc - r.m, 5)}</td>
          <td class="num">${formatFloat64(r.exps[s], 5)}</td>
          <td class="num" data-role="p" data-value=${r.p[s]}>${formatFloat64(r.p[s], 6)}</td>
          <td class="num" data-role="gpu-p" data-value=${v.gpuProbs[s]}>${formatFloat32(v.gpuProbs[s])}</td>
        </tr>`))}
      </div>
      <div style="grid-column: 1 / -1">
        <h3 style="margin:4px 0 6px;font-size:12px">${v.outLabel} = Σ p_s · v_s</h3>
        ${cellTable(['', 'p', ...r.out.map((_, j) => `v[·, ${j}]`)], [
          ...v.values.map((row, s) => html`<tr class=${live[s] ? 'padded' : ''}><td class="mono">v${s}</td><td class="num">${formatFloat64(r.p[s], 5)}</td>${Array.from(row, (x) => html`<td class="num">${formatFloat32(x)}</td>`)}</tr>`),
          html`<tr class="arg"><td>Σ p·v (f64)</td><td></td>${r.out.map((o) => html`<td class="num" data-role="out" data-value=${o}>${formatFloat64(o, 7)}</td>`)}</tr>`,
          v.gpuOut
            ? html`<tr><td>GPU</td><td></td>${Array.from(v.gpuOut, (o) => html`<td class="num" data-role="gpu-out" data-value=${o}>${formatFloat32(o)}</td>`)}</tr>`
            : nothing,
        ])}
      </div>
      ${v.after ?? nothing}
    </div>
  </div>`;
}

const HINT = html`<div class="hint"><span class="arrow">←</span><span><b>Click any cell of the attention probabilities</b> to pick that head and query row: its scores, the max subtracted, exp, the normalizer, the probabilities and the weighted sum of value rows, in float64 beside the GPU's values.</span></div>`;

// ---------------------------------------------------------------------------------------------
// scaled_dot_product_attention

function readSdpa(config: LabConfig) {
  return {
    n: num(config, 'n'), heads: num(config, 'heads'), l: num(config, 'l'), s: num(config, 's'), e: num(config, 'e'), ev: num(config, 'ev'),
    mask: String(config.mask), scale: String(config.scale), seed: num(config, 'seed'),
  };
}

/** Per cell of [L, S], the additive mask the op applies (0, −∞ or a float) for a configuration. */
function sdpaMask(config: LabConfig, spec?: RunSpec): { add: number[]; masked: boolean[] } {
  const c = readSdpa(config);
  const add = new Array<number>(c.l * c.s).fill(0);
  if (c.mask === 'causal') {
    for (let i = 0; i < c.l; i++) for (let j = i + 1; j < c.s; j++) add[i * c.s + j] = -Infinity;
  } else if (c.mask === 'bool' || c.mask === 'float') {
    const m = spec?.inputs.attn_mask?.data ?? maskValues(config);
    for (let k = 0; k < add.length; k++) add[k] = c.mask === 'bool' ? (m[k] ? 0 : -Infinity) : m[k];
  }
  return { add, masked: add.map((a) => a === -Infinity) };
}

/** The seeded attn_mask data: bool as 1/0 (True takes part; one key per query always kept), float in ±2. */
function maskValues(config: LabConfig): number[] {
  const c = readSdpa(config);
  if (c.mask === 'float') return Array.from(uniform(c.l * c.s, stream(c.seed, 7), -2, 2));
  const next = seededRandom(stream(c.seed, 7));
  const m = Array.from({ length: c.l * c.s }, () => (next() < 0.65 ? 1 : 0));
  for (let i = 0; i < c.l; i++) m[i * c.s + (i % c.s)] = 1;
  return m;
}

function sdpaScale(config: LabConfig): number {
  const c = readSdpa(config);
  return c.scale === 'one' ? 1 : 1 / Math.sqrt(c.e);
}

function sdpaPytorch(config: LabConfig): string {
  const c = readSdpa(config);
  const args = ['q', 'k', 'v'];
  if (c.mask === 'bool' || c.mask === 'float') args.push('attn_mask=mask');
  if (c.mask === 'causal') args.push('is_causal=True');
  if (c.scale === 'one') args.push('scale=1.0');
  return `F.scaled_dot_product_attention(${args.join(', ')})`;
}

export const sdpaLab: LabOp = {
  name: 'scaled_dot_product_attention',
  title: 'Scaled dot-product attention',
  summary: 'softmax(scale·Q·Kᵀ + mask)·V per head: each query row scores every key, the scores become probabilities, and the output is the probability-weighted sum of the value rows.',
  rows: [
    { section: 'Layer', label: 'mask', fields: [{ key: 'mask', kind: 'choice', default: 'causal', options: [
      { value: 'none', label: 'none' }, { value: 'causal', label: 'is_causal (query i sees keys ≤ i)' },
      { value: 'bool', label: 'bool attn_mask (seeded)' }, { value: 'float', label: 'float attn_mask, added (seeded ±2)' },
    ] }] },
    { section: 'Layer', label: 'scale', fields: [{ key: 'scale', kind: 'choice', default: 'default', options: [{ value: 'default', label: '1/√E (default)' }, { value: 'one', label: '1' }] }] },
    { section: 'Input', label: 'batch · heads', fields: [int('n', 1, 1, 4, 'N'), int('heads', 2, 1, 8, 'heads')] },
    { section: 'Input', label: 'queries L · keys S', fields: [int('l', 5, 1, 32, 'L'), int('s', 6, 1, 32, 'S')] },
    { section: 'Input', label: 'E (q, k) · Ev (v)', fields: [int('e', 4, 1, 64, 'E'), int('ev', 3, 1, 64, 'Ev')] },
    GRAD_ROW,
    SEED_ROW,
  ],

  validate(config): Validation {
    const c = readSdpa(config);
    const line = sdpaPytorch(config);
    const bad = checkInts(sdpaLab.rows, config, line);
    if (bad) return bad;
    const shapes: Record<string, number[]> = {
      q: [c.n, c.heads, c.l, c.e], k: [c.n, c.heads, c.s, c.e], v: [c.n, c.heads, c.s, c.ev],
      scores: [c.n, c.heads, c.l, c.s], attn: [c.n, c.heads, c.l, c.s], output: [c.n, c.heads, c.l, c.ev],
    };
    const big = Object.entries(shapes).find(([, s]) => numel(s) > MAX_ELEMENTS);
    if (big) return invalid(`${big[0]} ${formatShape(big[1])} has ${formatCount(numel(big[1]))} values; the lab draws at most ${formatCount(MAX_ELEMENTS)} per tensor`, ['n', 'heads', 'l', 's', 'e', 'ev'], line);
    const macs = c.n * c.heads * c.l * c.s * (c.e + c.ev);
    return {
      ok: true, error: null, fields: [], derivations: [], shapes, pytorch: line,
      stats: [
        { label: 'output', value: formatShape(shapes.output) },
        { label: 'parameters', value: '0' },
        { label: 'MACs', value: formatCount(macs), title: 'Q·Kᵀ (N·heads·L·S·E) and P·V (N·heads·L·S·Ev)' },
        { label: 'scale', value: formatFloat64(sdpaScale(config), 6) },
      ],
    };
  },

  buildSpec(config): RunSpec {
    const v = sdpaLab.validate(config);
    if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
    const c = readSdpa(config);
    const t = (name: string, k: number) => ({ shape: v.shapes[name], data: Array.from(uniform(numel(v.shapes[name]), stream(c.seed, k), -1, 1)) });
    const attrs: Record<string, unknown> = {};
    if (c.mask === 'causal') attrs.is_causal = true;
    if (c.scale === 'one') attrs.scale = 1;
    const spec: RunSpec = {
      op: 'scaled_dot_product_attention', attrs,
      inputs: { q: t('q', 1), k: t('k', 2), v: t('v', 3) },
      grad_output: { output: config.grad === 'ones' ? { shape: v.shapes.output, data: new Array(numel(v.shapes.output)).fill(1) } : t('output', 9) },
    };
    // spec.ts parses "dtype": "bool" for masks (JsonTensor's type does not list it).
    if (c.mask === 'bool') spec.inputs.attn_mask = { shape: [c.l, c.s], data: maskValues(config), dtype: 'bool' as unknown as JsonTensor['dtype'] };
    if (c.mask === 'float') spec.inputs.attn_mask = { shape: [c.l, c.s], data: maskValues(config) };
    return spec;
  },

  trace: true,
  forwardSlots: [
    { name: 'q', title: 'q', source: 'inputs.q', axes: ['n', 'head'], help: 'each plane: L queries × E' },
    { name: 'k', title: 'k', source: 'inputs.k', axes: ['n', 'head'], help: 'each plane: S keys × E' },
    { name: 'v', title: 'v', source: 'inputs.v', axes: ['n', 'head'], help: 'each plane: S values × Ev' },
    { name: 'output', title: 'output', source: 'outputs.output', axes: ['n', 'head'], help: 'each plane: L × Ev' },
    { name: 'attn', title: 'attention probabilities', source: 'trace.attn', axes: ['n', 'head'], help: 'GPU trace, one L×S plane per head; click a cell to take its query row apart' },
  ],
  operators: {},
  traceSlots: [{ name: 'scores', title: 'scores = scale·Q·Kᵀ + mask', source: 'trace.scores', axes: ['n', 'head'], help: 'what enters the softmax (−∞ where masked)' }],
  backwardSlots: [
    { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', axes: ['n', 'head'], help: 'the upstream gradient fed to backward' },
    { name: 'grad.q', title: '∂L/∂q', source: 'grads.q', axes: ['n', 'head'], help: 'gradient w.r.t. the queries' },
    { name: 'grad.k', title: '∂L/∂k', source: 'grads.k', axes: ['n', 'head'], help: 'gradient w.r.t. the keys' },
    { name: 'grad.v', title: '∂L/∂v', source: 'grads.v', axes: ['n', 'head'], help: 'Pᵀ·∂L/∂output' },
  ],
  explainSlot: 'attn',
  padding: () => ({}),

  focus(config, [n, h, l]): NeuronFocus {
    const c = readSdpa(config);
    const range = (count: number, f: (i: number) => number[]) => Array.from({ length: count }, (_, i) => f(i));
    return {
      highlights: {
        q: range(c.e, (e) => [n, h, l, e]), attn: range(c.s, (s) => [n, h, l, s]), scores: range(c.s, (s) => [n, h, l, s]),
        output: range(c.ev, (e) => [n, h, l, e]), grad_output: range(c.ev, (e) => [n, h, l, e]),
      },
    };
  },

  detail(run, index, select) {
    if (!index) return HINT;
    const [n, h, l] = index;
    const c = readSdpa(run.config);
    const { add, masked } = sdpaMask(run.config, run.spec);
    const T = run.tensors;
    const q = rowsOf(T['inputs.q'].data, flat(T['inputs.q'].shape, [n, h, l, 0]), 1, c.e)[0];
    const keys = rowsOf(T['inputs.k'].data, flat(T['inputs.k'].shape, [n, h, 0, 0]), c.s, c.e);
    const values = rowsOf(T['inputs.v'].data, flat(T['inputs.v'].shape, [n, h, 0, 0]), c.s, c.ev);
    const scale = sdpaScale(run.config);
    const r = attendRow(q, keys, values, scale, add.slice(l * c.s, (l + 1) * c.s));
    const attn = T['trace.attn'];
    const plane = flat(attn.shape, [n, h, 0, 0]);
    const rowAt = flat(attn.shape, [n, h, l, 0]);
    const out = T['outputs.output'];
    return rowPanel({
      title: `batch ${n}, head ${h}, query ${l}`,
      probs: { shape: [c.l, c.s], data: attn.data.subarray(plane, plane + c.l * c.s) },
      masked, row: l, pick: (row) => select([n, h, row, 0]), head: h, heads: c.heads, pickHead: (hh) => select([n, hh, l, 0]),
      r, add: add.slice(l * c.s, (l + 1) * c.s), scale, values,
      gpuScores: T['trace.scores']?.data.subarray(rowAt, rowAt + c.s) ?? null,
      gpuProbs: attn.data.subarray(rowAt, rowAt + c.s),
      gpuOut: out.data.subarray(flat(out.shape, [n, h, l, 0]), flat(out.shape, [n, h, l, 0]) + c.ev),
      outLabel: `output[${n}, ${h}, ${l}, :]`,
    });
  },
};

// ---------------------------------------------------------------------------------------------
// multi_head_attention

function readMha(config: LabConfig) {
  return {
    n: num(config, 'n'), l: num(config, 'l'), e: num(config, 'e'), heads: num(config, 'heads'),
    causal: config.causal === true, bias: config.bias === true, seed: num(config, 'seed'),
  };
}

function mhaPytorch(config: LabConfig): string {
  const c = readMha(config);
  return `nn.MultiheadAttention(${c.e}, ${c.heads}${c.bias ? '' : ', bias=False'}, batch_first=True)(x, x, x${c.causal ? ', attn_mask=causal, is_causal=True' : ''}, average_attn_weights=False)`;
}

/** q, k, v of one (batch item, head) recomputed in float64 from x and in_proj: three [L, head_dim] blocks. */
function projectHead(spec: RunSpec, n: number, h: number, c: ReturnType<typeof readMha>): Float64Array[][] {
  const x = spec.inputs.x.data;
  const w = spec.inputs.in_proj_weight.data;
  const b = spec.inputs.in_proj_bias?.data;
  const hd = c.e / c.heads;
  return [0, 1, 2].map((part) => Array.from({ length: c.l }, (_, l) => Float64Array.from({ length: hd }, (_, j) => {
    const o = part * c.e + h * hd + j;
    let s = b ? b[o] : 0;
    for (let i = 0; i < c.e; i++) s += x[(n * c.l + l) * c.e + i] * w[o * c.e + i];
    return s;
  })));
}

export const mhaLab: LabOp = {
  name: 'multi_head_attention',
  title: 'Multi-head attention',
  summary: 'Self-attention as nn.MultiheadAttention computes it: x is projected to Q, K, V (in_proj), split into heads, each head attends with scale 1/√head_dim, and the heads are concatenated and projected back (out_proj).',
  rows: [
    { section: 'Layer', label: 'embed_dim E · num_heads', hint: 'E must be divisible by the heads', fields: [int('e', 8, 1, 64, 'E'), int('heads', 2, 1, 16, 'heads')] },
    { section: 'Layer', label: 'is_causal', hint: 'token i attends to tokens ≤ i', fields: [{ key: 'causal', kind: 'bool', default: true }] },
    { section: 'Layer', label: 'bias', fields: [{ key: 'bias', kind: 'bool', default: true }] },
    { section: 'Input', label: 'batch · tokens L', fields: [int('n', 1, 1, 4, 'N'), int('l', 6, 1, 32, 'L')] },
    GRAD_ROW,
    SEED_ROW,
  ],

  validate(config): Validation {
    const c = readMha(config);
    const line = mhaPytorch(config);
    const bad = checkInts(mhaLab.rows, config, line);
    if (bad) return bad;
    let outcome;
    try {
      outcome = LAYER_RULES.MultiheadAttention.infer({ type: 'MultiheadAttention', embed_dim: c.e, num_heads: c.heads, bias: c.bias, batch_first: true }, [{ shape: [c.n, c.l, c.e], kind: 'float' }], {});
    } catch (e) {
      if (!(e instanceof NnxError)) throw e;
      const hint = /divisible/.test(e.message) ? `: head_dim = ${c.e} / ${c.heads} = ${(c.e / c.heads).toFixed(3)} is not whole (try ${c.heads} heads with E = ${Math.max(1, Math.round(c.e / c.heads)) * c.heads})` : '';
      return invalid(`${e.message}${hint}`, ['e', 'heads'], line);
    }
    const hd = c.e / c.heads;
    const shapes: Record<string, number[]> = {
      x: [c.n, c.l, c.e], in_proj_weight: [3 * c.e, c.e], out_proj_weight: [c.e, c.e], output: outcome.outputShape,
      attn_weights: [c.n, c.heads, c.l, c.l], q: [c.n, c.heads, c.l, hd], k: [c.n, c.heads, c.l, hd], v: [c.n, c.heads, c.l, hd],
    };
    if (c.bias) Object.assign(shapes, { in_proj_bias: [3 * c.e], out_proj_bias: [c.e] });
    const params = outcome.params.reduce((s, p) => s + numel(p.shape), 0);
    return {
      ok: true, error: null, fields: [], derivations: [], shapes, pytorch: line,
      stats: [
        { label: 'output', value: formatShape(outcome.outputShape) },
        { label: 'parameters', value: formatCount(params), title: outcome.params.map((p) => `${p.name} ${formatShape(p.shape)}`).join(', ') },
        { label: 'MACs', value: formatCount(outcome.macs), title: 'in_proj, Q·Kᵀ, P·V and out_proj (src/analysis)' },
        { label: 'head_dim', value: String(hd) },
      ],
    };
  },

  buildSpec(config): RunSpec {
    const v = mhaLab.validate(config);
    if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
    const c = readMha(config);
    const u = (shape: number[], k: number, bound: number) => ({ shape, data: Array.from(uniform(numel(shape), stream(c.seed, k), -bound, bound)) });
    const inputs: RunSpec['inputs'] = {
      x: u(v.shapes.x, 0, 1),
      in_proj_weight: u(v.shapes.in_proj_weight, 1, Math.sqrt(6 / (4 * c.e))), // xavier_uniform on [3E, E], as PyTorch
      out_proj_weight: u(v.shapes.out_proj_weight, 2, 1 / Math.sqrt(c.e)),
    };
    if (c.bias) {
      inputs.in_proj_bias = u([3 * c.e], 3, 0.1);
      inputs.out_proj_bias = u([c.e], 4, 0.1);
    }
    return {
      op: 'multi_head_attention', attrs: { num_heads: c.heads, is_causal: c.causal }, inputs,
      grad_output: { output: config.grad === 'ones' ? { shape: v.shapes.output, data: new Array(numel(v.shapes.output)).fill(1) } : u(v.shapes.output, 9, 1) },
    };
  },

  trace: true,
  forwardSlots: [
    { name: 'x', title: 'input x', source: 'inputs.x', help: 'each plane: L tokens × E features' },
    { name: 'in_proj_weight', title: 'in_proj_weight', source: 'inputs.in_proj_weight', help: 'W_q, W_k, W_v stacked: 3E rows' },
    { name: 'out_proj_weight', title: 'out_proj.weight', source: 'inputs.out_proj_weight', help: 'mixes the concatenated heads' },
    { name: 'output', title: 'output', source: 'outputs.output', help: 'each plane: L × E' },
    { name: 'attn_weights', title: 'attention weights', source: 'trace.attn_weights', axes: ['n', 'head'], help: 'GPU trace, per head (not averaged); click a cell to take its query row apart' },
  ],
  operators: {},
  traceSlots: [
    { name: 'q', title: 'q', source: 'trace.q', axes: ['n', 'head'], help: 'x·W_qᵀ + b_q, split into heads' },
    { name: 'k', title: 'k', source: 'trace.k', axes: ['n', 'head'], help: 'x·W_kᵀ + b_k' },
    { name: 'v', title: 'v', source: 'trace.v', axes: ['n', 'head'], help: 'x·W_vᵀ + b_v' },
  ],
  backwardSlots: [
    { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', help: 'the upstream gradient fed to backward' },
    { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', help: 'through the three projections' },
    { name: 'grad.in_proj_weight', title: '∂L/∂in_proj_weight', source: 'grads.in_proj_weight', help: 'summed over batch and tokens' },
    { name: 'grad.out_proj_weight', title: '∂L/∂out_proj.weight', source: 'grads.out_proj_weight', help: '' },
  ],
  params: [
    { name: 'in_proj_weight', value: 'inputs.in_proj_weight', grad: 'grads.in_proj_weight' },
    { name: 'out_proj.weight', value: 'inputs.out_proj_weight', grad: 'grads.out_proj_weight' },
  ],
  explainSlot: 'attn_weights',
  padding: () => ({}),

  focus(config, [n, h, l]): NeuronFocus {
    const c = readMha(config);
    const hd = c.e / c.heads;
    const range = (count: number, f: (i: number) => number[]) => Array.from({ length: count }, (_, i) => f(i));
    return {
      highlights: {
        x: range(c.e, (e) => [n, l, e]), attn_weights: range(c.l, (s) => [n, h, l, s]), q: range(hd, (j) => [n, h, l, j]),
        output: range(c.e, (e) => [n, l, e]), grad_output: range(c.e, (e) => [n, l, e]),
      },
    };
  },

  detail(run, index, select) {
    if (!index) return HINT;
    return mhaDetail(run, index, select);
  },
};

function mhaDetail(run: LabRunData, [n, h, l]: number[], select: (index: number[]) => void): TemplateResult {
  const c = readMha(run.config);
  const hd = c.e / c.heads;
  const scale = 1 / Math.sqrt(hd);
  const causal = (i: number, j: number) => c.causal && j > i;
  const masked = Array.from({ length: c.l * c.l }, (_, k) => causal(Math.floor(k / c.l), k % c.l));
  const addRow = (i: number) => Array.from({ length: c.l }, (_, j) => (causal(i, j) ? -Infinity : 0));
  const T = run.tensors;
  // Every head of this token, so the concatenation and out_proj can be recomputed too.
  const heads = Array.from({ length: c.heads }, (_, hh) => {
    const [qs, ks, vs] = projectHead(run.spec, n, hh, c);
    return { qs, ks, vs, r: attendRow(qs[l], ks, vs, scale, addRow(l)) };
  });
  const { qs, ks, vs, r } = heads[h];
  const gpuQ = T['trace.q'];
  let qkvDiff = 0;
  if (gpuQ) {
    for (const [name, mine] of [['q', qs], ['k', ks], ['v', vs]] as const) {
      const t = T[`trace.${name}`];
      for (let i = 0; i < c.l; i++) for (let j = 0; j < hd; j++) qkvDiff = Math.max(qkvDiff, Math.abs(t.data[flat(t.shape, [n, h, i, j])] - mine[i][j]));
    }
  }
  const concat = heads.flatMap((x) => x.r.out);
  const w = run.spec.inputs.out_proj_weight.data;
  const b = run.spec.inputs.out_proj_bias?.data;
  const outRow = Array.from({ length: c.e }, (_, o) => concat.reduce((s, v, i) => s + v * w[o * c.e + i], b ? b[o] : 0));
  const out = T['outputs.output'];
  const gpuOut = out.data.subarray(flat(out.shape, [n, l, 0]), flat(out.shape, [n, l, 0]) + c.e);
  const attn = T['trace.attn_weights'];
  const plane = flat(attn.shape, [n, h, 0, 0]);
  const rowAt = flat(attn.shape, [n, h, l, 0]);
  // The op traces the heads' outputs before out_proj as `heads` [N, L, E]; this head's slice.
  const traced = T['trace.heads'];
  const headsOut = traced ? traced.data.subarray(flat(traced.shape, [n, l, h * hd]), flat(traced.shape, [n, l, h * hd]) + hd) : null;
  const extra = figures([
    { label: 'q, k, v (x·Wᵀ + b): max |GPU − f64|', value: gpuQ ? qkvDiff.toExponential(2) : '—', role: 'qkv-diff', raw: qkvDiff },
  ]);
  const after = html`<div style="grid-column: 1 / -1">
    <h3 style="margin:4px 0 6px;font-size:12px">output[${n}, ${l}, :] = concat(head outputs)·out_projᵀ + b (every head's row recomputed in float64)</h3>
    ${cellTable(['e', 'concat (f64)', 'float64', 'GPU'], outRow.map((o, e) => html`<tr>
      <td class="mono">${e}${Math.floor(e / hd) === h ? html` <span class="chip">head ${h}</span>` : nothing}</td>
      <td class="num">${formatFloat64(concat[e], 6)}</td>
      <td class="num" data-role="mha-out" data-value=${o}>${formatFloat64(o, 7)}</td>
      <td class="num" data-role="mha-gpu-out" data-value=${gpuOut[e]}>${formatFloat32(gpuOut[e])}</td>
    </tr>`))}
  </div>`;
  return rowPanel({
    title: `batch ${n}, head ${h}, token ${l}`,
    probs: { shape: [c.l, c.l], data: attn.data.subarray(plane, plane + c.l * c.l) },
    masked, row: l, pick: (row) => select([n, h, row, 0]), head: h, heads: c.heads, pickHead: (hh) => select([n, hh, l, 0]),
    r, add: addRow(l), scale, values: vs,
    gpuScores: null, gpuProbs: attn.data.subarray(rowAt, rowAt + c.l), gpuOut: headsOut,
    outLabel: `head ${h} output (float64; concatenated with the other heads before out_proj)`, extra, after,
  });
}
