/**
 * The Layer Lab's pages for `fake_quantize_per_tensor_affine` and `fake_quantize_per_channel_affine`
 * (per channel along C): scale and zero point chosen by PyTorch's MinMaxObserver (or its per-channel
 * form) from the input itself, optionally from a shrunk range so that the outer values clip. Shows
 * the input, the output, the integer codes, the in-range mask and the error x_q − x.
 */
import { html, svg } from 'lit';
import { histogram } from '../../analysis/quant_stats.ts';
import { MinMaxObserver, PerChannelMinMaxObserver, type QParams, type QScheme, type QuantDtype } from '../../analysis/quant_observers.ts';
import { roundHalfEven } from '../../analysis/reference/quantize.ts';
import { numel } from '../../analysis/tensor.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatFloat32, formatIndex, formatShape } from '../format.ts';
import { MAX_ELEMENTS } from './conv2d.ts';
import { at, checkInts, figures, gradValues, int, invalid } from './common.ts';
import { checkInput, inputGradSeedRows, makeInput, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type LabRunData, type RunTensors, type Validation } from './types.ts';

function read(config: LabConfig) {
  return {
    n: num(config, 'n'), c: num(config, 'c'), h: num(config, 'h'), w: num(config, 'w'), seed: num(config, 'seed'),
    dtype: (config.dtype === 'qint8' ? 'qint8' : 'quint8') as QuantDtype,
    symmetric: config.qscheme === 'symmetric',
    range: num(config, 'range'),
  };
}

/** Scale and zero point from the observer on x shrunk to `range` percent (values beyond clip). */
function chooseQparams(config: LabConfig, x: Float32Array, shape: number[], perChannel: boolean): QParams {
  const c = read(config);
  const kind = `${perChannel ? 'per_channel' : 'per_tensor'}_${c.symmetric ? 'symmetric' : 'affine'}` as QScheme;
  const observer = perChannel ? new PerChannelMinMaxObserver({ dtype: c.dtype, qscheme: kind, ch_axis: 1 }) : new MinMaxObserver({ dtype: c.dtype, qscheme: kind });
  observer.observe({ shape, data: x.map((v) => v * (c.range / 100)) });
  return observer.calculateQparams();
}

