/**
 * Single-layer, unidirectional `nn.RNN`, `nn.LSTM` and `nn.GRU` as ops on x [T, N, I] with
 * PyTorch's parameter layout (weight_ih [G·H, I], weight_hh [G·H, H], gate order i, f, g, o
 * and r, z, n). Forward: one matmul for the input side of all steps, then one fused dispatch
 * per step. Backward: one dispatch per step from T − 1 down to 0, then matmuls for the weight
 * and input gradients. Trace: the activated gates, the cell state `c` and `h`, each [T, N, H],
 * and after backward `grad_h_norm` [T] = ‖dL/dh_t‖ per step.
 */
import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { formatShape } from '../analysis/tensor.ts';
import { channelSum } from '../kernels/channel_sum.ts';
import { matmul, plain, transposed } from '../kernels/matmul.ts';
import { stridedGather } from '../kernels/strided_copy.ts';
import {
  gatesOf, recurrentBackwardStep, recurrentForwardStep, recurrentInitialGrad, recurrentStepNorms,
  type BackwardBuffers, type CellKind, type RecurrentDims,
} from '../kernels/recurrent.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import type { HostTensor, InputSpec, OpDefinition, OpRun } from './op.ts';

type Kind = 'rnn' | 'lstm' | 'gru';

const GATE_NAMES: Record<Kind, string[]> = { rnn: [], lstm: ['i', 'f', 'g', 'o'], gru: ['r', 'z', 'n'] };
const GATE_ORDER: Record<Kind, string> = { rnn: '', lstm: ' (gates i, f, g, o)', gru: ' (gates r, z, n)' };

interface Plan {
  kind: Kind;
  dims: RecurrentDims;
  inputSize: number;
}

function shapeIs(t: HostTensor | undefined, shape: number[]): boolean {
  return !!t && formatShape(t.shape) === formatShape(shape);
}

