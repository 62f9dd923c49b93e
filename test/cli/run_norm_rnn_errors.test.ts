/** Bad input to the norm and recurrent ops: exit 1 with one line naming the numbers. */
import { describe, test } from 'vitest';
import { expectRejects, filledTensor, useInProcessNnx } from './nnx_cli.ts';

const x = filledTensor;

const bad: [string, unknown, RegExp][] = [
  ['batch_norm eval without running stats', { op: 'batch_norm', inputs: { x: x([2, 3]) } }, /batch_norm: eval mode \(training false\) normalizes with running_mean and running_var \[3\]; running_mean is missing/],
  ['batch_norm weight of the wrong size', { op: 'batch_norm', attrs: { training: true }, inputs: { x: x([2, 3, 4]), weight: x([4]) } }, /batch_norm: weight must have shape \[3\] \(C = 3, the channels of x \[2, 3, 4\]\), got \[4\]/],
  ['batch_norm training on one value per channel', { op: 'batch_norm', attrs: { training: true }, inputs: { x: x([1, 3]) } }, /training needs more than 1 value per channel, got x \[1, 3\] \(N·spatial = 1\)/],
  ['layer_norm shape not trailing', { op: 'layer_norm', attrs: { normalized_shape: [3, 4] }, inputs: { x: x([2, 4, 3]) } }, /layer_norm: normalized_shape \[3, 4\] does not match the trailing dimensions of x \[2, 4, 3\]/],
  ['group_norm groups not dividing channels', { op: 'group_norm', attrs: { num_groups: 4 }, inputs: { x: x([2, 6, 5]) } }, /group_norm: the 6 channels of x \[2, 6, 5\] are not divisible by num_groups 4/],
  ['lstm weight_hh not 4·H rows', { op: 'lstm', inputs: { x: x([3, 2, 4]), weight_ih: x([20, 4]), weight_hh: x([15, 5]) } }, /lstm: weight_hh must be \[4·H, H\] \(gates i, f, g, o\) with H >= 1, got \[15, 5\]/],
  ['gru h0 of the wrong batch', { op: 'gru', inputs: { x: x([3, 2, 4]), h0: x([1, 3, 5]), weight_ih: x([15, 4]), weight_hh: x([15, 5]) } }, /gru: h0 must be \[1, 2, 5\] \(num_layers 1, batch 2, hidden_size 5\) or \[2, 5\], got \[1, 3, 5\]/],
  ['rnn unknown nonlinearity', { op: 'rnn', attrs: { nonlinearity: 'sigmoid' }, inputs: { x: x([3, 2, 4]), weight_ih: x([5, 4]), weight_hh: x([5, 5]) } }, /rnn: nonlinearity must be "tanh" or "relu", got "sigmoid"/],
];

describe('nnx run rejects bad norm and recurrent input with one clear line', () => {
  const cli = useInProcessNnx();

  test.each(bad)('%s', async (_name, spec, message) => {
    expectRejects(await cli(['run', '-'], JSON.stringify(spec)), message);
  });
});
