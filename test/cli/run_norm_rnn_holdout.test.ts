/**
 * The acceptance check of the norm and recurrent issue: `nnx run --trace` on PyTorch cases whose
 * shapes and attributes no other test uses (test/fixtures/norm_rnn_holdout.json): outputs, every
 * gradient, and the trace (statistics and xhat; LSTM/GRU gates, c, h, ‖dL/dh_t‖). Then bad
 * input to these ops: exit 1 with one line naming the numbers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { expectTensorClose } from '../kernels/gpu_harness.ts';
import { nnx } from './nnx_cli.ts';

interface FixtureCase {
  name: string;
  expected: { outputs: Record<string, JsonTensor>; grads?: Record<string, JsonTensor>; trace: Record<string, JsonTensor> };
}

const cases: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/norm_rnn_holdout.json', import.meta.url), 'utf8'));

describe('nnx run --trace on unseen PyTorch norm and recurrent cases', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { expected, name: _n, ...spec } = c;
    const r = nnx(['run', '-', '--trace'], JSON.stringify(spec));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(Object.keys(result.outputs).sort()).toEqual(Object.keys(expected.outputs).sort());
    for (const [name, t] of Object.entries(expected.outputs)) expectTensorClose(result.outputs[name], t, `output ${name}`);
    for (const [name, t] of Object.entries(expected.grads ?? {})) expectTensorClose(result.grads?.[name], t, `grad ${name}`);
    expect(Object.keys(result.grads ?? {}).sort()).toEqual(Object.keys(expected.grads ?? {}).sort());
    for (const [name, t] of Object.entries(expected.trace)) expectTensorClose(result.trace?.[name], t, `trace ${name}`);
    expect(result.memory.peak_bytes).toBeGreaterThan(0);
  });
});

const x = (shape: number[]) => ({ shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) });

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
  test.each(bad)('%s', (_name, spec, message) => {
    const r = nnx(['run', '-'], JSON.stringify(spec));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
