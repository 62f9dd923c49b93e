/**
 * NumPy's .npy format, version 1.0, for one tensor: the magic string, a little-endian uint16
 * header length, a Python dict literal header padded with spaces and ended by a newline so the
 * data starts at a multiple of 64 bytes, then the values in C order, little-endian.
 * `numpy.load` reads the result; `descr` is '<f4' for Float32Array, '<i4' for Int32Array and
 * '<f8' for Float64Array.
 */
import { InputError } from './errors.ts';
import { formatShape, numel, type Tensor } from './tensor.ts';

const MAGIC = [0x93, ...'NUMPY'.split('').map((c) => c.charCodeAt(0)), 1, 0];
/** Magic (6 bytes), version (2) and header length (2). */
const PREAMBLE_BYTES = 10;
const ALIGN = 64;
/** numpy leaves room in the header for the first axis to grow to this many digits. */
const GROWTH_DIGITS = 21;

/** The NumPy dtype string of a tensor's data. */
export function npyDescr(data: Tensor['data']): '<f4' | '<i4' | '<f8' {
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Float64Array) return '<f8';
  return '<f4';
}

/** A shape as a Python tuple: `()`, `(5,)`, `(2, 3)`. */
export function pythonShapeTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * The header dict, padded with spaces and ended with '\n' so preamble + header is a multiple of
 * 64 bytes, byte for byte as numpy.save writes it: room for the first axis to grow to 21 digits,
 * and 1 to 64 spaces of alignment (64 when the rest is already aligned).
 */
export function npyHeader(shape: readonly number[], descr: string): string {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pythonShapeTuple(shape)}, }`;
  const growth = shape.length ? ' '.repeat(Math.max(0, GROWTH_DIGITS - String(shape[0]).length)) : '';
  const unpadded = PREAMBLE_BYTES + dict.length + growth.length + 1;
  return `${dict}${growth}${' '.repeat(ALIGN - (unpadded % ALIGN))}\n`;
}

/** Encodes a tensor as a .npy file (version 1.0). */
export function encodeNpy(t: Tensor): Uint8Array<ArrayBuffer> {
  if (t.shape.some((s) => !Number.isInteger(s) || s < 0)) throw new InputError(`npy: shape must hold whole numbers >= 0, got ${formatShape(t.shape)}`);
  const count = numel(t.shape);
  if (t.data.length !== count) throw new InputError(`npy: ${t.data.length} values for shape ${formatShape(t.shape)}, which has ${count} elements`);
  const descr = npyDescr(t.data);
  const header = npyHeader(t.shape, descr);
  if (header.length > 0xffff) throw new InputError(`npy: a ${t.shape.length}-d shape needs a ${header.length}-byte header, over the 65,535 bytes of format 1.0`);
  const itemBytes = t.data.BYTES_PER_ELEMENT;
  const offset = PREAMBLE_BYTES + header.length;
  const out = new Uint8Array(offset + count * itemBytes);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[PREAMBLE_BYTES + i] = header.charCodeAt(i);
  for (let i = 0; i < count; i++) {
    const at = offset + i * itemBytes;
    if (descr === '<i4') view.setInt32(at, t.data[i], true);
    else if (descr === '<f8') view.setFloat64(at, t.data[i], true);
    else view.setFloat32(at, t.data[i], true);
  }
  return out;
}
