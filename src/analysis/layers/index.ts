import * as act from './activation.ts';
import { multiheadAttention } from './attention.ts';
import { COMPOSITES, patchTokens } from './composite.ts';
import { conv2d, convTranspose2d } from './conv.ts';
import { gatConv, gcnConv, sageConv } from './gnn.ts';
import { embedding, linear } from './linear.ts';
import { rmsNorm, rotaryEmbedding, scaledDotProductAttention } from './llama.ts';
import { add, concat, matmul, mul } from './merge.ts';
import { moe } from './moe.ts';
import { batchNorm1d, batchNorm2d, groupNorm, layerNorm } from './norm.ts';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from './pool.ts';
import { permute } from './permute.ts';
import { gru, lstm, rnn } from './recurrent.ts';
import { flatten, mean, reshape, select } from './shape.ts';
import type { LayerRule } from './types.ts';

export { COMPOSITES };
export type { LayerRule, LayerOutcome, InputInfo, TensorDecl, SavedDecl, ValueKind, RuleContext, NestedAnalysis } from './types.ts';

/** Shape and cost rules of the leaf layer types, by PyTorch module name. */
export const LAYER_RULES: Record<string, LayerRule> = {
  Conv2d: conv2d,
  ConvTranspose2d: convTranspose2d,
  Linear: linear,
  Embedding: embedding,
  BatchNorm1d: batchNorm1d,
  BatchNorm2d: batchNorm2d,
  LayerNorm: layerNorm,
  GroupNorm: groupNorm,
  ReLU: act.relu,
  ReLU6: act.relu6,
  LeakyReLU: act.leakyRelu,
  ELU: act.elu,
  GELU: act.gelu,
  SiLU: act.silu,
  Sigmoid: act.sigmoid,
  Tanh: act.tanh,
  Softmax: act.softmax,
  LogSoftmax: act.logSoftmax,
  Identity: act.identity,
  Dropout: act.dropout1,
  Dropout2d: act.dropout2d,
  MaxPool2d: maxPool2d,
  AvgPool2d: avgPool2d,
  AdaptiveAvgPool2d: adaptiveAvgPool2d,
  Flatten: flatten,
  Select: select,
  Reshape: reshape,
  Permute: permute,
  Mean: mean,
  Add: add,
  Mul: mul,
  Concat: concat,
  MatMul: matmul,
  RNN: rnn,
  LSTM: lstm,
  GRU: gru,
  MultiheadAttention: multiheadAttention,
  PatchTokens: patchTokens,
  RMSNorm: rmsNorm,
  RotaryEmbedding: rotaryEmbedding,
  ScaledDotProductAttention: scaledDotProductAttention,
  MoE: moe,
  GCNConv: gcnConv,
  GATConv: gatConv,
  SAGEConv: sageConv,
};

/** Container types the graph walker handles itself. */
export const CONTAINER_TYPES = ['Sequential', 'Residual'] as const;

/** Every layer type a spec may use. */
export function knownLayerTypes(): string[] {
  return [...CONTAINER_TYPES, ...Object.keys(COMPOSITES), ...Object.keys(LAYER_RULES)];
}
