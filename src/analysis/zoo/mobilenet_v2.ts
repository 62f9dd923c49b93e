import type { LayerSpec, ModelSpec } from '../model_spec.ts';

/** Conv2dNormActivation: Conv2d (no bias) → BatchNorm2d → ReLU6, "same"-style padding (k − 1) / 2. */
function convBnRelu6(name: string, inCh: number, outCh: number, k: number, stride: number, groups = 1): LayerSpec {
  return {
    type: 'Sequential', name, layers: [
      { type: 'Conv2d', in_channels: inCh, out_channels: outCh, kernel_size: k, stride, padding: (k - 1) / 2, groups, bias: false },
      { type: 'BatchNorm2d', num_features: outCh },
      { type: 'ReLU6', inplace: true },
    ],
  };
}

/**
 * InvertedResidual(inp, oup, stride, expand_ratio): 1×1 expansion (unless t = 1), 3×3 depthwise,
 * 1×1 linear projection + BatchNorm; a residual sum when stride = 1 and inp = oup.
 */
function invertedResidual(name: string, inp: number, oup: number, stride: number, t: number): LayerSpec {
  const hidden = Math.round(inp * t);
  const conv: LayerSpec[] = [];
  if (t !== 1) conv.push(convBnRelu6(String(conv.length), inp, hidden, 1, 1));
  conv.push(convBnRelu6(String(conv.length), hidden, hidden, 3, stride, hidden));
  conv.push(
    { type: 'Conv2d', in_channels: hidden, out_channels: oup, kernel_size: 1, bias: false },
    { type: 'BatchNorm2d', num_features: oup },
  );
  const body: LayerSpec = { type: 'Sequential', name: 'conv', layers: conv };
  return stride === 1 && inp === oup ? { type: 'Residual', name, body: [body] } : { type: 'Sequential', name, layers: [body] };
}

/** torchvision.models.mobilenet_v2: 3,504,872 parameters, 0.30 GMACs at 224×224. */
export function mobilenetV2(): ModelSpec {
  // t (expansion), c (channels), n (repeats), s (first stride)
  const settings = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  const features: LayerSpec[] = [convBnRelu6('0', 3, 32, 3, 2)];
  let inCh = 32;
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) {
      features.push(invertedResidual(String(features.length), inCh, c, i === 0 ? s : 1, t));
      inCh = c;
    }
  }
  features.push(convBnRelu6(String(features.length), inCh, 1280, 1, 1));
  return {
    name: 'mobilenet_v2',
    input: [1, 3, 224, 224],
    layers: [
      { type: 'Sequential', name: 'features', layers: features },
      { type: 'AdaptiveAvgPool2d', name: 'avgpool', output_size: [1, 1] },
      { type: 'Flatten', name: 'flatten', start_dim: 1 },
      { type: 'Sequential', name: 'classifier', layers: [{ type: 'Dropout', p: 0.2 }, { type: 'Linear', in_features: 1280, out_features: 1000 }] },
    ],
  };
}
