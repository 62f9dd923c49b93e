/**
 * Seeded data: the adding and copy tasks, the character task, the karate club's factions, the
 * stochastic block model, shuffled epochs, batch layouts and the float64 test scores.
 */
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { EpochSampler, gatherBatch, scoreOutputs, type SampleDataset } from '../../src/data/dataset.ts';
import { karateTask, stochasticBlockModel } from '../../src/data/graph_tasks.ts';
import { addingProblem, copyTask } from '../../src/data/sequence_tasks.ts';
import { characterTask } from '../../src/data/text_task.ts';
import { fitSpecToDataset } from '../../src/data/training.ts';
import { loadNamedData } from '../../src/data/files_node.ts';

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);

describe('adding problem', () => {
  test('seeded: the same seed gives the same data, another seed other data', () => {
    const a = addingProblem(20, { train: 200, test: 50, seed: 7 });
    const b = addingProblem(20, { train: 200, test: 50, seed: 7 });
    const c = addingProblem(20, { train: 200, test: 50, seed: 8 });
    expect(same(a.train.inputs, b.train.inputs) && same(a.test.targets, b.test.targets)).toBe(true);
    expect(same(a.train.inputs, c.train.inputs)).toBe(false);
  });

  test('two markers, one in each half; the target is the sum of the marked values', () => {
    const t = 11;
    const ds = addingProblem(t, { train: 500, test: 10, seed: 1 });
    expect(ds.sampleShape).toEqual([t, 2]);
    for (let s = 0; s < 500; s++) {
      const steps = Array.from({ length: t }, (_, k) => [ds.train.inputs[(s * t + k) * 2], ds.train.inputs[(s * t + k) * 2 + 1]]);
      const marked = steps.flatMap(([, m], k) => (m === 1 ? [k] : []));
      expect(steps.every(([v, m]) => v >= 0 && v < 1 && (m === 0 || m === 1))).toBe(true);
      expect(marked.length).toBe(2);
      expect(marked[0]).toBeLessThan(5);
      expect(marked[1]).toBeGreaterThanOrEqual(5);
      expect(ds.train.targets[s]).toBe(Math.fround(steps[marked[0]][0] + steps[marked[1]][0]));
    }
  });

  test("the trivial predictor's MSE is ≈ 1/6 (Var of a sum of two U(0, 1))", () => {
    const ds = addingProblem(50, { train: 20_000, test: 1, seed: 3 });
    const targets = Array.from(ds.train.targets);
    const mean = targets.reduce((a, b) => a + b, 0) / targets.length;
    const mse = targets.reduce((a, y) => a + (y - 1) ** 2, 0) / targets.length;
    // Standard error of the MSE estimate: sqrt(Var((S − 1)²) / n) ≈ 0.0011 for n = 20,000.
    expect(Math.abs(mean - 1)).toBeLessThan(0.01);
    expect(Math.abs(mse - 1 / 6)).toBeLessThan(0.005);
    expect(ds.description).toContain('0.167');
  });
});

describe('copy task', () => {
  test('10 symbols, T − 1 blanks, the delimiter, 10 blanks; the targets repeat the symbols at the end', () => {
    const t = 7;
    const ds = copyTask(t, { train: 30, test: 5, seed: 2 });
    const length = t + 20;
    expect(ds.sampleShape).toEqual([length]);
    expect(same(ds.train.inputs, copyTask(t, { train: 30, test: 5, seed: 2 }).train.inputs)).toBe(true);
    for (let s = 0; s < 30; s++) {
      const x = Array.from(ds.train.inputs.subarray(s * length, (s + 1) * length));
      const y = Array.from(ds.train.targets.subarray(s * length, (s + 1) * length));
      const symbols = x.slice(0, 10);
      expect(symbols.every((v) => v >= 1 && v <= 8)).toBe(true);
      expect(x.slice(10)).toEqual([...Array(t - 1).fill(0), 9, ...Array(10).fill(0)]);
      expect(y).toEqual([...Array(t + 10).fill(0), ...symbols]);
    }
  });
});

