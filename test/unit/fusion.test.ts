/**
 * Conv2d + BatchNorm2d folding against torch.nn.utils.fusion.fuse_conv_bn_eval
 * (test/fixtures/generate_fusion.py), the folded conv run through the float64 conv2d reference
 * against PyTorch's conv → bn(eval) → relu, and the chain search on zoo and hand-made specs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { normalizeConv2dAttrs } from '../../src/analysis/conv_shapes.ts';
import { findConvBnChains, foldConvBn } from '../../src/analysis/fusion.ts';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { conv2dForwardRef } from '../../src/analysis/reference/conv2d.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';

interface Tensor { shape: number[]; data: number[] }
interface FusionCase {
  name: string;
  conv: { kernel_size: number[]; stride: number[]; padding: number[]; dilation: number[]; groups: number; bias: boolean };
  bn: { eps: number; affine: boolean };
  relu: boolean;
  inputs: Record<string, Tensor>;
  expected: { folded_weight: Tensor; folded_bias: Tensor; output: Tensor };
}

const cases: FusionCase[] = JSON.parse(readFileSync(new URL('../fixtures/fusion_cases.json', import.meta.url), 'utf8'));

function fold(c: FusionCase) {
  const i = c.inputs;
  return foldConvBn({ shape: i.weight.shape, data: Float64Array.from(i.weight.data) }, i.bias?.data ?? null, {
    weight: i.bn_weight?.data ?? null, bias: i.bn_bias?.data ?? null, runningMean: i.running_mean.data, runningVar: i.running_var.data, eps: c.bn.eps,
  });
}

/** max |a − e| / (1e-12 + max |e|). */
function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1e-12;
  for (let k = 0; k < expected.length; k++) {
    diff = Math.max(diff, Math.abs(actual[k] - expected[k]));
    scale = Math.max(scale, Math.abs(expected[k]));
  }
  return diff / scale;
}

describe('foldConvBn matches fuse_conv_bn_eval', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const folded = fold(c);
    expect(folded.weight.shape).toEqual(c.expected.folded_weight.shape);
    // The fixture keeps 9 significant digits.
    expect(relError(folded.weight.data, c.expected.folded_weight.data)).toBeLessThan(1e-8);
    expect(relError(folded.bias.data, c.expected.folded_bias.data)).toBeLessThan(1e-8);
    const attrs = normalizeConv2dAttrs({ stride: c.conv.stride, padding: c.conv.padding, dilation: c.conv.dilation, groups: c.conv.groups }, c.conv.kernel_size[0], c.conv.kernel_size[1]);
    const y = conv2dForwardRef({ shape: c.inputs.x.shape, data: Float64Array.from(c.inputs.x.data) }, folded.weight, folded.bias, attrs);
    const out = c.relu ? y.data.map((v) => Math.max(v, 0)) : y.data;
    expect(y.shape).toEqual(c.expected.output.shape);
    expect(relError(out, c.expected.output.data)).toBeLessThan(1e-8);
  });

  test('bad parameters are refused in one line with the numbers', () => {
    const w = { shape: [2, 1, 1, 1], data: Float64Array.of(1, 2) };
    const bn = { weight: null, bias: null, runningMean: [0, 0], runningVar: [1, 1], eps: 1e-5 };
    expect(() => foldConvBn(w, [1, 2, 3], bn)).toThrow(/^fuse: conv bias has 3 values, the conv has 2 output channels$/);
    expect(() => foldConvBn(w, null, { ...bn, runningVar: [1, -1] })).toThrow(/^fuse: running_var\[1\] = -1 makes var \+ eps = -0\.99999, which has no square root$/);
    expect(() => foldConvBn({ shape: [2, 1], data: Float64Array.of(1, 2) }, null, bn)).toThrow(/^fuse: conv weight must be 4-D/);
  });
});

describe('findConvBnChains', () => {
  test('resnet18: 20 Conv2d → BatchNorm2d chains, the 9 followed by their own ReLU fuse it', () => {
    const chains = findConvBnChains(zooModel('resnet18'));
    expect(chains).toHaveLength(20);
    expect(chains.filter((c) => c.relu).map((c) => c.conv)).toEqual(['conv1', ...['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1'].map((b) => `${b}.conv1`)]);
    expect(chains.find((c) => c.conv === 'layer2.0.downsample.0')).toMatchObject({ bn: 'layer2.0.downsample.1', relu: null });
    // conv2 → bn2 feeds the residual Add, so no ReLU joins it.
    expect(chains.find((c) => c.conv === 'layer1.0.conv2')).toMatchObject({ bn: 'layer1.0.bn2', relu: null });
  });

  test('a conv output read by another layer, a BatchNorm over other channels and a ReLU on a shared output are left alone', () => {
    const spec: ModelSpec = {
      input: [1, 3, 8, 8],
      layers: [
        { type: 'Conv2d', name: 'a', in_channels: 3, out_channels: 4, kernel_size: 3, padding: 1 },
        { type: 'BatchNorm2d', name: 'a_bn', num_features: 4 },
        { type: 'Add', name: 'skip', inputs: ['a_bn', 'a'] },
        { type: 'Conv2d', name: 'b', in_channels: 4, out_channels: 4, kernel_size: 1 },
        { type: 'BatchNorm2d', name: 'b_bn', num_features: 4 },
        { type: 'ReLU', name: 'b_relu' },
        { type: 'Add', name: 'skip2', inputs: ['b_relu', 'b_bn'] },
      ],
    };
    expect(findConvBnChains(spec).map((c) => [c.conv, c.bn, c.relu])).toEqual([['b', 'b_bn', null]]);
  });
});
