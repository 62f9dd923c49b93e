/**
 * Float64 CPU reference for `F.conv_transpose2d` (x [N, C_in, H, W], weight
 * [C_in, C_out/groups, kh, kw]) and its gradients, written as the scatter it is defined by:
 * every input element x[n, c, i, j] adds x·w[c, o, ky, kx] into
 * out[n, group·C_out/groups + o, i·sh − ph + ky·dh, j·sw − pw + kx·dw].
 */
import type { Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';
import { convBackwardFromTaps, convForwardFromTaps, type Conv2dGrads } from './conv2d.ts';

/** conv_transpose2d attributes, each a [height, width] pair (groups a number). */
export interface ConvTranspose2dRefAttrs {
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** Output shape [N, C_out, H_out, W_out] with H_out = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1. */
export function convTranspose2dShapeRef(xShape: readonly number[], wShape: readonly number[], a: ConvTranspose2dRefAttrs): number[] {
  const size = (i: number) => (xShape[2 + i] - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (wShape[2 + i] - 1) + a.outputPadding[i] + 1;
  return [xShape[0], wShape[1] * a.groups, size(0), size(1)];
}

/** Calls visit(xi, wi, oi) for every term x[xi]·w[wi] that adds into out[oi] (taps outside the output skipped). */
function forEachTap(xShape: readonly number[], wShape: readonly number[], outShape: readonly number[], a: ConvTranspose2dRefAttrs, visit: (xi: number, wi: number, oi: number) => void): void {
  const [n, cIn, h, w] = xShape;
  const [, cg, kh, kw] = wShape;
  const [, cOut, oh, ow] = outShape;
  const inPerGroup = cIn / a.groups;
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < cIn; c++) {
      const firstOut = Math.floor(c / inPerGroup) * cg;
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const xi = ((b * cIn + c) * h + i) * w + j;
          for (let o = 0; o < cg; o++) {
            const outPlane = (b * cOut + firstOut + o) * oh;
            for (let ky = 0; ky < kh; ky++) {
              const y = i * a.stride[0] - a.padding[0] + ky * a.dilation[0];
              if (y < 0 || y >= oh) continue;
              for (let kx = 0; kx < kw; kx++) {
                const x = j * a.stride[1] - a.padding[1] + kx * a.dilation[1];
                if (x < 0 || x >= ow) continue;
                visit(xi, ((c * cg + o) * kh + ky) * kw + kx, (outPlane + y) * ow + x);
              }
            }
          }
        }
      }
    }
  }
}

/** conv_transpose2d forward (bias added per output channel). */
export function convTranspose2dForwardRef(x: Tensor64, weight: Tensor64, bias: Tensor64 | null, a: ConvTranspose2dRefAttrs): Tensor64 {
  const shape = convTranspose2dShapeRef(x.shape, weight.shape, a);
  if (bias) assertShape('conv_transpose2d', 'bias', bias, [shape[1]]);
  return convForwardFromTaps(x, weight, bias, shape, (visit) => forEachTap(x.shape, weight.shape, shape, a, visit));
}

/** conv_transpose2d backward: every forward term sends g·w to x and g·x to w; bias sums g per channel. */
export function convTranspose2dBackwardRef(x: Tensor64, weight: Tensor64, bias: Tensor64 | null, a: ConvTranspose2dRefAttrs, gradOut: Tensor64): Conv2dGrads {
  const shape = convTranspose2dShapeRef(x.shape, weight.shape, a);
  assertShape('conv_transpose2d', 'grad_output', gradOut, shape);
  return convBackwardFromTaps(x, weight, bias, shape, gradOut.data, (visit) => forEachTap(x.shape, weight.shape, shape, a, visit));
}
