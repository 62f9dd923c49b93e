/**
 * Character-level language modelling on a text: the vocabulary is the text's distinct
 * characters (sorted by code point); the first 90% of the text is for training, the last 10%
 * for testing. A sample is a window of `window` characters and, as targets, the characters
 * that follow each of them. Training windows start anywhere in the training part; test windows
 * tile the test part without overlap.
 */
import { InputError } from '../analysis/errors.ts';
import type { SampleDataset, SampleSplit } from './dataset.ts';

function windows(ids: Int32Array, from: number, to: number, window: number, stride: number): SampleSplit {
  const count = Math.max(0, Math.floor((to - from - window - 1) / stride) + 1);
  const inputs = new Int32Array(count * window);
  const targets = new Int32Array(count * window);
  for (let s = 0; s < count; s++) {
    const start = from + s * stride;
    inputs.set(ids.subarray(start, start + window), s * window);
    targets.set(ids.subarray(start + 1, start + 1 + window), s * window);
  }
  return { inputs, targets, count };
}

/** The character-level task on `text` (named `source` in messages) with windows of `window` characters. */
export function characterTask(text: string, source: string, window: number): SampleDataset {
  if (!Number.isInteger(window) || window < 1) throw new InputError(`text: the window must be an integer >= 1, got ${window}`);
  const chars = Array.from(text);
  const vocabulary = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const index = new Map(vocabulary.map((c, i) => [c, i]));
  const ids = Int32Array.from(chars, (c) => index.get(c)!);
  const cut = Math.floor(ids.length * 0.9);
  const train = windows(ids, 0, cut, window, 1);
  const test = windows(ids, cut, ids.length, window, window);
  if (test.count === 0) throw new InputError(`${source}: ${ids.length} characters leave no test window of ${window + 1} characters in the last 10% (${ids.length - cut}); use a longer text or a shorter sequence`);
  return {
    kind: 'samples', name: `text:${source}`, task: 'classification', numClasses: vocabulary.length, vocabulary: vocabulary.length,
    sampleShape: [window], targetShape: [window], sequence: true, train, test,
    description: `characters of ${source}: ${ids.length} characters, vocabulary ${vocabulary.length}, windows of ${window}: ${train.count} training (first 90%), ${test.count} test (last 10%, not overlapping); a uniform guess scores ln ${vocabulary.length} = ${Math.log(vocabulary.length).toFixed(4)}`,
  };
}
