/**
 * A named data set feeding the executor: the spec sized to the data, seeded mini-batches from
 * the training split at every step, and forward-only evaluation of the test split (test loss
 * and accuracy computed in float64 from the GPU's outputs).
 */
import { InputError } from '../analysis/errors.ts';
import type { LayerSpec, ModelSpec } from '../analysis/model_spec.ts';
import { formatShape } from '../analysis/tensor.ts';
import type { Executor } from '../ops/executor/executor.ts';
import { streamSeed } from '../ops/executor/init.ts';
import { EpochSampler, gatherBatch, scoreOutputs, type BatchLayout, type Dataset, type SampleDataset, type Score } from './dataset.ts';

/** One evaluation: the mean training loss of the steps since the previous one, the test loss, and the test accuracy (null for regression, where test_loss is the MSE). */
export interface EvalRow {
  step: number;
  train_loss: number;
  test_loss: number;
  test_accuracy: number | null;
}

/** The spec a data set needs: for samples the batch (`--batch` or the spec's) and, for sequences, the data's length; for a graph its node and edge counts. */
export function fitSpecToDataset(spec: ModelSpec, ds: Dataset, batch: number | undefined): { spec: ModelSpec; batch?: number; layout: BatchLayout } {
  const given = spec.input;
  if (ds.kind === 'graph') {
    if (!spec.graph) throw new InputError(`--data ${ds.name} is a graph, but the model has no graph layers (no "graph" in the spec)`);
    if (batch !== undefined) throw new InputError(`--batch does not apply to --data ${ds.name}: every step sees the whole graph`);
    if (given.length !== 2 || given[1] !== ds.numFeatures) throw new InputError(`--data ${ds.name} has ${ds.numFeatures} features per node, the model's input is ${formatShape(given)} (expected [V, ${ds.numFeatures}])`);
    return { spec: { ...spec, input: [ds.numNodes, ds.numFeatures], graph: { num_nodes: ds.numNodes, num_edges: ds.edgeIndex.length / 2 } }, layout: { timeFirst: false, oneHot: false } };
  }
  if (spec.graph) throw new InputError(`--data ${ds.name} is not a graph, but the model has graph layers`);
  const batchDim = spec.batch_dim === undefined ? 0 : spec.batch_dim;
  if (batchDim === null) throw new InputError(`--data ${ds.name} needs a model with a batch dimension (the spec has "batch_dim": null)`);
  const oneHot = ds.vocabulary !== undefined && given.length === ds.sampleShape.length + 2;
  const sample = oneHot ? [...ds.sampleShape, ds.vocabulary!] : ds.sampleShape;
  const timeFirst = ds.sequence && batchDim === 1;
  if (!(batchDim === 0 || timeFirst)) throw new InputError(`--data ${ds.name}: the batch must be dim 0${ds.sequence ? ' or, for sequences, dim 1' : ''} of the model input, the spec has batch_dim ${batchDim}`);
  const embedding = firstLeaf(spec.layers);
  if (ds.vocabulary && !oneHot && embedding?.type === 'Embedding' && typeof embedding.num_embeddings === 'number' && embedding.num_embeddings < ds.vocabulary) {
    throw new InputError(`--data ${ds.name} has a vocabulary of ${ds.vocabulary} tokens, the model's Embedding has num_embeddings ${embedding.num_embeddings}`);
  }
  const n = batch ?? given[batchDim];
  const wanted = timeFirst ? [sample[0], n, ...sample.slice(1)] : [n, ...sample];
  // A sequence's length follows the data; every other dimension must agree with the spec.
  const timeDim = timeFirst ? 0 : 1;
  const agrees = wanted.length === given.length && wanted.every((s, i) => i === batchDim || (ds.sequence && i === timeDim) || s === given[i]);
  if (!agrees) {
    const rest = ds.sequence ? sample.slice(1) : sample;
    const form = `[${[...(timeFirst ? ['T', 'N'] : ds.sequence ? ['N', 'T'] : ['N']), ...rest].join(', ')}]`;
    throw new InputError(`--data ${ds.name} gives ${ds.vocabulary ? (oneHot ? 'one-hot tokens ' : 'token ids ') : ''}${formatShape(wanted)}, the model's input is ${formatShape(given)} (expected ${form}${ds.sequence ? ', any T' : ''})`);
  }
  return { spec: { ...spec, input: wanted }, batch: n, layout: { timeFirst, oneHot } };
}

/** The first layer that is not a Sequential. */
function firstLeaf(layers: LayerSpec[]): LayerSpec | undefined {
  const first = layers[0];
  return first?.type === 'Sequential' ? firstLeaf((first.layers as LayerSpec[]) ?? []) : first;
}

/** Feeds the executor a data set: `beforeStep` sets the step's data, `evaluate` scores the test split. */
export class DataFeeder {
  private readonly sampler: EpochSampler | null;
  private readonly batch: number;

  constructor(readonly dataset: Dataset, private readonly layout: BatchLayout, batch: number | undefined, seed: number) {
    this.batch = batch ?? 0;
    this.sampler = dataset.kind === 'samples' ? new EpochSampler(dataset.train.count, this.batch, streamSeed(seed, 'batches')) : null;
  }

  /** Sets the next training batch (samples) or, once, the graph with its training mask. */
  beforeStep(ex: Executor, first: boolean): void {
    const ds = this.dataset;
    if (ds.kind === 'graph') {
      if (first) ex.setData(ds.features, ds.labels, { edgeIndex: ds.edgeIndex, mask: ds.trainMask });
      return;
    }
    const { input, target } = gatherBatch(ds, ds.train, this.sampler!.next(), this.layout);
    ex.setData(input, target);
  }

  /** Test loss and accuracy, the test split run forward in batches of the training batch size (the last one padded, the padding not scored). */
  async evaluate(ex: Executor): Promise<{ test_loss: number; test_accuracy: number | null }> {
    const ds = this.dataset;
    const total: Score = { loss: 0, correct: 0, count: 0 };
    const add = (s: Score) => {
      total.loss += s.loss;
      total.correct += s.correct;
      total.count += s.count;
    };
    if (ds.kind === 'graph') {
      const target = ds.labels.map((y, v) => (ds.testMask[v] ? y : -100));
      const { output } = await ex.evaluate(ds.features, target);
      add(scoreOutputs(output, target, 'classification'));
    } else {
      await this.evaluateSamples(ex, ds, add);
    }
    return { test_loss: total.loss / total.count, test_accuracy: ds.task === 'classification' ? total.correct / total.count : null };
  }

  private async evaluateSamples(ex: Executor, ds: SampleDataset, add: (s: Score) => void): Promise<void> {
    const n = this.batch;
    const targetSize = ds.targetShape.reduce((a, b) => a * b, 1);
    for (let from = 0; from < ds.test.count; from += n) {
      const real = Math.min(n, ds.test.count - from);
      const indices = Int32Array.from({ length: n }, (_, i) => (i < real ? from + i : -1));
      const { input, target } = gatherBatch(ds, ds.test, indices, this.layout);
      const { output } = await ex.evaluate(input, target);
      add(scoreOutputs(output, target, ds.task, real * targetSize));
    }
  }
}
