/**
 * The acceptance checks of the kernel issues: the real `nnx run --trace` on PyTorch cases whose
 * shapes and attributes no other test uses — CNN ops, norms and recurrent layers, and the graph
 * layers (PyG semantics) — comparing every output, every gradient and the traced intermediates
 * the fixture recorded (norm statistics, LSTM/GRU gates, ‖dL/dh_t‖). The first case goes through
 * the binary with the spec on stdin; the others through the same `nnx run` in-process, on one runtime.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { expectTensorClose } from '../kernels/gpu_harness.ts';
import { nnx, useInProcessNnx } from './nnx_cli.ts';

interface FixtureCase {
  name: string;
  expected: { outputs: Record<string, JsonTensor>; grads?: Record<string, JsonTensor>; trace?: Record<string, JsonTensor> };
}

const FILES = ['cnn_holdout.json', 'norm_rnn_holdout.json', 'graph_holdout.json', 'attention_holdout.json', 'softmax_embedding_holdout.json'];
const cli = useInProcessNnx();

describe.each(FILES)('nnx run on unseen PyTorch cases: %s', (file) => {
  const cases: FixtureCase[] = JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { expected, name: _n, ...spec } = c;
    const args = ['run', '-', '--trace'];
    const r = file === FILES[0] && c === cases[0] ? nnx(args, JSON.stringify(spec)) : await cli(args, JSON.stringify(spec));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(Object.keys(result.outputs).sort()).toEqual(Object.keys(expected.outputs).sort());
    for (const [name, t] of Object.entries(expected.outputs)) expectTensorClose(result.outputs[name], t, `output ${name}`);
    expect(Object.keys(result.grads ?? {}).sort()).toEqual(Object.keys(expected.grads ?? {}).sort());
    for (const [name, t] of Object.entries(expected.grads ?? {})) expectTensorClose(result.grads?.[name], t, `grad ${name}`);
    for (const [name, t] of Object.entries(expected.trace ?? {})) expectTensorClose(result.trace?.[name], t, `trace ${name}`);
    expect(result.memory.peak_bytes).toBeGreaterThan(0);
    expect(result.adapter.description.length).toBeGreaterThan(0);
  });
});
