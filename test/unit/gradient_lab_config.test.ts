/** The Gradient Lab's configuration: URL round trip, presets, and specs the analysis accepts. */
import { describe, expect, test } from 'vitest';
import { analyzeModel } from '../../src/analysis/graph.ts';
import { buildSpec, DEFAULT_CONFIG, formatConfig, matchingPreset, parseConfig, PRESETS, runConfigs } from '../../src/ui/gradient_lab_config.ts';

describe('Gradient Lab configuration', () => {
  test('URL parameters round-trip; bad values fall back; limits clamp', () => {
    const c = parseConfig({ preset: 'vanishing', width: '48', lr: '0.1', opt: 'adam', norm: 'layer', steps: '3' });
    expect(c).toMatchObject({ depth: 20, activation: 'Sigmoid', width: 48, lr: 0.1, optimizer: 'adam', norm: 'layer', steps: 3 });
    expect(parseConfig(formatConfig(c))).toEqual(c);
    expect(formatConfig(DEFAULT_CONFIG)).toEqual({});
    expect(parseConfig({ act: 'Softmax', depth: '9999', lr: '-1' })).toMatchObject({ activation: DEFAULT_CONFIG.activation, depth: 64, lr: DEFAULT_CONFIG.lr });
  });

  test('every preset builds specs the analysis accepts, and is recognised again', () => {
    for (const p of PRESETS) {
      const c = parseConfig({ preset: p.id });
      expect(matchingPreset(c)?.id).toBe(p.id);
      for (const r of runConfigs(c)) expect(() => analyzeModel(buildSpec(r.config))).not.toThrow();
    }
    expect(runConfigs(parseConfig({ preset: 'residual' })).map((r) => r.label)).toEqual(['plain', 'residual']);
    expect(runConfigs(parseConfig({ preset: 'rnn-lstm' })).map((r) => r.label)).toEqual(['RNN', 'LSTM']);
    const norm = buildSpec(parseConfig({ depth: '3', norm: 'batch', residual: '1' }));
    expect(analyzeModel(norm).output.shape).toEqual([16, 10]);
  });
});
