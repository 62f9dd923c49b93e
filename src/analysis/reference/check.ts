import { InputError } from '../errors.ts';
import { formatShape, numel, type Tensor } from '../tensor.ts';

/** Throws an InputError naming both shapes unless `t` has exactly `shape` and a matching data length. */
export function assertShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  const same = t.shape.length === shape.length && t.shape.every((s, i) => s === shape[i]);
  if (!same) throw new InputError(`${op}: ${name} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`);
  if (t.data.length !== numel(shape)) {
    throw new InputError(`${op}: ${name} has ${t.data.length} values but shape ${formatShape(shape)} needs ${numel(shape)}`);
  }
}
