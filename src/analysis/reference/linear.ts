/** Float64 CPU reference for `F.linear` (y = x·Wᵀ + b on the last axis) and its gradients. */
import { InputError } from '../errors.ts';
import { formatShape, type Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';

/** Gradients of linear with respect to each input; `bias` is null when the layer has none. */
export interface LinearGrads {
  x: Tensor64;
  weight: Tensor64;
  bias: Tensor64 | null;
}

/** Checks x [..., in], weight [out, in], bias [out] and returns [rows, in, out, output shape]. */
function linearShape(x: Tensor64, weight: Tensor64, bias: Tensor64 | null): [number, number, number, number[]] {
  if (weight.shape.length !== 2) throw new InputError(`linear: weight must be 2-D [out, in], got ${formatShape(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== inF) {
    throw new InputError(`linear: x must be [..., ${inF}] to match weight ${formatShape(weight.shape)}, got ${formatShape(x.shape)}`);
  }
  if (bias) assertShape('linear', 'bias', bias, [outF]);
  const rows = x.data.length / inF;
  return [rows, inF, outF, [...x.shape.slice(0, -1), outF]];
}

/** linear forward: y[r, o] = b[o] + Σ_k x[r, k] · W[o, k] for every row r of the leading dimensions. */
export function linearForwardRef(x: Tensor64, weight: Tensor64, bias: Tensor64 | null): Tensor64 {
  const [rows, inF, outF, shape] = linearShape(x, weight, bias);
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let sum = bias ? bias.data[o] : 0;
      for (let k = 0; k < inF; k++) sum += x.data[r * inF + k] * weight.data[o * inF + k];
      y[r * outF + o] = sum;
    }
  }
  return { shape, data: y };
}

/** linear backward: dx = g·W, dW = gᵀ·x and db = Σ_rows g, with g = gradOut viewed as [rows, out]. */
export function linearBackwardRef(x: Tensor64, weight: Tensor64, bias: Tensor64 | null, gradOut: Tensor64): LinearGrads {
  const [rows, inF, outF, shape] = linearShape(x, weight, bias);
  assertShape('linear', 'grad_output', gradOut, shape);
  const g = gradOut.data;
  const gx = new Float64Array(x.data.length);
  const gw = new Float64Array(weight.data.length);
  const gb = new Float64Array(outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      const go = g[r * outF + o];
      gb[o] += go;
      for (let k = 0; k < inF; k++) {
        gx[r * inF + k] += go * weight.data[o * inF + k];
        gw[o * inF + k] += go * x.data[r * inF + k];
      }
    }
  }
  return {
    x: { shape: [...x.shape], data: gx },
    weight: { shape: [...weight.shape], data: gw },
    bias: bias ? { shape: [outF], data: gb } : null,
  };
}
