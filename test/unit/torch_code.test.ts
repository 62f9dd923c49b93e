import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { buildSummary } from '../../src/analysis/summary.ts';
import { torchCode } from '../../src/analysis/torch_code.ts';

/** torch_code_cases.json: test/fixtures/generate_torch_code.py ran this code in PyTorch and counted. */
const specs = JSON.parse(readFileSync(new URL('../fixtures/torch_code_specs.json', import.meta.url), 'utf8')) as Record<string, ModelSpec>;
const cases = JSON.parse(readFileSync(new URL('../fixtures/torch_code_cases.json', import.meta.url), 'utf8')).cases as Record<string, { code: string; params: number; output_shape: number[] }>;

describe('PyTorch code export', () => {
  for (const [name, spec] of Object.entries(specs)) {
    it(`${name}: the code PyTorch ran defines the parameters and output shape the analysis computes`, () => {
      expect(torchCode(spec)).toBe(cases[name].code);
      const report = buildSummary(spec);
      expect(report.totals.params).toBe(cases[name].params);
      expect(report.output_shape).toEqual(cases[name].output_shape);
    });
  }

  it('refuses a DAG layer and a graph layer with the layer named', () => {
    const dag: ModelSpec = { input: [1, 4], layers: [{ type: 'Linear', name: 'a', in_features: 4, out_features: 4 }, { type: 'Add', name: 'sum', inputs: ['input', 'a'] }] };
    expect(() => torchCode(dag)).toThrow(/layer "sum" \(Add\) reads named inputs \(input, a\)/);
    const gcn: ModelSpec = { input: [5, 3], layers: [{ type: 'GCNConv', in_channels: 3, out_channels: 2 }] };
    expect(() => torchCode(gcn)).toThrow(/layer "0" \(GCNConv\).*torch_geometric/);
  });
});
