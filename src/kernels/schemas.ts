import * as d from 'typegpu/data';

/**
 * Every kernel's uniform `Params` struct, in one place. Each WGSL file declares the same
 * struct; `test/kernels/schemas.test.ts` checks the two agree field by field.
 */

/** conv2d forward and both backward passes. */
export const Conv2dParams = d.struct({
  batch: d.u32, inChannels: d.u32, inHeight: d.u32, inWidth: d.u32,
  outChannels: d.u32, outHeight: d.u32, outWidth: d.u32,
  kernelH: d.u32, kernelW: d.u32, strideH: d.u32, strideW: d.u32,
  padTop: d.u32, padLeft: d.u32, dilationH: d.u32, dilationW: d.u32,
  groups: d.u32, hasBias: d.u32,
});

/** Per-channel sum of a [outer, channels, inner] view. */
export const ChannelSumParams = d.struct({
  outer: d.u32, channels: d.u32, inner: d.u32,
});

/** max_pool2d forward and backward. */
export const MaxPool2dParams = d.struct({
  planes: d.u32, inHeight: d.u32, inWidth: d.u32, outHeight: d.u32, outWidth: d.u32,
  kernelH: d.u32, kernelW: d.u32, strideH: d.u32, strideW: d.u32,
  padH: d.u32, padW: d.u32, dilationH: d.u32, dilationW: d.u32,
});

/** avg_pool2d forward and backward; divisorOverride 0 means none. */
export const AvgPool2dParams = d.struct({
  planes: d.u32, inHeight: d.u32, inWidth: d.u32, outHeight: d.u32, outWidth: d.u32,
  kernelH: d.u32, kernelW: d.u32, strideH: d.u32, strideW: d.u32,
  padH: d.u32, padW: d.u32, countIncludePad: d.u32, divisorOverride: d.u32,
});

/** Strided matmul with optional bias. */
export const MatmulParams = d.struct({
  m: d.u32, n: d.u32, k: d.u32,
  aRowStride: d.u32, aColStride: d.u32, bRowStride: d.u32, bColStride: d.u32,
  hasBias: d.u32,
});

/** Elementwise kernels. */
export const ElementwiseParams = d.struct({
  count: d.u32,
});

/** Cross entropy rows, total and backward. */
export const CrossEntropyParams = d.struct({
  rows: d.u32, classes: d.u32, ignoreIndex: d.i32, scale: d.f32, perRowGrad: d.u32,
});
