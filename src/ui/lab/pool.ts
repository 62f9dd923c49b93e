/** The Layer Lab's descriptions of `max_pool2d` and `avg_pool2d` (F.max_pool2d / F.avg_pool2d). */
import { html, nothing } from 'lit';
import { normalizePool2dAttrs, outputSizeDerivation, pool2dOutputShape, poolOutputSize } from '../../analysis/conv_shapes.ts';
import { NnxError } from '../../analysis/errors.ts';
import { numel } from '../../analysis/tensor.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatFloat32, formatFloat64, formatIndex, formatShape } from '../format.ts';
import { MAX_ELEMENTS } from './conv2d.ts';
import { at, checkInts, figures, gradValues, int, invalid, termsTable } from './common.ts';
import { checkInput, inputGradSeedRows, makeInput, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type LabRunData, type NeuronFocus, type Validation } from './types.ts';

type Kind = 'max_pool2d' | 'avg_pool2d';

function read(config: LabConfig) {
  return {
    n: num(config, 'n'), c: num(config, 'c'), h: num(config, 'h'), w: num(config, 'w'),
    kh: num(config, 'kh'), kw: num(config, 'kw'), stride: num(config, 'stride'), padding: num(config, 'padding'),
    dilation: config.dilation === undefined ? 1 : num(config, 'dilation'), ceil: config.ceil === true,
    includePad: config.include_pad !== false, seed: num(config, 'seed'),
  };
}

function attrsOf(kind: Kind, config: LabConfig): Record<string, unknown> {
  const c = read(config);
  const a: Record<string, unknown> = { kernel_size: [c.kh, c.kw], stride: c.stride, padding: c.padding, ceil_mode: c.ceil };
  if (kind === 'max_pool2d') a.dilation = c.dilation;
  else a.count_include_pad = c.includePad;
  return a;
}

/** Window taps of output [n, ch, oy, ox]: every (ky, kx) with its input position, inside or not. */
function taps(config: LabConfig, [n, ch, oy, ox]: number[]) {
  const c = read(config);
  const out: { ky: number; kx: number; y: number; x: number; inside: boolean; index: number[] }[] = [];
  for (let ky = 0; ky < c.kh; ky++) {
    for (let kx = 0; kx < c.kw; kx++) {
      const y = oy * c.stride - c.padding + ky * c.dilation;
      const x = ox * c.stride - c.padding + kx * c.dilation;
      out.push({ ky, kx, y, x, inside: y >= 0 && y < c.h && x >= 0 && x < c.w, index: [n, ch, y, x] });
    }
  }
  return out;
}

/** PyTorch's avg_pool2d divisor for one window (count_include_pad counts padding but not the ceil overhang). */
function avgDivisor(config: LabConfig, oy: number, ox: number): number {
  const c = read(config);
  const hs = oy * c.stride - c.padding, ws = ox * c.stride - c.padding;
  const he = Math.min(hs + c.kh, c.h + c.padding), we = Math.min(ws + c.kw, c.w + c.padding);
  const poolSize = (he - hs) * (we - ws);
  const inside = (Math.min(he, c.h) - Math.max(hs, 0)) * (Math.min(we, c.w) - Math.max(ws, 0));
  return c.includePad ? poolSize : inside;
}

function pytorch(kind: Kind, config: LabConfig): string {
  const c = read(config);
  const args = [`kernel_size=${c.kh === c.kw ? c.kh : `(${c.kh}, ${c.kw})`}`];
  if (c.stride !== c.kh || c.stride !== c.kw) args.push(`stride=${c.stride}`);
  if (c.padding) args.push(`padding=${c.padding}`);
  if (kind === 'max_pool2d' && c.dilation !== 1) args.push(`dilation=${c.dilation}`);
  if (c.ceil) args.push('ceil_mode=True');
  if (kind === 'avg_pool2d' && !c.includePad) args.push('count_include_pad=False');
  return `nn.${kind === 'max_pool2d' ? 'MaxPool2d' : 'AvgPool2d'}(${args.join(', ')})`;
}

