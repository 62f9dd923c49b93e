import { describe, expect, it, vi } from 'vitest';
import { designSmells, formatDesignSmells } from '../../src/analysis/design_smells.ts';
import { summaryCommand } from '../../src/cli/summary.ts';
import type { LayerSpec, ModelSpec } from '../../src/analysis/model_spec.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';

function mlp(depth: number, width: number, activation: string, extra: (i: number) => LayerSpec[] = () => []): ModelSpec {
  const layers: LayerSpec[] = [];
  for (let i = 0; i < depth; i++) layers.push({ type: 'Linear', in_features: width, out_features: width }, ...extra(i), { type: activation });
  return { input: [3, width], layers };
}

describe('design smells', () => {
  it('VGG-16: the 25088 → 4096 Linear holds 74% of the parameters and would need 48.9× fewer after global pooling', () => {
    const smells = designSmells(zooModel('vgg16'));
    const byKind = Object.fromEntries(smells.map((s) => [s.kind, s]));
    // classifier.0: 25088·4096 + 4096 = 102,764,544 of 138,357,544 (torchvision's count).
    expect(byKind.param_concentration.layer).toBe('classifier.0');
    expect(byKind.param_concentration.numbers.params).toBe(102_764_544);
    expect(byKind.param_concentration.numbers.share).toBeCloseTo(102_764_544 / 138_357_544, 12);
    // With global average pooling the Linear reads 512 features: 512·4096 + 4096.
    expect(byKind.linear_after_flatten.numbers).toMatchObject({ in_features: 25_088, channels: 512, spatial: 49, params_after_global_pool: 2_101_248 });
    // 13 convolutions and 3 Linears, no BatchNorm, no skip.
    expect(byKind.deep_without_norm.numbers.weight_layers).toBe(16);
    expect(byKind.deep_without_norm.layer).toBe('features.0');
  });

  it('ResNet-18 and the Fashion CNN have normalization and residuals: no smell', () => {
    expect(designSmells(zooModel('resnet18'))).toEqual([]);
    expect(designSmells(zooModel('fashion_cnn'))).toEqual([]);
  });

  it('a 12-layer sigmoid MLP: deep without norm, and the sigmoids bound the gradient by 0.25^12', () => {
    const smells = designSmells(mlp(12, 8, 'Sigmoid'));
    expect(smells.map((s) => s.kind).sort()).toEqual(['deep_without_norm', 'saturating_activation']);
    const sat = smells.find((s) => s.kind === 'saturating_activation')!;
    expect(sat.layer).toBe('1');
    expect(sat.numbers).toMatchObject({ activations: 12, sigmoid: 12, tanh: 0, weight_layers: 12 });
    expect(sat.numbers.max_gradient_gain).toBeCloseTo(0.25 ** 12, 20);
  });

  it('the same depth with LayerNorm after every Linear is not flagged as deep-without-norm; tanh bounds nothing', () => {
    const smells = designSmells(mlp(12, 8, 'Tanh', () => [{ type: 'LayerNorm', normalized_shape: 8 }]));
    expect(smells.map((s) => s.kind)).toEqual(['saturating_activation']);
    expect(smells[0].numbers).toMatchObject({ sigmoid: 0, tanh: 12, max_gradient_gain: 1 });
  });

  it('a stride-2 conv that cuts 32 → 16 channels on a non-square map loses 8× the values', () => {
    const spec: ModelSpec = { input: [2, 32, 10, 6], layers: [
      { type: 'Conv2d', name: 'down', in_channels: 32, out_channels: 16, kernel_size: 3, stride: 2, padding: 1 },
      { type: 'Conv2d', name: 'up', in_channels: 16, out_channels: 64, kernel_size: 3, stride: 2, padding: 1 },
    ] };
    const smells = designSmells(spec).filter((s) => s.kind === 'channel_loss');
    // 10×6 → 5×3 is 4× fewer positions; 32·60 / (16·15) = 8.
    expect(smells).toHaveLength(1);
    expect(smells[0].layer).toBe('down');
    expect(smells[0].numbers).toEqual({ in_channels: 32, out_channels: 16, spatial_reduction: 4, values_ratio: 8 });
  });

  it('a small flatten (LeNet-5, 16×5×5 = 400 features) is not flagged as a large flatten; an Embedding table is not a concentration', () => {
    expect(designSmells(zooModel('lenet5')).map((s) => s.kind)).toEqual(['param_concentration']);
    expect(designSmells(zooModel('gru_classifier'))).toEqual([]);
  });

  it('attention scores dominate saved memory at length 1024, not at 128; the input option overrides the spec', () => {
    const spec = zooModel('transformer_encoder');
    expect(designSmells(spec, [8, 128])).toEqual([]);
    const [smell] = designSmells(spec, [8, 1024]);
    expect(smell.kind).toBe('attention_memory');
    expect(smell.layer).toBe('encoder.layers.0.self_attn');
    // 4 layers × batch 8 × 4 heads × 1024² scores: fp32 probabilities (4 B) + dropout mask (1 B).
    expect(smell.numbers.score_bytes).toBe(4 * 8 * 4 * 1024 * 1024 * 5);
    expect(smell.numbers.sequence_length).toBe(1024);
    expect(smell.numbers.share).toBeGreaterThan(0.5);
  });

  it('the text block lists every smell with its kind, and is empty when there are none', () => {
    expect(formatDesignSmells([])).toBe('');
    const text = formatDesignSmells(designSmells(zooModel('vgg16')));
    expect(text.split('\n')[0]).toBe('Warnings (design smells):');
    expect(text).toContain('[linear_after_flatten] classifier.0 (Linear 25,088 → 4,096)');
  });

  it('nnx summary prints the block after the table and carries `warnings` in --json (none for ResNet-18)', async () => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    try {
      await summaryCommand(['vgg16']);
      await summaryCommand(['vgg16', '--json']);
      await summaryCommand(['resnet18', '--json']);
    } finally {
      log.mockRestore();
    }
    expect(out[0].split('\n').slice(-4)[0]).toBe('Warnings (design smells):');
    expect(JSON.parse(out[1]).warnings.map((w: { kind: string }) => w.kind)).toEqual(['param_concentration', 'linear_after_flatten', 'deep_without_norm']);
    expect(JSON.parse(out[2]).warnings).toEqual([]);
  });
});
