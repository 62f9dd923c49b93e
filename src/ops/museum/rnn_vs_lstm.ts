/**
 * Exhibit "rnn-vs-lstm": the gradient through time over 100 steps. A plain tanh RNN multiplies
 * ∂L/∂h_t by W_hhᵀ·diag(1 − h²) at every step back, so ‖∂L/∂h_1‖ ends orders of magnitude below
 * ‖∂L/∂h_100‖; an LSTM's cell state carries it through the forget gate when that gate is biased open.
 */
import type { ModelSpec } from '../../analysis/model_spec.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { diagnoseSide, exhibitPair, type MuseumSide } from './exhibit.ts';

/** Time steps of the exhibit's sequences. */
export const SEQUENCE_STEPS = 100;
const HIDDEN = 16;
const FEATURES = 2;

/** The LSTM's forget-gate bias: f = σ(3 + …) ≈ 0.95, so the cell keeps most of its state per step. */
export const FORGET_BIAS = 3;

/** bias_ih of the LSTM: 0, except the forget gate's slice (gate order i, f, g, o); bias_hh is 0. */
function lstmBiases(): ModelSpec['weights'] {
  const ih = new Array(4 * HIDDEN).fill(0).fill(FORGET_BIAS, HIDDEN, 2 * HIDDEN);
  return { 'rnn.bias_ih_l0': { shape: [4 * HIDDEN], data: ih }, 'rnn.bias_hh_l0': { shape: [4 * HIDDEN], data: new Array(4 * HIDDEN).fill(0) } };
}

/** [4, 100, 2] → RNN or LSTM (hidden 16, batch_first; the LSTM with its forget gate biased open) → the last step → Linear(16, 1), MSE. */
export function recurrentSpec(type: 'RNN' | 'LSTM'): ModelSpec {
  return {
    ...(type === 'LSTM' ? { weights: lstmBiases() } : {}),
    name: `${type.toLowerCase()}_t${SEQUENCE_STEPS}`, input: [4, SEQUENCE_STEPS, FEATURES], loss: 'mse',
    layers: [
      { type, name: 'rnn', input_size: FEATURES, hidden_size: HIDDEN, batch_first: true },
      { type: 'Select', name: 'last', dim: 1, index: -1 },
      { type: 'Linear', name: 'head', in_features: HIDDEN, out_features: 1 },
    ],
  };
}

async function side(rt: GpuRuntime, type: 'RNN' | 'LSTM'): Promise<MuseumSide> {
  const spec = recurrentSpec(type);
  const { side: s } = await diagnoseSide(rt, spec, 1, { optimizer: { type: 'sgd', lr: 0.01 } }, (l) => l.grad_h_norm !== undefined || l.type === 'Linear');
  const h = (s.evidence.layers as { grad_h_norm?: number[] }[]).find((l) => l.grad_h_norm)?.grad_h_norm ?? [];
  return { ...s, evidence: { ...s.evidence, grad_h_first_to_last: h.length ? h[0] / h[h.length - 1] : null } };
}

export const rnnVsLstm = exhibitPair('rnn-vs-lstm', 'Plain RNN over 100 steps vs an LSTM',
  `The loss reads only the last of ${SEQUENCE_STEPS} steps. Backpropagation through time multiplies the plain RNN's gradient by its recurrent Jacobian at every step, so ‖∂L/∂h_t‖ decays geometrically towards t = 1; the LSTM's additive cell update, with the forget gate biased to remember (bias ${FORGET_BIAS}, f ≈ ${(1 / (1 + Math.exp(-FORGET_BIAS))).toFixed(2)}), carries it back to the first steps.`,
  (rt, fixed) => side(rt, fixed ? 'LSTM' : 'RNN'));
