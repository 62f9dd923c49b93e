/** The Layer Lab's descriptions of `rnn`, `lstm` and `gru` (one layer, unidirectional). */
import { html } from 'lit';
import { numel } from '../../analysis/tensor.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatShape } from '../format.ts';
import '../recurrent_panel.ts';
import { checkInts, int, invalid } from './common.ts';
import { checkInput, inputGradSeedRows, makeInput, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type NeuronFocus, type Validation } from './types.ts';

type Kind = 'rnn' | 'lstm' | 'gru';
const GATES: Record<Kind, string[]> = { rnn: [], lstm: ['i', 'f', 'g', 'o'], gru: ['r', 'z', 'n'] };

function read(config: LabConfig) {
  return {
    t: num(config, 't'), n: num(config, 'n'), i: num(config, 'i'), h: num(config, 'h'),
    gain: Number(config.gain ?? 1), nl: String(config.nl ?? 'tanh'), seed: num(config, 'seed'), grad: String(config.grad ?? 'last'),
  };
}

function makeRecurrent(kind: Kind): LabOp {
  const G = Math.max(1, GATES[kind].length);
  const title = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' }[kind];
  const pytorch = (config: LabConfig) => {
    const c = read(config);
    return `nn.${title}(${c.i}, ${c.h}${kind === 'rnn' && c.nl === 'relu' ? ", nonlinearity='relu'" : ''})`;
  };
  const op: LabOp = {
    name: kind,
    title,
    summary: {
      rnn: 'h_t = tanh(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh): one state carried through time; backward multiplies by W_hh and the tanh slope at every step.',
      lstm: 'Gates i, f, g, o decide what enters, stays in and leaves the cell state c; the additive path c_t = f·c_{t−1} + i·g lets gradients survive many steps.',
      gru: 'Gates r (reset) and z (update) blend the new candidate n with the previous state: h_t = (1 − z)·n + z·h_{t−1}.',
    }[kind],
    rows: [
      { section: 'Layer', label: 'input → hidden', fields: [int('i', 3, 1, 64, 'in'), int('h', 6, 1, 64, 'H')] },
      ...(kind === 'rnn' ? [{ section: 'Layer', label: 'nonlinearity', fields: [{ key: 'nl', kind: 'choice' as const, default: 'tanh', options: [{ value: 'tanh', label: 'tanh' }, { value: 'relu', label: 'relu' }] }] }] : []),
      {
        section: 'Layer', label: 'W_hh gain', hint: '× PyTorch’s init range',
        fields: [{ key: 'gain', kind: 'choice', default: '1', options: [{ value: '0.5', label: '0.5' }, { value: '1', label: '1 (default)' }, { value: '2', label: '2' }, { value: '4', label: '4' }] }],
      },
      { section: 'Input', label: 'sequence length T', fields: [int('t', 16, 1, 128)] },
      { section: 'Input', label: 'batch', fields: [int('n', 2, 1, 8)] },
      ...inputGradSeedRows(false, {
        section: 'Input', label: 'grad_output', hint: '∂L/∂y fed to backward',
        fields: [{ key: 'grad', kind: 'choice', default: 'last', options: [{ value: 'last', label: 'last step only' }, { value: 'ones', label: 'ones' }, { value: 'random', label: 'seeded random' }] }],
      }),
    ],

    validate(config): Validation {
      const c = read(config);
      const line = pytorch(config);
      const bad = checkInts(op.rows, config, line);
      if (bad) return bad;
      const x = [c.t, c.n, c.i];
      const inputProblem = checkInput(config, numel(x));
      if (inputProblem) return invalid(inputProblem, ['xtext'], line);
      const state = [1, c.n, c.h];
      const shapes: Record<string, number[]> = {
        x, h0: state, weight_ih: [G * c.h, c.i], weight_hh: [G * c.h, c.h], bias_ih: [G * c.h], bias_hh: [G * c.h], y: [c.t, c.n, c.h],
      };
      if (kind === 'lstm') shapes.c0 = state;
      const params = G * c.h * (c.i + c.h + 2);
      const macs = c.t * c.n * G * c.h * (c.i + c.h);
      return {
        ok: true, error: null, fields: [], derivations: [], shapes, pytorch: line,
        stats: [
          { label: 'output y', value: formatShape(shapes.y) },
          { label: 'parameters', value: formatCount(params), title: `${G}·H·(I + H + 2): weight_ih, weight_hh, bias_ih, bias_hh` },
          { label: 'MACs', value: formatCount(macs), title: 'T·N·G·H·(I + H): both matmuls at every step' },
          { label: 'gates', value: GATES[kind].length ? GATES[kind].join(', ') : 'none' },
        ],
      };
    },

    buildSpec(config): RunSpec {
      const v = op.validate(config);
      if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
      const c = read(config);
      const bound = 1 / Math.sqrt(c.h);
      const u = (shape: number[], k: number, scale = 1) => ({ shape, data: Array.from(uniform(numel(shape), stream(c.seed, k), -bound * scale, bound * scale)) });
      const yCount = numel(v.shapes.y);
      let grad: Float32Array;
      if (c.grad === 'ones') grad = new Float32Array(yCount).fill(1);
      else if (c.grad === 'random') grad = uniform(yCount, stream(c.seed, 9), -1, 1);
      else {
        grad = new Float32Array(yCount);
        const last = (c.t - 1) * c.n * c.h;
        const g = uniform(c.n * c.h, stream(c.seed, 9), -1, 1);
        grad.set(g, last);
      }
      const spec: RunSpec = {
        op: kind,
        attrs: kind === 'rnn' ? { nonlinearity: c.nl } : {},
        inputs: {
          x: { shape: v.shapes.x, data: Array.from(makeInput(config, v.shapes.x, c.seed)) },
          h0: u(v.shapes.h0, 5, 0.5),
          weight_ih: u(v.shapes.weight_ih, 1),
          weight_hh: u(v.shapes.weight_hh, 2, c.gain),
          bias_ih: u(v.shapes.bias_ih, 3),
          bias_hh: u(v.shapes.bias_hh, 4),
        },
        grad_output: { y: { shape: v.shapes.y, data: Array.from(grad) } },
      };
      if (kind === 'lstm') spec.inputs.c0 = u(v.shapes.c0, 6, 0.5);
      return spec;
    },

    trace: true,
    forwardSlots: [
      { name: 'x', title: 'input x', source: 'inputs.x', help: 'columns: time steps t · each plane: batch × features' },
      { name: 'weight_ih', title: 'weight_ih', source: 'inputs.weight_ih', help: `[${GATES[kind].join(', ') || 'h'}] blocks stacked, each H rows` },
      { name: 'weight_hh', title: 'weight_hh', source: 'inputs.weight_hh', help: 'same gate blocks, applied to h_{t−1}' },
      { name: 'y', title: 'output y', source: 'outputs.y', help: 'h_t for every step (columns: t); click a value to follow its unit over time' },
    ],
    operators: { y: '→' },
    traceSlots: [
      ...GATES[kind].map((g) => ({ name: `gates.${g}`, title: `gates.${g}`, source: `trace.gates.${g}`, help: { i: 'input gate σ', f: 'forget gate σ', g: 'candidate tanh', o: 'output gate σ', r: 'reset gate σ', z: 'update gate σ', n: 'new state tanh' }[g] ?? '' })),
      ...(kind === 'lstm' ? [{ name: 'c', title: 'cell state c', source: 'trace.c', help: 'c_t = f·c_{t−1} + i·g' }] : []),
    ],
    backwardSlots: [
      { name: 'grad_output', title: '∂L/∂y', source: 'grad_output.y', help: 'the upstream gradient fed to backward' },
      { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', help: 'columns: time steps; early steps get what survives BPTT' },
      { name: 'grad.weight_hh', title: '∂L/∂weight_hh', source: 'grads.weight_hh', help: 'summed over every step' },
      { name: 'grad.weight_ih', title: '∂L/∂weight_ih', source: 'grads.weight_ih', help: 'summed over every step' },
    ],
    explainSlot: 'y',
    params: [
      { name: 'weight_hh', value: 'inputs.weight_hh', grad: 'grads.weight_hh' },
      { name: 'weight_ih', value: 'inputs.weight_ih', grad: 'grads.weight_ih' },
      { name: 'bias_hh', value: 'inputs.bias_hh', grad: 'grads.bias_hh' },
      { name: 'bias_ih', value: 'inputs.bias_ih', grad: 'grads.bias_ih' },
    ],
    padding: () => ({}),

    focus(config, [t, n, j]): NeuronFocus {
      const c = read(config);
      const steps = Array.from({ length: c.t }, (_, s) => [s, n, j]);
      const hl: Record<string, number[][]> = { y: steps, grad_output: [[t, n, j]], c: steps };
      for (const g of GATES[kind]) hl[`gates.${g}`] = steps;
      return { highlights: hl };
    },

    detail(run, index, select) {
      const trace: Record<string, import('../../analysis/tensor.ts').Tensor> = {};
      for (const [k, t] of Object.entries(run.tensors)) if (k.startsWith('trace.')) trace[k.slice(6)] = t;
      const h0 = run.tensors['inputs.h0'];
      const flat = (t: import('../../analysis/tensor.ts').Tensor | undefined) => (t ? { shape: t.shape.slice(-2), data: t.data } : null);
      return html`<nnx-recurrent-panel .cell=${kind} .trace=${trace} .h0=${flat(h0)} .c0=${flat(run.tensors['inputs.c0'])} .index=${index ?? [Math.max(0, (trace.h?.shape[0] ?? 1) - 1), 0, 0]}
        @nnx-select=${(e: CustomEvent<{ index: number[] }>) => select(e.detail.index)}></nnx-recurrent-panel>`;
    },
  };
  return op;
}

export const rnnLab = makeRecurrent('rnn');
export const lstmLab = makeRecurrent('lstm');
export const gruLab = makeRecurrent('gru');
