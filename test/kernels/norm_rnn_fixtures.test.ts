/**
 * Every PyTorch-generated normalization and recurrent case (test/fixtures/generate_norm_rnn.py)
 * on the GPU through runSpec: outputs, every gradient, and the trace (statistics and xhat;
 * activated gates, cell state, h and ‖dL/dh_t‖ per step).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { runSpec } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { expectTensorClose, useGpu } from './gpu_harness.ts';

interface FixtureCase {
  name: string;
  op: string;
  expected: { outputs: Record<string, JsonTensor>; grads?: Record<string, JsonTensor>; trace: Record<string, JsonTensor> };
}

const cases: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/norm_rnn_cases.json', import.meta.url), 'utf8'));

describe('norm and recurrent kernels match PyTorch fixtures', () => {
  const gpu = useGpu();
  test('the fixture file covers every norm and recurrent op, LSTM gate traces included', () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(['batch_norm', 'layer_norm', 'group_norm', 'rnn', 'lstm', 'gru']));
    const lstm = cases.filter((c) => c.op === 'lstm');
    for (const c of lstm) expect(Object.keys(c.expected.trace)).toEqual(expect.arrayContaining(['gates.i', 'gates.f', 'gates.g', 'gates.o', 'c', 'grad_h_norm']));
  });
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { result } = await runSpec(gpu(), c, { trace: true });
    expect(Object.keys(result.outputs).sort()).toEqual(Object.keys(c.expected.outputs).sort());
    for (const [name, expected] of Object.entries(c.expected.outputs)) expectTensorClose(result.outputs[name], expected, `output ${name}`);
    for (const [name, expected] of Object.entries(c.expected.grads ?? {})) expectTensorClose(result.grads?.[name], expected, `grad ${name}`);
    expect(Object.keys(result.grads ?? {}).sort()).toEqual(Object.keys(c.expected.grads ?? {}).sort());
    for (const [name, expected] of Object.entries(c.expected.trace)) expectTensorClose(result.trace?.[name], expected, `trace ${name}`);
    const leaked = result.memory.buffers.filter((b) => b.owner === c.op && b.destroyed === null).map((b) => b.label);
    expect(leaked, 'buffers the op left alive').toEqual([]);
  });
});
