import { InputError } from './errors.ts';
import { formatShape } from './tensor.ts';

/** A PyTorch int-or-pair attribute, as `F.conv2d` and `F.max_pool2d` accept it. */
export type IntOrPair = number | [number, number] | number[];

/** Normalized `conv2d` attributes. Padding is per side: "same" can pad more at the bottom/right. */
export interface Conv2dAttrs {
  stride: [number, number];
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  dilation: [number, number];
  groups: number;
}

/** Normalized `max_pool2d` / `avg_pool2d` attributes. */
export interface Pool2dAttrs {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
  countIncludePad: boolean;
  divisorOverride: number | null;
}

/** The largest size or step an attribute may have: the kernels compute indices in 32 bits. */
const INT32_MAX = 2 ** 31 - 1;

/** Reads an int-or-pair attribute, checking it is a whole number in [min, 2^31 − 1]. */
export function pairAttr(op: string, name: string, value: unknown, fallback: [number, number], min: number): [number, number] {
  if (value === undefined || value === null) return fallback;
  const arr = typeof value === 'number' ? [value, value] : Array.isArray(value) ? value : null;
  if (!arr || (arr.length !== 1 && arr.length !== 2) || arr.some((v) => typeof v !== 'number' || !Number.isInteger(v))) {
    throw new InputError(`${op}: ${name} must be an integer or a pair of integers, got ${JSON.stringify(value)}`);
  }
  const pair: [number, number] = arr.length === 1 ? [arr[0], arr[0]] : [arr[0], arr[1]];
  if (pair[0] < min || pair[1] < min) {
    throw new InputError(`${op}: ${name} must be >= ${min}, got ${JSON.stringify(value)}`);
  }
  if (pair[0] > INT32_MAX || pair[1] > INT32_MAX) throw new InputError(`${op}: ${name} must be at most ${INT32_MAX} (the kernels index with 32-bit integers), got ${JSON.stringify(value)}`);
  return pair;
}

function intAttr(op: string, name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > INT32_MAX) {
    throw new InputError(`${op}: ${name} must be an integer in [${min}, ${INT32_MAX}], got ${JSON.stringify(value)}`);
  }
  return value;
}