function fakeQuantizeLab(perChannel: boolean): LabOp {
  const opName = perChannel ? 'fake_quantize_per_channel_affine' : 'fake_quantize_per_tensor_affine';
  const pytorch = (config: LabConfig) => {
    const c = read(config);
    const range = c.dtype === 'qint8' ? '-128, 127' : '0, 255';
    return perChannel ? `torch.fake_quantize_per_channel_affine(x, scale, zero_point, 1, ${range})` : `torch.fake_quantize_per_tensor_affine(x, scale, zero_point, ${range})`;
  };
  const shapeOf = (config: LabConfig) => {
    const c = read(config);
    return [c.n, c.c, c.h, c.w];
  };
  const inputOf = (config: LabConfig) => makeInput(config, shapeOf(config), read(config).seed);
  const lab: LabOp = {
    name: opName,
    title: perChannel ? 'Fake quantize (per channel)' : 'Fake quantize (per tensor)',
    summary: `x → integer codes q = clamp(round(x / scale) + zero_point, qmin, qmax) → (q − zero_point) · scale, ${perChannel ? 'one scale and zero point per channel' : 'one scale and zero point for the tensor'}, chosen by PyTorch's MinMaxObserver from x. Backward is straight-through: ∂L/∂y where the code was in range, 0 where it clipped.`,
    rows: [
      { section: 'Layer', label: 'dtype', fields: [{ key: 'dtype', kind: 'choice', default: 'quint8', options: [{ value: 'quint8', label: 'quint8 [0, 255]' }, { value: 'qint8', label: 'qint8 [−128, 127]' }] }] },
      { section: 'Layer', label: 'qscheme', fields: [{ key: 'qscheme', kind: 'choice', default: 'affine', options: [{ value: 'affine', label: 'affine (min/max)' }, { value: 'symmetric', label: 'symmetric (±max |x|)' }] }] },
      { section: 'Layer', label: 'observed range %', hint: 'the observer sees x scaled to this share of its range; below 100 the outer values clip', fields: [int('range', 60, 1, 100)] },
      { section: 'Input', label: 'batch · channels', fields: [int('n', 1, 1, 16, 'N'), int('c', 3, 1, 64, 'C')] },
      { section: 'Input', label: 'height · width', fields: [int('h', 12, 1, 256, 'H'), int('w', 12, 1, 256, 'W')] },
      ...inputGradSeedRows(true),
    ],

    validate(config): Validation {
      const line = pytorch(config);
      const bad = checkInts(lab.rows, config, line);
      if (bad) return bad;
      const shape = shapeOf(config);
      const count = numel(shape);
      if (count > MAX_ELEMENTS) return invalid(`x has N·C·H·W = ${formatCount(count)} elements; the lab draws at most ${formatCount(MAX_ELEMENTS)}`, ['n', 'c', 'h', 'w'], line);
      const inputProblem = checkInput(config, count);
      if (inputProblem) return invalid(inputProblem, ['xtext'], line);
      const q = chooseQparams(config, inputOf(config), shape, perChannel);
      const shown = (values: number[]) => (values.length > 4 ? `${values.slice(0, 4).map((v) => formatFloat32(v)).join(', ')}, …` : values.map((v) => formatFloat32(v)).join(', '));
      return {
        ok: true, error: null, fields: [], derivations: [], pytorch: line,
        shapes: { x: shape, output: shape, q: shape, mask: shape, error: shape, grad_output: shape, 'grad.x': shape },
        stats: [
          { label: perChannel ? 'scales' : 'scale', value: shown(q.scale), title: 'from MinMaxObserver on the observed range' },
          { label: perChannel ? 'zero points' : 'zero point', value: shown(q.zero_point) },
          { label: 'codes', value: `[${q.quant_min}, ${q.quant_max}]` },
          { label: 'FLOPs', value: formatCount(6 * count), title: 'multiply, round, add, clamp, subtract, multiply per element' },
        ],
      };
    },

    buildSpec(config): RunSpec {
      const v = lab.validate(config);
      if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
      const shape = shapeOf(config);
      const x = inputOf(config);
      const q = chooseQparams(config, x, shape, perChannel);
      const count = numel(shape);
      const attrs = perChannel
        ? { axis: 1, quant_min: q.quant_min, quant_max: q.quant_max }
        : { scale: q.scale[0], zero_point: q.zero_point[0], quant_min: q.quant_min, quant_max: q.quant_max };
      return {
        op: opName,
        attrs,
        inputs: {
          x: { shape, data: Array.from(x) },
          ...(perChannel ? { scale: { shape: [q.scale.length], data: q.scale }, zero_point: { shape: [q.zero_point.length], data: q.zero_point, dtype: 'int32' as const } } : {}),
        },
        grad_output: { output: { shape, data: Array.from(gradValues(config.grad, count, () => uniform(count, stream(read(config).seed, 3), -1, 1))) } },
      };
    },

    async extraRun(_rt, _spec, tensors): Promise<RunTensors> {
      const x = tensors['inputs.x'];
      const y = tensors['outputs.output'];
      return { 'error.output': { shape: [...x.shape], data: Float32Array.from(y.data, (v, i) => v - x.data[i]) } };
    },

    trace: true,
    forwardSlots: [
      { name: 'x', title: 'input x', source: 'inputs.x', axes: ['n', 'c'], help: 'rows: batch items · columns: channels' },
      { name: 'output', title: 'x_q = (q − zero_point) · scale', source: 'outputs.output', axes: ['n', 'c'], help: 'GPU (the op); click a value for its steps' },
    ],
    operators: { output: 'fake quant' },
    traceSlots: [
      { name: 'q', title: 'integer codes q', source: 'trace.q', axes: ['n', 'c'], help: 'clamp(round(x · (1/scale)) + zero_point, qmin, qmax)' },
      { name: 'mask', title: 'in-range mask', source: 'trace.mask', axes: ['n', 'c'], help: '1 where the code fell inside [qmin, qmax], 0 where it clipped' },
      { name: 'error', title: 'error x_q − x', source: 'error.output', axes: ['n', 'c'], help: 'within ±scale/2 inside the range; clipping makes it large' },
    ],
    backwardSlots: [
      { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', axes: ['n', 'c'], help: 'the upstream gradient fed to backward' },
      { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', axes: ['n', 'c'], help: 'straight-through: ∂L/∂output · mask' },
    ],
    explainSlot: 'output',
    padding: () => ({}),
    section: (run) => histogramSection(run, perChannel),

    focus(_config, index) {
      return { highlights: { x: [index], q: [index], mask: [index], error: [index], grad_output: [index], 'grad.x': [index] } };
    },

    detail(run, index) {
      const mask = run.tensors['trace.mask'];
      const clipped = mask ? Array.prototype.filter.call(mask.data, (v: number) => v === 0).length : 0;
      const share = `${formatCount(clipped)} of ${formatCount(mask?.data.length ?? 0)} values (${((100 * clipped) / Math.max(1, mask?.data.length ?? 1)).toFixed(1)}%) clipped`;
      if (!index) {
        return html`<div class="hint"><span class="arrow">←</span><span><b>Click any output value</b> to see its code step by step in float32, as PyTorch computes it. ${share}.</span></div>`;
      }
      const spec = run.spec;
      const channel = index[1];
      const scale = perChannel ? Number(spec.inputs.scale.data[channel]) : Number(spec.attrs?.scale);
      const zeroPoint = perChannel ? Number(spec.inputs.zero_point.data[channel]) : Number(spec.attrs?.zero_point);
      const qmin = Number(spec.attrs?.quant_min);
      const qmax = Number(spec.attrs?.quant_max);
      const xv = at(run.tensors['inputs.x'], index);
      const inv = Math.fround(1 / Math.fround(scale));
      const product = Math.fround(xv * inv);
      const code = Math.fround(zeroPoint + roundHalfEven(product));
      const q = Math.min(Math.max(code, qmin), qmax);
      const y = Math.fround((q - zeroPoint) * scale);
      const gpu = at(run.tensors['outputs.output'], index);
      return html`<div class="detail">
        <div class="head"><h2 class="mono">${formatIndex('output', index)}</h2><span class="muted small">${code < qmin || code > qmax ? `code ${code} outside [${qmin}, ${qmax}]: clipped, gradient 0` : 'in range: gradient passes'} · ${formatShape(run.tensors['inputs.x'].shape)}</span></div>
        <div class="layout">
          <div>
            ${figures([
              { label: 'x', value: formatFloat32(xv), role: 'x', raw: xv },
              { label: `scale${perChannel ? ` (channel ${channel})` : ''}`, value: formatFloat32(scale), role: 'scale', raw: scale },
              { label: '1/scale in float32', value: formatFloat32(inv), role: 'inv-scale', raw: inv },
              { label: 'x · (1/scale) in float32', value: formatFloat32(product), role: 'product', raw: product },
              { label: 'round half to even + zero_point', value: String(code), role: 'code', raw: code },
              { label: `clamp to [${qmin}, ${qmax}] = q`, value: String(q), role: 'q', raw: q },
            ])}
          </div>
          <div>
            ${figures([
              { label: '(q − zero_point) · scale', value: formatFloat32(y), role: 'recomputed', raw: y, cls: 'total' },
              { label: 'GPU output', value: formatFloat32(gpu), role: 'output', raw: gpu, cls: 'gpu' },
              { label: 'error x_q − x', value: formatFloat32(y - xv), role: 'error', raw: y - xv },
            ])}
            <p class="note">${share}. PyTorch multiplies by the float32 1/scale rather than dividing, so a value exactly half a step from two codes can round differently from x / scale computed exactly; ties go to the even code.</p>
          </div>
        </div>
      </div>`;
    },
  };
  return lab;
}

const BINS = 48;

/** The float ranges the codes [quant_min, quant_max] map back to: one per tensor, or one per channel. */
function clipRanges(spec: RunSpec, perChannel: boolean): [number, number][] {
  const a = spec.attrs as Record<string, number>;
  const scales = perChannel ? spec.inputs.scale.data : [a.scale];
  const zeroPoints = perChannel ? spec.inputs.zero_point.data : [a.zero_point];
  return scales.map((s, c) => [(a.quant_min - zeroPoints[c]) * s, (a.quant_max - zeroPoints[c]) * s]);
}

/** A histogram of x with the clipping range (per channel: every channel's) drawn over it. */
function histogramSection(run: LabRunData, perChannel: boolean) {
  const x = run.tensors['inputs.x'].data;
  const ranges = clipRanges(run.spec, perChannel);
  const h = histogram(x, BINS, [Math.min(...ranges.map((r) => r[0])), Math.max(...ranges.map((r) => r[1]))]);
  const width = 560;
  const height = 140;
  const peak = Math.max(...h.counts, 1);
  const span = h.max - h.min || 1;
  const xAt = (v: number) => Math.min(width, Math.max(0, ((v - h.min) / span) * width));
  const barWidth = width / BINS;
  return html`<section>
    <div class="section-title"><h2>Histogram</h2><span>x in ${BINS} bins over [${formatFloat32(h.min)}, ${formatFloat32(h.max)}]; the dashed lines bound what the codes represent${perChannel ? ' (one pair per channel)' : ''}: values outside clip</span></div>
    <div class="card" data-role="histogram">
      <svg viewBox="0 0 ${width} ${height + 16}" width="100%" style="max-width: ${width}px" role="img" aria-label="histogram of x">
        ${h.counts.map((n, b) => svg`<rect x=${b * barWidth + 0.5} y=${height - (n / peak) * height} width=${barWidth - 1} height=${(n / peak) * height} fill="var(--nnx-accent, #4f46e5)" opacity="0.75"></rect>`)}
        ${ranges.flatMap(([lo, hi]) => [lo, hi]).map((v) => svg`<line x1=${xAt(v)} x2=${xAt(v)} y1="0" y2=${height} stroke="var(--nnx-danger, #dc2626)" stroke-dasharray="4 3" stroke-width="1.5"></line>`)}
        <text x="0" y=${height + 13} font-size="11" fill="currentColor">${formatFloat32(h.min)}</text>
        <text x=${width} y=${height + 13} font-size="11" text-anchor="end" fill="currentColor">${formatFloat32(h.max)}</text>
      </svg>
    </div>
  </section>`;
}

/** `torch.fake_quantize_per_tensor_affine` in the lab. */
export const fakeQuantizePerTensorLab = fakeQuantizeLab(false);
/** `torch.fake_quantize_per_channel_affine` (axis 1, the channels) in the lab. */
export const fakeQuantizePerChannelLab = fakeQuantizeLab(true);
