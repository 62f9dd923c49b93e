/** The Layer Lab's description of `conv2d` (F.conv2d / nn.Conv2d). */
import { outputSizeDerivation, convOutputSize } from '../../analysis/conv_shapes.ts';
import { NnxError } from '../../analysis/errors.ts';
import { LAYER_RULES } from '../../analysis/layers/index.ts';
import { numel } from '../../analysis/tensor.ts';
import { explainNeuron } from '../../ops/explain.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatShape } from '../format.ts';
import { checkInput, inputGradSeedRows, makeInput, stream, uniform } from './data.ts';
import { num, type NeuronFocus, type FieldDef, type LabConfig, type LabOp, type Validation } from './types.ts';

/** Largest tensor the lab draws (elements); larger configurations are refused with the numbers. */
export const MAX_ELEMENTS = 65_536;

const int = (key: string, def: number, min: number, max: number, label?: string): FieldDef => ({ key, kind: 'int', default: def, min, max, label });


function read(config: LabConfig) {
  return {
    n: num(config, 'n'), cin: num(config, 'cin'), cout: num(config, 'cout'),
    kh: num(config, 'kh'), kw: num(config, 'kw'), stride: num(config, 'stride'),
    padding: num(config, 'padding'), dilation: num(config, 'dilation'), groups: num(config, 'groups'),
    bias: config.bias === true, h: num(config, 'h'), w: num(config, 'w'),
    input: String(config.input), seed: num(config, 'seed'), grad: String(config.grad),
  };
}

