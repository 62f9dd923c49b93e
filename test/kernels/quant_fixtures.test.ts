/**
 * fake_quantize_per_tensor_affine, fake_quantize_per_channel_affine, to_float16 and to_bfloat16 on
 * the GPU through runSpec against every PyTorch case of test/fixtures/generate_quant.py
 * (quant_cases.json and the holdout): outputs, gradients, codes and masks must match bit for bit.
 * Then odd shapes against the reference, with the ledger back to 0 live bytes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fakeQuantizePerChannelRef, fakeQuantizePerTensorRef, toBfloat16Ref, toFloat16Ref } from '../../src/analysis/reference/quantize.ts';
import { runSpec } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { makeRng, randomTensor } from '../unit/reference_helpers.ts';
import { jsonTensor, useGpu } from './gpu_harness.ts';

const gpu = useGpu();

interface OpCase {
  name: string; op: string; attrs: Record<string, number>;
  inputs: Record<string, JsonTensor>; grad_output: { output: JsonTensor };
  expected: { outputs?: { output: JsonTensor }; grads?: { x: JsonTensor }; trace?: { q: JsonTensor; mask: JsonTensor }; output_bits?: number[]; grad_bits?: number[] };
}

const load = (file: string): OpCase[] => JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')).ops;
const cases = [...load('quant_cases.json'), ...load('quant_holdout.json')];

function bitsOf(values: ArrayLike<number>): number[] {
  return Array.from(new Uint32Array(Float32Array.from(values as ArrayLike<number>).buffer));
}

/** Bit-for-bit equality of float32 values, naming the first difference. */
function expectBits(actual: ArrayLike<number> | undefined, expected: number[], what: string): void {
  expect(actual, `${what} missing`).toBeDefined();
  const got = bitsOf(actual!);
  const bad = got.findIndex((b, i) => b !== expected[i]);
  const f = (b: number) => new Float32Array(Uint32Array.of(b).buffer)[0];
  expect(got.length, `${what} length`).toBe(expected.length);
  expect(bad, bad < 0 ? '' : `${what}[${bad}] = ${f(got[bad])} (0x${got[bad].toString(16)}), PyTorch ${f(expected[bad])} (0x${expected[bad].toString(16)})`).toBe(-1);
}

describe('quantization ops on the GPU match PyTorch bit for bit', () => {
  let exact = 0;
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { result } = await runSpec(gpu(), c, { trace: true });
    if (c.expected.output_bits) {
      expectBits(result.outputs.output.data, c.expected.output_bits, 'output');
      expectBits(result.grads?.x.data, c.expected.grad_bits!, 'grad x');
      exact += c.expected.output_bits.length;
    } else {
      expectBits(result.outputs.output.data, bitsOf(c.expected.outputs!.output.data), 'output');
      expectBits(result.grads?.x.data, bitsOf(c.expected.grads!.x.data), 'grad x');
      expectBits(result.trace?.q.data, bitsOf(c.expected.trace!.q.data), 'trace q');
      expectBits(result.trace?.mask.data, bitsOf(c.expected.trace!.mask.data), 'trace mask');
      exact += c.expected.outputs!.output.data.length;
    }
    expect(result.memory.live_bytes_after, 'live bytes after the run').toBe(0);
  });
  test('every element of every case matched', () => {
    expect(exact).toBe(cases.reduce((n, c) => n + (c.expected.output_bits?.length ?? c.expected.outputs!.output.data.length), 0));
  });
});

describe('odd shapes vs the reference, exact', () => {
  test('per tensor [3, 67, 5] (not a multiple of 64), quint8, zero point 77, untraced', async () => {
    const rng = makeRng(15);
    const x = randomTensor([3, 67, 5], rng, -3, 3);
    const attrs = { scale: 0.0173, zero_point: 77, quant_min: 0, quant_max: 255 };
    const { result } = await runSpec(gpu(), { op: 'fake_quantize_per_tensor_affine', attrs, inputs: { x: jsonTensor(x.shape, Float32Array.from(x.data)) } });
    const ref = fakeQuantizePerTensorRef({ shape: x.shape, data: Float64Array.from(Float32Array.from(x.data)) }, 0.0173, 77, 0, 255);
    expectBits(result.outputs.output.data, bitsOf(ref.output.data), 'output');
    expect(result.trace, 'no trace unless asked').toBeUndefined();
    expect(result.memory.live_bytes_after).toBe(0);
  });
  test('per channel axis 1 of [2, 7, 3, 5], 4-bit range [-8, 7]', async () => {
    const rng = makeRng(16);
    const x = Float32Array.from(randomTensor([2, 7, 3, 5], rng, -1, 1).data);
    const scale = Array.from({ length: 7 }, (_, c) => 0.02 + 0.03 * c);
    const zeroPoint = [-8, -3, 0, 1, 4, 7, 2];
    const spec = {
      op: 'fake_quantize_per_channel_affine', attrs: { axis: 1, quant_min: -8, quant_max: 7 },
      inputs: { x: jsonTensor([2, 7, 3, 5], x), scale: jsonTensor([7], scale), zero_point: { shape: [7], data: zeroPoint, dtype: 'int32' } },
    };
    const { result } = await runSpec(gpu(), spec, { trace: true });
    const ref = fakeQuantizePerChannelRef({ shape: [2, 7, 3, 5], data: Float64Array.from(x) }, scale, zeroPoint, 1, -8, 7);
    expectBits(result.outputs.output.data, bitsOf(ref.output.data), 'output');
    expectBits(result.trace?.q.data, bitsOf(ref.q.data), 'q');
    expectBits(result.trace?.mask.data, bitsOf(ref.mask.data), 'mask');
  });
  test.each([['to_float16', toFloat16Ref], ['to_bfloat16', toBfloat16Ref]] as const)('%s on 1,000 values spread over 2^-30 to 2^20 with both signs', async (op, ref) => {
    const rng = makeRng(op.length);
    const x = Float32Array.from({ length: 1000 }, () => (rng() < 0.5 ? -1 : 1) * 2 ** (rng() * 50 - 30));
    const { result } = await runSpec(gpu(), { op, attrs: {}, inputs: { x: jsonTensor([1000], x) } });
    expectBits(result.outputs.output.data, bitsOf(ref({ shape: [1000], data: Float64Array.from(x) }).data), 'output');
  });
});
