/**
 * The Layer Lab's description of `embedding` (F.embedding / nn.Embedding): output[..., :] =
 * weight[indices[...], :], a gather; backward scatters each position's ∂L/∂output row into
 * the row it read, summing duplicates, and the padding_idx row gets nothing.
 */
import { html, nothing } from 'lit';
import { NnxError } from '../../analysis/errors.ts';
import { LAYER_RULES } from '../../analysis/layers/index.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatFloat32, formatFloat64, formatShape } from '../format.ts';
import { checkInts, figures, GRAD_ROW, gradValues, int, invalid, SEED_ROW } from './common.ts';
import { parseNumbers, seededRandom, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type LabRunData, type Validation } from './types.ts';

function read(config: LabConfig) {
  return {
    num: num(config, 'num'), dim: num(config, 'dim'), n: num(config, 'n'), t: num(config, 't'),
    usePad: config.use_pad === true, pad: num(config, 'padding_idx'), seed: num(config, 'seed'),
  };
}

function pytorch(config: LabConfig): string {
  const c = read(config);
  return `nn.Embedding(${c.num}, ${c.dim}${c.usePad ? `, padding_idx=${c.pad}` : ''})`;
}

/** padding_idx as a row number (PyTorch counts a negative one from the end), or null. */
function padRow(config: LabConfig): number | null {
  const c = read(config);
  if (!c.usePad) return null;
  return c.pad < 0 ? c.pad + c.num : c.pad;
}

/** The token ids: typed, or seeded with a few repeats and the padding row among them. */
function indicesOf(config: LabConfig): number[] | { error: string } {
  const c = read(config);
  const count = c.n * c.t;
  if (config.indices === 'typed') {
    const parsed = parseNumbers(String(config.itext ?? ''));
    if ('error' in parsed) return { error: `typed indices: ${parsed.error}` };
    if (parsed.values.length !== count) return { error: `typed indices: ${parsed.values.length} numbers given, the shape [${c.n}, ${c.t}] needs ${count}` };
    for (const [k, v] of parsed.values.entries()) {
      if (!Number.isInteger(v) || v < 0 || v >= c.num) return { error: `typed indices: index ${v} (position ${k}) is out of range [0, ${c.num - 1}] for num_embeddings ${c.num}` };
    }
    return parsed.values;
  }
  // Draw from a third of the table so repeats are common.
  const next = seededRandom(stream(c.seed, 4));
  const pool = Math.max(2, Math.ceil(c.num / 3));
  return Array.from({ length: count }, () => Math.min(c.num - 1, Math.floor(next() * pool)));
}

/** Seeded N(0, 1) values (nn.Embedding's initializer), rounded to float32. */
function normal(count: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return out;
}

