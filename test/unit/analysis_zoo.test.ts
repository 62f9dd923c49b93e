import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeModel, inclusiveTotals, type ModelGraph } from '../../src/analysis/graph.ts';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { ZOO, zooModel } from '../../src/analysis/zoo/index.ts';

/** Written by test/fixtures/generate_zoo.py from PyTorch / torchvision (see that script). */
interface TorchModule { name: string; type: string; params: number; buffers: number; shapes: number[][] }
interface TorchModel {
  input: number[]; input_dtype: string; output_shape: number[]; params: number; buffers: number;
  modules: TorchModule[]; spec?: ModelSpec;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/zoo_torch.json', import.meta.url), 'utf8')) as {
  models: Record<string, TorchModel>; custom: Record<string, TorchModel>;
};

/** Where a PyTorch module name lands in our rows when the names differ. */
const ALIASES: Record<string, (name: string) => string> = {
  vit_b_16: (n) => (n === 'conv_proj' ? 'patch_embed.conv_proj' : n),
  vit_tiny: (n) => (n === 'conv_proj' ? 'patch_embed.conv_proj' : n),
  fashion_vit: (n) => (n === 'conv_proj' ? 'patch_embed.conv_proj' : n),
};

/**
 * PyTorch modules with no row of their own, and why: MultiheadAttention's out_proj is folded
 * into the attention row (PyTorch calls it functionally, so it has no output either).
 */
const UNMATCHED = [/(^|\.)out_proj$/];

/** Parameters PyTorch keeps on a module that our spec keeps elsewhere. */
const PARAM_MOVED: Record<string, Record<string, (m: TorchModel) => number>> = {
  // torchvision holds pos_embedding on `encoder`; our PatchEmbedding holds it (patch_embed.tokens).
  vit_b_16: { encoder: () => 197 * 768 },
  vit_tiny: { encoder: () => 197 * 192 },
  fashion_vit: { encoder: () => 17 * 48 },
};

/** torchvision's documented GFLOPS (= GMACs) at 224×224 (each model's weights table). */
const TORCHVISION_GMACS: Record<string, number> = { resnet18: 1.81, resnet50: 4.09, vgg16: 15.47, mobilenet_v2: 0.30, vit_b_16: 17.56 };

function compareWithTorch(key: string, g: ModelGraph, torch: TorchModel): void {
  const inc = inclusiveTotals(g);
  const rowsByName = new Map<string, number[]>();
  g.layers.forEach((l, i) => rowsByName.set(l.name, [...(rowsByName.get(l.name) ?? []), i]));
  expect(g.output.shape).toEqual(torch.output_shape);
  expect(g.input.kind === 'int' ? 'int64' : 'float32').toBe(torch.input_dtype);
  const totalParams = g.layers.reduce((s, l) => s + l.paramCount, 0);
  const totalBuffers = g.layers.reduce((s, l) => s + l.bufferCount, 0);
  expect(totalParams).toBe(torch.params);
  expect(totalBuffers).toBe(torch.buffers);
  let matched = 0;
  for (const m of torch.modules) {
    if (m.name === '') continue;
    const ours = (ALIASES[key] ?? ((n: string) => n))(m.name);
    const rows = rowsByName.get(ours);
    if (!rows) {
      expect(UNMATCHED.some((re) => re.test(m.name)), `${key}: PyTorch module "${m.name}" (${m.type}) has no row`).toBe(true);
      continue;
    }
    matched++;
    const moved = PARAM_MOVED[key]?.[m.name]?.(torch) ?? 0;
    expect(inc[rows[0]].params + moved, `${key}: params of "${m.name}"`).toBe(m.params);
    expect(inc[rows[0]].buffers, `${key}: buffers of "${m.name}"`).toBe(m.buffers);
    if (m.shapes.length > 0) {
      // A module PyTorch calls several times (ResNet's shared relu) has one row per call.
      expect(rows.map((i) => g.layers[i].outputShape), `${key}: output shapes of "${m.name}"`).toEqual(m.shapes);
    }
  }
  expect(matched).toBeGreaterThan(0);
}

describe('zoo against PyTorch (test/fixtures/zoo_torch.json)', () => {
  it('covers every fixture model, and the fixture covers every non-graph zoo model', () => {
    const graphModels = ['gcn_karate', 'gat_karate', 'sage_karate'];
    // Too large to build in PyTorch here; checked against their published totals in analysis_llama_moe.test.ts.
    const publishedConfigModels = ['llama2_7b', 'mixtral_8x7b'];
    expect(Object.keys(ZOO).filter((k) => !graphModels.includes(k) && !publishedConfigModels.includes(k)).sort()).toEqual(Object.keys(fixture.models).sort());
  });

  for (const [key, torch] of Object.entries(fixture.models)) {
    it(`${key}: exact params and buffers per module, output shape of every module call`, () => {
      const spec = zooModel(key);
      expect(spec.input).toEqual(torch.input);
      compareWithTorch(key, analyzeModel(spec), torch);
    });
  }

  for (const [key, gmacs] of Object.entries(TORCHVISION_GMACS)) {
    it(`${key}: MACs within 1% of torchvision's ${gmacs} GFLOPS`, () => {
      const g = analyzeModel(zooModel(key));
      const macs = g.layers.reduce((s, l) => s + l.macs, 0);
      expect(Math.abs(macs / 1e9 - gmacs) / gmacs).toBeLessThan(0.01);
    });
  }
});

describe('custom specs against PyTorch', () => {
  for (const [key, torch] of Object.entries(fixture.custom)) {
    it(`${key}: exact params, buffers and shapes`, () => {
      const g = analyzeModel(torch.spec as ModelSpec);
      expect(g.input.shape).toEqual(torch.input);
      compareWithTorch(key, g, torch);
    });
  }
});
