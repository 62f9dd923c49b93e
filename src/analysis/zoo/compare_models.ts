import type { ModelSpec } from '../model_spec.ts';
import { basicBlock } from './resnet.ts';
import { vit } from './vit.ts';

/**
 * The comparison lab's pair for 1×28×28 images (Fashion-MNIST) and 10 classes: a CNN and a ViT
 * of about the same parameter count, both written with torchvision's module names.
 */

/**
 * A CIFAR-style ResNet-8 (He et al. 2016, §4.2, one block per stage): 3×3 stem conv 1→16,
 * BasicBlocks of 16, 32 (stride 2) and 64 (stride 2) channels at 28, 14 and 7 pixels,
 * global average pool, fc 64→10. 77,754 parameters.
 */
export function fashionCnn(): ModelSpec {
  return {
    name: 'fashion_cnn',
    input: [1, 1, 28, 28],
    layers: [
      { type: 'Conv2d', name: 'conv1', in_channels: 1, out_channels: 16, kernel_size: 3, padding: 1, bias: false },
      { type: 'BatchNorm2d', name: 'bn1', num_features: 16 },
      { type: 'ReLU', name: 'relu', inplace: true },
      { type: 'Sequential', name: 'layer1', layers: [basicBlock('0', 16, 16, 1)] },
      { type: 'Sequential', name: 'layer2', layers: [basicBlock('0', 16, 32, 2)] },
      { type: 'Sequential', name: 'layer3', layers: [basicBlock('0', 32, 64, 2)] },
      { type: 'AdaptiveAvgPool2d', name: 'avgpool', output_size: [1, 1] },
      { type: 'Flatten', name: 'flatten', start_dim: 1 },
      { type: 'Linear', name: 'fc', in_features: 64, out_features: 10 },
    ],
  };
}

/**
 * A ViT-Tiny-style VisionTransformer scaled to the CNN's size: 7×7 patches (16 + class token),
 * dim 48, depth 4, 3 heads as in ViT-Tiny, MLP 96. 79,690 parameters. With 4×4 patches (49 +
 * class token) it has the same count but a training step measured 5× slower on SwiftShader.
 */
export const fashionVit = (): ModelSpec => vit('fashion_vit', 7, 4, 3, 48, 96, 10, [1, 28]);
