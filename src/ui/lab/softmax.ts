/**
 * The Layer Lab's description of `softmax` / `log_softmax` (F.softmax, F.log_softmax): the stable
 * kernel (subtract the row maximum, then exponentiate) and, beside it, the naive one
 * (exponentiate directly) run on the same logits on the GPU, so float32 overflow shows as ∞/NaN.
 */
import { html, nothing } from 'lit';
import { NnxError } from '../../analysis/errors.ts';
import { LAYER_RULES } from '../../analysis/layers/index.ts';
import type { Tensor } from '../../analysis/tensor.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { runNaiveSoftmax } from '../../kernels/softmax.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatFloat32, formatFloat64, formatShape } from '../format.ts';
import { checkInts, figures, flat, GRAD_ROW, gradValues, int, invalid, SEED_ROW, termsTable, unflat } from './common.ts';
import { checkInput, makeInput, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type LabRunData, type RunTensors, type Validation } from './types.ts';

/** Largest float32: exp(x) overflows to ∞ for x above log(FLOAT32_MAX) ≈ 88.72. */
const FLOAT32_MAX = 3.4028234663852886e38;

function read(config: LabConfig) {
  return {
    fn: config.fn === 'log_softmax' ? 'log_softmax' as const : 'softmax' as const,
    dim: config.dim === '0' ? 0 : 1,
    n: num(config, 'n'), c: num(config, 'c'), seed: num(config, 'seed'),
  };
}

function pytorch(config: LabConfig): string {
  const c = read(config);
  return `F.${c.fn}(x, dim=${c.dim === 1 ? -1 : 0})`;
}

/**
 * The default logits: rows cycle through small values (±3), one logit of 100 among small ones,
 * every logit near 1000 (each exp overflows) and every logit near −1000 (each exp underflows to 0).
 */
function overflowLogits(n: number, c: number, seed: number): Float32Array {
  const base = uniform(n * c, stream(seed, 0), -3, 3);
  for (let i = 0; i < n; i++) {
    const row = base.subarray(i * c, (i + 1) * c);
    const pattern = i % 4;
    if (pattern === 1) row[(i * 7 + seed) % c] = 100;
    else if (pattern === 2) for (let j = 0; j < c; j++) row[j] = Math.fround(1000 + row[j]);
    else if (pattern === 3) for (let j = 0; j < c; j++) row[j] = Math.fround(-1000 + row[j]);
  }
  return base;
}

/** Flat offsets of the softmax line (along `dim` of a 2-D tensor) through `index`. */
function lineOffsets(shape: readonly number[], dim: number, index: readonly number[]): number[] {
  return Array.from({ length: shape[dim] }, (_, k) => flat(shape, dim === 1 ? [index[0], k] : [k, index[1]]));
}

/** The line's float64 recomputation from the logits the page sent. */
function recompute(values: number[]) {
  const m = Math.max(...values);
  const shifted = values.map((v) => v - m);
  const exps = shifted.map(Math.exp);
  const sum = exps.reduce((s, v) => s + v, 0);
  const naiveSum = values.reduce((s, v) => s + Math.exp(v), 0);
  return { m, shifted, exps, sum, lse: m + Math.log(sum), naiveSum };
}