async function runRecurrent(rt: GpuRuntime, plan: Plan, inputs: Record<string, GpuTensor>, traceAll: boolean): Promise<OpRun> {
  const { kind, dims: d, inputSize: I } = plan;
  const { x, h0, c0, weight_ih: weightIh, weight_hh: weightHh, bias_ih: biasIh, bias_hh: biasHh } = inputs;
  const T = d.steps;
  const N = d.batch;
  const H = d.hidden;
  const G = gatesOf(d.cell);
  const NH = N * H;
  const stateShape = [T, N, H];
  const temporaries: GpuTensor[] = [];
  const temp = (label: string, shape: number[]) => {
    const t = rt.tensor(`${kind}.${label}`, shape);
    temporaries.push(t);
    return t;
  };

  // Input side of every step at once: xproj = x·W_ihᵀ + b_ih, [T·N, G·H].
  const xproj = temp('xproj', [T, N, G * H]);
  await matmul(rt, plain(x, I), transposed(weightIh, I), biasIh ?? null, xproj, T * N, G * H, I);
  // h (and c) states [T + 1, N, H]: the initial state (zeros when not given) in slot 0.
  const hStates = temp('h_states', [T + 1, N, H]);
  if (h0) rt.copy(h0.buffer, hStates.buffer, 4 * NH);
  const cStates = kind === 'lstm' ? temp('c_states', [T + 1, N, H]) : null;
  if (cStates && c0) rt.copy(c0.buffer, cStates.buffer, 4 * NH);
  let whh = weightHh;
  if (kind === 'lstm') {
    // The LSTM step reads W_hhᵀ [H, 4·H]: consecutive units, consecutive weights.
    whh = temp('weight_hh_t', [H, G * H]);
    await stridedGather(rt, weightHh, whh, { sizes: [H, G * H], strides: [1, H], offset: 0 });
  }
  const gates = G > 1 ? temp('gates_packed', [G, T, N, H]) : null;
  const buffers = { xproj, weightHh: whh, biasHh: biasHh ?? null, h: hStates, c: cStates, gates };
  for (let t = 0; t < T; t++) await recurrentForwardStep(rt, d, buffers, t);

  const y = rt.tensor(`${kind}.y`, stateShape);
  rt.copy(hStates.buffer, y.buffer, 4 * T * NH, 4 * NH);
  const outputs: Record<string, GpuTensor> = { y, h_n: rt.tensor(`${kind}.h_n`, [1, N, H]) };
  rt.copy(hStates.buffer, outputs.h_n.buffer, 4 * NH, 4 * T * NH);
  let c: GpuTensor | null = null;
  if (cStates) {
    c = rt.tensor(`${kind}.c`, stateShape);
    rt.copy(cStates.buffer, c.buffer, 4 * T * NH, 4 * NH);
    outputs.c_n = rt.tensor(`${kind}.c_n`, [1, N, H]);
    rt.copy(cStates.buffer, outputs.c_n.buffer, 4 * NH, 4 * T * NH);
  }
  const trace: Record<string, GpuTensor> = {};
  GATE_NAMES[kind].forEach((name, g) => {
    trace[`gates.${name}`] = rt.tensor(`${kind}.gates.${name}`, stateShape);
    rt.copy(gates!.buffer, trace[`gates.${name}`].buffer, 4 * T * NH, 4 * g * T * NH);
  });
  if (c) trace.c = c;
  if (traceAll) {
    trace.h = rt.tensor(`${kind}.h`, stateShape);
    rt.copy(y.buffer, trace.h.buffer, 4 * T * NH);
  }
  await rt.submit();
  rt.release(...temporaries);

  return {
    outputs,
    trace,
    async backward(gradOutputs) {
      const temps: GpuTensor[] = [];
      const btemp = (label: string, shape: number[]) => {
        const t = rt.tensor(`${kind}.${label}`, shape);
        temps.push(t);
        return t;
      };
      // h_{t−1} for every step: [h0; y[0 .. T−2]].
      const hPrev = btemp('h_prev', stateShape);
      if (h0) rt.copy(h0.buffer, hPrev.buffer, 4 * NH);
      if (T > 1) rt.copy(y.buffer, hPrev.buffer, 4 * (T - 1) * NH, 0, 4 * NH);
      let packed: GpuTensor | null = null;
      if (G > 1) {
        packed = btemp('gates_packed', [G, T, N, H]);
        GATE_NAMES[kind].forEach((name, g) => rt.copy(trace[`gates.${name}`].buffer, packed!.buffer, 4 * T * NH, 0, 4 * g * T * NH));
      }
      const dA = btemp('grad_hidden_preact', [T, N, G * H]);
      const dXg = kind === 'gru' ? btemp('grad_input_preact', [T, N, G * H]) : dA;
      const dh = btemp('grad_h', stateShape);
      rt.copy(gradOutputs.h_n.buffer, dh.buffer, 4 * NH, 0, 4 * (T - 1) * NH);
      const grads: Record<string, GpuTensor> = {};
      let dc: GpuTensor | null = null;
      if (kind === 'lstm') {
        dc = c0 ? (grads.c0 = rt.tensor(`${kind}.grad.c0`, c0.shape)) : btemp('grad_c', [N, H]);
        rt.copy(gradOutputs.c_n.buffer, dc.buffer, 4 * NH);
      }
      const b: BackwardBuffers = {
        weightHh, biasHh: biasHh ?? null, gradY: gradOutputs.y, dA, dXg, dh, saved: packed ?? y,
        c, c0: kind === 'lstm' ? (c0 ?? btemp('c0_zeros', [N, H])) : null, dc, hPrev,
      };
      for (let t = T - 1; t >= 0; t--) await recurrentBackwardStep(rt, d, b, t);

      const TN = T * N;
      const GH = G * H;
      grads.x = rt.tensor(`${kind}.grad.x`, x.shape);
      await matmul(rt, plain(dXg, GH), plain(weightIh, I), null, grads.x, TN, I, GH);
      grads.weight_ih = rt.tensor(`${kind}.grad.weight_ih`, weightIh.shape);
      await matmul(rt, transposed(dXg, GH), plain(x, I), null, grads.weight_ih, GH, I, TN);
      grads.weight_hh = rt.tensor(`${kind}.grad.weight_hh`, weightHh.shape);
      await matmul(rt, transposed(dA, GH), plain(hPrev, H), null, grads.weight_hh, GH, H, TN);
      if (biasIh) {
        grads.bias_ih = rt.tensor(`${kind}.grad.bias_ih`, biasIh.shape);
        await channelSum(rt, dXg, grads.bias_ih, TN, GH, 1);
      }
      if (biasHh) {
        grads.bias_hh = rt.tensor(`${kind}.grad.bias_hh`, biasHh.shape);
        await channelSum(rt, dA, grads.bias_hh, TN, GH, 1);
      }
      if (h0) {
        grads.h0 = rt.tensor(`${kind}.grad.h0`, h0.shape);
        await recurrentInitialGrad(rt, d, b, grads.h0);
      }
      trace.grad_h_norm = rt.tensor(`${kind}.grad_h_norm`, [T]);
      await recurrentStepNorms(rt, d, dh, trace.grad_h_norm);
      await rt.submit();
      rt.release(...temps);
      return grads;
    },
  };
}

