/**
 * Exhibit "fc-after-conv": a VGG-style classifier that flattens its conv features straight into
 * a wide Linear, against global average pooling before the Linear. A small version trains one
 * step on the GPU (params, predicted and measured peak memory); VGG-16's 512×7×7 → 4096 layer
 * and a 3.2-billion-parameter variant are analysed without allocating them.
 */
import { graphDesignSmells } from '../../analysis/design_smells.ts';
import { analyzeModel } from '../../analysis/graph.ts';
import type { LayerSpec, ModelSpec } from '../../analysis/model_spec.ts';
import { buildSummary } from '../../analysis/summary.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { diagnoseSide, exhibitPair, type MuseumSide, type MuseumVerdict } from './exhibit.ts';

/** The conv trunk of the GPU-sized model: [N, 3, 28, 28] → [N, 48, 7, 7]. */
const TRUNK: LayerSpec[] = [
  { type: 'Conv2d', name: 'conv1', in_channels: 3, out_channels: 8, kernel_size: 3, padding: 1 },
  { type: 'ReLU', name: 'relu1' },
  { type: 'MaxPool2d', name: 'pool1', kernel_size: 2 },
  { type: 'Conv2d', name: 'conv2', in_channels: 8, out_channels: 48, kernel_size: 3, padding: 1 },
  { type: 'ReLU', name: 'relu2' },
  { type: 'MaxPool2d', name: 'pool2', kernel_size: 2 },
];

/** A classifier head on [N, C, H, W] features: flattened into `hidden` (broken) or averaged over H×W first (fixed). */
function head(channels: number, spatial: number, hidden: number, classes: number, globalPool: boolean): LayerSpec[] {
  return [
    ...(globalPool ? [{ type: 'AdaptiveAvgPool2d', name: 'gap', output_size: 1 }] : []),
    { type: 'Flatten', name: 'flatten' },
    { type: 'Linear', name: 'fc1', in_features: globalPool ? channels : channels * spatial, out_features: hidden },
    { type: 'ReLU', name: 'relu_fc' },
    { type: 'Linear', name: 'fc2', in_features: hidden, out_features: classes },
  ];
}

/** The GPU-sized pair (He init): conv features [48, 7, 7] into Linear(2352, 256), or pooled into Linear(48, 256). */
export function fcAfterConvSpec(globalPool: boolean): ModelSpec {
  return { name: globalPool ? 'conv_gap_fc' : 'conv_flatten_fc', input: [8, 3, 28, 28], layers: [...TRUNK, ...head(48, 49, 256, 10, globalPool)], init: 'kaiming_normal' };
}

/** A VGG-style classifier on [1, C, H, W] features: Linear(C·H·W or, pooled, C → hidden), ReLU, Linear(hidden, hidden), ReLU, Linear(hidden, 1000). */
function classifier(name: string, channels: number, side: number, hidden: number, globalPool: boolean): ModelSpec {
  return { name, input: [1, channels, side, side], layers: [
    ...head(channels, side * side, hidden, hidden, globalPool),
    { type: 'ReLU', name: 'relu_fc2' },
    { type: 'Linear', name: 'fc3', in_features: hidden, out_features: 1000 },
  ] };
}

/** Classifiers analysed only: VGG-16's (512×7×7 → 4096 → 4096 → 1000) and a 512×28×28 → 8192 one (3.29 billion parameters in fc1). */
export function analysedHeads(globalPool: boolean): ModelSpec[] {
  return [classifier('vgg16_classifier', 512, 7, 4096, globalPool), classifier('flatten_28x28_classifier', 512, 28, 8192, globalPool)];
}

interface ParamShare {
  model: string;
  params: number;
  /** The largest layer and its share of the parameters. */
  largest_layer: string;
  largest_layer_params: number;
  share: number;
  parameter_bytes: number;
  training_peak_bytes: number;
}

function paramShare(spec: ModelSpec): ParamShare {
  const s = buildSummary(spec, { optimizer: 'sgd' });
  const largest = s.layers.reduce((a, b) => (b.params > a.params ? b : a));
  return {
    model: spec.name ?? 'model', params: s.totals.params, largest_layer: largest.name, largest_layer_params: largest.params,
    share: largest.params / s.totals.params, parameter_bytes: s.memory.parameter_bytes, training_peak_bytes: s.memory.peak_bytes,
  };
}

/**
 * `param_explosion` where the analysis finds one layer holding most parameters and that layer is
 * a Linear whose size grows with the flattened feature map (so a larger input makes it larger).
 */
function paramVerdicts(spec: ModelSpec): MuseumVerdict[] {
  const smells = graphDesignSmells(analyzeModel(spec));
  const concentration = smells.find((s) => s.kind === 'param_concentration');
  const flatten = smells.find((s) => s.kind === 'linear_after_flatten' && s.layer === concentration?.layer);
  if (!concentration || !flatten) return [];
  return [{ kind: 'param_explosion', layer: concentration.layer, message: `${concentration.message}; ${flatten.message}` }];
}

async function side(rt: GpuRuntime, globalPool: boolean): Promise<MuseumSide> {
  const spec = fcAfterConvSpec(globalPool);
  const { side: run } = await diagnoseSide(rt, spec, 1, { optimizer: { type: 'sgd', lr: 0.01 } });
  return {
    spec,
    verdicts: [...paramVerdicts(spec), ...run.verdicts],
    evidence: {
      ...paramShare(spec),
      loss: run.evidence.loss,
      predicted_peak_bytes: run.evidence.predicted_peak_bytes,
      measured_peak_bytes: run.evidence.measured_peak_bytes,
      analysed: analysedHeads(globalPool).map((s) => ({ ...paramShare(s), verdicts: paramVerdicts(s) })),
    },
  };
}

export const fcAfterConv = exhibitPair('fc-after-conv', 'Fully connected layer after conv features',
  'Flattening a C×H×W feature map into a wide Linear gives that one layer most of the model: its weight grows with H·W. Global average pooling first makes the Linear read C features. Trained one step on the GPU at 48×7×7 → 256; VGG-16\'s 512×7×7 → 4096 and a 512×28×28 → 8192 variant (3.29 billion parameters) are analysed without allocating them.',
  side);
