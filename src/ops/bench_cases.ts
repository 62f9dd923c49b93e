import type { BenchCase } from './bench.ts';

/** Forward and backward cases of one conv2d layer. */
function conv(name: string, x: number[], weight: number[], attrs: Record<string, unknown>): BenchCase[] {
  return [false, true].map((backward) => ({ name: `${name}${backward ? ' +bwd' : ''}`, op: 'conv2d', attrs, shapes: { x, weight }, backward }));
}

/**
 * One Conv2d → BatchNorm2d (eval) → ReLU two ways: unfused (conv2d, batch_norm, relu: three ops)
 * and fused (the BatchNorm folded into the conv's weight and bias, one implicit-GEMM dispatch
 * with the ReLU in its epilogue). Forward only: folding is for inference.
 */
function convBnRelu(name: string, x: number[], weight: number[], attrs: Record<string, unknown>): BenchCase[] {
  const c = [weight[0]];
  return [
    { name: `conv+bn+relu unfused ${name}`, op: 'conv_bn_relu2d', attrs, shapes: { x, weight, bn_weight: c, bn_bias: c, running_mean: c, running_var: c }, backward: false },
    { name: `conv+bn+relu fused ${name}`, op: 'conv2d_relu', attrs, shapes: { x, weight, bias: c }, backward: false },
  ];
}

function recurrent(op: 'lstm' | 'gru', gates: number): BenchCase {
  const [t, n, i, h] = [32, 32, 256, 256];
  const shapes: Record<string, number[]> = {
    x: [t, n, i], h0: [1, n, h], weight_ih: [gates * h, i], weight_hh: [gates * h, h], bias_ih: [gates * h], bias_hh: [gates * h],
  };
  if (op === 'lstm') shapes.c0 = [1, n, h];
  return { name: `${op} T=${t} N=${n} I=${i} H=${h} +bwd`, op, attrs: {}, shapes, backward: true };
}

const GRAPH_NODES = 100_000;
const GRAPH_EDGES = 1_000_000;
const FEATURES = 64;

/**
 * The built-in set: every ResNet-18 conv layer shape at 224×224 (forward, and forward +
 * backward, whose kernels split into input and weight gradients), pooling, norms, recurrent
 * and graph layers at realistic sizes.
 */
