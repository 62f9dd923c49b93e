import { InputError } from '../errors.ts';
import { formatShape } from '../tensor.ts';
import { Args, expectFloat, type LayerRule, type SavedDecl, type TensorDecl } from './types.ts';

type Cell = 'RNN' | 'LSTM' | 'GRU';

/** Gate count per cell: the rows of weight_ih are gates·hidden_size (PyTorch order i,f,g,o / r,z,n). */
const GATES: Record<Cell, number> = { RNN: 1, LSTM: 4, GRU: 3 };

/**
 * Elementwise FLOPs per hidden unit per time step (besides the matmuls), with biases:
 * RNN: two bias adds, the sum of the two matmuls, the nonlinearity = 4.
 * LSTM: 8 bias adds, 4 sums, 3 sigmoids (4 each), tanh(g), c = f·c + i·g (3), tanh(c), h = o·tanh(c) = 30.
 * GRU: 6 bias adds, 2 sums (r, z), 2 sigmoids (8), r·(W_hn h + b_hn), + W_in x, tanh, h = (1 − z)·n + z·h (4) = 23.
 * Without biases subtract 2·gates.
 */
export const RECURRENT_ELEMENTWISE_FLOPS: Record<Cell, number> = { RNN: 4, LSTM: 30, GRU: 23 };

/**
 * Float values per hidden unit per step that autograd keeps besides h_t itself: RNN none,
 * LSTM the 4 gate activations, c_t and tanh(c_t) = 6, GRU r, z, n and W_hn·h + b_hn = 4.
 */
const SAVED_PER_UNIT: Record<Cell, number> = { RNN: 0, LSTM: 6, GRU: 4 };

function recurrent(cell: Cell): LayerRule {
  const args = ['input_size', 'hidden_size', 'num_layers', 'bias', 'batch_first', 'dropout', 'bidirectional'];
  if (cell === 'RNN') args.push('nonlinearity');
  if (cell === 'LSTM') args.push('proj_size');
  const rule: LayerRule = {
    args,
    infer(layer, [x]) {
      const a = new Args(layer, args);
      const inputSize = a.int('input_size');
      const hidden = a.int('hidden_size');
      const numLayers = a.int('num_layers', 1);
      const bias = a.bool('bias', true);
      const batchFirst = a.bool('batch_first', false);
      const dropout = a.num('dropout', 0, 0, 1);
      const dirs = a.bool('bidirectional', false) ? 2 : 1;
      if (cell === 'RNN') a.choice('nonlinearity', ['tanh', 'relu'] as const, 'tanh');
      const proj = cell === 'LSTM' ? a.int('proj_size', 0, 0) : 0;
      if (proj >= hidden) throw new InputError(`proj_size ${proj} must be smaller than hidden_size ${hidden}`);
      expectFloat(x);
      if (x.shape.length !== 2 && x.shape.length !== 3) {
        throw new InputError(`expects a 3-D input ${batchFirst ? '[N, T, input_size] (batch_first)' : '[T, N, input_size]'} or 2-D [T, input_size], got ${formatShape(x.shape)}`);
      }
      if (x.shape[x.shape.length - 1] !== inputSize) {
        throw new InputError(`input_size is ${inputSize} but the input ${formatShape(x.shape)} has ${x.shape[x.shape.length - 1]} features in its last dimension`);
      }
      const unbatched = x.shape.length === 2;
      const steps = unbatched ? x.shape[0] : batchFirst ? x.shape[1] : x.shape[0];
      const batch = unbatched ? 1 : batchFirst ? x.shape[0] : x.shape[1];
      const hOut = proj > 0 ? proj : hidden;
      const g = GATES[cell];
      const params: TensorDecl[] = [];
      let macs = 0;
      let elementwise = 0;
      for (let k = 0; k < numLayers; k++) {
        const inK = k === 0 ? inputSize : dirs * hOut;
        for (let d = 0; d < dirs; d++) {
          const sfx = `l${k}${d === 1 ? '_reverse' : ''}`;
          params.push({ name: `weight_ih_${sfx}`, shape: [g * hidden, inK] }, { name: `weight_hh_${sfx}`, shape: [g * hidden, hOut] });
          if (bias) params.push({ name: `bias_ih_${sfx}`, shape: [g * hidden] }, { name: `bias_hh_${sfx}`, shape: [g * hidden] });
          if (proj > 0) params.push({ name: `weight_hr_${sfx}`, shape: [proj, hidden] });
          // Every time step: the input and hidden matmuls (and the projection).
          macs += batch * steps * (g * hidden * (inK + hOut) + (proj > 0 ? hidden * proj : 0));
          elementwise += batch * steps * hidden * (RECURRENT_ELEMENTWISE_FLOPS[cell] - (bias ? 0 : 2 * g));
        }
      }
      const seq = batch * steps;
      const dropElems = dropout > 0 ? (numLayers - 1) * seq * dirs * hOut : 0;
      const saved: SavedDecl[] = [{ what: 'input', input: 0 }];
      if (SAVED_PER_UNIT[cell] > 0) {
        saved.push({ what: 'gates and cell states of every step', elements: numLayers * dirs * seq * hidden * SAVED_PER_UNIT[cell], kind: 'float' });
      }
      if (numLayers > 1) saved.push({ what: 'hidden states of the inner layers', elements: (numLayers - 1) * dirs * seq * hOut, kind: 'float' });
      saved.push({ what: 'hidden states of the last layer (the output)', output: true });
      if (dropElems > 0) saved.push({ what: 'dropout masks between layers', elements: dropElems, kind: 'bool' });
      const outShape = unbatched ? [steps, dirs * hOut] : batchFirst ? [batch, steps, dirs * hOut] : [steps, batch, dirs * hOut];
      return {
        outputShape: outShape, params, macs,
        flops: 2 * macs + elementwise + dropElems,
        saved,
        notes: [`${steps} time steps × ${numLayers} layer(s) × ${dirs} direction(s); passes on the output sequence, not h_n${cell === 'LSTM' ? '/c_n' : ''}`],
      };
    },
  };
  return rule;
}

/** nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias, batch_first, dropout, bidirectional). */
export const rnn = recurrent('RNN');
/** nn.LSTM(input_size, hidden_size, num_layers=1, bias, batch_first, dropout, bidirectional, proj_size=0). */
export const lstm = recurrent('LSTM');
/** nn.GRU(input_size, hidden_size, num_layers=1, bias, batch_first, dropout, bidirectional). */
export const gru = recurrent('GRU');
