/**
 * The fake-quantization and cast references and the observers against every PyTorch case of
 * test/fixtures/generate_quant.py (quant_cases.json and quant_holdout.json): all exact.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  MinMaxObserver, MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, PerChannelMinMaxObserver,
  type ObserverOptions, type QScheme, type QuantDtype,
} from '../../src/analysis/quant_observers.ts';
import {
  fakeQuantizeBackwardRef, fakeQuantizePerChannelRef, fakeQuantizePerTensorRef, roundHalfEven, toBfloat16Ref, toFloat16Ref,
} from '../../src/analysis/reference/quantize.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';

interface T { shape: number[]; data: number[] }
interface OpCase {
  name: string; op: string; attrs: Record<string, number>;
  inputs: Record<string, T>; grad_output: { output: T };
  expected: { outputs?: { output: T }; grads?: { x: T }; trace?: { q: T; mask: T }; output_bits?: number[]; grad_bits?: number[] };
}
interface ObserverCase {
  name: string; observer: string; dtype: QuantDtype; qscheme: QScheme; batches: T[];
  ch_axis?: number; averaging_constant?: number; reduce_range?: boolean; quant_min?: number; quant_max?: number;
  expected: { min_val: T; max_val: T; scale: T; zero_point: number[] };
}
interface QuantFixtures { ops: OpCase[]; observers: ObserverCase[] }

const load = (file: string): QuantFixtures => JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));
const files = [load('quant_cases.json'), load('quant_holdout.json')];
const ops = files.flatMap((f) => f.ops);
const observers = files.flatMap((f) => f.observers);
const t64 = (t: T): Tensor64 => ({ shape: t.shape, data: Float64Array.from(t.data) });

/** Float32 bit patterns, so -0 and +0 and infinities compare exactly. */
function bitsOf(values: ArrayLike<number>): number[] {
  const f = Float32Array.from(values as ArrayLike<number>);
  return Array.from(new Uint32Array(f.buffer));
}

function expectExact(actual: Tensor64, expected: T, what: string): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const bad = Array.from(actual.data).findIndex((v, i) => !Object.is(v, expected.data[i]));
  expect(bad, bad < 0 ? '' : `${what}[${bad}] = ${actual.data[bad]}, PyTorch ${expected.data[bad]}`).toBe(-1);
}

describe('fake quantization and casts: float64/float32 reference vs PyTorch, exact', () => {
  test('the fixtures cover both ops, both casts, ties and every observer class', () => {
    expect(new Set(ops.map((c) => c.op))).toEqual(new Set(['fake_quantize_per_tensor_affine', 'fake_quantize_per_channel_affine', 'to_float16', 'to_bfloat16']));
    expect(new Set(observers.map((c) => c.observer)).size).toBe(4);
  });
  test.each(ops.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const x = t64(c.inputs.x);
    const g = t64(c.grad_output.output);
    if (c.op === 'to_float16' || c.op === 'to_bfloat16') {
      const cast = c.op === 'to_float16' ? toFloat16Ref : toBfloat16Ref;
      expect(bitsOf(cast(x).data), 'output bits').toEqual(c.expected.output_bits);
      expect(bitsOf(cast(g).data), 'grad bits').toEqual(c.expected.grad_bits);
      return;
    }
    const { quant_min: qmin, quant_max: qmax } = c.attrs;
    const ref = c.op === 'fake_quantize_per_tensor_affine'
      ? fakeQuantizePerTensorRef(x, c.attrs.scale, c.attrs.zero_point, qmin, qmax)
      : fakeQuantizePerChannelRef(x, c.inputs.scale.data, c.inputs.zero_point.data, c.attrs.axis, qmin, qmax);
    expectExact(ref.output, c.expected.outputs!.output, 'output');
    expectExact(ref.q, c.expected.trace!.q, 'q');
    expectExact(ref.mask, c.expected.trace!.mask, 'mask');
    expectExact(fakeQuantizeBackwardRef(ref.mask, g), c.expected.grads!.x, 'grad x');
  });
});

describe('observers vs torch.ao.quantization, exact', () => {
  const classes = { MinMaxObserver, MovingAverageMinMaxObserver, PerChannelMinMaxObserver, MovingAveragePerChannelMinMaxObserver };
  test.each(observers.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const options: ObserverOptions = { dtype: c.dtype, qscheme: c.qscheme };
    for (const key of ['ch_axis', 'averaging_constant', 'reduce_range', 'quant_min', 'quant_max'] as const) {
      if (c[key] !== undefined) (options as Record<string, unknown>)[key] = c[key];
    }
    const observer = new classes[c.observer as keyof typeof classes](options);
    for (const b of c.batches) observer.observe(b);
    expect(observer.minVal, 'min_val').toEqual(c.expected.min_val.data);
    expect(observer.maxVal, 'max_val').toEqual(c.expected.max_val.data);
    const q = observer.calculateQparams();
    expect(q.scale, 'scale').toEqual(c.expected.scale.data);
    expect(q.zero_point, 'zero_point').toEqual(c.expected.zero_point);
  });
});

describe('round half to even', () => {
  test('ties go to the even neighbour, others to the nearest', () => {
    expect([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 2.4999, -2.5001].map(roundHalfEven)).toEqual([-2, -2, -0, 0, 2, 2, 4, 2, -3]);
  });
});
