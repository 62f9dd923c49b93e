/**
 * The Compare page's URL set-up (parse ↔ format, defaults, clamping, unknown architectures
 * dropped) and the studies' first-N subsets of a data set.
 */
import { describe, expect, it } from 'vitest';
import { addingProblem } from '../../src/data/sequence_tasks.ts';
import { subsetSamples } from '../../src/ops/studies/common.ts';
import { formatCompareConfig, parseCompareConfig, TASK_DEFAULTS } from '../../src/ui/compare_config.ts';

describe('Compare page set-up in the URL', () => {
  it('round-trips every task through its URL params', () => {
    const cases: Record<string, string>[] = [
      { task: 'graph', archs: 'gat,sage', steps: '40', data: 'sbm:2000', every: '10', seed: '3' },
      { task: 'image', archs: 'vit', steps: '5', batch: '4', test: '32', every: '5', seed: '0' },
      { task: 'sequence', archs: 'rnn,gru', steps: '50', batch: '8', T: '25', test: '100', every: '25', seed: '1' },
      { task: 'image', archs: 'cnn,custom', steps: '3', batch: '8', test: '64', every: '3', seed: '0', spec: '{"input":[1,1,28,28],"layers":[]}' },
    ];
    for (const params of cases) {
      const c = parseCompareConfig(params);
      expect(formatCompareConfig(c)).toEqual(params);
      expect(parseCompareConfig(formatCompareConfig(c))).toEqual(c);
    }
  });

  it('falls back to the task defaults, clamps numbers and drops unknown or repeated architectures', () => {
    expect(parseCompareConfig({})).toEqual({ task: 'graph', ...TASK_DEFAULTS.graph, spec: '' });
    const c = parseCompareConfig({ task: 'sequence', archs: 'lstm,mamba,lstm,rnn', steps: '999999', batch: '0', T: 'x', data: 'sbm:3' });
    expect(c.archs).toEqual(['lstm', 'rnn']);
    expect(c.steps).toBe(5000);
    expect(c.batch).toBe(1);
    expect(c.length).toBe(TASK_DEFAULTS.sequence.length);
    expect(parseCompareConfig({ task: 'graph', data: 'sbm:3' }).dataset).toBe('sbm:8');
    expect(parseCompareConfig({ task: 'graph', data: 'cora' }).dataset).toBe('karate');
    expect(parseCompareConfig({ task: 'video' }).task).toBe('graph');
  });

  it('offers `custom` beside the line-up only when the set-up carries a ModelSpec, and trains it by default', () => {
    expect(parseCompareConfig({ task: 'image', archs: 'cnn,custom' }).archs).toEqual(['cnn']);
    expect(parseCompareConfig({ task: 'image', spec: '{}' }).archs).toEqual(['cnn', 'vit', 'custom']);
    expect(parseCompareConfig({ task: 'image', archs: 'custom', spec: '{}' }).archs).toEqual(['custom']);
  });
});

describe('subsetSamples', () => {
  it('keeps the first N samples of each split, inputs and targets aligned', () => {
    const ds = addingProblem(4, { seed: 1, train: 20, test: 10 });
    const sub = subsetSamples(ds, 5, 3);
    expect([sub.train.count, sub.test.count]).toEqual([5, 3]);
    expect(Array.from(sub.train.inputs)).toEqual(Array.from(ds.train.inputs.slice(0, 5 * 8)));
    expect(Array.from(sub.test.targets)).toEqual(Array.from(ds.test.targets.slice(0, 3)));
    expect(subsetSamples(ds)).toBe(ds);
    expect(() => subsetSamples(ds, 21)).toThrow('adding:4 has 20 training samples, 21 asked for');
  });
});
