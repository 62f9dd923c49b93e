/**
 * conv_transpose2d against PyTorch (test/fixtures/generate_conv_transpose.py →
 * conv_transpose_cases.json) through runSpec, with the conv2d kernels chosen by shape and with
 * the direct and the implicit-GEMM kernels forced; against the float64 CPU reference on a random
 * case with odd sizes; plus its one-line errors.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { mulberry32 } from '../../src/analysis/random.ts';
import { convTranspose2dBackwardRef, convTranspose2dForwardRef } from '../../src/analysis/reference/conv_transpose2d.ts';
import { numel, type Tensor64 } from '../../src/analysis/tensor.ts';
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

  test('random odd case (batch 3, groups 3, stride 3 × 2, dilation, output_padding) matches the float64 reference', async () => {
    const rt = gpu();
    const u = mulberry32(11);
    const rand = (shape: number[]): Tensor64 => ({ shape, data: Float64Array.from({ length: numel(shape) }, () => Math.fround(2 * u() - 1)) });
    const attrs = { stride: [3, 2], padding: [2, 1], output_padding: [1, 1], dilation: [2, 1], groups: 3 };
    const x = rand([3, 6, 5, 7]);
    const w = rand([6, 5, 3, 4]);
    const b = rand([15]);
    const ref = { stride: [3, 2] as [number, number], padding: [2, 1] as [number, number], outputPadding: [1, 1] as [number, number], dilation: [2, 1] as [number, number], groups: 3 };
    const expected = convTranspose2dForwardRef(x, w, b, ref);
    const g = rand(expected.shape);
    const grads = convTranspose2dBackwardRef(x, w, b, ref, g);
    const op = OPS.conv_transpose2d.prepare(attrs, { x: { shape: x.shape, dtype: 'float32' }, weight: { shape: w.shape, dtype: 'float32' }, bias: { shape: b.shape, dtype: 'float32' } });
    const inputs = { x: rt.tensor('x', x.shape, 'float32', x.data), weight: rt.tensor('w', w.shape, 'float32', w.data), bias: rt.tensor('b', b.shape, 'float32', b.data) };
    const run = await op.forward(rt, inputs, { trace: false });
    const gradOutput = rt.tensor('g', g.shape, 'float32', g.data);
    const got = await run.backward({ output: gradOutput });
    const [out, gx, gw, gb] = await rt.read([run.outputs.output, got.x, got.weight, got.bias]);
    expectTensorClose({ shape: expected.shape, data: Array.from(out) }, expected, 'output');
    expectTensorClose({ shape: x.shape, data: Array.from(gx) }, grads.x, 'grad x');
    expectTensorClose({ shape: w.shape, data: Array.from(gw) }, grads.weight, 'grad weight');
    expectTensorClose({ shape: b.shape, data: Array.from(gb) }, grads.bias!, 'grad bias');
    rt.release(...Object.values(inputs), gradOutput, run.outputs.output, got.x, got.weight, got.bias);
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
