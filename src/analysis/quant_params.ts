/**
 * Checks of fake-quantization parameters as PyTorch's `fake_quantize_per_tensor_affine` and
 * `fake_quantize_per_channel_affine` state them, each failure a one-line InputError with the numbers.
 */
import { InputError } from './errors.ts';
import { formatShape } from './tensor.ts';

/** quant_min and quant_max: integers with quant_min < quant_max (PyTorch: "quant_min should be less than quant_max"). */
export function checkQuantRange(op: string, quantMin: unknown, quantMax: unknown): { quantMin: number; quantMax: number } {
  for (const [name, v] of [['quant_min', quantMin], ['quant_max', quantMax]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2 ** 31) throw new InputError(`${op}: ${name} must be an integer (a 32-bit code), got ${JSON.stringify(v)}`);
  }
  const lo = quantMin as number;
  const hi = quantMax as number;
  if (lo >= hi) throw new InputError(`${op}: quant_min ${lo} must be less than quant_max ${hi}`);
  return { quantMin: lo, quantMax: hi };
}

/** A scale: finite and > 0 (`what` names it, e.g. "scale" or "scale[3]"). */
export function checkScale(op: string, what: string, scale: unknown): number {
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) throw new InputError(`${op}: ${what} must be a finite number > 0, got ${JSON.stringify(scale) ?? String(scale)}`);
  if (Math.fround(scale) === 0 || !Number.isFinite(1 / Math.fround(scale))) throw new InputError(`${op}: ${what} ${scale} is too small for float32 (1/scale overflows)`);
  return scale;
}

/** A zero point: an integer inside [quant_min, quant_max], as PyTorch requires. */
export function checkZeroPoint(op: string, what: string, zeroPoint: unknown, quantMin: number, quantMax: number): number {
  if (typeof zeroPoint !== 'number' || !Number.isInteger(zeroPoint)) throw new InputError(`${op}: ${what} must be an integer, got ${JSON.stringify(zeroPoint)}`);
  if (zeroPoint < quantMin || zeroPoint > quantMax) throw new InputError(`${op}: ${what} ${zeroPoint} is outside [quant_min, quant_max] = [${quantMin}, ${quantMax}]`);
  return zeroPoint;
}

/** The channel axis of x: 0 to rank − 1 (PyTorch's per-channel op refuses negative axes). */
export function checkAxis(op: string, axis: unknown, shape: readonly number[]): number {
  const rank = shape.length;
  if (rank === 0) throw new InputError(`${op}: x must have at least one dimension for a channel axis, got a 0-D tensor`);
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < 0 || axis >= rank) {
    throw new InputError(`${op}: axis ${JSON.stringify(axis)} is out of range for x ${formatShape(shape)} of rank ${rank} (expected 0 to ${rank - 1}; negative axes are not accepted, as in PyTorch)`);
  }
  return axis;
}

/** The [outer, channels, inner] view of x around its channel axis. */
export function channelView(shape: readonly number[], axis: number): { outer: number; channels: number; inner: number } {
  const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return { outer: prod(shape.slice(0, axis)), channels: shape[axis], inner: prod(shape.slice(axis + 1)) };
}
