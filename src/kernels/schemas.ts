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

/** Strided matmul with optional bias and split-K. */
export const MatmulParams = d.struct({
  m: d.u32, n: d.u32, k: d.u32,
  aRowStride: d.u32, aColStride: d.u32, bRowStride: d.u32, bColStride: d.u32, cRowStride: d.u32,
  hasBias: d.u32, kPerSplit: d.u32, splits: d.u32, alpha: d.f32, batch2: d.u32,
  aOffset: d.u32, aStride1: d.u32, aStride2: d.u32,
  bOffset: d.u32, bStride1: d.u32, bStride2: d.u32,
  cOffset: d.u32, cStride1: d.u32, cStride2: d.u32, cSplitStride: d.u32,
});

/** Elementwise kernels. */
export const ElementwiseParams = d.struct({
  count: d.u32,
});

/** Cross entropy rows, total and backward. */
export const CrossEntropyParams = d.struct({
  rows: d.u32, classes: d.u32, ignoreIndex: d.i32, scale: d.f32, perRowGrad: d.u32,
});

/** Graph aggregation over a CSR (graph_spmm.wgsl: aggregate, combine). */
export const GraphSpmmParams = d.struct({
  nodes: d.u32, width: d.u32, headDim: d.u32, hasBias: d.u32, accumulate: d.u32,
});

/** Graph degrees and per-message coefficients (graph_norm.wgsl); mode 0 GCN, 1 mean, 2 ones. */
export const GraphNormParams = d.struct({
  nodes: d.u32, messages: d.u32, mode: d.u32,
});

/** GATConv attention forward and backward (gat.wgsl). */
export const GatParams = d.struct({
  nodes: d.u32, messages: d.u32, heads: d.u32, channels: d.u32, negativeSlope: d.f32, hasBias: d.u32,
});

/**
 * batch_norm, layer_norm, group_norm: statistics groups and affine parameters over one view
 * of x (see shaders/norm.wgsl); training 1 means the statistics came from x itself.
 */
export const NormParams = d.struct({
  total: d.u32, statOuter: d.u32, statGroups: d.u32, statInner: d.u32,
  chunkSize: d.u32, chunks: d.u32, affCount: d.u32, affInner: d.u32,
  hasWeight: d.u32, hasBias: d.u32, training: d.u32, eps: d.f32, momentum: d.f32,
});

/** rnn, lstm, gru steps; cell 0 rnn tanh, 1 rnn relu, 2 lstm, 3 gru; step is the time step t. */
export const RecurrentParams = d.struct({
  steps: d.u32, batch: d.u32, hidden: d.u32, step: d.u32, cell: d.u32, hasBias: d.u32,
});

/** Roofline microbenchmarks: FMA loop length and element (vec4) count. */
export const RooflineParams = d.struct({
  iterations: d.u32, count: d.u32,
});

/** Elementwise activations (activation.wgsl): kind 0 tanh, 1 sigmoid, 2 gelu, 3 silu, 4 leaky_relu, 5 gelu tanh, 6 relu6, 7 elu; slope is leaky_relu's slope or elu's alpha. */
export const ActivationParams = d.struct({
  count: d.u32, kind: d.u32, slope: d.f32,
});

/** Mean squared error (mse.wgsl); scale 1/count for "mean", 1 for "sum". */
export const MseParams = d.struct({
  count: d.u32, scale: d.f32,
});

/** SGD (with momentum) and Adam steps (optimizer.wgsl), PyTorch's hyper-parameters. */
export const OptimizerParams = d.struct({
  count: d.u32, lr: d.f32, momentum: d.f32, dampening: d.f32, weightDecay: d.f32, nesterov: d.u32, firstStep: d.u32,
  beta1: d.f32, beta2: d.f32, eps: d.f32, bias1: d.f32, bias2: d.f32,
});

/** Tensor statistics for gradient flow (tensor_stats.wgsl): an [outer, channels, inner] view, output offset, outside-range bounds. */
export const TensorStatsParams = d.struct({
  outer: d.u32, channels: d.u32, inner: d.u32, offset: d.u32, lo: d.f32, hi: d.f32,
});

/** Embedding lookup and its deterministic scatter-add backward (embedding.wgsl); paddingIdx −1 means none. */
export const EmbeddingParams = d.struct({
  positions: d.u32, vocab: d.u32, dim: d.u32, paddingIdx: d.i32,
});

/** ViT patch tokens (patch_tokens.wgsl): [N, D, P] patches → [N, P + hasClass, D] tokens. */
export const PatchTokensParams = d.struct({
  batch: d.u32, dim: d.u32, patches: d.u32, hasClass: d.u32, hasPos: d.u32,
});

