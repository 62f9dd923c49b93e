/**
 * The acceptance check of the graph issue: `nnx run` on PyTorch (PyG-semantics) cases for gcn,
 * gat and sage whose graphs, shapes and attributes no other test uses
 * (test/fixtures/graph_holdout.json), every output and gradient.
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

const cases: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/graph_holdout.json', import.meta.url), 'utf8'));

describe('nnx run on unseen graph cases', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { expected, name: _n, ...spec } = c;
    const r = nnx(['run', '-', '--trace'], JSON.stringify(spec));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    for (const [name, t] of Object.entries(expected.outputs)) expectTensorClose(result.outputs[name], t, `output ${name}`);
    for (const [name, t] of Object.entries(expected.grads ?? {})) expectTensorClose(result.grads?.[name], t, `grad ${name}`);
    expect(Object.keys(result.grads).sort()).toEqual(Object.keys(expected.grads ?? {}).sort());
    expect(result.trace.edge_index.dtype).toBe('int32');
  });
});
