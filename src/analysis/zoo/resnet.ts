import type { LayerSpec, ModelSpec } from '../model_spec.ts';

/**
 * torchvision's ResNet (v1.5: the stride sits on the 3×3 conv of the bottleneck), with its
 * module names: conv1, bn1, relu, maxpool, layer1…layer4 (blocks "0", "1", …), avgpool, fc.
 * Blocks are written in DAG form: the shortcut (`downsample` or the block input) and the
 * residual branch meet in an `Add`, then the block's `relu`.
 */

const conv = (name: string | undefined, inCh: number, outCh: number, k: number, stride: number, padding: number): LayerSpec => ({
  type: 'Conv2d', ...(name ? { name } : {}), in_channels: inCh, out_channels: outCh, kernel_size: k, stride, padding, bias: false,
});
const bn = (name: string | undefined, c: number): LayerSpec => ({ type: 'BatchNorm2d', ...(name ? { name } : {}), num_features: c });
const relu: LayerSpec = { type: 'ReLU', name: 'relu', inplace: true };

function block(name: string, inplanes: number, outplanes: number, stride: number, residual: LayerSpec[], last: string): LayerSpec {
  const layers = [...residual];
  if (stride !== 1 || inplanes !== outplanes) {
    layers.push({ type: 'Sequential', name: 'downsample', inputs: ['input'], layers: [conv(undefined, inplanes, outplanes, 1, stride, 0), bn(undefined, outplanes)] });
    layers.push({ type: 'Add', name: 'add', inputs: [last, 'downsample'] });
  } else {
    layers.push({ type: 'Add', name: 'add', inputs: [last, 'input'] });
  }
  layers.push(relu);
  return { type: 'Sequential', name, layers };
}

/** torchvision's BasicBlock (two 3×3 convs) with its 1×1 `downsample` when the shape changes. */
export function basicBlock(name: string, inplanes: number, planes: number, stride: number): LayerSpec {
  return block(name, inplanes, planes, stride, [
    conv('conv1', inplanes, planes, 3, stride, 1), bn('bn1', planes), relu,
    conv('conv2', planes, planes, 3, 1, 1), bn('bn2', planes),
  ], 'bn2');
}

function bottleneck(name: string, inplanes: number, planes: number, stride: number): LayerSpec {
  return block(name, inplanes, planes * 4, stride, [
    conv('conv1', inplanes, planes, 1, 1, 0), bn('bn1', planes), relu,
    conv('conv2', planes, planes, 3, stride, 1), bn('bn2', planes), relu,
    conv('conv3', planes, planes * 4, 1, 1, 0), bn('bn3', planes * 4),
  ], 'bn3');
}

function resnet(name: string, kind: 'basic' | 'bottleneck', blocks: number[]): ModelSpec {
  const expansion = kind === 'basic' ? 1 : 4;
  const layers: LayerSpec[] = [
    conv('conv1', 3, 64, 7, 2, 3), bn('bn1', 64), relu,
    { type: 'MaxPool2d', name: 'maxpool', kernel_size: 3, stride: 2, padding: 1 },
  ];
  let inplanes = 64;
  blocks.forEach((count, stage) => {
    const planes = 64 * 2 ** stage;
    const stageLayers: LayerSpec[] = [];
    for (let i = 0; i < count; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      stageLayers.push(kind === 'basic' ? basicBlock(String(i), inplanes, planes, stride) : bottleneck(String(i), inplanes, planes, stride));
      inplanes = planes * expansion;
    }
    layers.push({ type: 'Sequential', name: `layer${stage + 1}`, layers: stageLayers });
  });
  layers.push(
    { type: 'AdaptiveAvgPool2d', name: 'avgpool', output_size: [1, 1] },
    { type: 'Flatten', name: 'flatten', start_dim: 1 },
    { type: 'Linear', name: 'fc', in_features: 512 * expansion, out_features: 1000 },
  );
  return { name, input: [1, 3, 224, 224], layers };
}

/** torchvision.models.resnet18: 11,689,512 parameters, 1.81 GMACs at 224×224. */
export const resnet18 = (): ModelSpec => resnet('resnet18', 'basic', [2, 2, 2, 2]);
/** torchvision.models.resnet50: 25,557,032 parameters, 4.09 GMACs at 224×224. */
export const resnet50 = (): ModelSpec => resnet('resnet50', 'bottleneck', [3, 4, 6, 3]);
