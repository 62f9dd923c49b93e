import type { ModelSpec } from '../model_spec.ts';

/**
 * LeNet-5 (LeCun et al. 1998) on 28×28 MNIST digits padded to the original 32×32 by the first
 * conv: tanh activations and average pooling. 61,706 parameters.
 */
export function lenet5(): ModelSpec {
  return {
    name: 'lenet5',
    input: [1, 1, 28, 28],
    layers: [
      { type: 'Conv2d', name: 'conv1', in_channels: 1, out_channels: 6, kernel_size: 5, padding: 2 },
      { type: 'Tanh', name: 'act1' },
      { type: 'AvgPool2d', name: 'pool1', kernel_size: 2 },
      { type: 'Conv2d', name: 'conv2', in_channels: 6, out_channels: 16, kernel_size: 5 },
      { type: 'Tanh', name: 'act2' },
      { type: 'AvgPool2d', name: 'pool2', kernel_size: 2 },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Linear', name: 'fc1', in_features: 16 * 5 * 5, out_features: 120 },
      { type: 'Tanh', name: 'act3' },
      { type: 'Linear', name: 'fc2', in_features: 120, out_features: 84 },
      { type: 'Tanh', name: 'act4' },
      { type: 'Linear', name: 'fc3', in_features: 84, out_features: 10 },
    ],
  };
}
