import type { Conv2dAttrs } from '../analysis/conv_shapes.ts';
import type { Tensor } from '../analysis/tensor.ts';
import { explanation, flatIndex, type NeuronExplanation, type NeuronTerm } from './explain_types.ts';

/**
 * The dot product behind conv2d output [n, oc, oy, ox]: one term per (input channel of the
 * group, ky, kx), padded positions listed with x = 0.
 */
export function explainConv2d(
  x: Tensor, weight: Tensor, bias: Tensor | null, output: Tensor, a: Conv2dAttrs, index: number[],
): NeuronExplanation {
  const out = flatIndex('conv2d', index, output.shape);
  const [n, oc, oy, ox] = index;
  const [, channels, height, width] = x.shape;
  const [outChannels, inPerGroup, kh, kw] = weight.shape;
  const firstIn = Math.floor(oc / (outChannels / a.groups)) * inPerGroup;
  const terms: NeuronTerm[] = [];
  for (let ic = 0; ic < inPerGroup; ic++) {
    const c = firstIn + ic;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const iy = oy * a.stride[0] + ky * a.dilation[0] - a.padTop;
        const ix = ox * a.stride[1] + kx * a.dilation[1] - a.padLeft;
        const padded = iy < 0 || iy >= height || ix < 0 || ix >= width;
        const w = weight.data[((oc * inPerGroup + ic) * kh + ky) * kw + kx];
        const xv = padded ? 0 : x.data[((n * channels + c) * height + iy) * width + ix];
        terms.push({ input_index: padded ? null : [n, c, iy, ix], padded, weight_index: [oc, ic, ky, kx], x: xv, w, product: xv * w });
      }
    }
  }
  return explanation('conv2d', index, terms, bias ? bias.data[oc] : null, output.data[out]);
}