function boolAttr(op: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new InputError(`${op}: ${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** Rejects attribute names the op does not know, so a typo is not silently ignored. */
export function checkAttrNames(op: string, attrs: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(attrs)) {
    if (!known.includes(key)) throw new InputError(`${op}: unknown attribute "${key}" (known: ${known.join(', ')})`);
  }
}

/**
 * Normalizes `F.conv2d` attributes (stride, padding as int, pair, "same" or "valid", dilation,
 * groups) for a weight of spatial size kh×kw.
 */
export function normalizeConv2dAttrs(attrs: Record<string, unknown>, kh: number, kw: number): Conv2dAttrs {
  checkAttrNames('conv2d', attrs, ['stride', 'padding', 'dilation', 'groups']);
  const stride = pairAttr('conv2d', 'stride', attrs.stride, [1, 1], 1);
  const dilation = pairAttr('conv2d', 'dilation', attrs.dilation, [1, 1], 1);
  const groups = intAttr('conv2d', 'groups', attrs.groups, 1, 1);
  const padding = attrs.padding;
  if (padding === 'valid') return { stride, dilation, groups, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 };
  if (padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new InputError(`conv2d: padding="same" needs stride 1 (as in PyTorch), got stride ${formatShape(stride)}`);
    }
    const totalH = dilation[0] * (kh - 1);
    const totalW = dilation[1] * (kw - 1);
    return {
      stride, dilation, groups,
      padTop: Math.floor(totalH / 2), padBottom: totalH - Math.floor(totalH / 2),
      padLeft: Math.floor(totalW / 2), padRight: totalW - Math.floor(totalW / 2),
    };
  }
  if (typeof padding === 'string') throw new InputError(`conv2d: padding must be an int, a pair, "same" or "valid", got "${padding}"`);
  const [ph, pw] = pairAttr('conv2d', 'padding', padding, [0, 0], 0);
  return { stride, dilation, groups, padTop: ph, padBottom: ph, padLeft: pw, padRight: pw };
}

/** One spatial output size of a convolution: floor((in + pads - dilation·(k−1) − 1) / stride) + 1. */
export function convOutputSize(size: number, padBefore: number, padAfter: number, kernel: number, stride: number, dilation: number): number {
  return Math.floor((size + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * Output shape of `conv2d` for input [N, C, H, W] and weight [O, C/groups, kh, kw], with a
 * one-line error naming the numbers when the configuration is impossible.
 */
export function conv2dOutputShape(x: readonly number[], w: readonly number[], a: Conv2dAttrs, bias?: readonly number[]): number[] {
  if (x.length !== 4) throw new InputError(`conv2d: x must be 4-D [N, C, H, W], got shape ${formatShape(x)}`);
  if (w.length !== 4) throw new InputError(`conv2d: weight must be 4-D [out, in/groups, kh, kw], got shape ${formatShape(w)}`);
  const [n, c, h, wd] = x;
  const [o, cg, kh, kw] = w;
  if ([n, c, h, wd, o, cg, kh, kw].some((v) => v < 1)) {
    throw new InputError(`conv2d: every dimension must be >= 1, got x ${formatShape(x)} and weight ${formatShape(w)}`);
  }
  if (c % a.groups !== 0) throw new InputError(`conv2d: in_channels ${c} is not divisible by groups ${a.groups}`);
  if (o % a.groups !== 0) throw new InputError(`conv2d: out_channels ${o} is not divisible by groups ${a.groups}`);
  if (cg !== c / a.groups) {
    throw new InputError(`conv2d: weight ${formatShape(w)} expects ${cg}×${a.groups} = ${cg * a.groups} input channels (in/groups × groups), but x ${formatShape(x)} has ${c}`);
  }
  if (bias && (bias.length !== 1 || bias[0] !== o)) {
    throw new InputError(`conv2d: bias must have shape [${o}] (out_channels), got ${formatShape(bias)}`);
  }
  const oh = convOutputSize(h, a.padTop, a.padBottom, kh, a.stride[0], a.dilation[0]);
  const ow = convOutputSize(wd, a.padLeft, a.padRight, kw, a.stride[1], a.dilation[1]);
  if (oh < 1 || ow < 1) {
    const effH = a.dilation[0] * (kh - 1) + 1;
    const effW = a.dilation[1] * (kw - 1) + 1;
    throw new InputError(
      `conv2d: kernel ${effH}×${effW} (dilated) is larger than the padded input ${h + a.padTop + a.padBottom}×${wd + a.padLeft + a.padRight}: ` +
        `out = floor((${h} + ${a.padTop + a.padBottom} - ${effH}) / ${a.stride[0]}) + 1 = ${oh}, floor((${wd} + ${a.padLeft + a.padRight} - ${effW}) / ${a.stride[1]}) + 1 = ${ow}`,
    );
  }
  return [n, o, oh, ow];
}

/** Normalizes `F.max_pool2d` (isMax) or `F.avg_pool2d` attributes. */
export function normalizePool2dAttrs(op: 'max_pool2d' | 'avg_pool2d', attrs: Record<string, unknown>): Pool2dAttrs {
  const known = op === 'max_pool2d'
    ? ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode']
    : ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'];
  checkAttrNames(op, attrs, known);
  if (attrs.kernel_size === undefined) throw new InputError(`${op}: attribute kernel_size is required`);
  const kernel = pairAttr(op, 'kernel_size', attrs.kernel_size, [1, 1], 1);
  const stride = Array.isArray(attrs.stride) && attrs.stride.length === 0 ? kernel : pairAttr(op, 'stride', attrs.stride, kernel, 1);
  const padding = pairAttr(op, 'padding', attrs.padding, [0, 0], 0);
  const dilation = pairAttr(op, 'dilation', attrs.dilation, [1, 1], 1);
  const ceilMode = boolAttr(op, 'ceil_mode', attrs.ceil_mode, false);
  const countIncludePad = boolAttr(op, 'count_include_pad', attrs.count_include_pad, true);
  let divisorOverride: number | null = null;
  if (attrs.divisor_override !== undefined && attrs.divisor_override !== null) {
    divisorOverride = intAttr(op, 'divisor_override', attrs.divisor_override, 1, 1);
  }
  for (let i = 0; i < 2; i++) {
    if (padding[i] * 2 > kernel[i]) {
      throw new InputError(`${op}: padding ${padding[i]} must be at most half the kernel size ${kernel[i]} (PyTorch's rule: pad <= kernel_size / 2)`);
    }
  }
  return { kernel, stride, padding, dilation, ceilMode, countIncludePad, divisorOverride };
}