export const softmaxLab: LabOp = {
  name: 'softmax',
  title: 'Softmax',
  summary: 'exp(x) / Σ exp(x) along one dim. The stable kernel subtracts the row maximum first (log-sum-exp trick); the naive one exponentiates directly and overflows float32 once a logit passes ≈ 88.7.',
  rows: [
    { section: 'Layer', label: 'function', fields: [{ key: 'fn', kind: 'choice', default: 'softmax', options: [{ value: 'softmax', label: 'softmax' }, { value: 'log_softmax', label: 'log_softmax' }] }] },
    { section: 'Layer', label: 'dim', fields: [{ key: 'dim', kind: 'choice', default: '-1', options: [{ value: '-1', label: '−1 (along each row)' }, { value: '0', label: '0 (down each column)' }] }] },
    { section: 'Input', label: 'rows · columns', fields: [int('n', 4, 1, 64, 'N'), int('c', 6, 2, 256, 'C')] },
    {
      section: 'Input', label: 'logits', fields: [{
        key: 'input', kind: 'choice', default: 'overflow', options: [
          { value: 'overflow', label: 'seeded, with 100, ±1000' }, { value: 'random', label: 'seeded random ±3' }, { value: 'typed', label: 'typed numbers' },
        ],
      }],
    },
    {
      section: 'Input', label: 'x values', hint: 'row-major, N·C numbers, comma or space separated',
      when: { key: 'input', value: 'typed' },
      fields: [{ key: 'xtext', kind: 'text', default: '1 2 3 4 5 6, 10 20 30 40 50 60, 85 87 89 91 93 95, 1000 0 -1000 1 2 3' }],
    },
    GRAD_ROW,
    SEED_ROW,
  ],

  validate(config): Validation {
    const c = read(config);
    const line = pytorch(config);
    const bad = checkInts(softmaxLab.rows, config, line);
    if (bad) return bad;
    const shape = [c.n, c.c];
    const inputProblem = checkInput(config, c.n * c.c, 'logits');
    if (inputProblem) return invalid(inputProblem, ['xtext', 'n', 'c'], line);
    let flops: number;
    try {
      flops = LAYER_RULES[c.fn === 'softmax' ? 'Softmax' : 'LogSoftmax'].infer({ type: c.fn === 'softmax' ? 'Softmax' : 'LogSoftmax', dim: c.dim }, [{ shape, kind: 'float' }], {}).flops;
    } catch (e) {
      if (!(e instanceof NnxError)) throw e;
      return invalid(e.message, ['dim'], line);
    }
    const stat = c.dim === 1 ? [c.n] : [c.c];
    return {
      ok: true, error: null, fields: [], derivations: [], pytorch: line,
      shapes: { x: shape, output: shape, naive: shape, max: stat, sum_exp: stat, grad_output: shape, 'grad.x': shape },
      stats: [
        { label: 'output', value: formatShape(shape) },
        { label: 'parameters', value: '0' },
        { label: 'FLOPs', value: formatCount(flops), title: 'max, subtract, exp, sum and divide: 5 per element (src/analysis)' },
        { label: 'lines', value: `${formatCount(stat[0])} of ${c.dim === 1 ? c.c : c.n}` },
      ],
    };
  },

  buildSpec(config): RunSpec {
    const v = softmaxLab.validate(config);
    if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
    const c = read(config);
    const count = c.n * c.c;
    let x: Float32Array;
    if (config.input === 'typed') x = makeInput(config, [c.n, c.c], c.seed);
    else if (config.input === 'random') x = uniform(count, stream(c.seed, 0), -3, 3);
    else x = overflowLogits(c.n, c.c, c.seed);
    const grad = gradValues(config.grad, count, () => uniform(count, stream(c.seed, 3), -1, 1));
    return {
      op: c.fn,
      attrs: { dim: c.dim === 1 ? -1 : 0 },
      inputs: { x: { shape: [c.n, c.c], data: Array.from(x) } },
      grad_output: { output: { shape: [c.n, c.c], data: Array.from(grad) } },
    };
  },

  async extraRun(rt: GpuRuntime, spec: RunSpec): Promise<RunTensors> {
    const x = spec.inputs.x;
    const naive = await runNaiveSoftmax(rt, { shape: x.shape, data: Float32Array.from(x.data) }, Number(spec.attrs?.dim ?? -1), spec.op === 'log_softmax');
    return { 'naive.output': naive };
  },

  trace: true,
  forwardSlots: [
    { name: 'x', title: 'logits x', source: 'inputs.x', help: 'the numbers sent to the GPU' },
    { name: 'naive', title: 'naive: exp(x) / Σ exp(x)', source: 'naive.output', help: 'GPU, no max subtracted: magenta = NaN' },
    { name: 'output', title: 'stable: exp(x − max) / Σ exp(x − max)', source: 'outputs.output', help: 'GPU (the op); click a value to see its whole line' },
  ],
  operators: { naive: '→', output: '' },
  traceSlots: [
    { name: 'max', title: 'max', source: 'trace.max', help: 'the maximum of each line, subtracted before exp' },
    { name: 'sum_exp', title: 'Σ exp(x − max)', source: 'trace.sum_exp', help: 'the normalizer of each line' },
  ],
  backwardSlots: [
    { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', help: 'the upstream gradient fed to backward' },
    { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', help: 'softmax: p·(g − Σ g·p); log_softmax: g − p·Σ g' },
  ],
  explainSlot: 'output',
  padding: () => ({}),

  focus(config, index) {
    const c = read(config);
    const shape = [c.n, c.c];
    const cells = lineOffsets(shape, c.dim, index).map((o) => unflat(shape, o));
    const stat = [c.dim === 1 ? index[0] : index[1]];
    return { highlights: { x: cells, naive: cells, output: cells, 'grad.x': cells, grad_output: cells, max: [stat], sum_exp: [stat] } };
  },

  detail(run, index) {
    if (!index) {
      return html`<div class="hint"><span class="arrow">←</span><span><b>Click any value of the stable output</b> to see its line step by step: the maximum, x − max, exp, the normalizer and the result, in float64 beside the GPU's stable and naive values.</span></div>`;
    }
    return softmaxDetail(run, index);
  },
};

function softmaxDetail(run: LabRunData, index: number[]) {
  const c = read(run.config);
  const log = run.spec.op === 'log_softmax';
  const x = run.tensors['inputs.x'];
  const out = run.tensors['outputs.output'];
  const naive = run.tensors['naive.output'] as Tensor | undefined;
  const offsets = lineOffsets(x.shape, c.dim, index);
  const values = offsets.map((o) => x.data[o]);
  const r = recompute(values);
  const line = c.dim === 1 ? index[0] : index[1];
  const gpuMax = run.tensors['trace.max']?.data[line];
  const gpuSum = run.tensors['trace.sum_exp']?.data[line];
  const naiveSum32 = Math.fround(r.naiveSum);
  const lineName = c.dim === 1 ? `x[${line}, :]` : `x[:, ${line}]`;
  return html`<div class="detail" data-line=${line}>
    <div class="head"><h2 class="mono">${log ? 'log_softmax' : 'softmax'}(${lineName})</h2>
      <span class="muted small">${values.length} values; float64 recomputed from the logits the page sent, beside the GPU's</span></div>
    <div class="layout">
      <div>
        ${figures([
          { label: 'max m (float64)', value: formatFloat64(r.m), role: 'max', raw: r.m },
          gpuMax === undefined ? null : { label: 'max (GPU trace)', value: formatFloat32(gpuMax), role: 'gpu-max', raw: gpuMax, cls: 'gpu' },
          { label: 'Σ exp(x − m) (float64)', value: formatFloat64(r.sum), role: 'sum-exp', raw: r.sum },
          gpuSum === undefined ? null : { label: 'Σ exp(x − m) (GPU trace)', value: formatFloat32(gpuSum), role: 'gpu-sum-exp', raw: gpuSum, cls: 'gpu' },
          log ? { label: 'log Σ exp(x) = m + log Σ exp(x − m)', value: formatFloat64(r.lse), role: 'lse', raw: r.lse } : null,
          { label: 'naive Σ exp(x) (float64)', value: formatFloat64(r.naiveSum), role: 'naive-sum', raw: r.naiveSum, cls: 'total' },
          { label: 'the same in float32', value: formatFloat32(naiveSum32), role: 'naive-sum32', raw: naiveSum32 },
        ])}
      </div>
      <div>
        <p class="note">float32 holds at most ${formatFloat64(FLOAT32_MAX, 8)}, so exp(x) is ∞ once x &gt; ${formatFloat64(Math.log(FLOAT32_MAX), 6)} and 0 once x &lt; about −103.
          The naive kernel then divides ∞ by ∞ or 0 by 0 (NaN). Subtracting m first makes every exponent ≤ 0 with one exactly 0, so the sum lies in [1, ${values.length}].</p>
      </div>
      ${termsTable('per-element terms', html`
        <th>k</th><th class="num">x</th><th class="num">x − m</th><th class="num">e^(x−m)</th>
        <th class="num" title=${log ? 'x − m − log Σ exp(x − m), float64' : 'exp(x − m) / Σ, float64'}>f64</th><th class="num">GPU stable</th>
        <th class="num">GPU naive</th><th class="num" title="exp(x) in float64, rounded to float32">e^x in f32</th>`,
        values.map((v, k) => {
          const want = log ? r.shifted[k] - Math.log(r.sum) : r.exps[k] / r.sum;
          const gpu = out.data[offsets[k]];
          const nv = naive?.data[offsets[k]];
          const e32 = Math.fround(Math.exp(v));
          const bad = nv !== undefined && !Number.isFinite(nv);
          return html`<tr class=${v === r.m ? 'arg' : ''} data-k=${k}>
            <td class="mono">${k}${v === r.m ? html` <span class="chip">max</span>` : nothing}</td>
            <td class="num">${formatFloat32(v)}</td>
            <td class="num">${formatFloat64(r.shifted[k], 4)}</td>
            <td class="num">${formatFloat64(r.exps[k], 4)}</td>
            <td class="num" data-role="recomputed" data-value=${want}>${formatFloat64(want, 6)}</td>
            <td class="num" data-role="stable" data-value=${gpu}>${formatFloat32(gpu)}</td>
            <td class="num" style=${bad ? 'color: var(--_danger); font-weight: 700' : ''} data-role="naive" data-value=${nv ?? nothing}>${nv === undefined ? '—' : formatFloat32(nv)}</td>
            <td class="num">${formatFloat32(e32)}</td>
          </tr>`;
        }), { wide: true, compact: true })}
    </div>
  </div>`;
}
