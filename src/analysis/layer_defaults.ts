import { COMPOSITES, CONTAINER_TYPES, LAYER_RULES } from './layers/index.ts';
import type { LayerSpec } from './model_spec.ts';

/**
 * Constructor arguments of every layer type with PyTorch's defaults, for forms that build
 * layers (the builder page). `start` is the value a new layer gets for a required argument.
 */

/** One constructor argument. */
export interface ArgDefault {
  name: string;
  /** PyTorch's default; undefined when the argument is required. */
  default?: unknown;
  /** Value of a required argument in a freshly added layer. */
  start?: unknown;
  /** Allowed values of a string argument. */
  choices?: readonly string[];
}

const req = (name: string, start: unknown): ArgDefault => ({ name, start });
const opt = (name: string, value: unknown, choices?: readonly string[]): ArgDefault => ({ name, default: value, ...(choices ? { choices } : {}) });
const inplace = opt('inplace', false);
const NORM = [req('num_features', 16), opt('eps', 1e-5), opt('momentum', 0.1), opt('affine', true), opt('track_running_stats', true)];
const RECURRENT = [req('input_size', 16), req('hidden_size', 32), opt('num_layers', 1), opt('bias', true), opt('batch_first', false), opt('dropout', 0), opt('bidirectional', false)];
const CONV_TAIL = [opt('groups', 1), opt('bias', true), opt('dilation', 1), opt('padding_mode', 'zeros', ['zeros', 'reflect', 'replicate', 'circular'])];

/** Arguments by layer type, in PyTorch's constructor order. */
export const LAYER_ARG_DEFAULTS: Record<string, ArgDefault[]> = {
  Conv2d: [req('in_channels', 3), req('out_channels', 16), req('kernel_size', 3), opt('stride', 1), opt('padding', 0), ...CONV_TAIL],
  ConvTranspose2d: [req('in_channels', 16), req('out_channels', 8), req('kernel_size', 2), opt('stride', 1), opt('padding', 0), opt('output_padding', 0), ...CONV_TAIL],
  Linear: [req('in_features', 64), req('out_features', 10), opt('bias', true)],
  Embedding: [req('num_embeddings', 1000), req('embedding_dim', 64), opt('padding_idx', null), opt('max_norm', null), opt('norm_type', 2), opt('scale_grad_by_freq', false), opt('sparse', false)],
  BatchNorm1d: NORM,
  BatchNorm2d: NORM,
  LayerNorm: [req('normalized_shape', 64), opt('eps', 1e-5), opt('elementwise_affine', true), opt('bias', true)],
  GroupNorm: [req('num_groups', 4), req('num_channels', 16), opt('eps', 1e-5), opt('affine', true)],
  ReLU: [inplace],
  ReLU6: [inplace],
  LeakyReLU: [opt('negative_slope', 0.01), inplace],
  ELU: [opt('alpha', 1), inplace],
  GELU: [opt('approximate', 'none', ['none', 'tanh'])],
  SiLU: [inplace],
  Sigmoid: [],
  Tanh: [],
  Softmax: [req('dim', 1)],
  LogSoftmax: [req('dim', 1)],
  Identity: [],
  Dropout: [opt('p', 0.5), inplace],
  Dropout2d: [opt('p', 0.5), inplace],
  MaxPool2d: [req('kernel_size', 2), opt('stride', null), opt('padding', 0), opt('dilation', 1), opt('return_indices', false), opt('ceil_mode', false)],
  AvgPool2d: [req('kernel_size', 2), opt('stride', null), opt('padding', 0), opt('ceil_mode', false), opt('count_include_pad', true), opt('divisor_override', null)],
  AdaptiveAvgPool2d: [req('output_size', [1, 1])],
  Flatten: [opt('start_dim', 1), opt('end_dim', -1)],
  Select: [req('dim', 1), req('index', 0)],
  Reshape: [req('shape', [1, -1])],
  Mean: [req('dim', 1), opt('keepdim', false)],
  Add: [],
  Mul: [],
  Concat: [opt('dim', 0)],
  MatMul: [],
  RNN: [...RECURRENT, opt('nonlinearity', 'tanh', ['tanh', 'relu'])],
  LSTM: [...RECURRENT, opt('proj_size', 0)],
  GRU: RECURRENT,
  MultiheadAttention: [req('embed_dim', 64), req('num_heads', 4), opt('dropout', 0), opt('bias', true), opt('add_bias_kv', false), opt('add_zero_attn', false), opt('kdim', null), opt('vdim', null), opt('batch_first', false)],
  PatchTokens: [req('embed_dim', 64), opt('class_token', true), opt('position_embedding', true)],
  GCNConv: [req('in_channels', 16), req('out_channels', 16), opt('improved', false), opt('cached', false), opt('add_self_loops', true), opt('normalize', true), opt('bias', true)],
  GATConv: [req('in_channels', 16), req('out_channels', 16), opt('heads', 1), opt('concat', true), opt('negative_slope', 0.2), opt('dropout', 0), opt('add_self_loops', true), opt('bias', true)],
  SAGEConv: [req('in_channels', 16), req('out_channels', 16), opt('aggr', 'mean', ['mean', 'max', 'sum']), opt('normalize', false), opt('root_weight', true), opt('project', false), opt('bias', true)],
  TransformerEncoderLayer: [req('d_model', 64), req('nhead', 4), opt('dim_feedforward', 2048), opt('dropout', 0.1), opt('activation', 'relu', ['relu', 'gelu']), opt('layer_norm_eps', 1e-5), opt('batch_first', false), opt('norm_first', false), opt('bias', true)],
  PatchEmbedding: [opt('in_channels', 3), req('embed_dim', 64), req('patch_size', 16), opt('class_token', true), opt('position_embedding', true), opt('bias', true)],
  Sequential: [],
  Residual: [],
};

/**
 * The arguments of a type: the table above, or (for a type added to LAYER_RULES later) the
 * rule's argument names with no stated defaults.
 */
export function argDefaults(type: string): ArgDefault[] {
  // Own keys only: a type named "constructor" has no arguments, not Object.prototype's.
  if (Object.hasOwn(LAYER_ARG_DEFAULTS, type)) return LAYER_ARG_DEFAULTS[type];
  return ((Object.hasOwn(LAYER_RULES, type) ? LAYER_RULES[type].args : undefined) ?? []).map((name) => ({ name }));
}

/** Layer types a builder palette offers: containers, every rule, the composites that take flat arguments. */
export function paletteTypes(): string[] {
  return [...CONTAINER_TYPES, ...Object.keys(LAYER_RULES), ...Object.keys(COMPOSITES).filter((t) => t !== 'TransformerEncoder')];
}

/** A new layer of a type with its required arguments at their starting values (containers get one Identity child). */
export function newLayer(type: string): LayerSpec {
  if (type === 'Sequential') return { type, layers: [{ type: 'Identity' }] };
  if (type === 'Residual') return { type, body: [{ type: 'Identity' }] };
  const layer: LayerSpec = { type };
  for (const a of argDefaults(type)) if (a.default === undefined && a.start !== undefined) layer[a.name] = a.start;
  return layer;
}