export const embeddingLab: LabOp = {
  name: 'embedding',
  title: 'Embedding',
  summary: 'A lookup table: each token id picks one row of the weight. Backward adds each position’s ∂L/∂output row into the row it picked, so a repeated id sums its contributions and unused rows get zero.',
  rows: [
    { section: 'Layer', label: 'num_embeddings · dim', fields: [int('num', 10, 1, 256, 'rows'), int('dim', 6, 1, 64, 'dim')] },
    { section: 'Layer', label: 'padding_idx', hint: 'its row starts at zero and gets no gradient', fields: [{ key: 'use_pad', kind: 'bool', default: true }, int('padding_idx', 0, -256, 255, 'idx')] },
    { section: 'Input', label: 'indices N × T', fields: [int('n', 2, 1, 16, 'N'), int('t', 5, 1, 64, 'T')] },
    {
      section: 'Input', label: 'token ids', fields: [{
        key: 'indices', kind: 'choice', default: 'typed', options: [{ value: 'typed', label: 'typed ids' }, { value: 'random', label: 'seeded random' }],
      }],
    },
    {
      section: 'Input', label: 'ids', hint: 'row-major, N·T whole numbers',
      when: { key: 'indices', value: 'typed' }, fields: [{ key: 'itext', kind: 'text', default: '3 1 4 1 0 5 0 2 6 3' }],
    },
    GRAD_ROW,
    SEED_ROW,
  ],

  validate(config): Validation {
    const c = read(config);
    const line = pytorch(config);
    const bad = checkInts(embeddingLab.rows, config, line);
    if (bad) return bad;
    const ids = indicesOf(config);
    if ('error' in ids) return invalid(ids.error, ['itext', 'n', 't', 'num'], line);
    let outcome;
    try {
      outcome = LAYER_RULES.Embedding.infer(
        { type: 'Embedding', num_embeddings: c.num, embedding_dim: c.dim, ...(c.usePad ? { padding_idx: c.pad } : {}) },
        [{ shape: [c.n, c.t], kind: 'int' }], {},
      );
    } catch (e) {
      if (!(e instanceof NnxError)) throw e;
      return invalid(e.message, ['padding_idx', 'num'], line);
    }
    const out = outcome.outputShape;
    if (out.reduce((a, b) => a * b, 1) > 65_536) return invalid(`output ${formatShape(out)} has more than 65,536 values; the lab draws at most that`, ['n', 't', 'dim'], line);
    const distinct = new Set(ids).size;
    return {
      ok: true, error: null, fields: [], derivations: [], pytorch: line,
      shapes: { weight: [c.num, c.dim], indices: [c.n, c.t], output: out, grad_output: out, 'grad.weight': [c.num, c.dim] },
      stats: [
        { label: 'output', value: formatShape(out) },
        { label: 'parameters', value: formatCount(outcome.params[0].shape[0] * outcome.params[0].shape[1]), title: 'weight [num_embeddings, embedding_dim] (src/analysis)' },
        { label: 'rows read', value: `${distinct} of ${c.num}`, title: 'distinct ids among the N·T positions' },
        { label: 'MACs', value: '0', title: 'a gather: no arithmetic' },
      ],
    };
  },

  buildSpec(config): RunSpec {
    const v = embeddingLab.validate(config);
    if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
    const c = read(config);
    const ids = indicesOf(config) as number[];
    const weight = normal(c.num * c.dim, stream(c.seed, 1));
    const pad = padRow(config);
    if (pad !== null) weight.fill(0, pad * c.dim, (pad + 1) * c.dim); // as nn.Embedding initializes it
    const count = c.n * c.t * c.dim;
    const grad = gradValues(config.grad, count, () => uniform(count, stream(c.seed, 3), -1, 1));
    return {
      op: 'embedding',
      attrs: c.usePad ? { padding_idx: c.pad } : {},
      inputs: {
        weight: { shape: [c.num, c.dim], data: Array.from(weight) },
        indices: { shape: [c.n, c.t], data: ids, dtype: 'int32' },
      },
      grad_output: { output: { shape: v.shapes.output, data: Array.from(grad) } },
    };
  },

  forwardSlots: [
    { name: 'indices', title: 'indices', source: 'inputs.indices', help: 'token ids, one per position [N, T]' },
    { name: 'weight', title: 'weight', source: 'inputs.weight', help: 'rows: token ids · columns: features' },
    { name: 'output', title: 'output', source: 'outputs.output', help: 'one plane per sequence: T rows × dim; click a row' },
  ],
  operators: { weight: '→', output: '=' },
  backwardSlots: [
    { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', help: 'the upstream gradient fed to backward' },
    { name: 'grad.weight', title: '∂L/∂weight', source: 'grads.weight', help: 'rows scattered into; duplicates summed, unused and padding rows zero' },
  ],
  explainSlot: 'output',
  params: [{ name: 'weight', value: 'inputs.weight', grad: 'grads.weight' }],
  padding: () => ({}),

  focus(config, [n, t], run) {
    const c = read(config);
    const ids = run ? Array.from(run.tensors['inputs.indices'].data) : (indicesOf(config) as number[]);
    const id = ids[n * c.t + t];
    const row = Array.from({ length: c.dim }, (_, d) => [id, d]);
    const same = ids.flatMap((v, k) => (v === id ? [[Math.floor(k / c.t), k % c.t]] : []));
    return {
      highlights: {
        indices: same, weight: row, 'grad.weight': row,
        output: Array.from({ length: c.dim }, (_, d) => [n, t, d]),
        grad_output: same.flatMap(([a, b]) => Array.from({ length: c.dim }, (_, d) => [a, b, d])),
      },
    };
  },

  detail(run, index, select) {
    return embeddingDetail(run, index, select);
  },
};

function embeddingDetail(run: LabRunData, index: number[] | null, select: (index: number[]) => void) {
  const c = read(run.config);
  const ids = Array.from(run.tensors['inputs.indices'].data);
  const pad = padRow(run.config);
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const rows = [...counts.keys()].sort((a, b) => a - b);
  const chips = html`<div class="small" style="display:flex;flex-wrap:wrap;gap:6px;margin-bottom:10px" data-role="rows-read">
    <span class="muted">rows read (positions):</span>
    ${rows.map((r) => html`<button class="chip" data-row=${r} data-count=${counts.get(r)!} @click=${() => { const k = ids.indexOf(r); select([Math.floor(k / c.t), k % c.t, 0]); }}>${r}${r === pad ? ' pad' : ''} ×${counts.get(r)}</button>`)}
  </div>`;
  if (!index) {
    return html`${chips}<div class="hint"><span class="arrow">←</span><span><b>Click any row of the output</b> (or a row above) to see the weight row it copies and how that row’s gradient sums every position that read it.</span></div>`;
  }
  const [n, t] = index;
  const id = ids[n * c.t + t];
  const weight = run.tensors['inputs.weight'];
  const out = run.tensors['outputs.output'];
  const gout = run.tensors['grad_output.output'];
  const gw = run.tensors['grads.weight'];
  const positions = ids.flatMap((v, k) => (v === id ? [k] : []));
  const isPad = id === pad;
  const sums = Array.from({ length: c.dim }, (_, d) => (isPad ? 0 : positions.reduce((s, k) => s + gout.data[k * c.dim + d], 0)));
  return html`<div class="detail" data-role="embedding-detail" data-row=${id}>
    ${chips}
    <div class="head"><h2 class="mono">output[${n}, ${t}, :] = weight[${id}, :]</h2>
      <span class="muted small">indices[${n}, ${t}] = ${id}${isPad ? ' = padding_idx' : ''}; read by ${positions.length} position${positions.length === 1 ? '' : 's'}</span></div>
    <div class="terms" tabindex="0" role="region" aria-label="output row">
      <table data-role="gather">
        <thead><tr><th>d</th><th class="num">weight[${id}, d]</th><th class="num">GPU output[${n}, ${t}, d]</th></tr></thead>
        <tbody>${Array.from({ length: c.dim }, (_, d) => html`<tr>
          <td class="mono">${d}</td>
          <td class="num" data-role="weight" data-value=${weight.data[id * c.dim + d]}>${formatFloat32(weight.data[id * c.dim + d])}</td>
          <td class="num" data-role="output" data-value=${out.data[(n * c.t + t) * c.dim + d]}>${formatFloat32(out.data[(n * c.t + t) * c.dim + d])}</td>
        </tr>`)}</tbody>
      </table>
    </div>
    <h3 style="margin:14px 0 6px;font-size:13px">∂L/∂weight[${id}, :] ${isPad ? '— padding_idx: no gradient' : `= Σ of ∂L/∂output over the ${positions.length} position${positions.length === 1 ? '' : 's'} with id ${id}`}</h3>
    <div class="terms" tabindex="0" role="region" aria-label="gradient row">
      <table data-role="scatter">
        <thead><tr><th>from</th>${Array.from({ length: c.dim }, (_, d) => html`<th class="num">d ${d}</th>`)}</tr></thead>
        <tbody>
          ${positions.map((k) => html`<tr class=${isPad ? 'padded' : ''}>
            <td class="mono">∂L/∂output[${Math.floor(k / c.t)}, ${k % c.t}]</td>
            ${Array.from({ length: c.dim }, (_, d) => html`<td class="num">${formatFloat32(gout.data[k * c.dim + d])}</td>`)}
          </tr>`)}
          <tr class="arg"><td>${isPad ? 'padding row: 0' : 'Σ (float64)'}</td>${sums.map((s) => html`<td class="num" data-role="grad-recomputed" data-value=${s}>${formatFloat64(s, 7)}</td>`)}</tr>
          <tr><td>GPU ∂L/∂weight[${id}]</td>${sums.map((_, d) => html`<td class="num" data-role="grad-gpu" data-value=${gw?.data[id * c.dim + d] ?? nothing}>${gw ? formatFloat32(gw.data[id * c.dim + d]) : '—'}</td>`)}</tr>
        </tbody>
      </table>
    </div>
    ${figures([
      { label: 'rows with a gradient', value: `${rows.filter((r) => r !== pad).length} of ${c.num}`, role: 'rows-with-grad', raw: rows.filter((r) => r !== pad).length },
      { label: 'positions', value: formatCount(ids.length) },
    ])}
    <p class="note">Every value above comes from the GPU run (output, ∂L/∂weight) or from the numbers the page sent (weight, ids, ∂L/∂output); the Σ row adds the contributions in float64. The GPU's scatter-add sorts the positions by id and sums each row's contributions in order (no float atomics), so the result is deterministic.</p>
  </div>`;
}