function recurrentOp(kind: Kind): OpDefinition {
  const G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
  const inputs: InputSpec[] = [
    { name: 'x', dtype: 'float32', differentiable: true },
    { name: 'h0', dtype: 'float32', optional: true, differentiable: true },
    ...(kind === 'lstm' ? [{ name: 'c0', dtype: 'float32', optional: true, differentiable: true } as const] : []),
    { name: 'weight_ih', dtype: 'float32', differentiable: true },
    { name: 'weight_hh', dtype: 'float32', differentiable: true },
    { name: 'bias_ih', dtype: 'float32', optional: true, differentiable: true },
    { name: 'bias_hh', dtype: 'float32', optional: true, differentiable: true },
  ];
  return {
    name: kind,
    inputs,
    outputs: kind === 'lstm' ? ['y', 'h_n', 'c_n'] : ['y', 'h_n'],
    prepare(attrs, given) {
      checkAttrNames(kind, attrs, kind === 'rnn' ? ['nonlinearity'] : []);
      let cell: CellKind = kind === 'rnn' ? 'rnn_tanh' : kind;
      if (kind === 'rnn') {
        const nl = attrs.nonlinearity ?? 'tanh';
        if (nl !== 'tanh' && nl !== 'relu') throw new InputError(`rnn: nonlinearity must be "tanh" or "relu", got ${JSON.stringify(nl)}`);
        cell = nl === 'tanh' ? 'rnn_tanh' : 'rnn_relu';
      }
      const xs = given.x.shape;
      if (xs.length !== 3) throw new InputError(`${kind}: x must be [T, N, input_size] (seq_len, batch, features), got shape ${formatShape(xs)}`);
      const [T, N, I] = xs;
      if (T < 1 || N < 1 || I < 1) throw new InputError(`${kind}: x ${formatShape(xs)} needs at least 1 step, 1 sequence and 1 feature`);
      const whh = given.weight_hh.shape;
      if (whh.length !== 2 || whh[1] < 1 || whh[0] !== G * whh[1]) {
        throw new InputError(`${kind}: weight_hh must be [${G === 1 ? '' : `${G}·`}H, H]${GATE_ORDER[kind]} with H >= 1, got ${formatShape(whh)}`);
      }
      const H = whh[1];
      if (!shapeIs(given.weight_ih, [G * H, I])) {
        throw new InputError(`${kind}: weight_ih must be [${G * H}, ${I}] (${G === 1 ? '' : `${G}·`}hidden_size ${H}, input_size ${I} of x ${formatShape(xs)}), got ${formatShape(given.weight_ih.shape)}`);
      }
      for (const name of ['bias_ih', 'bias_hh']) {
        const t = given[name];
        if (t && !shapeIs(t, [G * H])) throw new InputError(`${kind}: ${name} must be [${G * H}] (${G === 1 ? '' : `${G}·`}hidden_size ${H}), got ${formatShape(t.shape)}`);
      }
      for (const name of ['h0', 'c0']) {
        const t = given[name];
        if (t && !shapeIs(t, [1, N, H]) && !shapeIs(t, [N, H])) {
          throw new InputError(`${kind}: ${name} must be [1, ${N}, ${H}] (num_layers 1, batch ${N}, hidden_size ${H}) or [${N}, ${H}], got ${formatShape(t.shape)}`);
        }
      }
      const plan: Plan = { kind, inputSize: I, dims: { cell, steps: T, batch: N, hidden: H, hasBias: !!given.bias_hh } };
      const outputShapes: Record<string, number[]> = { y: [T, N, H], h_n: [1, N, H] };
      if (kind === 'lstm') outputShapes.c_n = [1, N, H];
      return { outputShapes, forward: (rt, inputs, options) => runRecurrent(rt, plan, inputs, options.trace) };
    },
  };
}

/** `nn.RNN` (one layer, unidirectional), `nonlinearity` "tanh" (default) or "relu". */
export const rnnOp = recurrentOp('rnn');
/** `nn.LSTM` (one layer, unidirectional, no projection). */
export const lstmOp = recurrentOp('lstm');
/** `nn.GRU` (one layer, unidirectional). */
export const gruOp = recurrentOp('gru');
