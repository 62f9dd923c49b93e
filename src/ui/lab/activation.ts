/** The Layer Lab's description of `relu` (F.relu / nn.ReLU): y = max(0, x), ∂L/∂x = ∂L/∂y · 1[x > 0]. */
import { html } from 'lit';
import { numel } from '../../analysis/tensor.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatFloat32, formatIndex, formatShape } from '../format.ts';
import { MAX_ELEMENTS } from './conv2d.ts';
import { at, checkInts, figures, gradValues, int, invalid } from './common.ts';
import { checkInput, inputGradSeedRows, makeInput, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type Validation } from './types.ts';

function read(config: LabConfig) {
  return { n: num(config, 'n'), c: num(config, 'c'), h: num(config, 'h'), w: num(config, 'w'), seed: num(config, 'seed') };
}

export const reluLab: LabOp = {
  name: 'relu',
  title: 'ReLU',
  summary: 'Each output is max(0, x) of the input at the same position; backward passes ∂L/∂y where x > 0 and zero elsewhere (x = 0 included, as in PyTorch).',
  rows: [
    { section: 'Input', label: 'batch · channels', fields: [int('n', 1, 1, 16, 'N'), int('c', 3, 1, 64, 'C')] },
    { section: 'Input', label: 'height · width', fields: [int('h', 12, 1, 256, 'H'), int('w', 12, 1, 256, 'W')] },
    ...inputGradSeedRows(true),
  ],

  validate(config): Validation {
    const c = read(config);
    const line = 'nn.ReLU()';
    const bad = checkInts(reluLab.rows, config, line);
    if (bad) return bad;
    const shape = [c.n, c.c, c.h, c.w];
    const count = numel(shape);
    if (count > MAX_ELEMENTS) return invalid(`x has N·C·H·W = ${formatCount(count)} elements; the lab draws at most ${formatCount(MAX_ELEMENTS)}`, ['n', 'c', 'h', 'w'], line);
    const inputProblem = checkInput(config, count);
    if (inputProblem) return invalid(inputProblem, ['xtext'], line);
    return {
      ok: true, error: null, fields: [], derivations: [], pytorch: line,
      shapes: { x: shape, output: shape, grad_output: shape, 'grad.x': shape },
      stats: [
        { label: 'output', value: formatShape(shape) },
        { label: 'parameters', value: '0', title: 'ReLU has no weights' },
        { label: 'FLOPs', value: formatCount(count), title: 'one comparison per element' },
      ],
    };
  },

  buildSpec(config): RunSpec {
    const v = reluLab.validate(config);
    if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
    const c = read(config);
    const count = numel(v.shapes.output);
    return {
      op: 'relu',
      inputs: { x: { shape: v.shapes.x, data: Array.from(makeInput(config, v.shapes.x, c.seed)) } },
      grad_output: { output: { shape: v.shapes.output, data: Array.from(gradValues(config.grad, count, () => uniform(count, stream(c.seed, 3), -1, 1))) } },
    };
  },

  forwardSlots: [
    { name: 'x', title: 'input x', source: 'inputs.x', axes: ['n', 'c'], help: 'rows: batch items · columns: channels' },
    { name: 'output', title: 'output', source: 'outputs.output', axes: ['n', 'c'], help: 'click a value to see why it passed or was cut' },
  ],
  operators: { output: 'relu' },
  backwardSlots: [
    { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', axes: ['n', 'c'], help: 'the upstream gradient fed to backward' },
    { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', axes: ['n', 'c'], help: '∂L/∂output where x > 0, else 0: the mask of the inputs that passed' },
  ],
  explainSlot: 'output',

  padding: () => ({}),

  focus(_config, index) {
    return { highlights: { x: [index], grad_output: [index], 'grad.x': [index] } };
  },

  detail(run, index) {
    const x = run.tensors['inputs.x'];
    const out = run.tensors['outputs.output'];
    let negative = 0;
    for (const v of x.data) if (!(v > 0)) negative++;
    const share = `${formatCount(negative)} of ${formatCount(x.data.length)} inputs (${((100 * negative) / x.data.length).toFixed(1)}%) are ≤ 0: their outputs and gradients are 0`;
    if (!index) {
      return html`<div class="hint"><span class="arrow">←</span><span><b>Click any output value</b> to see max(0, x) and the gradient mask at that position. ${share}.</span></div>`;
    }
    const xv = at(x, index);
    const y = at(out, index);
    const g = run.tensors['grad_output.output'] ? at(run.tensors['grad_output.output'], index) : null;
    const gx = run.tensors['grads.x'] ? at(run.tensors['grads.x'], index) : null;
    const passed = xv > 0;
    return html`<div class="detail">
      <div class="head"><h2 class="mono">${formatIndex('output', index)}</h2><span class="muted small">${passed ? 'x > 0: passed through' : 'x ≤ 0: cut to 0'}</span></div>
      <div class="layout">
        <div>
          ${figures([
            { label: 'x', value: formatFloat32(xv), role: 'x', raw: xv },
            { label: 'max(0, x)', value: formatFloat32(Math.max(0, xv)), role: 'recomputed', raw: Math.max(0, xv), cls: 'total' },
            { label: 'GPU output', value: formatFloat32(y), role: 'output', raw: y, cls: 'gpu' },
          ])}
        </div>
        <div>
          ${figures([
            { label: 'derivative 1[x > 0]', value: passed ? '1' : '0', role: 'mask', raw: passed ? 1 : 0 },
            g === null ? null : { label: '∂L/∂output', value: formatFloat32(g), role: 'grad-output', raw: g },
            g === null ? null : { label: '∂L/∂output · 1[x > 0]', value: formatFloat32(passed ? g : 0), role: 'grad-recomputed', raw: passed ? g : 0, cls: 'total' },
            gx === null ? null : { label: 'GPU ∂L/∂x', value: formatFloat32(gx), role: 'grad-x', raw: gx, cls: 'gpu' },
          ])}
          <p class="note">${share}. A unit whose input is ≤ 0 for every sample gets no gradient at all: a “dead ReLU”.</p>
        </div>
      </div>
    </div>`;
  },
};