export const BUILTIN_CASES: BenchCase[] = [
  ...conv('resnet18 conv1 7×7/2 3→64 @224', [1, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 }),
  ...conv('resnet18 layer1 3×3 64→64 @56', [1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }),
  ...conv('resnet18 layer2.0 3×3/2 64→128 @56', [1, 64, 56, 56], [128, 64, 3, 3], { stride: 2, padding: 1 }),
  ...conv('resnet18 layer2 3×3 128→128 @28', [1, 128, 28, 28], [128, 128, 3, 3], { padding: 1 }),
  ...conv('resnet18 layer2.0 downsample 1×1/2 64→128 @56', [1, 64, 56, 56], [128, 64, 1, 1], { stride: 2 }),
  ...conv('resnet18 layer3.0 3×3/2 128→256 @28', [1, 128, 28, 28], [256, 128, 3, 3], { stride: 2, padding: 1 }),
  ...conv('resnet18 layer3 3×3 256→256 @14', [1, 256, 14, 14], [256, 256, 3, 3], { padding: 1 }),
  ...conv('resnet18 layer3.0 downsample 1×1/2 128→256 @28', [1, 128, 28, 28], [256, 128, 1, 1], { stride: 2 }),
  ...conv('resnet18 layer4.0 3×3/2 256→512 @14', [1, 256, 14, 14], [512, 256, 3, 3], { stride: 2, padding: 1 }),
  ...conv('resnet18 layer4 3×3 512→512 @7', [1, 512, 7, 7], [512, 512, 3, 3], { padding: 1 }),
  ...conv('resnet18 layer4.0 downsample 1×1/2 256→512 @14', [1, 256, 14, 14], [512, 256, 1, 1], { stride: 2 }),
  ...convBnRelu('resnet18 layer1 3×3 64→64 @56', [1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }),
  ...convBnRelu('resnet18 layer2 3×3 128→128 @28', [1, 128, 28, 28], [128, 128, 3, 3], { padding: 1 }),
  ...convBnRelu('resnet18 layer3 3×3 256→256 @14', [1, 256, 14, 14], [256, 256, 3, 3], { padding: 1 }),
  ...convBnRelu('fashion_cnn layer1 3×3 16→16 @28 batch 64', [64, 16, 28, 28], [16, 16, 3, 3], { padding: 1 }),
  ...convBnRelu('resnet50 layer1.0 conv1 1×1 64→64 @56', [1, 64, 56, 56], [64, 64, 1, 1], {}),
  { name: 'max_pool2d 3×3/2 [1,64,112,112] +bwd', op: 'max_pool2d', attrs: { kernel_size: 3, stride: 2, padding: 1 }, shapes: { x: [1, 64, 112, 112] }, backward: true },
  { name: 'avg_pool2d 3×3/2 [1,64,112,112] +bwd', op: 'avg_pool2d', attrs: { kernel_size: 3, stride: 2, padding: 1 }, shapes: { x: [1, 64, 112, 112] }, backward: true },
  { name: 'linear 512×512×512 +bwd', op: 'linear', attrs: {}, shapes: { x: [512, 512], weight: [512, 512], bias: [512] }, backward: true },
  { name: 'relu [1,64,112,112] +bwd', op: 'relu', attrs: {}, shapes: { x: [1, 64, 112, 112] }, backward: true },
  { name: 'cross_entropy [256,1000] +bwd', op: 'cross_entropy', attrs: {}, shapes: { logits: [256, 1000], target: [256] }, backward: true },
  { name: 'batch_norm [8,64,32,32] +bwd', op: 'batch_norm', attrs: { training: true }, shapes: { x: [8, 64, 32, 32], weight: [64], bias: [64], running_mean: [64], running_var: [64] }, backward: true },
  { name: 'layer_norm [8,64,32,32] over [64,32,32] +bwd', op: 'layer_norm', attrs: { normalized_shape: [64, 32, 32] }, shapes: { x: [8, 64, 32, 32], weight: [64, 32, 32], bias: [64, 32, 32] }, backward: true },
  { name: 'group_norm [8,64,32,32] 8 groups +bwd', op: 'group_norm', attrs: { num_groups: 8 }, shapes: { x: [8, 64, 32, 32], weight: [64], bias: [64] }, backward: true },
  recurrent('lstm', 4),
  recurrent('gru', 3),
  { name: `gcn V=100k E=1M ${FEATURES}→${FEATURES} +bwd`, op: 'gcn', attrs: {}, shapes: { x: [GRAPH_NODES, FEATURES], edge_index: [2, GRAPH_EDGES], weight: [FEATURES, FEATURES], bias: [FEATURES] }, backward: true },
  { name: `gat V=100k E=1M ${FEATURES}→4×16 +bwd`, op: 'gat', attrs: { heads: 4 }, shapes: { x: [GRAPH_NODES, FEATURES], edge_index: [2, GRAPH_EDGES], weight: [64, FEATURES], att_src: [1, 4, 16], att_dst: [1, 4, 16], bias: [64] }, backward: true },
  { name: `sage V=100k E=1M ${FEATURES}→${FEATURES} +bwd`, op: 'sage', attrs: {}, shapes: { x: [GRAPH_NODES, FEATURES], edge_index: [2, GRAPH_EDGES], weight_l: [FEATURES, FEATURES], bias_l: [FEATURES], weight_r: [FEATURES, FEATURES] }, backward: true },
  { name: 'scaled_dot_product_attention [4,3,197,64] (ViT-tiny) +bwd', op: 'scaled_dot_product_attention', attrs: {}, shapes: { q: [4, 3, 197, 64], k: [4, 3, 197, 64], v: [4, 3, 197, 64] }, backward: true },
  { name: 'scaled_dot_product_attention causal [8,4,128,32] +bwd', op: 'scaled_dot_product_attention', attrs: { is_causal: true }, shapes: { q: [8, 4, 128, 32], k: [8, 4, 128, 32], v: [8, 4, 128, 32] }, backward: true },
  { name: 'scaled_dot_product_attention small [2,2,5,4] +bwd', op: 'scaled_dot_product_attention', attrs: {}, shapes: { q: [2, 2, 5, 4], k: [2, 2, 5, 4], v: [2, 2, 5, 4] }, backward: true },
  { name: 'multi_head_attention ViT-tiny [1,197,192] 3 heads +bwd', op: 'multi_head_attention', attrs: { num_heads: 3 }, shapes: { x: [1, 197, 192], in_proj_weight: [576, 192], in_proj_bias: [576], out_proj_weight: [192, 192], out_proj_bias: [192] }, backward: true },
  { name: 'softmax [256,1000] dim -1 +bwd', op: 'softmax', attrs: { dim: -1 }, shapes: { x: [256, 1000] }, backward: true },
  { name: 'log_softmax [35,20,33278] dim -1 (word-level LM logits) +bwd', op: 'log_softmax', attrs: { dim: -1 }, shapes: { x: [35, 20, 33278] }, backward: true },
  { name: 'softmax [64,128,8] dim 1 (strided rows) +bwd', op: 'softmax', attrs: { dim: 1 }, shapes: { x: [64, 128, 8] }, backward: true },
  { name: 'softmax [65536,10] dim -1 (short rows) +bwd', op: 'softmax', attrs: { dim: -1 }, shapes: { x: [65536, 10] }, backward: true },
  { name: 'embedding [33278,200] indices [35,20] +bwd', op: 'embedding', attrs: {}, shapes: { weight: [33278, 200], indices: [35, 20] }, backward: true },
  { name: 'gelu tanh [1,64,112,112] +bwd', op: 'gelu', attrs: { approximate: 'tanh' }, shapes: { x: [1, 64, 112, 112] }, backward: true },
];
