/**
 * What the Model Tracer and the Tape page run one training step on: a small residual CNN for
 * 28×28 images, and one Fashion-MNIST training image as the executor's batch.
 */
import type { ModelSpec } from '../analysis/model_spec.ts';
import { gatherBatch, type SampleDataset } from '../data/dataset.ts';
import type { Executor } from '../ops/executor/executor.ts';

/** A small residual CNN: a skip connection (a fan-out), BatchNorm, pooling, a classifier. */
export const RESIDUAL_CNN: ModelSpec = {
  name: 'residual_cnn', input: [1, 1, 28, 28], layers: [
    { type: 'Conv2d', name: 'conv1', in_channels: 1, out_channels: 4, kernel_size: 3, padding: 1, bias: false },
    { type: 'BatchNorm2d', name: 'bn1', num_features: 4 }, { type: 'ReLU', name: 'relu' },
    { type: 'Residual', name: 'block', body: [
      { type: 'Conv2d', in_channels: 4, out_channels: 4, kernel_size: 3, padding: 1 }, { type: 'ReLU' }] },
    { type: 'MaxPool2d', name: 'pool', kernel_size: 4 }, { type: 'Flatten', name: 'flatten' },
    { type: 'Linear', name: 'fc', in_features: 196, out_features: 10 }],
};

/**
 * Sets training image `sample` of `ds` (a URL value: floored and clamped to the set) as the
 * executor's batch of one, with its class index as the target; returns both.
 */
export function setTrainingImage(ex: Executor, ds: SampleDataset, sample: string): { index: number; target: number } {
  const index = Math.min(Math.max(0, Math.floor(Number(sample) || 0)), ds.train.count - 1);
  const { input, target } = gatherBatch(ds, ds.train, [index], { timeFirst: false, oneHot: false });
  ex.setData(input, target);
  return { index, target: target[0] };
}
