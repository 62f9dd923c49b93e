/**
 * Samplers an op declares on an input whose random values must satisfy a constraint
 * (positive variances, indices in range, 0/1 masks), so that benchmarks and tests that draw
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

/**
 * A 0/1 mask over the last dimension with about a quarter of the entries 1 (masked), never
 * the first position of a row, so that every query keeps at least one key to attend to.
 */
export function sparseMask(): InputSampler {
  return ({ count, shape, random }) => {
    const last = shape.at(-1) ?? 1;
    return Float32Array.from({ length: count }, (_, i) => (i % last !== 0 && random() < 0.25 ? 1 : 0));
  };
}
