/**
 * CPU reference for fake quantization and the float16/bfloat16 round trips.
 *
 * Fake quantization follows PyTorch 1.13's CPU kernel step by step, because its float32 steps
 * decide ties: inv_scale = 1.0f / scale, code = float32(zero_point + nearbyint(float32(x · inv_scale)))
 * (half to even), output = float32((clamp(code, qmin, qmax) − zero_point) · scale) with that last
 * product in float64. Math.fround marks every float32 rounding. The gradient passes where
 * qmin <= code <= qmax (the straight-through estimator) and is 0 elsewhere.
 *
 * The casts work on values, not bits: round to the nearest multiple of the format's quantum at
 * x's binade (half to even), overflow to ±inf, as `x.half().float()` and `x.bfloat16().float()`.
 */
import type { Tensor64 } from '../tensor.ts';
import { channelView } from '../quant_params.ts';
import { assertShape } from './check.ts';

/** Round half to even (C's nearbyint in the default rounding mode). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The fake-quantized output, the clamped integer codes and the in-range mask (1/0) of one tensor. */
export interface FakeQuantizeRef {
  output: Tensor64;
  q: Tensor64;
  mask: Tensor64;
}

function fakeQuantizeValue(x: number, scale: number, zeroPoint: number, quantMin: number, quantMax: number): [number, number, number] {
  const s = Math.fround(scale);
  const inv = Math.fround(1 / s);
  const code = Math.fround(zeroPoint + roundHalfEven(Math.fround(Math.fround(x) * inv)));
  const q = Math.min(Math.max(code, quantMin), quantMax);
  return [Math.fround((q - zeroPoint) * s), q, quantMin <= code && code <= quantMax ? 1 : 0];
}

function fakeQuantizeWith(x: Tensor64, qparams: (index: number) => [number, number], quantMin: number, quantMax: number): FakeQuantizeRef {
  const n = x.data.length;
  const out = { output: new Float64Array(n), q: new Float64Array(n), mask: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const [scale, zp] = qparams(i);
    [out.output[i], out.q[i], out.mask[i]] = fakeQuantizeValue(x.data[i], scale, zp, quantMin, quantMax);
  }
  const shape = [...x.shape];
  return { output: { shape, data: out.output }, q: { shape: [...shape], data: out.q }, mask: { shape: [...shape], data: out.mask } };
}

/** `torch.fake_quantize_per_tensor_affine(x, scale, zero_point, quant_min, quant_max)` with its codes and mask. */
export function fakeQuantizePerTensorRef(x: Tensor64, scale: number, zeroPoint: number, quantMin: number, quantMax: number): FakeQuantizeRef {
  return fakeQuantizeWith(x, () => [scale, zeroPoint], quantMin, quantMax);
}

/** `torch.fake_quantize_per_channel_affine(x, scale, zero_point, axis, quant_min, quant_max)`; scale and zero_point have x.shape[axis] values. */
export function fakeQuantizePerChannelRef(x: Tensor64, scale: ArrayLike<number>, zeroPoint: ArrayLike<number>, axis: number, quantMin: number, quantMax: number): FakeQuantizeRef {
  const { channels, inner } = channelView(x.shape, axis);
  return fakeQuantizeWith(x, (i) => {
    const c = Math.floor(i / inner) % channels;
    return [scale[c], zeroPoint[c]];
  }, quantMin, quantMax);
}

/** The straight-through gradient grad_output · mask, a product as in PyTorch (−0 where a negative gradient is masked). */
export function fakeQuantizeBackwardRef(mask: Tensor64, gradOut: Tensor64): Tensor64 {
  assertShape('fake_quantize', 'grad_output', gradOut, mask.shape);
  return { shape: [...mask.shape], data: gradOut.data.map((g, i) => g * mask.data[i]) };
}

/** A floating-point format by its mantissa bits, smallest normal exponent and largest finite value. */
interface FloatFormat {
  mantissaBits: number;
  minExponent: number;
  maxFinite: number;
}

const FLOAT16: FloatFormat = { mantissaBits: 10, minExponent: -14, maxFinite: 65504 };
const BFLOAT16: FloatFormat = { mantissaBits: 7, minExponent: -126, maxFinite: (2 - 2 ** -7) * 2 ** 127 };

function roundToFormat(x: number, f: FloatFormat): number {
  const v = Math.fround(x);
  if (v === 0 || !Number.isFinite(v)) return v;
  const a = Math.abs(v);
  let binade = Math.floor(Math.log2(a));
  // log2 can land one binade off near powers of two; the quantum must match v's binade exactly.
  if (2 ** binade > a) binade -= 1;
  else if (2 ** (binade + 1) <= a) binade += 1;
  const quantum = 2 ** (Math.max(binade, f.minExponent) - f.mantissaBits);
  const r = roundHalfEven(v / quantum) * quantum;
  if (Math.abs(r) > f.maxFinite) return r > 0 ? Infinity : -Infinity;
  return r === 0 && v < 0 ? -0 : r;
}

/** `x.half().float()`: float16 round trip, half to even, ±inf beyond 65504 (from 65520 on), subnormals from 2⁻²⁴. */
export function toFloat16Ref(x: Tensor64): Tensor64 {
  return { shape: [...x.shape], data: x.data.map((v) => roundToFormat(v, FLOAT16)) };
}

/** `x.bfloat16().float()`: float32's exponent, 7 mantissa bits, half to even. */
export function toBfloat16Ref(x: Tensor64): Tensor64 {
  return { shape: [...x.shape], data: x.data.map((v) => roundToFormat(v, BFLOAT16)) };
}
