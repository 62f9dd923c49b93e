/** Float64 CPU reference for `F.embedding` (lookup by index) and its weight gradient. */
import { InputError } from '../errors.ts';
import { formatShape, type Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';

function checkIndices(weight: Tensor64, indices: ArrayLike<number>): void {
  const vocab = weight.shape[0];
  for (let i = 0; i < indices.length; i++) {
    if (!Number.isInteger(indices[i]) || indices[i] < 0 || indices[i] >= vocab) {
      throw new InputError(`embedding: indices[${i}] = ${indices[i]} is outside [0, ${vocab}) for weight ${formatShape(weight.shape)}`);
    }
  }
}

/** output[..., :] = weight[indices[...], :], shaped [...indicesShape, dim]. */
export function embeddingForwardRef(weight: Tensor64, indices: ArrayLike<number>, indicesShape: number[]): Tensor64 {
  checkIndices(weight, indices);
  const dim = weight.shape[1];
  const data = new Float64Array(indices.length * dim);
  for (let p = 0; p < indices.length; p++) data.set(weight.data.subarray(indices[p] * dim, (indices[p] + 1) * dim), p * dim);
  return { shape: [...indicesShape, dim], data };
}

/** dL/dweight: every position's gradient row added to its index's row; the padding row (≥ 0) gets none. */
export function embeddingBackwardRef(weight: Tensor64, indices: ArrayLike<number>, gradOut: Tensor64, paddingIdx = -1): Tensor64 {
  checkIndices(weight, indices);
  const dim = weight.shape[1];
  assertShape('embedding', 'grad_output', gradOut, [...gradOut.shape.slice(0, -1), dim]);
  if (gradOut.data.length !== indices.length * dim) throw new InputError(`embedding: grad_output ${formatShape(gradOut.shape)} does not match ${indices.length} indices × ${dim}`);
  const data = new Float64Array(weight.data.length);
  for (let p = 0; p < indices.length; p++) {
    if (indices[p] === paddingIdx) continue;
    for (let j = 0; j < dim; j++) data[indices[p] * dim + j] += gradOut.data[p * dim + j];
  }
  return { shape: [...weight.shape], data };
}