export const conv2dLab: LabOp = {
  name: 'conv2d',
  title: 'Conv2d',
  summary: 'Each output neuron is a dot product of a kernel with one window of the (zero-padded) input, plus a bias.',
  rows: [
    { section: 'Layer', label: 'channels in → out', fields: [int('cin', 3, 1, 32, 'in'), int('cout', 4, 1, 32, 'out')] },
    { section: 'Layer', label: 'kernel kh × kw', fields: [int('kh', 3, 1, 11, 'kh'), int('kw', 3, 1, 11, 'kw')] },
    { section: 'Layer', label: 'stride', fields: [int('stride', 1, 1, 8)] },
    { section: 'Layer', label: 'padding', hint: 'zeros on every side', fields: [int('padding', 1, 0, 8)] },
    { section: 'Layer', label: 'dilation', fields: [int('dilation', 1, 1, 8)] },
    { section: 'Layer', label: 'groups', hint: 'groups = in = out is depthwise', fields: [int('groups', 1, 1, 32)] },
    { section: 'Layer', label: 'bias', fields: [{ key: 'bias', kind: 'bool', default: true }] },
    { section: 'Input', label: 'batch', fields: [int('n', 1, 1, 4)] },
    { section: 'Input', label: 'size H × W', fields: [int('h', 12, 1, 64, 'H'), int('w', 12, 1, 64, 'W')] },
    ...inputGradSeedRows(true, {
      section: 'Input', label: 'grad_output', hint: '∂L/∂output fed to backward',
      fields: [{ key: 'grad', kind: 'choice', default: 'ones', options: [{ value: 'ones', label: 'ones' }, { value: 'random', label: 'seeded random' }] }],
    }),
  ],

  validate(config): Validation {
    const c = read(config);
    const invalid = (error: string, fields: string[], derivations: Validation['derivations'] = []): Validation => ({
      ok: false, error, fields, derivations, shapes: {}, stats: [], pytorch: pytorchLine(c),
    });
    for (const row of conv2dLab.rows) {
      for (const f of row.fields) {
        if (f.kind !== 'int') continue;
        const v = num(config, f.key);
        if (!Number.isInteger(v) || v < f.min! || v > f.max!) {
          return invalid(`${row.label}${f.label ? ` (${f.label})` : ''} must be a whole number from ${formatCount(f.min!)} to ${formatCount(f.max!)}, got ${config[f.key]}`, [f.key]);
        }
      }
    }
    const oh = convOutputSize(c.h, c.padding, c.padding, c.kh, c.stride, c.dilation);
    const ow = convOutputSize(c.w, c.padding, c.padding, c.kw, c.stride, c.dilation);
    const derivations = [
      { text: outputSizeDerivation('H', c.h, c.padding, c.padding, c.kh, c.stride, c.dilation), ok: oh >= 1 },
      { text: outputSizeDerivation('W', c.w, c.padding, c.padding, c.kw, c.stride, c.dilation), ok: ow >= 1 },
    ];
    const xShape = [c.n, c.cin, c.h, c.w];
    let outcome;
    try {
      outcome = LAYER_RULES.Conv2d.infer(
        {
          type: 'Conv2d', in_channels: c.cin, out_channels: c.cout, kernel_size: [c.kh, c.kw],
          stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, bias: c.bias,
        },
        [{ shape: xShape, kind: 'float' }],
        {},
      );
    } catch (e) {
      if (!(e instanceof NnxError)) throw e;
      const fields = /groups/.test(e.message)
        ? ['groups', ...(/in_channels/.test(e.message) ? ['cin'] : []), ...(/out_channels/.test(e.message) ? ['cout'] : [])]
        : [...(oh < 1 ? ['h', 'kh'] : []), ...(ow < 1 ? ['w', 'kw'] : []), 'padding', 'dilation'];
      const message = e.message.replace(/^conv2d: /, '');
      return invalid(oh < 1 || ow < 1 ? `impossible output size ${oh} × ${ow}: ${message}` : message, fields, derivations);
    }
    const weightShape = outcome.params[0].shape;
    const shapes: Record<string, number[]> = {
      x: xShape, weight: weightShape, output: outcome.outputShape,
      grad_output: outcome.outputShape, 'grad.x': xShape, 'grad.weight': weightShape,
    };
    if (c.bias) shapes.bias = shapes['grad.bias'] = [c.cout];
    const largest = Object.entries(shapes).reduce((best, [k, s]) => (numel(s) > best[1] ? [k, numel(s)] as [string, number] : best), ['', 0] as [string, number]);
    if (largest[1] > MAX_ELEMENTS) {
      return invalid(
        `${largest[0]} ${formatShape(shapes[largest[0]])} has ${formatCount(largest[1])} values; the lab draws at most ${formatCount(MAX_ELEMENTS)} per tensor — use a smaller batch, fewer channels or a smaller input`,
        ['n', 'cin', 'cout', 'h', 'w'], derivations,
      );
    }
    const inputProblem = checkInput(config, numel(xShape));
    if (inputProblem) return invalid(inputProblem, ['xtext', 'upload'], derivations);
    const paramCount = outcome.params.reduce((s, p) => s + numel(p.shape), 0);
    return {
      ok: true, error: null, fields: [], derivations, shapes,
      pytorch: pytorchLine(c),
      stats: [
        { label: 'output', value: formatShape(outcome.outputShape) },
        { label: 'parameters', value: formatCount(paramCount), title: `weight ${formatShape(weightShape)}${c.bias ? ` + bias [${c.cout}]` : ''}` },
        { label: 'MACs', value: formatCount(outcome.macs), title: 'multiply-accumulates of the forward pass' },
        { label: 'FLOPs', value: formatCount(outcome.flops), title: 'forward: 2 per MAC, plus one add per output for the bias' },
      ],
    };
  },

  buildSpec(config): RunSpec {
    const c = read(config);
    const v = conv2dLab.validate(config);
    if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
    const x = makeInput(config, v.shapes.x, c.seed);
    const fanIn = (c.cin / c.groups) * c.kh * c.kw;
    const bound = 1 / Math.sqrt(fanIn); // PyTorch's default init range for Conv2d
    const weight = uniform(numel(v.shapes.weight), stream(c.seed, 1), -bound, bound);
    const outCount = numel(v.shapes.output);
    const grad = c.grad === 'random' ? uniform(outCount, stream(c.seed, 3), -1, 1) : new Float32Array(outCount).fill(1);
    const spec: RunSpec = {
      op: 'conv2d',
      attrs: { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups },
      inputs: {
        x: { shape: v.shapes.x, data: Array.from(x) },
        weight: { shape: v.shapes.weight, data: Array.from(weight) },
      },
      grad_output: { output: { shape: v.shapes.output, data: Array.from(grad) } },
    };
    if (c.bias) spec.inputs.bias = { shape: [c.cout], data: Array.from(uniform(c.cout, stream(c.seed, 2), -bound, bound)) };
    return spec;
  },

  forwardSlots: [
    { name: 'x', title: 'input x', source: 'inputs.x', axes: ['n', 'c'], help: 'rows: batch items · columns: channels' },
    { name: 'weight', title: 'weight', source: 'inputs.weight', axes: ['o', 'i'], help: 'rows: out channels · columns: in/groups' },
    { name: 'bias', title: 'bias', source: 'inputs.bias', help: 'one per output channel' },
    { name: 'output', title: 'output', source: 'outputs.output', axes: ['n', 'o'], help: 'click a neuron to see every term of its sum' },
  ],
  operators: { weight: '⊛', bias: '+', output: '=' },
  backwardSlots: [
    { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', axes: ['n', 'o'], help: 'the upstream gradient fed to backward' },
    { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', axes: ['n', 'c'], help: 'gradient w.r.t. the input' },
    { name: 'grad.weight', title: '∂L/∂weight', source: 'grads.weight', axes: ['o', 'i'], help: 'gradient w.r.t. the weight' },
    { name: 'grad.bias', title: '∂L/∂bias', source: 'grads.bias', help: 'sum of ∂L/∂output over batch and space' },
  ],
  explainSlot: 'output',
  params: [
    { name: 'weight', value: 'inputs.weight', grad: 'grads.weight' },
    { name: 'bias', value: 'inputs.bias', grad: 'grads.bias' },
  ],

  padding(config): Record<string, [number, number, number, number]> {
    const p = num(config, 'padding');
    return p > 0 ? { x: [p, p, p, p] } : {};
  },

  focus(config, [n, oc, oy, ox]): NeuronFocus {
    const c = read(config);
    const perGroup = c.cin / c.groups;
    const first = Math.floor(oc / (c.cout / c.groups)) * perGroup;
    const xs: number[][] = [];
    const ws: number[][] = [];
    for (let ic = 0; ic < perGroup; ic++) {
      for (let ky = 0; ky < c.kh; ky++) {
        for (let kx = 0; kx < c.kw; kx++) {
          xs.push([n, first + ic, oy * c.stride - c.padding + ky * c.dilation, ox * c.stride - c.padding + kx * c.dilation]);
          ws.push([oc, ic, ky, kx]);
        }
      }
    }
    const inside = xs.filter(([, , y, x]) => y >= 0 && y < c.h && x >= 0 && x < c.w);
    return {
      highlights: {
        x: xs, weight: ws, bias: [[oc]], grad_output: [[n, oc, oy, ox]], 'grad.x': inside, 'grad.weight': ws, 'grad.bias': [[oc]],
      },
      padding: conv2dLab.padding(config),
    };
  },

  explain(spec, readback, index) {
    return explainNeuron('conv2d', spec.attrs ?? {}, readback, index);
  },
};

function pytorchLine(c: ReturnType<typeof read>): string {
  const args = [String(c.cin), String(c.cout), `kernel_size=${c.kh === c.kw ? c.kh : `(${c.kh}, ${c.kw})`}`];
  if (c.stride !== 1) args.push(`stride=${c.stride}`);
  if (c.padding !== 0) args.push(`padding=${c.padding}`);
  if (c.dilation !== 1) args.push(`dilation=${c.dilation}`);
  if (c.groups !== 1) args.push(`groups=${c.groups}`);
  if (!c.bias) args.push('bias=False');
  return `nn.Conv2d(${args.join(', ')})`;
}
