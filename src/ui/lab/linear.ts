/** The Layer Lab's description of `linear` (F.linear / nn.Linear): y = x·Wᵀ + b. */
import { numel } from '../../analysis/tensor.ts';
import { explainLinear } from '../../ops/linear_explain.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatShape } from '../format.ts';
import { checkInts, gradValues, int, invalid } from './common.ts';
import { checkInput, inputGradSeedRows, makeInput, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type Validation } from './types.ts';

function read(config: LabConfig) {
  return { n: num(config, 'n'), fin: num(config, 'fin'), fout: num(config, 'fout'), bias: config.bias === true, seed: num(config, 'seed') };
}

const pytorch = (config: LabConfig) => {
  const c = read(config);
  return `nn.Linear(${c.fin}, ${c.fout}${c.bias ? '' : ', bias=False'})`;
};

export const linearLab: LabOp = {
  name: 'linear',
  title: 'Linear',
  summary: 'Each output neuron y[n, o] is the dot product of input row x[n, :] with weight row W[o, :], plus the bias b[o].',
  rows: [
    { section: 'Layer', label: 'features in → out', fields: [int('fin', 8, 1, 256, 'in'), int('fout', 6, 1, 256, 'out')] },
    { section: 'Layer', label: 'bias', fields: [{ key: 'bias', kind: 'bool', default: true }] },
    { section: 'Input', label: 'batch', fields: [int('n', 4, 1, 64)] },
    ...inputGradSeedRows(false),
  ],

  validate(config): Validation {
    const c = read(config);
    const line = pytorch(config);
    const bad = checkInts(linearLab.rows, config, line);
    if (bad) return bad;
    const shapes: Record<string, number[]> = {
      x: [c.n, c.fin], weight: [c.fout, c.fin], output: [c.n, c.fout],
      grad_output: [c.n, c.fout], 'grad.x': [c.n, c.fin], 'grad.weight': [c.fout, c.fin],
    };
    if (c.bias) shapes.bias = shapes['grad.bias'] = [c.fout];
    const inputProblem = checkInput(config, c.n * c.fin);
    if (inputProblem) return invalid(inputProblem, ['xtext'], line);
    const macs = c.n * c.fin * c.fout;
    return {
      ok: true, error: null, fields: [], derivations: [], shapes, pytorch: line,
      stats: [
        { label: 'output', value: formatShape(shapes.output) },
        { label: 'parameters', value: formatCount(c.fin * c.fout + (c.bias ? c.fout : 0)), title: `weight [${c.fout}, ${c.fin}]${c.bias ? ` + bias [${c.fout}]` : ''}` },
        { label: 'MACs', value: formatCount(macs), title: 'N·in·out multiply-accumulates' },
        { label: 'FLOPs', value: formatCount(2 * macs + (c.bias ? c.n * c.fout : 0)), title: '2 per MAC plus the bias adds' },
      ],
    };
  },

  buildSpec(config): RunSpec {
    const v = linearLab.validate(config);
    if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
    const c = read(config);
    const bound = 1 / Math.sqrt(c.fin);
    const outCount = numel(v.shapes.output);
    const spec: RunSpec = {
      op: 'linear',
      inputs: {
        x: { shape: v.shapes.x, data: Array.from(makeInput(config, v.shapes.x, c.seed)) },
        weight: { shape: v.shapes.weight, data: Array.from(uniform(numel(v.shapes.weight), stream(c.seed, 1), -bound, bound)) },
      },
      grad_output: { output: { shape: v.shapes.output, data: Array.from(gradValues(config.grad, outCount, () => uniform(outCount, stream(c.seed, 3), -1, 1))) } },
    };
    if (c.bias) spec.inputs.bias = { shape: [c.fout], data: Array.from(uniform(c.fout, stream(c.seed, 2), -bound, bound)) };
    return spec;
  },

  forwardSlots: [
    { name: 'x', title: 'input x', source: 'inputs.x', help: 'rows: batch items · columns: input features' },
    { name: 'weight', title: 'weight', source: 'inputs.weight', help: 'rows: output neurons · columns: input features' },
    { name: 'bias', title: 'bias', source: 'inputs.bias', help: 'one per output neuron' },
    { name: 'output', title: 'output', source: 'outputs.output', help: 'click a neuron to see its dot product' },
  ],
  operators: { weight: '·ᵀ', bias: '+', output: '=' },
  backwardSlots: [
    { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', help: 'the upstream gradient fed to backward' },
    { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', help: '∂L/∂output · W' },
    { name: 'grad.weight', title: '∂L/∂weight', source: 'grads.weight', help: '∂L/∂outputᵀ · x' },
    { name: 'grad.bias', title: '∂L/∂bias', source: 'grads.bias', help: 'column sums of ∂L/∂output' },
  ],
  explainSlot: 'output',
  params: [
    { name: 'weight', value: 'inputs.weight', grad: 'grads.weight' },
    { name: 'bias', value: 'inputs.bias', grad: 'grads.bias' },
  ],

  padding: () => ({}),

  focus(config, [n, o]) {
    const c = read(config);
    const ks = Array.from({ length: c.fin }, (_, k) => k);
    return {
      highlights: {
        x: ks.map((k) => [n, k]), weight: ks.map((k) => [o, k]), bias: [[o]], grad_output: [[n, o]],
        'grad.x': ks.map((k) => [n, k]), 'grad.weight': ks.map((k) => [o, k]), 'grad.bias': [[o]],
      },
    };
  },

  explain(_spec, readback, index) {
    return explainLinear(readback.inputs.x, readback.inputs.weight, readback.inputs.bias ?? null, readback.outputs.output, index);
  },
};
