/**
 * conv_transpose2d against PyTorch (test/fixtures/generate_conv_transpose.py →
 * conv_transpose_cases.json) through runSpec, with the conv2d kernels chosen by shape and with
 * the direct and the implicit-GEMM kernels forced; plus its one-line errors.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { setConv2dAlgorithm } from '../../src/ops/conv2d.ts';
import { OPS } from '../../src/ops/registry.ts';
import { runSpec } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { expectTensorClose, useGpu } from './gpu_harness.ts';

interface FixtureCase {
  name: string;
  op: string;
  expected: { outputs: Record<string, JsonTensor>; grads: Record<string, JsonTensor> };
}

const cases: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/conv_transpose_cases.json', import.meta.url), 'utf8'));

describe('conv_transpose2d matches PyTorch', () => {
  const gpu = useGpu();
  const check = async (c: FixtureCase) => {
    const { result } = await runSpec(gpu(), c);
    for (const [name, expected] of Object.entries(c.expected.outputs)) expectTensorClose(result.outputs[name], expected, `output ${name}`);
    for (const [name, expected] of Object.entries(c.expected.grads)) expectTensorClose(result.grads?.[name], expected, `grad ${name}`);
    expect(Object.keys(result.grads ?? {}).sort()).toEqual(Object.keys(c.expected.grads).sort());
  };
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));
  describe.each(['direct', 'gemm'] as const)('with the %s conv2d kernels forced', (algorithm) => {
    beforeAll(() => setConv2dAlgorithm(algorithm));
    afterAll(() => setConv2dAlgorithm('auto'));
    test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => check(c));
  });

  test('output_padding must be below stride or dilation; channels must match; one-line errors with the numbers', () => {
    const prepare = (attrs: Record<string, unknown>, x: number[], w: number[]) =>
      () => OPS.conv_transpose2d.prepare(attrs, { x: { shape: x, dtype: 'float32' }, weight: { shape: w, dtype: 'float32' } });
    expect(prepare({ stride: 2, output_padding: 2 }, [1, 2, 4, 4], [2, 3, 3, 3])).toThrow(InputError);
    expect(prepare({ stride: 2, output_padding: 2 }, [1, 2, 4, 4], [2, 3, 3, 3])).toThrow(/output_padding \(2, 2\), stride \(2, 2\), dilation \(1, 1\)/);
    expect(prepare({}, [1, 3, 4, 4], [2, 3, 3, 3])).toThrow(/expects 2 input channels .* has 3/);
    expect(prepare({ padding: 3 }, [1, 2, 2, 2], [2, 3, 3, 3])).toThrow(/output would be -2×-2/);
    expect(prepare({ stride: 2 }, [1, 2, 4, 4], [2, 3, 3, 3])().outputShapes.output).toEqual([1, 3, 9, 9]);
  });
});
