/**
 * Conv2d + BatchNorm2d (eval) folding, as torch.nn.utils.fusion.fuse_conv_bn_eval computes it,
 * and the search for Conv2d → BatchNorm2d (→ ReLU) chains in a ModelSpec. Pure float64, no GPU.
 */
import { InputError } from './errors.ts';
import type { LayerSpec, ModelSpec } from './model_spec.ts';
import { formatShape, numel, type Tensor64 } from './tensor.ts';

/** BatchNorm2d's eval-mode parameters: γ and β are null without `affine` (γ = 1, β = 0). */
export interface BatchNormEval {
  weight: ArrayLike<number> | null;
  bias: ArrayLike<number> | null;
  runningMean: ArrayLike<number>;
  runningVar: ArrayLike<number>;
  eps: number;
}

/**
 * Folds an eval-mode BatchNorm into the conv before it: with s = γ / sqrt(var + eps) per output
 * channel, w' = w · s and b' = (b − mean) · s + β (b = 0 when the conv has no bias), so
 * conv(x, w', b') = bn(conv(x, w, b)) exactly in real arithmetic.
 */
export function foldConvBn(weight: Tensor64, bias: ArrayLike<number> | null, bn: BatchNormEval): { weight: Tensor64; bias: Tensor64 } {
  if (weight.shape.length !== 4) throw new InputError(`fuse: conv weight must be 4-D [out, in/groups, kh, kw], got ${formatShape(weight.shape)}`);
  const out = weight.shape[0];
  const check = (name: string, v: ArrayLike<number> | null) => {
    if (v && v.length !== out) throw new InputError(`fuse: ${name} has ${v.length} values, the conv has ${out} output channels`);
  };
  check('conv bias', bias);
  check('bn weight', bn.weight);
  check('bn bias', bn.bias);
  check('running_mean', bn.runningMean);
  check('running_var', bn.runningVar);
  if (!(bn.eps > 0)) throw new InputError(`fuse: eps must be > 0, got ${bn.eps}`);
  const per = numel(weight.shape) / out;
  const folded = new Float64Array(weight.data.length);
  const foldedBias = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    const variance = bn.runningVar[o];
    if (!(variance + bn.eps > 0)) throw new InputError(`fuse: running_var[${o}] = ${variance} makes var + eps = ${variance + bn.eps}, which has no square root`);
    const scale = (bn.weight ? bn.weight[o] : 1) / Math.sqrt(variance + bn.eps);
    for (let i = o * per; i < (o + 1) * per; i++) folded[i] = weight.data[i] * scale;
    foldedBias[o] = ((bias ? bias[o] : 0) - bn.runningMean[o]) * scale + (bn.bias ? bn.bias[o] : 0);
  }
  return { weight: { shape: [...weight.shape], data: folded }, bias: { shape: [out], data: foldedBias } };
}

/** One Conv2d → BatchNorm2d (→ ReLU) chain, by the layers' dotted paths (PyTorch's named_modules). */
export interface ConvBnChain {
  conv: string;
  bn: string;
  /** null when the BatchNorm's output goes elsewhere than a ReLU. */
  relu: string | null;
  convLayer: LayerSpec;
  bnLayer: LayerSpec;
}

function readsOnly(layer: LayerSpec, key: string): boolean {
  return layer.inputs === undefined || (layer.inputs.length === 1 && layer.inputs[0] === key);
}

/**
 * Every Conv2d directly followed by a BatchNorm2d over its channels in the same layer list
 * (the ReLU after it joins the chain), where nothing else reads the conv's output (nor, for the
 * ReLU, the BatchNorm's), so folding changes no other layer's input.
 */
export function findConvBnChains(spec: ModelSpec): ConvBnChain[] {
  const chains: ConvBnChain[] = [];
  const walk = (layers: LayerSpec[], parent: string) => {
    const keys = layers.map((l, i) => l.id ?? l.name ?? String(i));
    const readers = (key: string) => layers.filter((l) => l.inputs?.includes(key)).length;
    layers.forEach((layer, i) => {
      const path = parent ? `${parent}.${layer.name ?? layer.id ?? String(i)}` : (layer.name ?? layer.id ?? String(i));
      if (layer.type === 'Sequential' && Array.isArray(layer.layers)) walk(layer.layers as LayerSpec[], path);
      if (layer.type === 'Residual' && Array.isArray(layer.body)) walk(layer.body as LayerSpec[], path);
      const next = layers[i + 1];
      if (layer.type !== 'Conv2d' || next?.type !== 'BatchNorm2d' || !readsOnly(next, keys[i]) || readers(keys[i]) > (next.inputs ? 1 : 0)) return;
      if (next.num_features !== layer.out_channels) return;
      const after = layers[i + 2];
      const relu = after?.type === 'ReLU' && readsOnly(after, keys[i + 1]) && readers(keys[i + 1]) === (after.inputs ? 1 : 0);
      const name = (j: number) => (parent ? `${parent}.` : '') + (layers[j].name ?? layers[j].id ?? String(j));
      chains.push({ conv: path, bn: name(i + 1), relu: relu ? name(i + 2) : null, convLayer: layer, bnLayer: next });
    });
  };
  walk(spec.layers, '');
  return chains;
}
