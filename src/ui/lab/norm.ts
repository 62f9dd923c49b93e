/**
 * The Layer Lab's descriptions of `batch_norm`, `layer_norm` and `group_norm`: the same
 * y = γ·(x − mean)·invstd + β, differing only in which values share one mean and variance.
 */
import { html } from 'lit';
import { numel } from '../../analysis/tensor.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatFloat32, formatFloat64, formatIndex, formatShape } from '../format.ts';
import { MAX_ELEMENTS } from './conv2d.ts';
import { at, checkInts, figures, gradValues, int, invalid, unflat } from './common.ts';
import { checkInput, inputGradSeedRows, makeInput, stream, uniform } from './data.ts';
import { num, type FieldRow, type LabConfig, type LabOp, type NeuronFocus, type Validation } from './types.ts';

type Kind = 'batch_norm' | 'layer_norm' | 'group_norm';
const EPS = 1e-5;

const OVER_OPTIONS = [
  { value: '1', label: '[W] (last dim)' },
  { value: '2', label: '[H, W]' },
  { value: '3', label: '[C, H, W]' },
];

function read(config: LabConfig) {
  return {
    n: num(config, 'n'), c: num(config, 'c'), h: num(config, 'h'), w: num(config, 'w'),
    affine: config.affine !== false, training: config.training !== false, groups: num(config, 'groups'),
    over: Number(config.over ?? 3), seed: num(config, 'seed'),
  };
}

/** What shares one statistic, in words and as a statistic index of an element of x. */
function layout(kind: Kind, config: LabConfig) {
  const c = read(config);
  const xShape = [c.n, c.c, c.h, c.w];
  if (kind === 'batch_norm') {
    return {
      xShape, statShape: [c.c], paramShape: [c.c],
      stat: (i: number[]) => [i[1]], param: (i: number[]) => [i[1]],
      words: `each channel: N·H·W = ${formatCount(c.n * c.h * c.w)} values across the whole batch`,
      members: (s: number[]) => all(xShape).filter((i) => i[1] === s[0]),
    };
  }
  if (kind === 'group_norm') {
    const per = c.c / c.groups;
    return {
      xShape, statShape: [c.n, c.groups], paramShape: [c.c],
      stat: (i: number[]) => [i[0], Math.floor(i[1] / per)], param: (i: number[]) => [i[1]],
      words: `each sample's group of C/G = ${formatCount(per)} channels: ${formatCount(per * c.h * c.w)} values, one sample at a time`,
      members: (s: number[]) => all(xShape).filter((i) => i[0] === s[0] && Math.floor(i[1] / per) === s[1]),
    };
  }
  const lead = 4 - c.over;
  const normShape = xShape.slice(lead);
  return {
    xShape, statShape: xShape.slice(0, lead), paramShape: normShape,
    stat: (i: number[]) => i.slice(0, lead), param: (i: number[]) => i.slice(lead),
    words: `each ${formatShape(normShape)} slice: ${formatCount(numel(normShape))} values of one ${lead === 1 ? 'sample' : lead === 2 ? 'sample’s channel' : 'row'}`,
    members: (s: number[]) => all(xShape).filter((i) => s.every((v, k) => i[k] === v)),
  };
}

function all(shape: number[]): number[][] {
  return Array.from({ length: numel(shape) }, (_, f) => unflat(shape, f));
}

function pytorch(kind: Kind, config: LabConfig): string {
  const c = read(config);
  const aff = c.affine ? '' : kind === 'layer_norm' ? ', elementwise_affine=False' : ', affine=False';
  if (kind === 'batch_norm') return `nn.BatchNorm2d(${c.c}${aff})${c.training ? '.train()' : '.eval()'}`;
  if (kind === 'group_norm') return `nn.GroupNorm(${c.groups}, ${c.c}${aff})`;
  return `nn.LayerNorm(${formatShape([c.n, c.c, c.h, c.w].slice(4 - c.over))}${aff})`;
}