/** One spatial output size of a pooling window, with PyTorch's ceil_mode rule. */
export function poolOutputSize(size: number, kernel: number, stride: number, pad: number, dilation: number, ceilMode: boolean): number {
  const span = size + 2 * pad - dilation * (kernel - 1) - 1;
  let out = Math.floor((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  // In ceil mode the last window must start inside the input or the left padding.
  if (ceilMode && (out - 1) * stride >= size + pad) out -= 1;
  return out;
}

/** Output shape of a 2-D pool for input [N, C, H, W] (or [C, H, W]). */
export function pool2dOutputShape(op: string, x: readonly number[], a: Pool2dAttrs): number[] {
  if (x.length !== 4 && x.length !== 3) throw new InputError(`${op}: x must be [N, C, H, W] or [C, H, W], got shape ${formatShape(x)}`);
  if (x.some((v) => v < 1)) throw new InputError(`${op}: every dimension must be >= 1, got x ${formatShape(x)}`);
  const h = x[x.length - 2];
  const w = x[x.length - 1];
  const oh = poolOutputSize(h, a.kernel[0], a.stride[0], a.padding[0], a.dilation[0], a.ceilMode);
  const ow = poolOutputSize(w, a.kernel[1], a.stride[1], a.padding[1], a.dilation[1], a.ceilMode);
  if (oh < 1 || ow < 1) {
    throw new InputError(
      `${op}: kernel ${a.kernel[0]}×${a.kernel[1]} (dilation ${a.dilation[0]}×${a.dilation[1]}) is larger than the padded input ` +
        `${h + 2 * a.padding[0]}×${w + 2 * a.padding[1]}: output would be ${oh}×${ow}`,
    );
  }
  return [...x.slice(0, x.length - 2), oh, ow];
}

/**
 * One spatial output size of a transposed convolution (PyTorch's ConvTranspose2d):
 * (in − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1.
 */
export function convTransposeOutputSize(size: number, padding: number, kernel: number, stride: number, dilation: number, outputPadding: number): number {
  return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1;
}

/**
 * The output-size formula of a conv or pool along one axis with the numbers substituted,
 * step by step, as the UI shows it:
 * `H_out = ⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1 = ⌊(224 + 2·3 − 1·(7 − 1) − 1) / 2⌋ + 1 = ⌊223 / 2⌋ + 1 = 112`.
 * Unequal padding (padding="same" with an even kernel) shows both sides; ceil_mode shows ⌈⌉ and
 * PyTorch's rule that the last window must start inside the input or the left padding.
 */
export function outputSizeDerivation(
  axis: string, size: number, padBefore: number, padAfter: number, kernel: number, stride: number, dilation: number, ceilMode = false,
): string {
  const [lo, hi] = ceilMode ? ['⌈', '⌉'] : ['⌊', '⌋'];
  const symmetric = padBefore === padAfter;
  const formula = `${axis}_out = ${lo}(${axis} + ${symmetric ? '2P' : 'P_begin + P_end'} − D·(K − 1) − 1) / S${hi} + 1`;
  const pads = symmetric ? `2·${padBefore}` : `${padBefore} + ${padAfter}`;
  const numerator = size + padBefore + padAfter - dilation * (kernel - 1) - 1;
  const quotient = ceilMode ? Math.ceil(numerator / stride) : Math.floor(numerator / stride);
  let text = `${formula} = ${lo}(${size} + ${pads} − ${dilation}·(${kernel} − 1) − 1) / ${stride}${hi} + 1 = ${lo}${numerator} / ${stride}${hi} + 1 = ${quotient + 1}`;
  if (ceilMode && quotient * stride >= size + padBefore) {
    text += ` − 1 (the last window would start in the right padding) = ${quotient}`;
  }
  return text;
}

/** The transposed-convolution output-size formula along one axis with the numbers substituted. */
export function transposeOutputSizeDerivation(
  axis: string, size: number, padding: number, kernel: number, stride: number, dilation: number, outputPadding: number,
): string {
  const out = convTransposeOutputSize(size, padding, kernel, stride, dilation, outputPadding);
  return `${axis}_out = (${axis} − 1)·S − 2P + D·(K − 1) + OP + 1 = (${size} − 1)·${stride} − 2·${padding} + ${dilation}·(${kernel} − 1) + ${outputPadding} + 1 = ${out}`;
}