function makePool(kind: Kind): LabOp {
  const isMax = kind === 'max_pool2d';
  const op: LabOp = {
    name: kind,
    title: isMax ? 'MaxPool2d' : 'AvgPool2d',
    summary: isMax
      ? 'Each output is the largest value in one window of its channel; backward sends the whole gradient to that one input (the argmax, kept in the trace as indices).'
      : 'Each output is the mean of one window of its channel; backward spreads the gradient evenly over the window, divided by the same divisor.',
    rows: [
      { section: 'Layer', label: 'kernel kh × kw', fields: [int('kh', 2, 1, 9, 'kh'), int('kw', 2, 1, 9, 'kw')] },
      { section: 'Layer', label: 'stride', fields: [int('stride', 2, 1, 8)] },
      { section: 'Layer', label: 'padding', hint: isMax ? 'counts as −∞' : 'zeros; at most kernel / 2', fields: [int('padding', 0, 0, 4)] },
      ...(isMax ? [{ section: 'Layer', label: 'dilation', fields: [int('dilation', 1, 1, 4)] }] : []),
      { section: 'Layer', label: 'ceil_mode', hint: 'round the output size up', fields: [{ key: 'ceil', kind: 'bool', default: false }] },
      ...(isMax ? [] : [{ section: 'Layer', label: 'count_include_pad', hint: 'padding counts in the divisor', fields: [{ key: 'include_pad', kind: 'bool' as const, default: true }] }]),
      { section: 'Input', label: 'batch', fields: [int('n', 1, 1, 4)] },
      { section: 'Input', label: 'channels', fields: [int('c', 3, 1, 16)] },
      { section: 'Input', label: 'size H × W', fields: [int('h', 12, 1, 64, 'H'), int('w', 12, 1, 64, 'W')] },
      ...inputGradSeedRows(true),
    ],

    validate(config): Validation {
      const c = read(config);
      const line = pytorch(kind, config);
      const bad = checkInts(op.rows, config, line);
      if (bad) return bad;
      const oh = poolOutputSize(c.h, c.kh, c.stride, c.padding, c.dilation, c.ceil);
      const ow = poolOutputSize(c.w, c.kw, c.stride, c.padding, c.dilation, c.ceil);
      const derivations = [
        { text: outputSizeDerivation('H', c.h, c.padding, c.padding, c.kh, c.stride, c.dilation, c.ceil), ok: oh >= 1 },
        { text: outputSizeDerivation('W', c.w, c.padding, c.padding, c.kw, c.stride, c.dilation, c.ceil), ok: ow >= 1 },
      ];
      const xShape = [c.n, c.c, c.h, c.w];
      let outShape: number[];
      try {
        outShape = pool2dOutputShape(kind, xShape, normalizePool2dAttrs(kind, attrsOf(kind, config)));
      } catch (e) {
        if (!(e instanceof NnxError)) throw e;
        const message = e.message.replace(new RegExp(`^${kind}: `), '');
        const fields = /padding/.test(message) && !/larger/.test(message) ? ['padding', 'kh', 'kw'] : ['h', 'w', 'kh', 'kw', 'padding'];
        return invalid(oh < 1 || ow < 1 ? `impossible output size ${oh} × ${ow}: ${message}` : message, fields, line, derivations);
      }
      if (numel(xShape) > MAX_ELEMENTS) return invalid(`x ${formatShape(xShape)} has ${formatCount(numel(xShape))} values; the lab draws at most ${formatCount(MAX_ELEMENTS)} per tensor`, ['n', 'c', 'h', 'w'], line, derivations);
      const inputProblem = checkInput(config, numel(xShape));
      if (inputProblem) return invalid(inputProblem, ['xtext', 'upload'], line, derivations);
      const window = c.kh * c.kw;
      return {
        ok: true, error: null, fields: [], derivations, pytorch: line,
        shapes: { x: xShape, output: outShape, grad_output: outShape, 'grad.x': xShape, indices: outShape },
        stats: [
          { label: 'output', value: formatShape(outShape) },
          { label: 'parameters', value: '0', title: 'pooling has no weights' },
          { label: 'window', value: `${formatCount(window)} taps`, title: 'kh·kw values per output' },
          { label: 'FLOPs', value: formatCount(numel(outShape) * (isMax ? window - 1 : window)), title: isMax ? 'kh·kw − 1 comparisons per output' : 'kh·kw − 1 adds and one divide per output' },
        ],
      };
    },

    buildSpec(config): RunSpec {
      const v = op.validate(config);
      if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
      const c = read(config);
      const outCount = numel(v.shapes.output);
      const grad = gradValues(config.grad, outCount, () => uniform(outCount, stream(c.seed, 3), -1, 1));
      return {
        op: kind,
        attrs: attrsOf(kind, config),
        inputs: { x: { shape: v.shapes.x, data: Array.from(makeInput(config, v.shapes.x, c.seed)) } },
        grad_output: { output: { shape: v.shapes.output, data: Array.from(grad) } },
      };
    },

    trace: isMax,
    forwardSlots: [
      { name: 'x', title: 'input x', source: 'inputs.x', axes: ['n', 'c'], help: 'rows: batch items · columns: channels' },
      { name: 'output', title: 'output', source: 'outputs.output', axes: ['n', 'c'], help: 'click a neuron to see its window' },
    ],
    operators: { output: isMax ? 'max' : 'avg' },
    traceSlots: isMax ? [{ name: 'indices', title: 'indices', source: 'trace.indices', axes: ['n', 'c'], help: 'flat position y·W + x of each window’s maximum in its input plane' }] : [],
    backwardSlots: [
      { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', axes: ['n', 'c'], help: 'the upstream gradient fed to backward' },
      { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', axes: ['n', 'c'], help: isMax ? 'non-zero only at each window’s argmax' : 'each window spreads ∂L/∂output / divisor over its taps' },
    ],
    explainSlot: 'output',

    padding(config): Record<string, [number, number, number, number]> {
      const p = num(config, 'padding');
      return p > 0 ? { x: [p, p, p, p] } : {};
    },

    focus(config, index, run?: LabRunData): NeuronFocus {
      const all = taps(config, index);
      const inside = all.filter((t) => t.inside).map((t) => t.index);
      let argmax: number[][] = inside;
      if (isMax && run?.tensors['trace.indices']) {
        const idx = at(run.tensors['trace.indices'], index);
        const w = read(run.config).w;
        argmax = [[index[0], index[1], Math.floor(idx / w), idx % w]];
      }
      return {
        highlights: { x: all.map((t) => t.index), 'grad.x': argmax, grad_output: [index], indices: [index] },
        padding: op.padding(config),
      };
    },

    detail(run, index) {
      if (!index) {
        return html`<div class="hint"><span class="arrow">←</span><span><b>Click any output neuron</b> to light up its window on the input and see how its value was ${isMax ? 'picked' : 'averaged'}${isMax ? ' (the argmax comes from the indices trace)' : ''}.</span></div>`;
      }
      const x = run.tensors['inputs.x'];
      const out = at(run.tensors['outputs.output'], index);
      const g = run.tensors['grad_output.output'] ? at(run.tensors['grad_output.output'], index) : null;
      const c = read(run.config);
      const list = taps(run.config, index);
      const gpuArgmax = isMax && run.tensors['trace.indices'] ? at(run.tensors['trace.indices'], index) : null;
      let recomputed: number;
      let divisor = 0;
      if (isMax) {
        recomputed = Math.max(...list.filter((t) => t.inside).map((t) => at(x, t.index)));
      } else {
        divisor = avgDivisor(run.config, index[2], index[3]);
        recomputed = list.filter((t) => t.inside).reduce((s, t) => s + at(x, t.index), 0) / divisor;
      }
      const sum = list.filter((t) => t.inside).reduce((s, t) => s + at(x, t.index), 0);
      return html`<div class="detail">
        <div class="head"><h2 class="mono">${formatIndex('output', index)}</h2>
          <span class="muted small">${formatCount(list.length)} taps, ${formatCount(list.filter((t) => !t.inside).length)} on padding</span></div>
        <div class="layout">
          <div>
            ${figures(isMax
              ? [
                  { label: 'max over the window (float64)', value: formatFloat64(recomputed), role: 'recomputed', raw: recomputed },
                  { label: 'argmax (indices trace)', value: gpuArgmax === null ? '—' : `${formatCount(gpuArgmax)} = y ${Math.floor(gpuArgmax / c.w)}, x ${gpuArgmax % c.w}`, role: 'argmax', raw: gpuArgmax ?? undefined },
                  { label: 'GPU output', value: formatFloat32(out), role: 'output', raw: out, cls: 'gpu' },
                  g === null ? null : { label: '∂L/∂output here → ∂L/∂x at the argmax', value: formatFloat32(g), role: 'grad' },
                ]
              : [
                  { label: 'Σ x over the window (float64)', value: formatFloat64(sum), role: 'sum', raw: sum },
                  { label: c.includePad ? '÷ divisor (window incl. padding)' : '÷ divisor (taps inside the input)', value: formatCount(divisor), role: 'divisor', raw: divisor },
                  { label: '= recomputed', value: formatFloat64(recomputed), role: 'recomputed', raw: recomputed, cls: 'total' },
                  { label: 'GPU output', value: formatFloat32(out), role: 'output', raw: out, cls: 'gpu' },
                  g === null ? null : { label: '∂L/∂x per tap = ∂L/∂output ÷ divisor', value: formatFloat64(g / divisor, 7), role: 'grad' },
                ])}
            <p class="note">${isMax
              ? 'Padding taps count as −∞, so the maximum is always a real input. Ties go to the first maximum in row order, as in PyTorch.'
              : 'With count_include_pad the zero padding is part of the mean; the part of a ceil_mode window hanging past the padding is never counted.'}</p>
          </div>
          ${termsTable('window taps', html`<th>tap</th><th>input index</th><th class="num">x</th>${isMax ? html`<th></th>` : nothing}`, list.map((t) => {
            const v = t.inside ? at(x, t.index) : null;
            const isArg = isMax && t.inside && gpuArgmax === t.y * c.w + t.x;
            return html`<tr class="tap ${t.inside ? '' : 'padded'} ${isArg ? 'arg' : ''}" data-argmax=${isArg ? 'true' : 'false'}>
              <td class="mono">(${t.ky}, ${t.kx})</td>
              <td class="mono">${t.inside ? formatIndex('x', t.index) : html`<span class="tag">padding</span>`}</td>
              <td class="num">${v === null ? (isMax ? '−∞' : '0') : formatFloat32(v)}</td>
              ${isMax ? html`<td>${isArg ? html`<span class="chip">argmax</span>` : nothing}</td>` : nothing}
            </tr>`;
          }))}
        </div>
      </div>`;
    },
  };
  return op;
}

export const maxPool2dLab = makePool('max_pool2d');
export const avgPool2dLab = makePool('avg_pool2d');
