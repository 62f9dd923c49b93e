/**
 * One tensor as CSV, C order. A scalar is one value; a 1-D tensor is one row; a 2-D tensor is
 * one row per row. A tensor of rank 3 or more starts with a comment line giving its shape, then
 * has one row per index of the leading axes, each row running over the last axis, so
 * `numpy.loadtxt(f, delimiter=',').reshape(shape)` gives the tensor back. Floats are the shortest
 * text that reads back as the same float32 (float64 data: as the same float64); NaN and the
 * infinities are written `nan`, `inf`, `-inf`, as NumPy reads them.
 */
import { InputError } from './errors.ts';
import { float32Text } from './float32_text.ts';
import { formatShape, numel, type Tensor } from './tensor.ts';
import { pythonShapeTuple } from './npy.ts';

function valueText(data: Tensor['data'], i: number): string {
  const v = data[i];
  if (data instanceof Int32Array) return String(v);
  if (data instanceof Float64Array) return Number.isFinite(v) && v !== 0 ? String(v) : float32Text(v);
  return float32Text(v);
}

/** Encodes a tensor as CSV text ending in a newline (see the module comment for the layout). */
export function encodeCsv(t: Tensor): string {
  const count = numel(t.shape);
  if (t.data.length !== count) throw new InputError(`csv: ${t.data.length} values for shape ${formatShape(t.shape)}, which has ${count} elements`);
  const rank = t.shape.length;
  const rowLength = rank === 0 ? 1 : t.shape[rank - 1];
  const lines: string[] = [];
  if (rank >= 3) lines.push(`# shape ${pythonShapeTuple(t.shape)}: one row per index of the first ${rank - 1} axes (C order), columns over the last axis`);
  for (let start = 0; rowLength > 0 && start < count; start += rowLength) {
    const row = new Array<string>(rowLength);
    for (let j = 0; j < rowLength; j++) row[j] = valueText(t.data, start + j);
    lines.push(row.join(','));
  }
  return lines.map((line) => `${line}\n`).join('');
}