describe('character task', () => {
  test('vocabulary, next-character targets, 90/10 split with test windows not overlapping', () => {
    const text = 'abcab'.repeat(40);
    const ds = characterTask(text, 'mem', 6);
    expect(ds.vocabulary).toBe(3);
    expect(ds.train.count).toBe(180 - 6);
    expect(ds.test.count).toBe(Math.floor((20 - 7) / 6) + 1);
    const decode = (ids: ArrayLike<number>) => Array.from(ids, (i) => 'abc'[i]).join('');
    expect(decode(ds.train.inputs.subarray(6, 12))).toBe(text.slice(1, 7));
    expect(decode(ds.train.targets.subarray(6, 12))).toBe(text.slice(2, 8));
    expect(decode(ds.test.inputs.subarray(6, 12))).toBe(text.slice(186, 192));
    expect(() => characterTask('abc', 'short.txt', 6)).toThrow(/short\.txt: 3 characters leave no test window/);
  });

  test('the shipped text is the default', () => {
    const ds = loadNamedData('text', { window: 16 });
    expect(ds.kind).toBe('samples');
    expect(ds.description).toMatch(/declaration_of_independence\.txt: 81\d\d characters/);
  });
});

describe('graph tasks', () => {
  test("karate: the two factions (Zachary 1977; NetworkX's club attribute), a few training nodes per faction, the rest for testing", () => {
    const ds = karateTask({ seed: 0 });
    // NetworkX karate_club_graph(): club == 'Mr. Hi' for these nodes, 'Officer' for the other 17.
    const mrHi = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 19, 21];
    expect(Array.from(ds.labels)).toEqual(Array.from({ length: 34 }, (_, v) => (mrHi.includes(v) ? 0 : 1)));
    const train = [...ds.trainMask.keys()].filter((v) => ds.trainMask[v]);
    expect(train.filter((v) => ds.labels[v] === 0).length).toBe(3);
    expect(train.filter((v) => ds.labels[v] === 1).length).toBe(3);
    expect(Array.from(ds.testMask)).toEqual(Array.from(ds.trainMask, (m) => 1 - m));
    expect(ds.edgeIndex.length).toBe(2 * 156);
    expect(same(karateTask({ seed: 0 }).trainMask, ds.trainMask)).toBe(true);
  });

  test('SBM: seeded, symmetric, no self loops or repeated edges, planted communities in the features', () => {
    const ds = stochasticBlockModel(1000, { seed: 4, noise: 0.5 });
    expect(same(ds.edgeIndex, stochasticBlockModel(1000, { seed: 4, noise: 0.5 }).edgeIndex)).toBe(true);
    const e = ds.edgeIndex.length / 2;
    const keys = new Set<string>();
    let inside = 0;
    for (let i = 0; i < e; i++) {
      const [a, b] = [ds.edgeIndex[i], ds.edgeIndex[e + i]];
      expect(a).not.toBe(b);
      keys.add(`${a},${b}`);
      inside += ds.labels[a] === ds.labels[b] ? 1 : 0;
    }
    expect(keys.size).toBe(e);
    for (const k of keys) expect(keys.has(k.split(',').reverse().join(','))).toBe(true);
    // Inside degree 8 and across degree 2: 4,000 and 1,000 undirected edges, each listed twice.
    expect(inside).toBe(8000);
    expect(e - inside).toBe(2000);
    const meanOwn = Array.from({ length: 1000 }, (_, v) => ds.features[v * 4 + ds.labels[v]]).reduce((a, b) => a + b, 0) / 1000;
    expect(Math.abs(meanOwn - 1)).toBeLessThan(0.06);
    expect(ds.trainMask.reduce((a, b) => a + b, 0)).toBe(80);
  });

  test('SBM at 100,000 nodes', () => {
    const ds = stochasticBlockModel(100_000);
    expect(ds.edgeIndex.length / 2).toBe(2 * 500_000);
    expect(ds.features.length).toBe(400_000);
    expect(() => stochasticBlockModel(7)).toThrow('sbm: the node count must be an integer >= 8 (two per community), got 7');
  });
});