function makeNorm(kind: Kind): LabOp {
  const title = { batch_norm: 'BatchNorm2d', layer_norm: 'LayerNorm', group_norm: 'GroupNorm' }[kind];
  const layerRows: FieldRow[] = [];
  if (kind === 'batch_norm') layerRows.push({ section: 'Layer', label: 'training', hint: 'batch statistics; off: running ones', fields: [{ key: 'training', kind: 'bool', default: true }] });
  if (kind === 'group_norm') layerRows.push({ section: 'Layer', label: 'num_groups', hint: 'must divide the channels', fields: [int('groups', 2, 1, 16)] });
  if (kind === 'layer_norm') layerRows.push({ section: 'Layer', label: 'normalized_shape', fields: [{ key: 'over', kind: 'choice', default: '3', options: OVER_OPTIONS }] });
  layerRows.push({ section: 'Layer', label: kind === 'layer_norm' ? 'elementwise_affine' : 'affine', hint: 'learnable γ (weight) and β (bias)', fields: [{ key: 'affine', kind: 'bool', default: true }] });

  const op: LabOp = {
    name: kind,
    title,
    summary: {
      batch_norm: 'Normalizes each channel with the mean and variance over the batch and all positions, then scales by γ and shifts by β per channel.',
      layer_norm: 'Normalizes each sample over its trailing normalized_shape dims, independently of the rest of the batch; γ and β are per element of that shape.',
      group_norm: 'Normalizes each sample over groups of channels (and all positions), independently of the batch; γ and β are per channel.',
    }[kind],
    rows: [
      ...layerRows,
      { section: 'Input', label: 'batch', fields: [int('n', 2, 1, 8)] },
      { section: 'Input', label: 'channels', fields: [int('c', 4, 1, 16)] },
      { section: 'Input', label: 'size H × W', fields: [int('h', 5, 1, 32, 'H'), int('w', 5, 1, 32, 'W')] },
      ...inputGradSeedRows(false),
    ],

    validate(config): Validation {
      const c = read(config);
      const line = pytorch(kind, config);
      const bad = checkInts(op.rows, config, line);
      if (bad) return bad;
      if (kind === 'group_norm' && c.c % c.groups !== 0) {
        return invalid(`num_groups ${c.groups} must divide the ${c.c} channels: ${c.c} / ${c.groups} = ${(c.c / c.groups).toFixed(2)} is not whole`, ['groups', 'c'], line);
      }
      const l = layout(kind, config);
      if (kind === 'batch_norm' && c.training && c.n * c.h * c.w < 2) {
        return invalid(`training needs more than one value per channel: N·H·W = ${c.n}·${c.h}·${c.w} = ${c.n * c.h * c.w}`, ['n', 'h', 'w'], line);
      }
      if (numel(l.xShape) > MAX_ELEMENTS / 4) return invalid(`x ${formatShape(l.xShape)} has ${formatCount(numel(l.xShape))} values; this page draws at most ${formatCount(MAX_ELEMENTS / 4)}`, ['n', 'c', 'h', 'w'], line);
      const inputProblem = checkInput(config, numel(l.xShape));
      if (inputProblem) return invalid(inputProblem, ['xtext'], line);
      const shapes: Record<string, number[]> = { x: l.xShape, output: l.xShape, grad_output: l.xShape, 'grad.x': l.xShape, mean: l.statShape, invstd: l.statShape, xhat: l.xShape };
      if (c.affine) shapes.weight = shapes.bias = shapes['grad.weight'] = shapes['grad.bias'] = l.paramShape;
      const count = numel(l.xShape);
      return {
        ok: true, error: null, fields: [], derivations: [], shapes, pytorch: line,
        stats: [
          { label: 'statistics', value: `${formatCount(numel(l.statShape))} × ${formatCount(count / numel(l.statShape))}`, title: `${formatCount(numel(l.statShape))} means and variances, each over ${formatCount(count / numel(l.statShape))} values` },
          { label: 'parameters', value: formatCount(c.affine ? 2 * numel(l.paramShape) : 0), title: c.affine ? `γ and β, each ${formatShape(l.paramShape)}` : 'no affine parameters' },
          { label: 'output', value: formatShape(l.xShape) },
          { label: 'FLOPs', value: formatCount(count * (c.affine ? 7 : 5)), title: 'per value: mean and variance sums (3), normalize (2), affine (2)' },
        ],
      };
    },

    buildSpec(config): RunSpec {
      const v = op.validate(config);
      if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
      const c = read(config);
      const x = makeInput(config, v.shapes.x, c.seed);
      // Shift and stretch the channels differently, so normalizing has something to undo.
      if (config.input !== 'typed') for (let i = 0; i < x.length; i++) x[i] = x[i] * (1 + Math.floor(i / (c.h * c.w)) % c.c) + 0.5 * (Math.floor(i / (c.h * c.w)) % c.c);
      const count = numel(v.shapes.x);
      const attrs: Record<string, unknown> = { eps: EPS };
      if (kind === 'batch_norm') attrs.training = c.training;
      if (kind === 'group_norm') attrs.num_groups = c.groups;
      if (kind === 'layer_norm') attrs.normalized_shape = v.shapes.x.slice(4 - c.over);
      const spec: RunSpec = {
        op: kind, attrs,
        inputs: { x: { shape: v.shapes.x, data: Array.from(x) } },
        grad_output: { output: { shape: v.shapes.x, data: Array.from(gradValues(config.grad, count, () => uniform(count, stream(c.seed, 3), -1, 1))) } },
      };
      if (c.affine) {
        const p = numel(v.shapes.weight);
        spec.inputs.weight = { shape: v.shapes.weight, data: Array.from(uniform(p, stream(c.seed, 1), 0.5, 1.5)) };
        spec.inputs.bias = { shape: v.shapes.bias, data: Array.from(uniform(p, stream(c.seed, 2), -0.5, 0.5)) };
      }
      if (kind === 'batch_norm') {
        spec.inputs.running_mean = { shape: [c.c], data: Array.from(uniform(c.c, stream(c.seed, 4), 0, 2)) };
        spec.inputs.running_var = { shape: [c.c], data: Array.from(uniform(c.c, stream(c.seed, 5), 0.5, 4)) };
      }
      return spec;
    },

    trace: true,
    forwardSlots: [
      { name: 'x', title: 'input x', source: 'inputs.x', axes: ['n', 'c'], help: 'rows: batch items · columns: channels' },
      { name: 'weight', title: 'γ (weight)', source: 'inputs.weight', help: kind === 'layer_norm' ? 'one per normalized element' : 'one per channel' },
      { name: 'bias', title: 'β (bias)', source: 'inputs.bias', help: kind === 'layer_norm' ? 'one per normalized element' : 'one per channel' },
      ...(kind === 'batch_norm' ? [
        { name: 'running_mean', title: 'running_mean', source: 'inputs.running_mean', help: 'before this step' },
        { name: 'running_var', title: 'running_var', source: 'inputs.running_var', help: 'before this step' },
        { name: 'running_mean.new', title: 'running_mean′', source: 'outputs.running_mean', help: '(1 − 0.1)·old + 0.1·batch mean' },
        { name: 'running_var.new', title: 'running_var′', source: 'outputs.running_var', help: '(1 − 0.1)·old + 0.1·unbiased batch var' },
      ] : []),
      { name: 'output', title: 'output', source: 'outputs.output', axes: ['n', 'c'], help: 'click a value to see its statistics' },
    ],
    operators: { output: '=' },
    traceSlots: [
      { name: 'mean', title: 'mean', source: 'trace.mean', axes: ['', ''], help: `one per statistics group ${{ batch_norm: '[C]', layer_norm: '(leading dims)', group_norm: '[N, G]' }[kind]}` },
      { name: 'invstd', title: 'invstd', source: 'trace.invstd', axes: ['', ''], help: '1 / √(var + ε), var biased' },
      { name: 'xhat', title: 'x̂', source: 'trace.xhat', axes: ['n', 'c'], help: '(x − mean) · invstd: zero mean, unit variance per group' },
    ],
    backwardSlots: [
      { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', axes: ['n', 'c'], help: 'the upstream gradient fed to backward' },
      { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', axes: ['n', 'c'], help: 'every x in a group moves the group’s mean and variance, so the gradient mixes within it' },
      { name: 'grad.weight', title: '∂L/∂γ', source: 'grads.weight', help: 'Σ ∂L/∂output · x̂' },
      { name: 'grad.bias', title: '∂L/∂β', source: 'grads.bias', help: 'Σ ∂L/∂output' },
    ],
    explainSlot: 'output',
    params: [
      { name: 'weight', value: 'inputs.weight', grad: 'grads.weight' },
      { name: 'bias', value: 'inputs.bias', grad: 'grads.bias' },
    ],
    padding: () => ({}),

    focus(config, index): NeuronFocus {
      const l = layout(kind, config);
      const s = l.stat(index);
      const members = l.members(s);
      return {
        highlights: {
          x: members, xhat: members, output: members, 'grad.x': members, grad_output: [index],
          mean: [s], invstd: [s], weight: [l.param(index)], bias: [l.param(index)], 'grad.weight': [l.param(index)], 'grad.bias': [l.param(index)],
        },
      };
    },

    detail(run, index) {
      const l = layout(kind, run.config);
      const c = read(run.config);
      if (!index) {
        return html`<div class="hint"><span class="arrow">←</span><span><b>Click any output value</b> to outline the values that share its mean and variance and to recompute it step by step.<br />
          ${title} normalizes over ${l.words}.</span></div>`;
      }
      const x = run.tensors['inputs.x'];
      const s = l.stat(index);
      const members = l.members(s);
      const vals = members.map((i) => at(x, i));
      const useBatch = kind !== 'batch_norm' || c.training;
      let mean: number;
      let variance: number;
      if (useBatch) {
        mean = vals.reduce((a, b) => a + b, 0) / vals.length;
        variance = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length;
      } else {
        mean = at(run.tensors['inputs.running_mean'], s);
        variance = at(run.tensors['inputs.running_var'], s);
      }
      const invstd = 1 / Math.sqrt(variance + EPS);
      const xv = at(x, index);
      const xhat = (xv - mean) * invstd;
      const gamma = run.tensors['inputs.weight'] ? at(run.tensors['inputs.weight'], l.param(index)) : 1;
      const beta = run.tensors['inputs.bias'] ? at(run.tensors['inputs.bias'], l.param(index)) : 0;
      const y = gamma * xhat + beta;
      const gpuMean = run.tensors['trace.mean'] ? at(run.tensors['trace.mean'], s) : NaN;
      const gpuInvstd = run.tensors['trace.invstd'] ? at(run.tensors['trace.invstd'], s) : NaN;
      const gpuXhat = run.tensors['trace.xhat'] ? at(run.tensors['trace.xhat'], index) : NaN;
      const out = at(run.tensors['outputs.output'], index);
      const statName = formatIndex('mean', s);
      return html`<div class="detail">
        <div class="head"><h2 class="mono">${formatIndex('output', index)}</h2>
          <span class="muted small">statistics ${statName.replace('mean', '')} over ${formatCount(vals.length)} values: ${l.words}</span></div>
        <div class="layout">
          <div>
            ${figures([
              { label: useBatch ? 'mean = Σx / m (float64)' : 'mean = running_mean (eval)', value: formatFloat64(mean), role: 'mean-ref', raw: mean },
              { label: 'mean on the GPU (trace)', value: formatFloat32(gpuMean), role: 'mean', raw: gpuMean },
              { label: useBatch ? 'var = Σ(x − mean)² / m' : 'var = running_var (eval)', value: formatFloat64(variance), role: 'var', raw: variance },
              { label: 'invstd = 1/√(var + 1e-5)', value: formatFloat64(invstd), role: 'invstd-ref', raw: invstd },
              { label: 'invstd on the GPU (trace)', value: formatFloat32(gpuInvstd), role: 'invstd', raw: gpuInvstd },
            ])}
          </div>
          <div>
            ${figures([
              { label: formatIndex('x', index), value: formatFloat32(xv) },
              { label: 'x̂ = (x − mean)·invstd', value: formatFloat64(xhat), role: 'xhat-ref', raw: xhat },
              { label: 'x̂ on the GPU (trace)', value: formatFloat32(gpuXhat), role: 'xhat', raw: gpuXhat },
              { label: `γ${formatShape(l.param(index))}`, value: formatFloat32(gamma) },
              { label: `β${formatShape(l.param(index))}`, value: formatFloat32(beta) },
              { label: '= γ·x̂ + β (float64)', value: formatFloat64(y), role: 'recomputed', raw: y, cls: 'total' },
              { label: 'GPU output', value: formatFloat32(out), role: 'output', raw: out, cls: 'gpu' },
            ])}
          </div>
        </div>
        <p class="note">${kind === 'batch_norm'
          ? c.training
            ? 'Training mode: the batch statistics normalize, and the running statistics move 10% toward them (the variance there is the unbiased one, m/(m − 1) times larger).'
            : 'Eval mode: the running statistics normalize, so an output depends on its own input only.'
          : 'No batch dimension is involved: the same sample gives the same output whatever else is in the batch.'}</p>
      </div>`;
    },
  };
  return op;
}

export const batchNormLab = makeNorm('batch_norm');
export const layerNormLab = makeNorm('layer_norm');
export const groupNormLab = makeNorm('group_norm');
