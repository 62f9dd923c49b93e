/**
 * The Layer Lab's description of `cross_entropy` (F.cross_entropy with class-index targets):
 * loss_n = logsumexp(logits[n]) − logits[n, target[n]], reduced by mean (over samples not
 * ignored) or sum, or kept per sample; ∂L/∂logits[n] = scale · g · (softmax(logits[n]) − onehot).
 */
import { html, nothing } from 'lit';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatFloat32, formatFloat64, formatShape } from '../format.ts';
import { at, checkInts, figures, int, invalid, termsTable } from './common.ts';
import { checkInput, inputGradSeedRows, makeInput, seededRandom, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type LabRunData, type Validation } from './types.ts';

const IGNORE_INDEX = -100;

function read(config: LabConfig) {
  return {
    n: num(config, 'n'), classes: num(config, 'classes'), seed: num(config, 'seed'),
    reduction: (['mean', 'sum', 'none'].includes(String(config.reduction)) ? String(config.reduction) : 'mean') as 'mean' | 'sum' | 'none',
    ignoreFirst: config.ignore_first === true,
  };
}

/** Seeded class indices, with sample 0 set to ignore_index when asked. */
function targets(config: LabConfig): number[] {
  const c = read(config);
  const next = seededRandom(stream(c.seed, 4));
  const t = Array.from({ length: c.n }, () => Math.min(c.classes - 1, Math.floor(next() * c.classes)));
  if (c.ignoreFirst) t[0] = IGNORE_INDEX;
  return t;
}

function pytorch(config: LabConfig): string {
  const c = read(config);
  const args = [];
  if (c.reduction !== 'mean') args.push(`reduction='${c.reduction}'`);
  return `nn.CrossEntropyLoss(${args.join(', ')})`;
}

/** One sample recomputed in float64 from the logits the page sent. */
function sampleRow(run: LabRunData, n: number) {
  const logits = run.tensors['inputs.logits'];
  const classes = logits.shape[1];
  const row = Array.from(logits.data.subarray(n * classes, (n + 1) * classes));
  const m = Math.max(...row);
  const sum = row.reduce((s, v) => s + Math.exp(v - m), 0);
  const lse = m + Math.log(sum);
  const target = at(run.tensors['inputs.target'], [n]);
  return { row, m, lse, target, ignored: target === IGNORE_INDEX, loss: target === IGNORE_INDEX ? 0 : lse - row[target] };
}

