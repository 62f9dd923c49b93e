/**
 * Samplers an op declares on an input whose random values must satisfy a constraint
 * (positive variances, indices in range, 0/1 dropout masks), so that benchmarks and tests that draw
 * inputs at random always draw valid ones.
 */
import type { InputSampler } from './op.ts';

/** Uniform in [low, high): for variances and other inputs that must stay positive. */
export function uniformIn(low: number, high: number): InputSampler {
  return ({ count, random }) => Float32Array.from({ length: count }, () => low + (high - low) * random());
}

/**
 * Integers in [0, bound) where `bound(shapes)` reads the limit off another input's shape
 * (class targets below C, node indices below V, embedding indices below the weight's rows).
 */
export function indicesBelow(bound: (shapes: Record<string, number[]>) => number | undefined): InputSampler {
  return ({ count, shapes, random }) => {
    const limit = Math.max(1, bound(shapes) ?? 1);
    return Int32Array.from({ length: count }, () => Math.floor(random() * limit));
  };
}

/** A 0/1 keep mask, 1 with probability 1 − attrs.dropout_p (a dropout mask given as input). */
export function keepMask(): InputSampler {
  return ({ count, attrs, random }) => {
    const p = typeof attrs.dropout_p === 'number' ? attrs.dropout_p : 0;
    return Float32Array.from({ length: count }, () => (random() < p ? 0 : 1));
  };
}
