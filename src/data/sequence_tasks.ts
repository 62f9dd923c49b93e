/**
 * Seeded sequence tasks for recurrent and attention models, at any length T:
 * - the adding problem (Hochreiter & Schmidhuber 1997, in the form of Le, Jaitly and Hinton
 *   2015): T steps of [value ~ U(0, 1), marker]; exactly two markers, one in each half; the target
 *   is the sum of the two marked values. Predicting the mean 1 scores MSE = Var(U + U) = 1/6 ≈ 0.167.
 * - the copy memory task (Arjovsky, Shah and Bengio 2016): 10 symbols from 1..8, T − 1 blanks
 *   (0), the delimiter 9, then 10 blanks; the model must output blanks until the delimiter's
 *   10 steps are over, then the 10 symbols in order. Length T + 20, 10 token classes; guessing
 *   blanks and then uniformly scores cross entropy 10·ln 8 / (T + 20).
 */
import { InputError } from '../analysis/errors.ts';
import { mulberry32 } from '../analysis/random.ts';
import type { SampleDataset, SampleSplit } from './dataset.ts';

/** Sizes and seed of a generated task. */
export interface GeneratedSizes {
  train?: number;
  test?: number;
  seed?: number;
}

function checkLength(task: string, t: number, min: number): void {
  if (!Number.isInteger(t) || t < min) throw new InputError(`${task}: the length T must be an integer >= ${min}, got ${t}`);
}

function addingSplit(t: number, count: number, random: () => number): SampleSplit {
  const inputs = new Float32Array(count * t * 2);
  const targets = new Float32Array(count);
  const half = Math.floor(t / 2);
  for (let s = 0; s < count; s++) {
    const base = s * t * 2;
    for (let k = 0; k < t; k++) inputs[base + 2 * k] = random();
    const first = Math.floor(random() * half);
    const second = half + Math.floor(random() * (t - half));
    inputs[base + 2 * first + 1] = 1;
    inputs[base + 2 * second + 1] = 1;
    // The target is the float32 sum of the float32 values the model sees.
    targets[s] = inputs[base + 2 * first] + inputs[base + 2 * second];
  }
  return { inputs, targets, count };
}

/** The adding problem at length T (≥ 2): samples [T, 2], one regression target each. */
export function addingProblem(t: number, sizes: GeneratedSizes = {}): SampleDataset {
  checkLength('adding', t, 2);
  const random = mulberry32(sizes.seed ?? 0);
  const train = addingSplit(t, sizes.train ?? 10_000, random);
  const test = addingSplit(t, sizes.test ?? 1_000, random);
  return {
    kind: 'samples', name: `adding:${t}`, task: 'regression', sampleShape: [t, 2], targetShape: [1], sequence: true, train, test,
    description: `adding problem, T = ${t}: ${train.count} training and ${test.count} test sequences [T, 2] (value, marker); predicting 1 scores MSE 1/6 ≈ 0.167`,
  };
}

/** Symbols copied, alphabet, blank and delimiter of the copy task. */
export const COPY_SYMBOLS = 10;
export const COPY_BLANK = 0;
export const COPY_DELIMITER = 9;

function copySplit(t: number, count: number, random: () => number): SampleSplit {
  const length = t + 2 * COPY_SYMBOLS;
  const inputs = new Int32Array(count * length);
  const targets = new Int32Array(count * length);
  for (let s = 0; s < count; s++) {
    const base = s * length;
    for (let k = 0; k < COPY_SYMBOLS; k++) {
      const symbol = 1 + Math.floor(random() * 8);
      inputs[base + k] = symbol;
      targets[base + t + COPY_SYMBOLS + k] = symbol;
    }
    inputs[base + t + COPY_SYMBOLS - 1] = COPY_DELIMITER;
  }
  return { inputs, targets, count };
}

/** The copy memory task with delay T (≥ 1): token ids [T + 20] in 0..9, a class per step. */
export function copyTask(t: number, sizes: GeneratedSizes = {}): SampleDataset {
  checkLength('copy', t, 1);
  const random = mulberry32(sizes.seed ?? 0);
  const train = copySplit(t, sizes.train ?? 10_000, random);
  const test = copySplit(t, sizes.test ?? 1_000, random);
  const length = t + 2 * COPY_SYMBOLS;
  return {
    kind: 'samples', name: `copy:${t}`, task: 'classification', numClasses: 10, vocabulary: 10,
    sampleShape: [length], targetShape: [length], sequence: true, train, test,
    description: `copy memory, delay T = ${t}: ${train.count} training and ${test.count} test sequences of ${length} tokens (10 symbols from 1..8, blanks 0, delimiter 9); the blank-then-guess baseline scores cross entropy ${((COPY_SYMBOLS * Math.log(8)) / length).toFixed(4)}`,
  };
}
