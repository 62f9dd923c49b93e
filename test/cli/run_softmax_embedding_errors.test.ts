/** Bad input to softmax, log_softmax, gelu, elu and embedding: exit 1 with one line naming the numbers. */
import { describe, test } from 'vitest';
import { expectRejects, filledTensor, useInProcessNnx } from './nnx_cli.ts';

const x = filledTensor;
const ids = (shape: number[], data: number[]) => ({ shape, data, dtype: 'int32' });

const bad: [string, unknown, RegExp][] = [
  ['embedding index above the vocabulary', { op: 'embedding', inputs: { weight: x([5, 3]), indices: ids([2, 3], [0, 1, 2, 3, 10, 4]) } }, /embedding: indices\[4\] \(flat\) = 10 is outside \[0, 5\) for weight \[5, 3\]/],
  ['embedding negative index', { op: 'embedding', inputs: { weight: x([5, 3]), indices: ids([3], [0, -1, 2]) } }, /embedding: indices\[1\] \(flat\) = -1 is outside \[0, 5\) for weight \[5, 3\]/],
  ['embedding padding_idx outside the vocabulary', { op: 'embedding', attrs: { padding_idx: 5 }, inputs: { weight: x([5, 3]), indices: ids([1], [0]) } }, /embedding: padding_idx must be an integer in \[-5, 4\] for 5 embeddings, got 5/],
  ['embedding max_norm', { op: 'embedding', attrs: { max_norm: 1.0 }, inputs: { weight: x([5, 3]), indices: ids([1], [0]) } }, /embedding: max_norm = 1 is not supported/],
  ['embedding sparse', { op: 'embedding', attrs: { sparse: true }, inputs: { weight: x([5, 3]), indices: ids([1], [0]) } }, /embedding: sparse = true is not supported/],
  ['embedding float indices', { op: 'embedding', inputs: { weight: x([5, 3]), indices: { shape: [2], data: [0, 1], dtype: 'float32' } } }, /indices: expected dtype int32, got float32/],
  ['embedding 1-D weight', { op: 'embedding', inputs: { weight: x([5]), indices: ids([1], [0]) } }, /embedding: weight must be \[num_embeddings, embedding_dim\], got shape \[5\]/],
  ['softmax dim past the rank', { op: 'softmax', attrs: { dim: 2 }, inputs: { x: x([2, 3]) } }, /softmax: dim 2 is out of range for x \[2, 3\] of rank 2 \(expected -2 to 1\)/],
  ['log_softmax negative dim past the rank', { op: 'log_softmax', attrs: { dim: -4 }, inputs: { x: x([2, 3, 4]) } }, /log_softmax: dim -4 is out of range for x \[2, 3, 4\] of rank 3 \(expected -3 to 2\)/],
  ['softmax without dim', { op: 'softmax', inputs: { x: x([2, 3]) } }, /softmax: attribute "dim" is required/],
  ['softmax fractional dim', { op: 'softmax', attrs: { dim: 0.5 }, inputs: { x: x([2, 3]) } }, /softmax: dim must be an integer, got 0.5/],
  ['gelu unknown approximate', { op: 'gelu', attrs: { approximate: 'fast' }, inputs: { x: x([4]) } }, /gelu: approximate must be "none" \(the erf form\) or "tanh", got "fast"/],
  ['elu non-numeric alpha', { op: 'elu', attrs: { alpha: 'big' }, inputs: { x: x([4]) } }, /elu: alpha must be a finite number, got "big"/],
];

describe('nnx run rejects bad softmax, activation and embedding input with one clear line', () => {
  const cli = useInProcessNnx();

  test.each(bad)('%s', async (_name, spec, message) => {
    expectRejects(await cli(['run', '-'], JSON.stringify(spec)), message);
  });
});
