import { formatBytes, formatCount } from './format.ts';
import { analyzeModel, type AnalyzeOptions, type LayerNode, type ModelGraph } from './graph.ts';
import { elementBytes, memoryPlan } from './memory.ts';
import { parseDType, type DType, type ModelSpec } from './model_spec.ts';
import { formatShape } from './tensor.ts';

/**
 * Design smells: structural choices that are legal but classic mistakes, found from the
 * analysed graph alone (no GPU). Each names the layer and the numbers behind the warning.
 */

/** The kinds of smell the analysis reports. */
export const DESIGN_SMELL_KINDS = [
  'param_concentration',
  'linear_after_flatten',
  'channel_loss',
  'deep_without_norm',
  'saturating_activation',
  'attention_memory',
] as const;
export type DesignSmellKind = (typeof DESIGN_SMELL_KINDS)[number];

/** One warning: which layer, a one-line message with the numbers, and the raw numbers. */
export interface DesignSmell {
  kind: DesignSmellKind;
  /** Dotted layer path (PyTorch's named_modules name). */
  layer: string;
  message: string;
  numbers: Record<string, number>;
}

/** Thresholds of the checks (exported so tests and the UI can state them). */
export const SMELL_THRESHOLDS = {
  /** One layer holding at least this share of all parameters… */
  paramShare: 0.5,
  /** …in a model with at least this many parameterized layers. */
  minParamLayers: 3,
  /** A Linear reading at least this many flattened features from a feature map… */
  flattenFeatures: 2048,
  /** …with at least this many spatial positions per channel. */
  flattenSpatial: 4,
  /** Weight layers in one stack from which it counts as deep. */
  deepWeightLayers: 10,
  /** Sigmoid/Tanh layers from which a stack of at least `saturatingStackWeightLayers` weight layers is flagged. */
  saturatingActivations: 3,
  saturatingStackWeightLayers: 6,
  /** Share of saved activation memory held by attention scores. */
  attentionScoreShare: 0.5,
} as const;

