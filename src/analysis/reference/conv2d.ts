/**
 * Float64 CPU reference for `F.conv2d` (NCHW, weight [out, in/groups, kh, kw]) and its
 * gradients. Written for clarity: one loop nest visits every multiply-accumulate.
 */
import { conv2dOutputShape, type Conv2dAttrs } from '../conv_shapes.ts';
import { numel, type Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';

/** Gradients of conv2d with respect to each input; `bias` is null when the conv has none. */
export interface Conv2dGrads {
  x: Tensor64;
  weight: Tensor64;
  bias: Tensor64 | null;
}

/**
 * Calls `visit(xi, wi, oi)` with the flat indices of every term x[xi]·w[wi] that adds into
 * out[oi]. Taps that fall on padding are skipped: they contribute zero.
 */
function forEachTap(
  xShape: readonly number[],
  wShape: readonly number[],
  outShape: readonly number[],
  a: Conv2dAttrs,
  visit: (xi: number, wi: number, oi: number) => void,
): void {
  const [n, c, h, w] = xShape;
  const [o, cg, kh, kw] = wShape;
  const [, , oh, ow] = outShape;
  const outPerGroup = o / a.groups;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const firstIn = Math.floor(oc / outPerGroup) * cg;
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const oi = ((b * o + oc) * oh + oy) * ow + ox;
          for (let ci = 0; ci < cg; ci++) {
            const xPlane = (b * c + firstIn + ci) * h;
            const wPlane = (oc * cg + ci) * kh;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * a.stride[0] - a.padTop + ky * a.dilation[0];
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * a.stride[1] - a.padLeft + kx * a.dilation[1];
                if (ix < 0 || ix >= w) continue;
                visit((xPlane + iy) * w + ix, (wPlane + ky) * kw + kx, oi);
              }
            }
          }
        }
      }
    }
  }
}

/** Enumerates a convolution's terms: calls `visit(xi, wi, oi)` once per x[xi]·w[wi] adding into out[oi]. */
export type ConvTaps = (visit: (xi: number, wi: number, oi: number) => void) => void;

/** out[n, o, …] = bias[o] + Σ of the terms `taps` lists, for an output of `shape` [N, C_out, H, W]. */
export function convForwardFromTaps(x: Tensor64, weight: Tensor64, bias: Tensor64 | null, shape: number[], taps: ConvTaps): Tensor64 {
  const out = new Float64Array(numel(shape));
  if (bias) {
    const plane = shape[2] * shape[3];
    for (let i = 0; i < out.length; i++) out[i] = bias.data[Math.floor(i / plane) % shape[1]];
  }
  taps((xi, wi, oi) => {
    out[oi] += x.data[xi] * weight.data[wi];
  });
  return { shape, data: out };
}

/**
 * Backward of the convolution `taps` lists for an upstream gradient `g` shaped like the output:
 * every term x·w sends g·w to x and g·x to w; the bias gradient sums g over batch and space.
 */
export function convBackwardFromTaps(x: Tensor64, weight: Tensor64, bias: Tensor64 | null, shape: number[], g: Float64Array, taps: ConvTaps): Conv2dGrads {
  const gx = new Float64Array(x.data.length);
  const gw = new Float64Array(weight.data.length);
  taps((xi, wi, oi) => {
    gx[xi] += g[oi] * weight.data[wi];
    gw[wi] += g[oi] * x.data[xi];
  });
  let gradBias: Tensor64 | null = null;
  if (bias) {
    const gb = new Float64Array(shape[1]);
    const plane = shape[2] * shape[3];
    for (let i = 0; i < g.length; i++) gb[Math.floor(i / plane) % shape[1]] += g[i];
    gradBias = { shape: [shape[1]], data: gb };
  }
  return {
    x: { shape: [...x.shape], data: gx },
    weight: { shape: [...weight.shape], data: gw },
    bias: gradBias,
  };
}

/**
 * conv2d forward: out[n, o, y, x] = bias[o] + Σ_{c in o's group, ky, kx}
 * x[n, c, y·sh − padTop + ky·dh, x·sw − padLeft + kx·dw] · w[o, c, ky, kx].
 */
export function conv2dForwardRef(x: Tensor64, weight: Tensor64, bias: Tensor64 | null, attrs: Conv2dAttrs): Tensor64 {
  const shape = conv2dOutputShape(x.shape, weight.shape, attrs, bias?.shape);
  return convForwardFromTaps(x, weight, bias, shape, (visit) => forEachTap(x.shape, weight.shape, shape, attrs, visit));
}

/**
 * conv2d backward for an upstream gradient `gradOut` shaped like the output: every forward
 * term x·w sends g·w to x and g·x to w; the bias gradient sums g over batch and space.
 */
export function conv2dBackwardRef(
  x: Tensor64,
  weight: Tensor64,
  bias: Tensor64 | null,
  attrs: Conv2dAttrs,
  gradOut: Tensor64,
): Conv2dGrads {
  const shape = conv2dOutputShape(x.shape, weight.shape, attrs, bias?.shape);
  assertShape('conv2d', 'grad_output', gradOut, shape);
  return convBackwardFromTaps(x, weight, bias, shape, gradOut.data, (visit) => forEachTap(x.shape, weight.shape, shape, attrs, visit));
}
