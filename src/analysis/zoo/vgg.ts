import type { LayerSpec, ModelSpec } from '../model_spec.ts';

/** torchvision's VGG configuration "D" (vgg16, no batch norm): channels, "M" = max pool. */
const CFG_D: (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];

/** torchvision.models.vgg16: 138,357,544 parameters, 15.47 GMACs at 224×224. */
export function vgg16(): ModelSpec {
  const features: LayerSpec[] = [];
  let inCh = 3;
  for (const v of CFG_D) {
    if (v === 'M') {
      features.push({ type: 'MaxPool2d', kernel_size: 2, stride: 2 });
    } else {
      features.push({ type: 'Conv2d', in_channels: inCh, out_channels: v, kernel_size: 3, padding: 1 }, { type: 'ReLU', inplace: true });
      inCh = v;
    }
  }
  return {
    name: 'vgg16',
    input: [1, 3, 224, 224],
    layers: [
      { type: 'Sequential', name: 'features', layers: features },
      { type: 'AdaptiveAvgPool2d', name: 'avgpool', output_size: [7, 7] },
      { type: 'Flatten', name: 'flatten', start_dim: 1 },
      {
        type: 'Sequential', name: 'classifier', layers: [
          { type: 'Linear', in_features: 512 * 7 * 7, out_features: 4096 }, { type: 'ReLU', inplace: true }, { type: 'Dropout', p: 0.5 },
          { type: 'Linear', in_features: 4096, out_features: 4096 }, { type: 'ReLU', inplace: true }, { type: 'Dropout', p: 0.5 },
          { type: 'Linear', in_features: 4096, out_features: 1000 },
        ],
      },
    ],
  };
}
