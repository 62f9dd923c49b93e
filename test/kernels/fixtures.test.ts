/** Every PyTorch-generated case (test/fixtures/generate_cnn.py) run on the GPU through runSpec. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setConv2dAlgorithm } from '../../src/ops/conv2d.ts';
import { runSpec } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { expectTensorClose, useGpu } from './gpu_harness.ts';

interface FixtureCase {
  name: string;
  op: string;
  expected: { outputs: Record<string, JsonTensor>; grads?: Record<string, JsonTensor> };
}

const cases: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/cnn_cases.json', import.meta.url), 'utf8'));

describe('GPU kernels match PyTorch fixtures', () => {
  const gpu = useGpu();
  test('the fixture file covers every CNN op', () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(['conv2d', 'max_pool2d', 'avg_pool2d', 'linear', 'relu', 'cross_entropy']));
  });
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { result } = await runSpec(gpu(), c);
    for (const [name, expected] of Object.entries(c.expected.outputs)) expectTensorClose(result.outputs[name], expected, `output ${name}`);
    for (const [name, expected] of Object.entries(c.expected.grads ?? {})) expectTensorClose(result.grads?.[name], expected, `grad ${name}`);
    expect(Object.keys(result.grads ?? {}).sort()).toEqual(Object.keys(c.expected.grads ?? {}).sort());
  });
  // The shapes (and the adapter) decide between the direct, implicit-GEMM, small-K and blocked conv kernels; run each on every case.
  describe.each(['direct', 'gemm', 'small_k', 'blocked'] as const)('conv2d cases with the %s kernels forced', (algorithm) => {
    beforeAll(() => setConv2dAlgorithm(algorithm));
    afterAll(() => setConv2dAlgorithm('auto'));
    test.each(cases.filter((c) => c.op === 'conv2d').map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const { result } = await runSpec(gpu(), c);
      for (const [name, expected] of Object.entries(c.expected.outputs)) expectTensorClose(result.outputs[name], expected, `output ${name}`);
      for (const [name, expected] of Object.entries(c.expected.grads ?? {})) expectTensorClose(result.grads?.[name], expected, `grad ${name}`);
    });
  });
});
