/**
 * Float64 CPU references for `F.max_pool2d` and `F.avg_pool2d` and their gradients, on
 * [N, C, H, W] or [C, H, W] inputs. Every leading dimension is a separate H×W plane.
 */
import { pool2dOutputShape, type Pool2dAttrs } from '../conv_shapes.ts';
import { InputError } from '../errors.ts';
import { numel, type Tensor, type Tensor64 } from '../tensor.ts';
import { assertShape } from './check.ts';

/** Max pool output with, per output element, the flat index h·W + w of its maximum in the input plane. */
export interface MaxPool2dResult {
  output: Tensor64;
  indices: Tensor<Int32Array>;
}

/** Sizes a 2-D pool loops over: `planes` = product of the leading dimensions. */
interface PoolGeometry {
  outShape: number[];
  planes: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
}

/** Output shape and loop sizes of a 2-D pool over `shape`, with the shape checks of conv_shapes. */
function poolGeometry(op: string, shape: readonly number[], a: Pool2dAttrs): PoolGeometry {
  const outShape = pool2dOutputShape(op, shape, a);
  const r = shape.length;
  return { outShape, planes: numel(shape.slice(0, r - 2)), h: shape[r - 2], w: shape[r - 1], oh: outShape[r - 2], ow: outShape[r - 1] };
}

/**
 * max_pool2d forward. Window taps start at (oy·sh − ph, ox·sw − pw) and step by the dilation;
 * padded taps count as −inf and are never chosen. Taps are scanned row by row and a later tap
 * wins only if strictly greater (or NaN), so ties go to the first maximum, as in PyTorch.
 */
export function maxPool2dForwardRef(x: Tensor64, attrs: Pool2dAttrs): MaxPool2dResult {
  const { outShape, planes, h, w, oh, ow } = poolGeometry('max_pool2d', x.shape, attrs);
  const [kh, kw] = attrs.kernel;
  const out = new Float64Array(numel(outShape));
  const idx = new Int32Array(out.length);
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let best = -Infinity;
        let bestIdx = -1;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * attrs.stride[0] - attrs.padding[0] + ky * attrs.dilation[0];
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * attrs.stride[1] - attrs.padding[1] + kx * attrs.dilation[1];
            if (ix < 0 || ix >= w) continue;
            const v = x.data[(p * h + iy) * w + ix];
            if (bestIdx < 0 || v > best || Number.isNaN(v)) {
              best = v;
              bestIdx = iy * w + ix;
            }
          }
        }
        const oi = (p * oh + oy) * ow + ox;
        out[oi] = best;
        idx[oi] = bestIdx;
      }
    }
  }
  return { output: { shape: outShape, data: out }, indices: { shape: [...outShape], data: idx } };
}

/** max_pool2d backward: each output's gradient goes to the input element its index names. */
export function maxPool2dBackwardRef(x: Tensor64, attrs: Pool2dAttrs, gradOut: Tensor64): Tensor64 {
  const { indices } = maxPool2dForwardRef(x, attrs);
  const { h, w, oh, ow } = poolGeometry('max_pool2d', x.shape, attrs);
  assertShape('max_pool2d', 'grad_output', gradOut, indices.shape);
  const gx = new Float64Array(x.data.length);
  for (let oi = 0; oi < gradOut.data.length; oi++) {
    // A window all in padding (output -inf) has no input element to send its gradient to.
    if (indices.data[oi] < 0) continue;
    const plane = Math.floor(oi / (oh * ow));
    gx[plane * h * w + indices.data[oi]] += gradOut.data[oi];
  }
  return { shape: [...x.shape], data: gx };
}

/** One avg_pool2d window along one axis: the clamped input range and the padded length. */
interface AvgSpan {
  start: number;
  end: number;
  padded: number;
}

/**
 * PyTorch's avg_pool2d window along one axis: start = o·s − p, end = min(start + k, size + p),
 * padded = end − start (the count_include_pad length), then start and end are clamped to the input.
 */
function avgSpan(o: number, size: number, kernel: number, stride: number, pad: number): AvgSpan {
  const start = o * stride - pad;
  const end = Math.min(start + kernel, size + pad);
  return { start: Math.max(start, 0), end: Math.min(end, size), padded: end - start };
}

/**
 * Calls `visit(plane, oi, ys, xs, divisor)` for each avg_pool2d output with its clamped window.
 * divisor = divisor_override ?? (count_include_pad ? padded area : clamped area). An empty
 * window (only possible at the far edge in ceil mode) is skipped, its output stays 0 as in PyTorch.
 */
function forEachAvgWindow(
  g: PoolGeometry,
  a: Pool2dAttrs,
  visit: (plane: number, oi: number, ys: AvgSpan, xs: AvgSpan, divisor: number) => void,
): void {
  if (a.dilation[0] !== 1 || a.dilation[1] !== 1) throw new InputError('avg_pool2d: dilation is not an avg_pool2d attribute; it must be 1');
  for (let p = 0; p < g.planes; p++) {
    for (let oy = 0; oy < g.oh; oy++) {
      const ys = avgSpan(oy, g.h, a.kernel[0], a.stride[0], a.padding[0]);
      for (let ox = 0; ox < g.ow; ox++) {
        const xs = avgSpan(ox, g.w, a.kernel[1], a.stride[1], a.padding[1]);
        if (ys.start >= ys.end || xs.start >= xs.end) continue;
        const area = a.countIncludePad ? ys.padded * xs.padded : (ys.end - ys.start) * (xs.end - xs.start);
        visit(p, (p * g.oh + oy) * g.ow + ox, ys, xs, a.divisorOverride ?? area);
      }
    }
  }
}

/** avg_pool2d forward: the sum of the clamped window divided by PyTorch's divisor. */
export function avgPool2dForwardRef(x: Tensor64, attrs: Pool2dAttrs): Tensor64 {
  const geo = poolGeometry('avg_pool2d', x.shape, attrs);
  const out = new Float64Array(numel(geo.outShape));
  forEachAvgWindow(geo, attrs, (p, oi, ys, xs, divisor) => {
    let sum = 0;
    for (let iy = ys.start; iy < ys.end; iy++) {
      for (let ix = xs.start; ix < xs.end; ix++) sum += x.data[(p * geo.h + iy) * geo.w + ix];
    }
    out[oi] = sum / divisor;
  });
  return { shape: geo.outShape, data: out };
}

/** avg_pool2d backward: each output's gradient / divisor goes to every element of its clamped window. */
export function avgPool2dBackwardRef(x: Tensor64, attrs: Pool2dAttrs, gradOut: Tensor64): Tensor64 {
  const geo = poolGeometry('avg_pool2d', x.shape, attrs);
  assertShape('avg_pool2d', 'grad_output', gradOut, geo.outShape);
  const gx = new Float64Array(x.data.length);
  forEachAvgWindow(geo, attrs, (p, oi, ys, xs, divisor) => {
    const share = gradOut.data[oi] / divisor;
    for (let iy = ys.start; iy < ys.end; iy++) {
      for (let ix = xs.start; ix < xs.end; ix++) gx[(p * geo.h + iy) * geo.w + ix] += share;
    }
  });
  return { shape: [...x.shape], data: gx };
}