export const crossEntropyLab: LabOp = {
  name: 'cross_entropy',
  title: 'Cross entropy',
  summary: 'Softmax over each row of logits, then −log of the probability given to the target class; ∂L/∂logits is the probabilities minus the one-hot target, scaled.',
  rows: [
    { section: 'Loss', label: 'reduction', fields: [{ key: 'reduction', kind: 'choice', default: 'mean', options: [{ value: 'mean', label: 'mean' }, { value: 'sum', label: 'sum' }, { value: 'none', label: 'none (per sample)' }] }] },
    { section: 'Loss', label: 'ignore sample 0', hint: `its target becomes ignore_index ${IGNORE_INDEX}`, fields: [{ key: 'ignore_first', kind: 'bool', default: false }] },
    { section: 'Input', label: 'samples · classes', fields: [int('n', 6, 1, 256, 'N'), int('classes', 5, 2, 1000, 'C')] },
    ...inputGradSeedRows(false, {
      section: 'Input', label: 'grad_output', hint: '∂L/∂loss fed to backward',
      fields: [{ key: 'grad', kind: 'choice', default: 'ones', options: [{ value: 'ones', label: 'ones' }, { value: 'random', label: 'seeded random' }] }],
    }),
  ],

  validate(config): Validation {
    const c = read(config);
    const line = pytorch(config);
    const bad = checkInts(crossEntropyLab.rows, config, line);
    if (bad) return bad;
    if (c.n * c.classes > 65_536) return invalid(`logits have N·C = ${formatCount(c.n * c.classes)} elements; the lab draws at most 65,536`, ['n', 'classes'], line);
    if (c.ignoreFirst && c.n === 1 && c.reduction === 'mean') return invalid('with one sample and it ignored, the mean loss is 0/0: add samples or untick “ignore sample 0”', ['ignore_first', 'n'], line);
    const inputProblem = checkInput(config, c.n * c.classes, 'logits');
    if (inputProblem) return invalid(inputProblem, ['xtext'], line);
    const lossShape = c.reduction === 'none' ? [c.n] : [];
    const shapes: Record<string, number[]> = {
      logits: [c.n, c.classes], target: [c.n], probs: [c.n, c.classes], loss: lossShape,
      grad_output: lossShape, 'grad.logits': [c.n, c.classes],
    };
    if (c.reduction !== 'none') shapes.loss_per_sample = [c.n];
    return {
      ok: true, error: null, fields: [], derivations: [], shapes, pytorch: line,
      stats: [
        { label: 'loss', value: lossShape.length ? formatShape(lossShape) : 'scalar []' },
        { label: 'parameters', value: '0' },
        { label: 'FLOPs', value: formatCount(4 * c.n * c.classes + 2 * c.n), title: 'max, subtract, exp and add per logit; log and subtract per sample' },
      ],
    };
  },

  buildSpec(config): RunSpec {
    const v = crossEntropyLab.validate(config);
    if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
    const c = read(config);
    const count = c.n * c.classes;
    // Random logits span ±3, so the softmax is neither flat nor one-hot.
    const logits = config.input === 'typed' ? makeInput(config, [c.n, c.classes], c.seed) : uniform(count, stream(c.seed, 0), -3, 3);
    const lossCount = c.reduction === 'none' ? c.n : 1;
    const grad = config.grad === 'random' ? uniform(lossCount, stream(c.seed, 3), -1, 1) : new Float32Array(lossCount).fill(1);
    return {
      op: 'cross_entropy',
      attrs: { reduction: c.reduction, ignore_index: IGNORE_INDEX },
      inputs: {
        logits: { shape: [c.n, c.classes], data: Array.from(logits) },
        target: { shape: [c.n], data: targets(config), dtype: 'int32' },
      },
      grad_output: { loss: { shape: v.shapes.loss, data: Array.from(grad) } },
    };
  },

  trace: true,
  forwardSlots: [
    { name: 'logits', title: 'logits', source: 'inputs.logits', help: 'rows: samples · columns: classes' },
    { name: 'target', title: 'target', source: 'inputs.target', help: `the class index of each sample (${IGNORE_INDEX} = ignored)` },
    { name: 'loss', title: 'loss', source: 'outputs.loss', help: 'the reduced loss (or one per sample)' },
    { name: 'probs', title: 'softmax(logits)', source: 'trace.probs', help: 'click a sample’s row to see its log-sum-exp, loss and gradient' },
  ],
  operators: {},
  traceSlots: [{ name: 'loss_per_sample', title: 'loss per sample', source: 'trace.loss_per_sample', help: 'logsumexp(logits[n]) − logits[n, target[n]]' }],
  backwardSlots: [
    { name: 'grad_output', title: '∂L/∂loss', source: 'grad_output.loss', help: 'the upstream gradient fed to backward' },
    { name: 'grad.logits', title: '∂L/∂logits', source: 'grads.logits', help: 'scale · g · (softmax − onehot(target)); zero rows for ignored samples' },
  ],
  explainSlot: 'probs',

  padding: () => ({}),

  focus(config, [n]) {
    const c = read(config);
    const row = Array.from({ length: c.classes }, (_, j) => [n, j]);
    return { highlights: { logits: row, probs: row, 'grad.logits': row, target: [[n]], loss_per_sample: [[n]], loss: c.reduction === 'none' ? [[n]] : [] } };
  },

  detail(run, index) {
    if (!index) {
      return html`<div class="hint"><span class="arrow">←</span><span><b>Click any row of the softmax</b> to see that sample’s log-sum-exp, its loss recomputed in float64 next to the GPU’s, and ∂L/∂logits class by class.</span></div>`;
    }
    const n = index[0];
    const c = read(run.config);
    const s = sampleRow(run, n);
    const probs = run.tensors['trace.probs'];
    const grad = run.tensors['grads.logits'];
    const perSample = run.tensors['trace.loss_per_sample'] ?? run.tensors['outputs.loss'];
    const gpuLoss = at(perSample, [n]);
    const targetsAll = Array.from(run.tensors['inputs.target'].data);
    const counted = targetsAll.filter((t) => t !== IGNORE_INDEX).length;
    const scale = c.reduction === 'mean' ? 1 / counted : 1;
    const gTensor = run.tensors['grad_output.loss'];
    const g = gTensor ? (c.reduction === 'none' ? at(gTensor, [n]) : gTensor.data[0]) : 1;
    return html`<div class="detail">
      <div class="head"><h2 class="mono">sample ${n}</h2>
        <span class="muted small">${s.ignored ? `target ${IGNORE_INDEX}: ignored (loss 0, no gradient)` : `target class ${s.target}`}</span></div>
      <div class="layout">
        <div>
          ${figures([
            { label: 'row maximum m', value: formatFloat64(s.m), role: 'max', raw: s.m },
            { label: 'logsumexp = m + log Σ exp(l − m)', value: formatFloat64(s.lse), role: 'lse', raw: s.lse },
            s.ignored ? null : { label: `− logits[${n}, ${s.target}]`, value: formatFloat64(s.row[s.target]), role: 'target-logit', raw: s.row[s.target] },
            { label: 'loss (float64)', value: formatFloat64(s.loss), role: 'recomputed', raw: s.loss, cls: 'total' },
            { label: 'GPU loss of this sample', value: formatFloat32(gpuLoss), role: 'output', raw: gpuLoss, cls: 'gpu' },
            { label: c.reduction === 'mean' ? `scale 1 / ${formatCount(counted)} samples counted` : 'scale', value: formatFloat64(scale, 7), role: 'scale', raw: scale },
          ])}
          <p class="note">The kernel subtracts the row maximum before exponentiating, so large logits cannot overflow; −log p(target) equals logsumexp − the target's logit. In the table, y is the one-hot target, s the scale and g = ∂L/∂loss.</p>
        </div>
        ${termsTable('per-class terms', html`<th>class</th><th class="num">logit</th><th class="num">p</th><th class="num" title="scale · g · (p − 1[j = target]), float64">s·g·(p − y)</th><th class="num">GPU ∂L/∂l</th>`,
          s.row.map((l, j) => {
            const p = at(probs, [n, j]);
            const want = s.ignored ? 0 : scale * g * (Math.exp(l - s.lse) - (j === s.target ? 1 : 0));
            return html`<tr class=${j === s.target ? 'arg' : ''} data-class=${j}>
              <td class="mono">${j}${j === s.target ? html` <span class="chip">target</span>` : nothing}</td>
              <td class="num">${formatFloat32(l)}</td>
              <td class="num">${formatFloat32(p)}</td>
              <td class="num" data-role="grad-recomputed" data-value=${want}>${formatFloat64(want, 6)}</td>
              <td class="num" data-role="grad-gpu" data-value=${grad ? at(grad, [n, j]) : nothing}>${grad ? formatFloat32(at(grad, [n, j])) : '—'}</td>
            </tr>`;
          }), { wide: true })}
      </div>
    </div>`;
  },
};
