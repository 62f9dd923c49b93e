/**
 * The acceptance check of the foundation issue: `nnx run` on PyTorch cases whose shapes and
 * attributes no other test uses (test/fixtures/cnn_holdout.json), outputs and every gradient.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { expectTensorClose } from '../kernels/gpu_harness.ts';
import { nnx } from './nnx_cli.ts';

interface FixtureCase {
  name: string;
  expected: { outputs: Record<string, JsonTensor>; grads?: Record<string, JsonTensor> };
}

const cases: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/cnn_holdout.json', import.meta.url), 'utf8'));

describe('nnx run on unseen PyTorch cases', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { expected, name: _n, ...spec } = c;
    const r = nnx(['run', '-'], JSON.stringify(spec));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    for (const [name, t] of Object.entries(expected.outputs)) expectTensorClose(result.outputs[name], t, `output ${name}`);
    for (const [name, t] of Object.entries(expected.grads ?? {})) expectTensorClose(result.grads?.[name], t, `grad ${name}`);
    expect(result.memory.peak_bytes).toBeGreaterThan(0);
    expect(result.adapter.description.length).toBeGreaterThan(0);
  });
});
