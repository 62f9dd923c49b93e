/**
 * Float64 CPU reference for `F.cross_entropy(logits [N, C], target [N])` with class-index
 * targets, no class weights and no label smoothing. Log-sum-exp is shifted by the row maximum.
 */
import { InputError } from '../errors.ts';
import { formatShape, type Tensor, type Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';

/** How per-sample losses are combined, as PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Cross entropy forward: the reduced loss, softmax(logits) and the per-sample losses. */
export interface CrossEntropyResult {
  /** Shape [] for 'mean' and 'sum', [N] for 'none'. */
  loss: Tensor64;
  probs: Tensor64;
  perSample: Tensor64;
}

/** Checks logits [N, C] and target [N] with every class in [0, C) or ignored; returns [N, C]. */
function crossEntropyShape(logits: Tensor64, target: Tensor<Int32Array>, ignoreIndex: number): [number, number] {
  if (logits.shape.length !== 2) throw new InputError(`cross_entropy: logits must be 2-D [N, C], got ${formatShape(logits.shape)}`);
  const [n, c] = logits.shape;
  assertShape('cross_entropy', 'target', target, [n]);
  target.data.forEach((t, i) => {
    if (t !== ignoreIndex && (t < 0 || t >= c)) throw new InputError(`cross_entropy: target[${i}] = ${t} is not a class index in [0, ${c})`);
  });
  return [n, c];
}

/**
 * cross_entropy forward: loss_n = logsumexp(logits[n]) − logits[n, target[n]], computed as
 * m + log Σ exp(l − m) with m the row maximum; probs = exp(l − m) / Σ exp(l − m). Rows whose
 * target is `ignoreIndex` have loss 0 and are left out of the mean's count.
 */
export function crossEntropyForwardRef(logits: Tensor64, target: Tensor<Int32Array>, reduction: Reduction = 'mean', ignoreIndex = -100): CrossEntropyResult {
  const [n, c] = crossEntropyShape(logits, target, ignoreIndex);
  const probs = new Float64Array(n * c);
  const perSample = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = logits.data.subarray(i * c, (i + 1) * c);
    const m = row.reduce((a, b) => Math.max(a, b), -Infinity);
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(row[j] - m);
    for (let j = 0; j < c; j++) probs[i * c + j] = Math.exp(row[j] - m) / sum;
    perSample[i] = target.data[i] === ignoreIndex ? 0 : m + Math.log(sum) - row[target.data[i]];
  }
  const total = perSample.reduce((a, b) => a + b, 0);
  const counted = target.data.filter((t) => t !== ignoreIndex).length;
  const loss: Tensor64 = reduction === 'none'
    ? { shape: [n], data: perSample.slice() }
    : { shape: [], data: Float64Array.of(reduction === 'mean' ? total / counted : total) };
  return { loss, probs: { shape: [n, c], data: probs }, perSample: { shape: [n], data: perSample } };
}

/**
 * cross_entropy backward: dlogits[n, c] = g_n · (probs[n, c] − [c = target[n]]), where g_n is
 * gradLoss / (rows not ignored) for 'mean', gradLoss for 'sum' and gradLoss[n] for 'none';
 * ignored rows get 0.
 */
export function crossEntropyBackwardRef(logits: Tensor64, target: Tensor<Int32Array>, reduction: Reduction, gradLoss: Tensor64, ignoreIndex = -100): Tensor64 {
  const { probs } = crossEntropyForwardRef(logits, target, reduction, ignoreIndex);
  const counted = target.data.filter((t) => t !== ignoreIndex).length;
  const [n, c] = logits.shape;
  assertShape('cross_entropy', 'grad_output', gradLoss, reduction === 'none' ? [n] : []);
  const grad = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    if (target.data[i] === ignoreIndex) continue;
    const g = reduction === 'none' ? gradLoss.data[i] : reduction === 'mean' ? gradLoss.data[0] / counted : gradLoss.data[0];
    for (let j = 0; j < c; j++) grad[i * c + j] = g * (probs.data[i * c + j] - (j === target.data[i] ? 1 : 0));
  }
  return { shape: [n, c], data: grad };
}
