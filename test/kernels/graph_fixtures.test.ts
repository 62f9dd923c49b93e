/** PyTorch-generated GCN / GAT / SAGE cases (test/fixtures/generate_graph.py) run on the GPU through runSpec. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { runSpec } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { expectTensorClose, useGpu } from './gpu_harness.ts';

interface FixtureCase {
  name: string;
  op: string;
  expected: { outputs: Record<string, JsonTensor>; grads?: Record<string, JsonTensor> };
}

const cases: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/graph_cases.json', import.meta.url), 'utf8'));

describe('graph kernels match PyTorch (PyG semantics) fixtures', () => {
  const gpu = useGpu();
  test('the fixture file covers gcn, gat and sage', () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(['gcn', 'gat', 'sage']));
  });
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { result } = await runSpec(gpu(), c, { trace: true });
    for (const [name, expected] of Object.entries(c.expected.outputs)) expectTensorClose(result.outputs[name], expected, `output ${name}`);
    for (const [name, expected] of Object.entries(c.expected.grads ?? {})) expectTensorClose(result.grads?.[name], expected, `grad ${name}`);
    expect(Object.keys(result.grads ?? {}).sort()).toEqual(Object.keys(c.expected.grads ?? {}).sort());
    const leaked = result.memory.buffers.filter((b) => b.owner === c.op && b.destroyed === null).map((b) => b.label);
    expect(leaked, 'buffers of the run still alive').toEqual([]);
  });
});
