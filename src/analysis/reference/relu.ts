/** Float64 CPU reference for `F.relu` and its gradient. */
import type { Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';

/** relu forward: max(x, 0) elementwise. */
export function reluForwardRef(x: Tensor64): Tensor64 {
  return { shape: [...x.shape], data: x.data.map((v) => (v > 0 ? v : 0)) };
}

/** relu backward: the gradient passes where x > 0 and is 0 elsewhere, including at exactly 0 (as PyTorch). */
export function reluBackwardRef(x: Tensor64, gradOut: Tensor64): Tensor64 {
  assertShape('relu', 'grad_output', gradOut, x.shape);
  return { shape: [...x.shape], data: gradOut.data.map((g, i) => (x.data[i] > 0 ? g : 0)) };
}
