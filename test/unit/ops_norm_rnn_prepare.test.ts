/** Attribute and shape validation of the norm and recurrent ops (prepare runs without a GPU). */
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import type { HostTensor } from '../../src/ops/op.ts';
import { OPS } from '../../src/ops/registry.ts';

const t = (...shape: number[]): HostTensor => ({ shape, dtype: 'float32' });
const prepare = (op: string, attrs: Record<string, unknown>, inputs: Record<string, HostTensor>) => OPS[op].prepare(attrs, inputs);

describe('norm and recurrent ops are registered with PyTorch names', () => {
  test.each([
    ['batch_norm', ['x', 'weight', 'bias', 'running_mean', 'running_var'], ['output', 'running_mean', 'running_var']],
    ['layer_norm', ['x', 'weight', 'bias'], ['output']],
    ['group_norm', ['x', 'weight', 'bias'], ['output']],
    ['rnn', ['x', 'h0', 'weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'], ['y', 'h_n']],
    ['lstm', ['x', 'h0', 'c0', 'weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'], ['y', 'h_n', 'c_n']],
    ['gru', ['x', 'h0', 'weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'], ['y', 'h_n']],
  ])('%s', (name, inputs, outputs) => {
    expect(OPS[name].inputs.map((i) => i.name)).toEqual(inputs);
    expect(OPS[name].outputs).toEqual(outputs);
  });
});

describe('output shapes', () => {
  test('batch_norm: output like x, running statistics [C]', () => {
    expect(prepare('batch_norm', { training: true }, { x: t(2, 3, 4, 5) }).outputShapes).toEqual({ output: [2, 3, 4, 5], running_mean: [3], running_var: [3] });
  });
  test('lstm: y [T, N, H], h_n and c_n [1, N, H], also for [N, H] initial states', () => {
    const p = prepare('lstm', {}, { x: t(7, 2, 3), h0: t(2, 5), c0: t(2, 5), weight_ih: t(20, 3), weight_hh: t(20, 5) });
    expect(p.outputShapes).toEqual({ y: [7, 2, 5], h_n: [1, 2, 5], c_n: [1, 2, 5] });
  });
  test('gru with H = 1 and no biases', () => {
    expect(prepare('gru', {}, { x: t(1, 4, 2), weight_ih: t(3, 2), weight_hh: t(3, 1) }).outputShapes).toEqual({ y: [1, 4, 1], h_n: [1, 4, 1] });
  });
});

describe('bad attributes and shapes are rejected with the numbers', () => {
  const rnn = { x: t(3, 2, 4), weight_ih: t(5, 4), weight_hh: t(5, 5) };
  const cases: [string, string, Record<string, unknown>, Record<string, HostTensor>, RegExp][] = [
    ['unknown attribute', 'batch_norm', { train: true }, { x: t(2, 3) }, /batch_norm: unknown attribute "train" \(known: training, momentum, eps\)/],
    ['training not a boolean', 'batch_norm', { training: 1 }, { x: t(2, 3) }, /batch_norm: training must be true or false, got 1/],
    ['momentum null (cumulative average)', 'batch_norm', { training: true, momentum: null }, { x: t(2, 3) }, /batch_norm: momentum must be a finite number, got null/],
    ['negative eps', 'layer_norm', { normalized_shape: 3, eps: -1 }, { x: t(2, 3) }, /layer_norm: eps must be a finite number >= 0, got -1/],
    ['1-D x', 'batch_norm', { training: true }, { x: t(5) }, /batch_norm: x must be \[N, C\] or \[N, C, \*\], got shape \[5\]/],
    ['empty x', 'group_norm', { num_groups: 1 }, { x: t(0, 3) }, /group_norm: x \[0, 3\] has no elements to normalize/],
    ['running_mean without running_var', 'batch_norm', { training: true }, { x: t(2, 3), running_mean: t(3) }, /running_mean and running_var must be given together \(got only running_mean\)/],
    ['running_var of the wrong size', 'batch_norm', {}, { x: t(2, 3), running_mean: t(3), running_var: t(2) }, /running_var must have shape \[3\]/],
    ['running_var + eps not positive', 'batch_norm', { eps: 0 }, { x: t(2, 2), running_mean: t(2), running_var: { shape: [2], dtype: 'float32', data: [1, 0] } }, /running_var\[1\] \+ eps = 0 \+ 0 must be > 0/],
    ['normalized_shape missing', 'layer_norm', {}, { x: t(2, 3) }, /layer_norm: attribute normalized_shape is required/],
    ['normalized_shape of zeros', 'layer_norm', { normalized_shape: [0] }, { x: t(2, 3) }, /normalized_shape must be an integer >= 1 or a non-empty list/],
    ['layer_norm weight not normalized_shape', 'layer_norm', { normalized_shape: [3] }, { x: t(2, 3), weight: t(2, 3) }, /layer_norm: weight must have shape \[3\] \(normalized_shape\), got \[2, 3\]/],
    ['num_groups missing', 'group_norm', {}, { x: t(2, 4) }, /group_norm: attribute num_groups is required/],
    ['num_groups 0', 'group_norm', { num_groups: 0 }, { x: t(2, 4) }, /group_norm: num_groups must be an integer >= 1, got 0/],
    ['rnn attribute on lstm', 'lstm', { nonlinearity: 'tanh' }, { x: t(3, 2, 4), weight_ih: t(20, 4), weight_hh: t(20, 5) }, /lstm: unknown attribute "nonlinearity" \(known: \)/],
    ['2-D x', 'rnn', {}, { ...rnn, x: t(3, 4) }, /rnn: x must be \[T, N, input_size\] \(seq_len, batch, features\), got shape \[3, 4\]/],
    ['zero steps', 'gru', {}, { x: t(0, 2, 4), weight_ih: t(15, 4), weight_hh: t(15, 5) }, /gru: x \[0, 2, 4\] needs at least 1 step, 1 sequence and 1 feature/],
    ['weight_ih input size', 'rnn', {}, { ...rnn, weight_ih: t(5, 3) }, /rnn: weight_ih must be \[5, 4\] \(hidden_size 5, input_size 4 of x \[3, 2, 4\]\), got \[5, 3\]/],
    ['gru weight_hh rows', 'gru', {}, { x: t(3, 2, 4), weight_ih: t(15, 4), weight_hh: t(10, 5) }, /gru: weight_hh must be \[3·H, H\] \(gates r, z, n\) with H >= 1, got \[10, 5\]/],
    ['bias of the wrong size', 'lstm', {}, { x: t(3, 2, 4), weight_ih: t(20, 4), weight_hh: t(20, 5), bias_hh: t(5) }, /lstm: bias_hh must be \[20\] \(4·hidden_size 5\), got \[5\]/],
    ['c0 of the wrong size', 'lstm', {}, { x: t(3, 2, 4), c0: t(1, 2, 4), weight_ih: t(20, 4), weight_hh: t(20, 5) }, /lstm: c0 must be \[1, 2, 5\] \(num_layers 1, batch 2, hidden_size 5\) or \[2, 5\], got \[1, 2, 4\]/],
  ];
  test.each(cases)('%s', (_name, op, attrs, inputs, message) => {
    expect(() => prepare(op, attrs, inputs)).toThrow(InputError);
    expect(() => prepare(op, attrs, inputs)).toThrow(message);
  });
});