const WEIGHT_TYPES = new Set(['Linear', 'Conv2d', 'ConvTranspose2d', 'RNN', 'LSTM', 'GRU', 'MultiheadAttention', 'GCNConv', 'GATConv', 'SAGEConv']);
const NORM_TYPES = new Set(['BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'GroupNorm']);
const SKIP_TYPES = new Set(['Residual', 'Add', 'Concat']);
const PASS_THROUGH_TYPES = new Set(['Dropout', 'Dropout2d', 'Identity']);

function percent(share: number): string {
  return `${(100 * share).toFixed(1)}%`;
}

function paramConcentration(leaves: LayerNode[]): DesignSmell[] {
  // An Embedding table is a lookup (each step reads a few rows), so its size is not a smell.
  const withParams = leaves.filter((l) => l.paramCount > 0 && l.type !== 'Embedding');
  const total = withParams.reduce((s, l) => s + l.paramCount, 0);
  if (withParams.length < SMELL_THRESHOLDS.minParamLayers || total === 0) return [];
  const top = withParams.reduce((a, b) => (b.paramCount > a.paramCount ? b : a));
  const share = top.paramCount / total;
  if (share < SMELL_THRESHOLDS.paramShare) return [];
  return [{
    kind: 'param_concentration',
    layer: top.name,
    message: `${top.name} (${top.type}) holds ${formatCount(top.paramCount)} of the model's ${formatCount(total)} parameters (${percent(share)})`,
    numbers: { params: top.paramCount, total_params: total, share },
  }];
}

function linearAfterFlatten(g: ModelGraph): DesignSmell[] {
  const out: DesignSmell[] = [];
  g.layers.forEach((l, i) => {
    if (l.type !== 'Linear' || l.container) return;
    let j = i - 1;
    while (j >= 0 && (g.layers[j].container || PASS_THROUGH_TYPES.has(g.layers[j].type))) j--;
    const prev = g.layers[j];
    if (!prev || prev.type !== 'Flatten' || prev.inputShapes[0].length < 4) return;
    const [, c, ...spatialDims] = prev.inputShapes[0];
    const spatial = spatialDims.reduce((a, b) => a * b, 1);
    const inFeatures = l.inputShapes[0][l.inputShapes[0].length - 1];
    if (inFeatures < SMELL_THRESHOLDS.flattenFeatures || spatial < SMELL_THRESHOLDS.flattenSpatial) return;
    const outFeatures = l.outputShape[l.outputShape.length - 1];
    const hasBias = l.params.some((p) => p.name === 'bias');
    const pooledParams = c * outFeatures + (hasBias ? outFeatures : 0);
    out.push({
      kind: 'linear_after_flatten',
      layer: l.name,
      message: `${l.name} (Linear ${formatCount(inFeatures)} → ${formatCount(outFeatures)}) reads a flattened ${formatShape(prev.inputShapes[0].slice(1))} feature map: ${formatCount(l.paramCount)} parameters; global average pooling first would need ${formatCount(pooledParams)} (${(l.paramCount / pooledParams).toFixed(1)}× fewer)`,
      numbers: { in_features: inFeatures, out_features: outFeatures, channels: c, spatial, params: l.paramCount, params_after_global_pool: pooledParams },
    });
  });
  return out;
}

function channelLoss(leaves: LayerNode[]): DesignSmell[] {
  const out: DesignSmell[] = [];
  for (const l of leaves) {
    if (l.type !== 'Conv2d' || l.inputShapes[0].length !== 4) continue;
    const [, cIn, hIn, wIn] = l.inputShapes[0];
    const [, cOut, hOut, wOut] = l.outputShape;
    const reduction = (hIn * wIn) / (hOut * wOut);
    if (reduction <= 1 || cOut >= cIn) continue;
    const valuesRatio = (cIn * hIn * wIn) / (cOut * hOut * wOut);
    out.push({
      kind: 'channel_loss',
      layer: l.name,
      message: `${l.name} (Conv2d) downsamples ${hIn}×${wIn} → ${hOut}×${wOut} (${reduction.toFixed(1)}× fewer positions) while cutting channels ${cIn} → ${cOut}: its output holds ${valuesRatio.toFixed(1)}× fewer values than its input`,
      numbers: { in_channels: cIn, out_channels: cOut, spatial_reduction: reduction, values_ratio: valuesRatio },
    });
  }
  return out;
}

function deepWithoutNorm(leaves: LayerNode[], all: LayerNode[]): DesignSmell[] {
  const weights = leaves.filter((l) => WEIGHT_TYPES.has(l.type));
  if (weights.length < SMELL_THRESHOLDS.deepWeightLayers) return [];
  if (all.some((l) => NORM_TYPES.has(l.type) || SKIP_TYPES.has(l.type))) return [];
  return [{
    kind: 'deep_without_norm',
    layer: weights[0].name,
    message: `${weights.length} weight layers in one stack with no normalization and no residual connection: the gradient reaching ${weights[0].name} passes through ${weights.length - 1} weight matrices unaided (vanishing or exploding)`,
    numbers: { weight_layers: weights.length, norm_layers: 0, residual_connections: 0 },
  }];
}

function saturatingActivations(leaves: LayerNode[]): DesignSmell[] {
  const weights = leaves.filter((l) => WEIGHT_TYPES.has(l.type)).length;
  const saturating = leaves.filter((l) => l.type === 'Sigmoid' || l.type === 'Tanh');
  if (saturating.length < SMELL_THRESHOLDS.saturatingActivations || weights < SMELL_THRESHOLDS.saturatingStackWeightLayers) return [];
  const sigmoids = saturating.filter((l) => l.type === 'Sigmoid').length;
  // σ'(x) ≤ 1/4 and tanh'(x) ≤ 1: the product bounds how much of the gradient can survive the chain.
  const maxGain = 0.25 ** sigmoids;
  return [{
    kind: 'saturating_activation',
    layer: saturating[0].name,
    message: `${saturating.length} saturating activations (${sigmoids} Sigmoid, ${saturating.length - sigmoids} Tanh) in a stack of ${weights} weight layers: their derivatives multiply the gradient by at most ${maxGain.toExponential(2)} (σ' ≤ 0.25, tanh' ≤ 1) before it reaches ${saturating[0].name}`,
    numbers: { activations: saturating.length, sigmoid: sigmoids, tanh: saturating.length - sigmoids, weight_layers: weights, max_gradient_gain: maxGain },
  }];
}

function attentionMemory(g: ModelGraph, dtype: DType): DesignSmell[] {
  const attention = g.layers.filter((l) => l.type === 'MultiheadAttention');
  if (attention.length === 0) return [];
  const plan = memoryPlan(g, dtype, 'sgd');
  const scoreBytes = (l: LayerNode): number => l.saved
    .filter((t) => t.what.startsWith('attention probabilities') || t.what.startsWith('attention dropout mask'))
    .reduce((s, t) => s + t.elements * elementBytes(t.kind, dtype), 0);
  const total = attention.reduce((s, l) => s + scoreBytes(l), 0);
  const saved = plan.saved_activation_bytes;
  if (saved === 0 || total / saved < SMELL_THRESHOLDS.attentionScoreShare) return [];
  const first = attention[0];
  // The attention rule states the query and key lengths in its note ("sequence L × S").
  const lengths = /sequence (\d+) × (\d+)/.exec(first.notes?.join(' ') ?? '');
  const seqLen = lengths ? Number(lengths[1]) : 0;
  return [{
    kind: 'attention_memory',
    layer: first.name,
    message: `attention scores of ${attention.length} MultiheadAttention layer(s) at sequence length ${formatCount(seqLen)} keep ${formatBytes(total)} for backward, ${percent(total / saved)} of all saved activations (${formatBytes(saved)}); they grow with the square of the length`,
    numbers: { sequence_length: seqLen, attention_layers: attention.length, score_bytes: total, saved_activation_bytes: saved, share: total / saved },
  }];
}

/** Design smells of an analysed graph (the element size of `dtype` sizes memory). */
export function graphDesignSmells(g: ModelGraph, dtype: DType = 'fp32'): DesignSmell[] {
  const leaves = g.layers.filter((l) => !l.container);
  return [
    ...paramConcentration(leaves),
    ...linearAfterFlatten(g),
    ...channelLoss(leaves),
    ...deepWithoutNorm(leaves, g.layers),
    ...saturatingActivations(leaves),
    ...attentionMemory(g, dtype),
  ];
}

/**
 * Design smells of a spec at an input shape (default: the spec's `input`): one layer holding
 * most parameters, a Linear after a large flatten, downsampling that cuts channels, a deep stack
 * without normalization or residuals, sigmoid/tanh in deep stacks, attention scores dominating memory.
 */
export function designSmells(spec: ModelSpec, input?: number[] | AnalyzeOptions): DesignSmell[] {
  const opts: AnalyzeOptions = Array.isArray(input) ? { input } : (input ?? {});
  const dtype = parseDType(spec.dtype ?? 'fp32', 'dtype');
  return graphDesignSmells(analyzeModel(spec, opts), dtype);
}

/** The "warnings" block of `nnx summary`'s text report; empty when there is nothing to say. */
export function formatDesignSmells(smells: DesignSmell[]): string {
  if (smells.length === 0) return '';
  return ['Warnings (design smells):', ...smells.map((s) => `  [${s.kind}] ${s.message}`)].join('\n');
}
