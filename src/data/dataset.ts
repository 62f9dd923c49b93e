/**
 * The shapes every named data set takes for `nnx train`: samples (images, sequences) with a
 * train and a test split, or one graph whose nodes are split by masks. Batches are gathered in
 * the layout the model reads, and test metrics are computed in float64 from the model outputs.
 */
import { InputError } from '../analysis/errors.ts';
import { mulberry32 } from '../analysis/random.ts';

/** One split of a sample data set: sample i's input is `inputs[i·size .. (i+1)·size)`. */
export interface SampleSplit {
  inputs: Float32Array | Int32Array;
  targets: Float32Array | Int32Array;
  count: number;
}

/** Images or sequences: independent samples, mini-batches drawn from `train`. */
export interface SampleDataset {
  kind: 'samples';
  name: string;
  task: 'classification' | 'regression';
  /** Classes of a classification task. */
  numClasses?: number;
  /** One sample's input, without the batch: [1, 28, 28] for an image, [T, 2] or [T] (token ids) for a sequence. */
  sampleShape: number[];
  /** One sample's target: [] (a class), [T] (a class per step) or [1] (a value). */
  targetShape: number[];
  /** Sequence samples: dim 0 of the sample is time, and a model may read [N, T, …] or [T, N, …]. */
  sequence: boolean;
  /** Token-id inputs: the vocabulary size; a model without an Embedding reads them one-hot. */
  vocabulary?: number;
  train: SampleSplit;
  test: SampleSplit;
  description: string;
}

/** One graph, node classification: the loss counts the training nodes, the test nodes are scored. */
export interface GraphDataset {
  kind: 'graph';
  name: string;
  task: 'classification';
  numClasses: number;
  numNodes: number;
  numFeatures: number;
  /** [V, F] row-major. */
  features: Float32Array;
  /** Flat [2, E]: sources, then targets. */
  edgeIndex: Int32Array;
  labels: Int32Array;
  trainMask: Int32Array;
  testMask: Int32Array;
  description: string;
}

export type Dataset = SampleDataset | GraphDataset;

/** How a batch is laid out for the model: batch first ([N, T, …]) or time first ([T, N, …], PyTorch's RNN default); one-hot expansion of token ids. */
export interface BatchLayout {
  timeFirst: boolean;
  oneHot: boolean;
}

/** Shuffled epochs of a training split (DataLoader(shuffle=True, drop_last=True)), seeded: the same seed draws the same batches. */
export class EpochSampler {
  private order: Int32Array;
  private at: number;
  private readonly random: () => number;

  constructor(private readonly count: number, private readonly batch: number, seed: number) {
    if (batch > count) throw new InputError(`--batch ${batch} is larger than the training set (${count} samples)`);
    this.random = mulberry32(seed);
    this.order = new Int32Array(count);
    this.at = count;
  }

  /** The sample indices of the next batch. */
  next(): Int32Array {
    if (this.at + this.batch > this.count) {
      this.order = Int32Array.from({ length: this.count }, (_, i) => i);
      for (let i = this.count - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
      }
      this.at = 0;
    }
    const picked = this.order.slice(this.at, this.at + this.batch);
    this.at += this.batch;
    return picked;
  }
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The model's input and target for samples `indices` (an index of -1 pads the batch with zeros
 * and the ignore target: class -100, value 0). Targets follow the output's row order: per-step
 * classes of a time-first model are ordered t·N + n.
 */
export function gatherBatch(ds: SampleDataset, split: SampleSplit, indices: ArrayLike<number>, layout: BatchLayout): { input: Float32Array | Int32Array; target: Float32Array | Int32Array } {
  const n = indices.length;
  const sampleSize = product(ds.sampleShape);
  const targetSize = product(ds.targetShape);
  const steps = ds.sequence ? ds.sampleShape[0] : 1;
  const stepSize = sampleSize / steps;
  const width = layout.oneHot ? ds.vocabulary! : 1;
  const input = layout.oneHot || split.inputs instanceof Float32Array ? new Float32Array(n * sampleSize * width) : new Int32Array(n * sampleSize);
  const classes = split.targets instanceof Int32Array;
  const target = classes ? new Int32Array(n * targetSize).fill(-100) : new Float32Array(n * targetSize);
  const perStepTarget = ds.sequence && targetSize === steps && targetSize > 1;
  for (let b = 0; b < n; b++) {
    const s = indices[b];
    if (s < 0) continue;
    for (let t = 0; t < steps; t++) {
      const to = (layout.timeFirst && ds.sequence ? t * n + b : b * steps + t) * stepSize;
      const from = s * sampleSize + t * stepSize;
      for (let k = 0; k < stepSize; k++) {
        const v = split.inputs[from + k];
        if (layout.oneHot) input[(to + k) * width + v] = 1;
        else input[to + k] = v;
      }
    }
    if (perStepTarget && layout.timeFirst) for (let t = 0; t < steps; t++) target[t * n + b] = split.targets[s * targetSize + t];
    else target.set(split.targets.subarray(s * targetSize, (s + 1) * targetSize), b * targetSize);
  }
  return { input, target };
}

/** Float64 sums of a batch's loss terms and correct predictions: cross entropy per counted row (target ≥ 0), squared error per value. */
export interface Score {
  loss: number;
  correct: number;
  /** Rows (classification) or values (regression) scored. */
  count: number;
}

/** Scores model outputs in float64: logits [rows, C] against class indices (−100 skipped), or the first `validValues` outputs against target values (the rest is padding). */
export function scoreOutputs(output: Float32Array, target: Float32Array | Int32Array, task: SampleDataset['task'], validValues = target.length): Score {
  const score: Score = { loss: 0, correct: 0, count: 0 };
  if (task === 'regression') {
    for (let i = 0; i < validValues; i++) score.loss += (output[i] - target[i]) ** 2;
    score.count = validValues;
    return score;
  }
  const c = output.length / target.length;
  for (let r = 0; r < target.length; r++) {
    const y = target[r];
    if (y < 0) continue;
    const row = output.subarray(r * c, (r + 1) * c);
    let max = -Infinity;
    let arg = 0;
    row.forEach((v, k) => v > max && ((max = v), (arg = k)));
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    score.loss += max + Math.log(sum) - row[y];
    score.correct += arg === y ? 1 : 0;
    score.count += 1;
  }
  return score;
}
