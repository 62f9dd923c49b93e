/** Float64 CPU references for `F.softmax` and `F.log_softmax` along any dim, with their gradients. */
import { InputError } from '../errors.ts';
import { formatShape, numel, type Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';

/** The rows along `dim`: for each, the flat offsets of its elements. */
function rowsAlong(shape: number[], dim: number): number[][] {
  const rank = shape.length;
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) throw new InputError(`softmax: dim ${dim} is out of range for shape ${formatShape(shape)}`);
  const d = dim < 0 ? dim + rank : dim;
  const outer = numel(shape.slice(0, d));
  const size = shape[d];
  const inner = numel(shape.slice(d + 1));
  const rows: number[][] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) rows.push(Array.from({ length: size }, (_, k) => (o * size + k) * inner + i));
  }
  return rows;
}

/** Per row: the max and Σ exp(x − max), in row order (x's shape without dim, row-major). */
export function logSumExpPartsRef(x: Tensor64, dim: number): { max: Float64Array; sumExp: Float64Array } {
  const rows = rowsAlong(x.shape, dim);
  const max = new Float64Array(rows.length);
  const sumExp = new Float64Array(rows.length);
  rows.forEach((row, r) => {
    max[r] = Math.max(...row.map((i) => x.data[i]));
    sumExp[r] = row.reduce((s, i) => s + Math.exp(x.data[i] - max[r]), 0);
  });
  return { max, sumExp };
}

/** softmax(x) along dim (log = false) or log_softmax(x) (log = true), stable. */
export function softmaxForwardRef(x: Tensor64, dim: number, log = false): Tensor64 {
  const rows = rowsAlong(x.shape, dim);
  const { max, sumExp } = logSumExpPartsRef(x, dim);
  const data = new Float64Array(x.data.length);
  rows.forEach((row, r) => {
    for (const i of row) data[i] = log ? x.data[i] - max[r] - Math.log(sumExp[r]) : Math.exp(x.data[i] - max[r]) / sumExp[r];
  });
  return { shape: [...x.shape], data };
}

/** dL/dx: softmax p·(g − Σ g·p), log_softmax g − p·Σ g, with p = softmax(x). */
export function softmaxBackwardRef(x: Tensor64, gradOut: Tensor64, dim: number, log = false): Tensor64 {
  assertShape(log ? 'log_softmax' : 'softmax', 'grad_output', gradOut, x.shape);
  const p = softmaxForwardRef(x, dim, false).data;
  const data = new Float64Array(x.data.length);
  for (const row of rowsAlong(x.shape, dim)) {
    const s = row.reduce((acc, i) => acc + gradOut.data[i] * (log ? 1 : p[i]), 0);
    for (const i of row) data[i] = log ? gradOut.data[i] - p[i] * s : p[i] * (gradOut.data[i] - s);
  }
  return { shape: [...x.shape], data };
}
