import code from '../../shaders/recurrent.wgsl?raw';
import { RECURRENT_ELEMENTWISE_FLOPS } from '../analysis/layers/recurrent.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { RecurrentParams } from './schemas.ts';
import type { ParamsOf } from './uniform.ts';

const kernel = (name: string, entryPoint: string, bindings: KernelDef['bindings']): KernelDef<typeof RecurrentParams> => ({
  name, code, entryPoint, params: RecurrentParams, bindings,
});

export const rnnForwardKernel = kernel('rnn_forward_step', 'rnn_forward', ['read', 'read', 'read', 'read_write']);
export const lstmForwardKernel = kernel('lstm_forward_step', 'lstm_forward', ['read', 'read', 'read', 'read_write', 'read_write', 'read_write']);
export const gruForwardKernel = kernel('gru_forward_step', 'gru_forward', ['read', 'read', 'read', 'read_write', 'read_write']);

/** Sequences one invocation of an LSTM step (forward or backward) computes (SEQ_BLOCK in recurrent.wgsl). */
export const LSTM_SEQUENCES_PER_INVOCATION = 4;
// Backward bindings 1–5 are shared by every cell: weight_hh, dA, dh, the saved forward values, dy.
const BACKWARD_SHARED = ['read', 'read_write', 'read_write', 'read', 'read'] as const;
export const rnnBackwardKernel = kernel('rnn_backward_step', 'rnn_backward', [...BACKWARD_SHARED]);
export const lstmBackwardKernel = kernel('lstm_backward_step', 'lstm_backward', [...BACKWARD_SHARED, 'read', 'read', 'read_write']);
export const gruBackwardKernel = kernel('gru_backward_step', 'gru_backward', [...BACKWARD_SHARED, 'read', 'read', 'read_write']);
export const recurrentInitialGradKernel = kernel('recurrent_initial_grad', 'initial_grad', ['read', 'read_write', 'read_write', 'read', 'read_write']);
export const recurrentStepNormsKernel = kernel('recurrent_step_norms', 'step_norms', ['read', 'read_write']);

export type CellKind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

const CELL_CODE: Record<CellKind, number> = { rnn_tanh: 0, rnn_relu: 1, lstm: 2, gru: 3 };

/** Gates per cell: weight_hh has gates·H rows. */
export function gatesOf(cell: CellKind): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** Sizes of one recurrent layer run. */
export interface RecurrentDims {
  cell: CellKind;
  steps: number;
  batch: number;
  hidden: number;
  hasBias: boolean;
}

function params(d: RecurrentDims, step: number): ParamsOf<typeof RecurrentParams> {
  return { steps: d.steps, batch: d.batch, hidden: d.hidden, step, cell: CELL_CODE[d.cell], hasBias: d.hasBias ? 1 : 0 };
}

function elementwiseFlops(cell: CellKind): number {
  return RECURRENT_ELEMENTWISE_FLOPS[cell === 'lstm' ? 'LSTM' : cell === 'gru' ? 'GRU' : 'RNN'];
}

/** Buffers of a forward pass: the input projection, W_hh, b_hh, and the states and gates each step writes. */
export interface ForwardBuffers {
  /** x·W_ihᵀ + b_ih, [T, N, G·H]. */
  xproj: GpuTensor;
  /** weight_hh [G·H, H] (rnn, gru) or its transpose [H, 4·H] (lstm). */
  weightHh: GpuTensor;
  biasHh: GpuTensor | null;
  /** h states [T + 1, N, H]: h0 in slot 0, step t writes h_t to slot t + 1. */
  h: GpuTensor;
  /** LSTM c states [T + 1, N, H], laid out as h. */
  c: GpuTensor | null;
  /** Activated gates, packed [G, T, N, H] (lstm, gru). */
  gates: GpuTensor | null;
}

/**
 * One time step t: h_{t−1}·W_hhᵀ + b_hh for every gate of one hidden unit per invocation (LSTM:
 * of four sequences), added to the precomputed input side, then the cell's nonlinearities.
 */