describe('batches and scores', () => {
  test('shuffled epochs: every sample once per epoch, the same seed the same order', () => {
    const a = new EpochSampler(10, 3, 5);
    const b = new EpochSampler(10, 3, 5);
    const epoch = [a.next(), a.next(), a.next()].flatMap((x) => Array.from(x));
    expect([...epoch].sort((x, y) => x - y)).toEqual(Array.from(new Set(epoch)).sort((x, y) => x - y));
    expect(epoch.length).toBe(9);
    expect([b.next(), b.next(), b.next()].flatMap((x) => Array.from(x))).toEqual(epoch);
    expect(() => new EpochSampler(3, 4, 0)).toThrow('--batch 4 is larger than the training set (3 samples)');
  });

  test('time-first layout, one-hot tokens and padding', () => {
    const ds: SampleDataset = {
      kind: 'samples', name: 'toy', task: 'classification', numClasses: 3, vocabulary: 3, sampleShape: [2], targetShape: [2], sequence: true,
      train: { inputs: Int32Array.from([0, 1, 2, 0]), targets: Int32Array.from([1, 2, 0, 1]), count: 2 },
      test: { inputs: new Int32Array(0), targets: new Int32Array(0), count: 0 }, description: '',
    };
    const ids = gatherBatch(ds, ds.train, [1, 0], { timeFirst: true, oneHot: false });
    expect(Array.from(ids.input)).toEqual([2, 0, 0, 1]);
    expect(Array.from(ids.target)).toEqual([0, 1, 1, 2]);
    const hot = gatherBatch(ds, ds.train, [1, -1], { timeFirst: false, oneHot: true });
    expect(Array.from(hot.input)).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(hot.target)).toEqual([0, 1, -100, -100]);
  });

  test('float64 scores: cross entropy and accuracy skip class −100, MSE counts only the real values', () => {
    const logits = Float32Array.from([2, 0, 0, 1, 0, 1, 5, 5, 5]);
    const s = scoreOutputs(logits, Int32Array.from([0, 1, -100]), 'classification');
    expect(s.count).toBe(2);
    expect(s.correct).toBe(1);
    expect(s.loss).toBeCloseTo(Math.log(Math.exp(2) + 2) - 2 + Math.log(2 * Math.E + 1), 12);
    const r = scoreOutputs(Float32Array.from([1, 2, 9]), Float32Array.from([0, 4, 0]), 'regression', 2);
    expect(r).toEqual({ loss: 1 + 4, correct: 0, count: 2 });
  });

  test('the spec takes the data: batch and sequence length; other dims must agree', () => {
    const adding = addingProblem(30, { train: 64, test: 8 });
    const spec = { input: [16, 10, 2], layers: [] };
    expect(fitSpecToDataset(spec, adding, 8)).toEqual({ spec: { input: [8, 30, 2], layers: [] }, batch: 8, layout: { timeFirst: false, oneHot: false } });
    expect(fitSpecToDataset({ input: [10, 4, 2], batch_dim: 1, layers: [] }, adding, undefined).spec.input).toEqual([30, 4, 2]);
    expect(() => fitSpecToDataset({ input: [16, 10, 3], layers: [] }, adding, undefined)).toThrow(new InputError('--data adding:30 gives [16, 30, 2], the model\'s input is [16, 10, 3] (expected [N, T, 2], any T)'));
    const copy = copyTask(5, { train: 8, test: 2 });
    expect(fitSpecToDataset({ input: [4, 25, 10], layers: [] }, copy, undefined).layout).toEqual({ timeFirst: false, oneHot: true });
    const small = { input: [4, 25], layers: [{ type: 'Embedding', num_embeddings: 8, embedding_dim: 4 }] };
    expect(() => fitSpecToDataset(small, copy, undefined)).toThrow('--data copy:5 has a vocabulary of 10 tokens, the model\'s Embedding has num_embeddings 8');
    expect(() => fitSpecToDataset({ input: [4, 34], layers: [] }, karateTask(), undefined)).toThrow('--data karate is a graph, but the model has no graph layers');
    expect(() => fitSpecToDataset({ input: [34, 16], batch_dim: null, graph: { num_edges: 156 }, layers: [] }, karateTask(), undefined)).toThrow('--data karate has 34 features per node, the model\'s input is [34, 16] (expected [V, 34])');
  });
});