/** Seeded dropout (dropout.wgsl): one mask draw per group of `inner` elements, keep = 1 − p, scale = 1/(1 − p). */
export const DropoutParams = d.struct({
  count: d.u32, inner: d.u32, seed: d.u32, keep: d.f32, scale: d.f32,
});

/** Attention's row kernels (attention.wgsl: softmax_forward, softmax_backward, gather_heads). */
export const AttentionParams = d.struct({
  rows: d.u32, queries: d.u32, keys: d.u32, batch2: d.u32, causal: d.u32,
  mask1Mode: d.u32, mask1Stride1: d.u32, mask1Stride2: d.u32, mask1Row: d.u32, mask1Col: d.u32,
  mask2Mode: d.u32, mask2Stride1: d.u32, mask2Stride2: d.u32, mask2Row: d.u32, mask2Col: d.u32,
  width: d.u32, srcOffset: d.u32, srcStride1: d.u32, srcStride2: d.u32, srcRow: d.u32,
});

/** Fused attention (attention_fused.wgsl): dims, scale, the q/k/v/output views, up to two masks. */
export const FusedAttentionParams = d.struct({
  rows: d.u32, queries: d.u32, keys: d.u32, dim: d.u32, valueDim: d.u32, batch2: d.u32, causal: d.u32, scale: d.f32,
  qOffset: d.u32, qStride1: d.u32, qStride2: d.u32, qRow: d.u32,
  kOffset: d.u32, kStride1: d.u32, kStride2: d.u32, kRow: d.u32,
  vOffset: d.u32, vStride1: d.u32, vStride2: d.u32, vRow: d.u32,
  oOffset: d.u32, oStride1: d.u32, oStride2: d.u32, oRow: d.u32,
  mask1Mode: d.u32, mask1Stride1: d.u32, mask1Stride2: d.u32, mask1Row: d.u32, mask1Col: d.u32,
  mask2Mode: d.u32, mask2Stride1: d.u32, mask2Stride2: d.u32, mask2Row: d.u32, mask2Col: d.u32,
});

/** softmax / log_softmax over an [outer, size, inner] view (softmax.wgsl); naive skips the max subtraction. */
export const SoftmaxParams = d.struct({
  outer: d.u32, size: d.u32, inner: d.u32, log: d.u32, naive: d.u32,
});

/** Strided gather/scatter over a view of up to 6 dimensions (size0 follows from count). */
export const StridedCopyParams = d.struct({
  count: d.u32, offset: d.i32, scale: d.f32,
  size1: d.u32, size2: d.u32, size3: d.u32, size4: d.u32, size5: d.u32,
  stride0: d.i32, stride1: d.i32, stride2: d.i32, stride3: d.i32, stride4: d.i32, stride5: d.i32,
});

/** torch.mean over kept and reduced views of up to 4 dimensions each. */
export const ReduceMeanParams = d.struct({
  count: d.u32, reduced: d.u32, scale: d.f32,
  keep1: d.u32, keep2: d.u32, keep3: d.u32,
  kstride0: d.u32, kstride1: d.u32, kstride2: d.u32, kstride3: d.u32,
  red1: d.u32, red2: d.u32, red3: d.u32,
  rstride0: d.u32, rstride1: d.u32, rstride2: d.u32, rstride3: d.u32,
});

/** adaptive_avg_pool2d forward and backward. */
export const AdaptiveAvgPool2dParams = d.struct({
  planes: d.u32, inHeight: d.u32, inWidth: d.u32, outHeight: d.u32, outWidth: d.u32,
});

/** A loss-landscape point's weights θ + α·d1 + β·d2 (landscape_combine.wgsl). */
export const LandscapeCombineParams = d.struct({
  count: d.u32, alpha: d.f32, beta: d.f32,
});

/** Fake quantization over an [outer, channels, inner] view (fake_quantize.wgsl); the code range as f32. */
export const FakeQuantizeParams = d.struct({
  count: d.u32, channels: d.u32, inner: d.u32, quantMin: d.f32, quantMax: d.f32,
});

/** MoE router (softmax, top-k, renormalized gates, per-expert counts, load-balancing loss) and the per-expert dispatch (moe.wgsl); `rows` and `expert` for the dispatch entries. */
export const MoeParams = d.struct({
  tokens: d.u32, experts: d.u32, topK: d.u32, features: d.u32, auxCoef: d.f32, rows: d.u32, expert: d.u32,
});
