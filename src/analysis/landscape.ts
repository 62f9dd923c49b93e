/**
 * Loss-landscape geometry without the GPU (Li et al., 2018, "Visualizing the Loss Landscape of
 * Neural Nets"): the grid's axes, random Gaussian directions normalized filter by filter, and the
 * plain and residual networks of equal depth whose landscapes are compared.
 */
import { InputError } from './errors.ts';
import type { LayerSpec, ModelSpec } from './model_spec.ts';
import { numel } from './tensor.ts';

/** A parameter as the direction needs it: dotted name, shape and its trained values. */
export interface NamedValues {
  name: string;
  shape: number[];
  data: ArrayLike<number>;
}

/** `count` evenly spaced values from −span to span (the middle one exactly 0 when count is odd). */
export function gridAxis(count: number, span: number): number[] {
  if (!Number.isInteger(count) || count < 2) throw new InputError(`landscape: the grid needs at least 2 points per axis, got ${count}`);
  if (!(span > 0) || !Number.isFinite(span)) throw new InputError(`landscape: the span must be a finite number > 0, got ${span}`);
  const half = (count - 1) / 2;
  return Array.from({ length: count }, (_, i) => (i === half ? 0 : ((i - half) / half) * span));
}

/**
 * Scales `direction` filter by filter to `theta`'s norms, in float64: a parameter of rank ≥ 2
 * (a Linear's or a Conv's weight) has one filter per slice of dim 0 (a neuron's incoming weights,
 * a conv's output channel), and each slice d_f becomes d_f · ‖θ_f‖ / ‖d_f‖. Rank-0 and rank-1
 * parameters (biases, norm weights) get a zero direction, as the paper leaves them unperturbed.
 */
export function filterNormalize(theta: ArrayLike<number>, direction: ArrayLike<number>, shape: number[]): Float32Array {
  const n = numel(shape);
  if (theta.length !== n || direction.length !== n) throw new InputError(`filterNormalize: shape [${shape.join(', ')}] has ${n} values, got θ ${theta.length} and d ${direction.length}`);
  const out = new Float32Array(n);
  if (shape.length < 2) return out;
  const filters = shape[0];
  const size = n / filters;
  for (let f = 0; f < filters; f++) {
    let tt = 0;
    let dd = 0;
    for (let i = f * size; i < (f + 1) * size; i++) {
      tt += theta[i] * theta[i];
      dd += direction[i] * direction[i];
    }
    const scale = dd > 0 ? Math.sqrt(tt) / Math.sqrt(dd) : 0;
    for (let i = f * size; i < (f + 1) * size; i++) out[i] = direction[i] * scale;
  }
  return out;
}

/**
 * The compared pair on Fashion-MNIST images ([N, 1, 28, 28]): Flatten, Linear 784 → width, ReLU,
 * then `depth` hidden blocks Linear width → width + ReLU (plain) or the same block inside a
 * Residual (x + F(x)), and Linear width → 10. Equal parameters, equal depth.
 */
export function landscapePair(depth: number, width: number, batch: number): { plain: ModelSpec; residual: ModelSpec } {
  if (!Number.isInteger(depth) || depth < 1 || depth > 64) throw new InputError(`landscape: --depth must be a whole number in 1..64, got ${depth}`);
  const block = (): LayerSpec[] => [{ type: 'Linear', in_features: width, out_features: width }, { type: 'ReLU' }];
  const build = (residual: boolean): ModelSpec => ({
    name: `${residual ? 'residual' : 'plain'}_mlp_${depth}`,
    input: [batch, 1, 28, 28],
    layers: [
      { type: 'Flatten', name: 'flatten' },
      { type: 'Linear', name: 'stem', in_features: 784, out_features: width },
      { type: 'ReLU', name: 'stem_relu' },
      ...Array.from({ length: depth }, (_, i): LayerSpec => (residual ? { type: 'Residual', name: `block${i}`, body: block() } : { type: 'Sequential', name: `block${i}`, layers: block() })),
      { type: 'Linear', name: 'head', in_features: width, out_features: 10 },
    ],
  });
  return { plain: build(false), residual: build(true) };
}
