/**
 * Exhibit "naive-softmax": softmax and cross-entropy computed naively in float32 (exp(x) / Σ exp(x),
 * −log of that) overflow to inf/NaN once a logit passes ln(FLT_MAX) ≈ 88.72; the registered
 * log-sum-exp kernels stay finite. Both run on the GPU; a float64 log-sum-exp is the reference.
 */
import type { Tensor } from '../../analysis/tensor.ts';
import { runNaiveSoftmax } from '../../kernels/softmax.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { runSpec } from '../run.ts';
import { exhibitPair, jsonNumbers, type MuseumSide, type MuseumVerdict } from './exhibit.ts';

/** ln(3.4028235e38): exp of anything larger is +inf in float32. */
export const FLOAT32_EXP_LIMIT = Math.log(3.4028234663852886e38);

/** The exhibit's logits: 4 rows of s·cos(1.3·c + row) for s = 5, 50, 100, 1000 and 7 classes c (not a workgroup multiple). */
export function museumLogits(): { logits: Tensor; target: number[] } {
  const scales = [5, 50, 100, 1000];
  const classes = 7;
  const data = new Float32Array(scales.length * classes);
  scales.forEach((s, r) => {
    for (let c = 0; c < classes; c++) data[r * classes + c] = s * Math.cos(1.3 * c + r);
  });
  return { logits: { shape: [scales.length, classes], data }, target: [3, 0, 6, 2] };
}

/** Cross-entropy per row in float64 with log-sum-exp: the reference. */
export function crossEntropyFloat64(logits: Tensor, target: number[]): number[] {
  const [rows, classes] = logits.shape;
  return Array.from({ length: rows }, (_, r) => {
    const row = Array.from(logits.data.subarray(r * classes, (r + 1) * classes));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    return lse - row[target[r]];
  });
}

function nonfinite(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) n++;
  return n;
}

function maxAbsError(values: number[], reference: number[]): number {
  return Math.max(...values.map((v, i) => Math.abs(v - reference[i])));
}

async function naiveSide(rt: GpuRuntime, logits: Tensor, target: number[], reference: number[]): Promise<MuseumSide> {
  const probabilities = await runNaiveSoftmax(rt, logits, -1);
  const logProbabilities = await runNaiveSoftmax(rt, logits, -1, true);
  const classes = logits.shape[1];
  const loss = target.map((t, r) => -logProbabilities.data[r * classes + t]);
  const bad = nonfinite(probabilities.data) + nonfinite(loss);
  const maxLogit = Math.max(...logits.data);
  const verdicts: MuseumVerdict[] = bad === 0 ? [] : [{
    kind: 'overflow', layer: 'softmax',
    message: `exp(x) overflows float32 for x > ${FLOAT32_EXP_LIMIT.toFixed(2)} (largest logit ${maxLogit.toFixed(1)}): ${nonfinite(probabilities.data)} of ${probabilities.data.length} probabilities and ${nonfinite(loss)} of ${loss.length} per-row losses are inf or NaN`,
  }];
  return {
    spec: { op: 'naive softmax and cross-entropy', formula: 'softmax = exp(x) / Σ exp(x); loss = −log softmax[target]', logits: { shape: logits.shape, data: Array.from(logits.data) }, target },
    verdicts,
    evidence: {
      probabilities: jsonNumbers(probabilities.data), loss_per_row: jsonNumbers(loss), reference_loss_per_row: reference,
      nonfinite_probabilities: nonfinite(probabilities.data), nonfinite_losses: nonfinite(loss),
    },
  };
}

async function stableSide(rt: GpuRuntime, logits: Tensor, target: number[], reference: number[]): Promise<MuseumSide> {
  const json = { shape: logits.shape, data: Array.from(logits.data) };
  const softmax = await runSpec(rt, { op: 'softmax', attrs: { dim: -1 }, inputs: { x: json } });
  const probabilities = softmax.result.outputs.output.data as number[];
  const ce = await runSpec(rt, { op: 'cross_entropy', attrs: { reduction: 'none' }, inputs: { logits: json, target: { shape: [target.length], data: target, dtype: 'int32' } } });
  const loss = ce.result.outputs.loss.data as number[];
  const bad = nonfinite(probabilities) + nonfinite(loss);
  return {
    spec: { op: 'softmax and cross_entropy (log-sum-exp)', formula: 'm = max x; softmax = exp(x − m) / Σ exp(x − m); loss = m + log Σ exp(x − m) − x[target]', logits: json, target },
    verdicts: bad === 0 ? [] : [{ kind: 'nonfinite', layer: 'softmax', message: `${bad} non-finite values from the log-sum-exp kernels` }],
    evidence: {
      probabilities, loss_per_row: loss, reference_loss_per_row: reference,
      nonfinite_probabilities: nonfinite(probabilities), nonfinite_losses: nonfinite(loss),
      max_abs_error_vs_float64: maxAbsError(loss, reference),
    },
  };
}

export const naiveSoftmax = exhibitPair('naive-softmax', 'Naive float32 softmax and cross-entropy',
  `exp(x) overflows float32 past x ≈ ${FLOAT32_EXP_LIMIT.toFixed(2)}, so exp(x) / Σ exp(x) becomes inf / inf = NaN and the loss −log(0) = inf. Subtracting the row maximum first (log-sum-exp) keeps every exponent ≤ 0. Logits of 4 rows × 7 classes scaled by 5, 50, 100 and 1000, on the GPU; float64 log-sum-exp is the reference.`,
  (rt, fixed) => {
    const { logits, target } = museumLogits();
    return (fixed ? stableSide : naiveSide)(rt, logits, target, crossEntropyFloat64(logits, target));
  });