export async function recurrentForwardStep(rt: GpuRuntime, d: RecurrentDims, b: ForwardBuffers, t: number): Promise<void> {
  const G = gatesOf(d.cell);
  const NH = d.batch * d.hidden;
  const cost = {
    flops: NH * (2 * G * d.hidden + elementwiseFlops(d.cell)),
    bytesRead: 4 * (NH * G + G * d.hidden * d.hidden + NH + (d.hasBias ? G * d.hidden : 0)),
    bytesWritten: 4 * NH * (1 + (d.cell === 'lstm' ? 5 : d.cell === 'gru' ? 3 : 0)),
  };
  const common = [b.xproj, b.weightHh, b.biasHh ?? b.weightHh, b.h];
  if (d.cell === 'lstm') {
    const invocations = Math.ceil(d.batch / LSTM_SEQUENCES_PER_INVOCATION) * d.hidden;
    await rt.dispatch(lstmForwardKernel, params(d, t), [...common, b.c!, b.gates!].map((x) => x.buffer), grid1d(invocations, 64), cost);
  } else if (d.cell === 'gru') {
    await rt.dispatch(gruForwardKernel, params(d, t), [...common, b.gates!].map((x) => x.buffer), grid1d(NH, 64), cost);
  } else {
    await rt.dispatch(rnnForwardKernel, params(d, t), common.map((x) => x.buffer), grid1d(NH, 64), cost);
  }
}

/** Buffers of backpropagation through time. */
export interface BackwardBuffers {
  weightHh: GpuTensor;
  biasHh: GpuTensor | null;
  gradY: GpuTensor;
  /** Hidden-side pre-activation gradients [T, N, G·H]. */
  dA: GpuTensor;
  /** Input-side pre-activation gradients [T, N, G·H] (GRU only; dA for the others). */
  dXg: GpuTensor;
  /** dL/dh_t [T, N, H]; the slice T − 1 is seeded with dL/dh_n. */
  dh: GpuTensor;
  /** What the step's nonlinearities are differentiated from: y (rnn) or the packed gates [G, T, N, H] (lstm, gru). */
  saved: GpuTensor;
  /** lstm: c [T, N, H], c0 [N, H] and the dL/dc carry [N, H] (seeded with dL/dc_n). */
  c: GpuTensor | null;
  c0: GpuTensor | null;
  dc: GpuTensor | null;
  /** gru: h_{t−1} per step [T, N, H]. */
  hPrev: GpuTensor | null;
}

/**
 * Backward step t: dL/dh_t from step t + 1, then the gate pre-activation gradients of step t; one
 * hidden unit per invocation (LSTM: of four sequences).
 */
export async function recurrentBackwardStep(rt: GpuRuntime, d: RecurrentDims, b: BackwardBuffers, t: number): Promise<void> {
  const G = gatesOf(d.cell);
  const NH = d.batch * d.hidden;
  const cost = {
    flops: NH * (2 * G * d.hidden + 3 * elementwiseFlops(d.cell) + (d.cell === 'gru' ? 2 * d.hidden : 0)),
    bytesRead: 4 * (NH * G + G * d.hidden * d.hidden + NH * (2 + G)),
    bytesWritten: 4 * NH * (1 + G * (d.cell === 'gru' ? 2 : 1)),
  };
  const shared = [b.weightHh, b.dA, b.dh, b.saved, b.gradY];
  let buffers = shared;
  let k = rnnBackwardKernel;
  let invocations = NH;
  if (d.cell === 'lstm') {
    k = lstmBackwardKernel;
    buffers = [...shared, b.c!, b.c0!, b.dc!];
    invocations = Math.ceil(d.batch / LSTM_SEQUENCES_PER_INVOCATION) * d.hidden;
  } else if (d.cell === 'gru') {
    k = gruBackwardKernel;
    buffers = [...shared, b.hPrev!, b.biasHh ?? b.weightHh, b.dXg];
  }
  await rt.dispatch(k, params(d, t), buffers.map((x) => x.buffer), grid1d(invocations, 64), cost);
}

/** dL/dh0 = dA_0·W_hh (+ dh_0·z_0 for GRU). */
export async function recurrentInitialGrad(rt: GpuRuntime, d: RecurrentDims, b: BackwardBuffers, out: GpuTensor): Promise<void> {
  const G = gatesOf(d.cell);
  const NH = d.batch * d.hidden;
  await rt.dispatch(
    recurrentInitialGradKernel, params(d, 0),
    [b.weightHh, b.dA, b.dh, b.saved, out].map((x) => x.buffer), grid1d(NH, 64),
    { flops: 2 * NH * G * d.hidden, bytesRead: 4 * (NH * G + G * d.hidden * d.hidden), bytesWritten: 4 * NH },
  );
}

/** norms[t] = ‖dh[t]‖₂ over [N, H], scaled so tiny gradients do not underflow. */
export async function recurrentStepNorms(rt: GpuRuntime, d: RecurrentDims, dh: GpuTensor, norms: GpuTensor): Promise<void> {
  const count = d.steps * d.batch * d.hidden;
  await rt.dispatch(recurrentStepNormsKernel, params(d, 0), [dh.buffer, norms.buffer], grid1d(d.steps, 1), {
    flops: 4 * count, bytesRead: 8 * count, bytesWritten: 4 * d.steps,
  });
}
