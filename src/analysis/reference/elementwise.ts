/**
 * Float64 CPU references for the elementwise activations (tanh, sigmoid, GELU (erf and tanh
 * forms), SiLU, LeakyReLU, ReLU6, ELU), the residual add and the mean-squared-error loss, with
 * their gradients.
 */
import type { Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';

export type ActivationName = 'tanh' | 'sigmoid' | 'gelu' | 'gelu_tanh' | 'silu' | 'leaky_relu' | 'relu6' | 'elu';

const GELU_BETA = Math.sqrt(2 / Math.PI);
const GELU_KAPPA = 0.044715;

/** erf in float64: the Maclaurin series below 2.5, the continued fraction of erfc above (relative error ~1e-15). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1)).
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // Continued fraction for erfc, evaluated bottom-up (Lentz not needed at this depth).
    let f = 0;
    for (let k = 60; k >= 1; k--) f = (k / 2) / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -r : r;
}

function sigmoid(v: number): number {
  return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
}

/** f(x) elementwise; `slope` is leaky_relu's negative slope or elu's alpha. */
export function activationForwardRef(kind: ActivationName, x: Tensor64, slope = 0.01): Tensor64 {
  const f: Record<ActivationName, (v: number) => number> = {
    tanh: Math.tanh,
    sigmoid,
    gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
    gelu_tanh: (v) => 0.5 * v * (1 + Math.tanh(GELU_BETA * (v + GELU_KAPPA * v ** 3))),
    silu: (v) => v * sigmoid(v),
    leaky_relu: (v) => (v > 0 ? v : slope * v),
    relu6: (v) => Math.min(Math.max(v, 0), 6),
    elu: (v) => (v > 0 ? v : slope * Math.expm1(v)),
  };
  return { shape: [...x.shape], data: x.data.map(f[kind]) };
}

/** dL/dx = dL/dy · f'(x), computed from x (independently of the kernels' choice of saved tensor). */
export function activationBackwardRef(kind: ActivationName, x: Tensor64, gradOut: Tensor64, slope = 0.01): Tensor64 {
  assertShape(kind, 'grad_output', gradOut, x.shape);
  const d: Record<ActivationName, (v: number) => number> = {
    tanh: (v) => 1 - Math.tanh(v) ** 2,
    sigmoid: (v) => sigmoid(v) * (1 - sigmoid(v)),
    gelu: (v) => 0.5 * (1 + erf(v / Math.SQRT2)) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI),
    gelu_tanh: (v) => {
      const t = Math.tanh(GELU_BETA * (v + GELU_KAPPA * v ** 3));
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_BETA * (1 + 3 * GELU_KAPPA * v * v);
    },
    silu: (v) => sigmoid(v) * (1 + v * (1 - sigmoid(v))),
    leaky_relu: (v) => (v > 0 ? 1 : slope),
    // PyTorch at the kinks: relu6 passes nothing at 0 and 6, elu takes α·eˣ at 0.
    relu6: (v) => (v > 0 && v < 6 ? 1 : 0),
    elu: (v) => (v > 0 ? 1 : slope * Math.exp(v)),
  };
  return { shape: [...x.shape], data: x.data.map((v, i) => gradOut.data[i] * d[kind](v)) };
}

/** a + b (same shapes). */
export function addRef(a: Tensor64, b: Tensor64): Tensor64 {
  assertShape('add', 'other', b, a.shape);
  return { shape: [...a.shape], data: a.data.map((v, i) => v + b.data[i]) };
}

/** mean (or sum) of (x − target)². */
export function mseLossRef(x: Tensor64, target: Tensor64, reduction: 'mean' | 'sum' = 'mean'): number {
  assertShape('mse_loss', 'target', target, x.shape);
  let s = 0;
  for (let i = 0; i < x.data.length; i++) s += (x.data[i] - target.data[i]) ** 2;
  return reduction === 'mean' ? s / x.data.length : s;
}

/** dL/dx = g · 2 (x − target) / (numel for mean). */
export function mseLossBackwardRef(x: Tensor64, target: Tensor64, gradLoss: number, reduction: 'mean' | 'sum' = 'mean'): Tensor64 {
  const scale = reduction === 'mean' ? 1 / x.data.length : 1;
  return { shape: [...x.shape], data: x.data.map((v, i) => 2 * scale * gradLoss * (v - target.data[i])) };
}
