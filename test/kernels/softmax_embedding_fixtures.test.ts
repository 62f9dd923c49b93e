/**
 * softmax, log_softmax, gelu (both forms), relu6, elu and embedding on the GPU through runSpec:
 * against the float64 references on odd shapes, and against every PyTorch-generated case of
 * test/fixtures/generate_softmax_embedding.py.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { activationBackwardRef, activationForwardRef } from '../../src/analysis/reference/elementwise.ts';
import { embeddingBackwardRef, embeddingForwardRef } from '../../src/analysis/reference/embedding.ts';
import { logSumExpPartsRef, softmaxBackwardRef, softmaxForwardRef } from '../../src/analysis/reference/softmax.ts';
import { runNaiveSoftmax } from '../../src/kernels/softmax.ts';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { linearForwardRef } from '../../src/analysis/reference/linear.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { runSpec } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { makeRng, randomTensor } from '../unit/reference_helpers.ts';
import { expectTensorClose, jsonTensor, useGpu } from './gpu_harness.ts';

const gpu = useGpu();

interface FixtureCase {
  name: string;
  op: string;
  expected: { outputs: Record<string, JsonTensor>; grads: Record<string, JsonTensor>; trace?: Record<string, JsonTensor> };
}

const fixtures: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/softmax_embedding_cases.json', import.meta.url), 'utf8'));

describe('softmax, log_softmax, gelu, relu6, elu and embedding match PyTorch fixtures', () => {
  test('the fixture file covers every op, both gelu forms and the softmax trace', () => {
    expect(new Set(fixtures.map((c) => c.op))).toEqual(new Set(['softmax', 'log_softmax', 'gelu', 'relu6', 'elu', 'embedding']));
    expect(fixtures.filter((c) => c.op === 'softmax' || c.op === 'log_softmax').every((c) => c.expected.trace?.max && c.expected.trace.sum_exp)).toBe(true);
  });
  test.each(fixtures.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { result } = await runSpec(gpu(), c, { trace: true });
    expectTensorClose(result.outputs.output, c.expected.outputs.output, 'output');
    expect(Object.keys(result.grads ?? {}).sort()).toEqual(Object.keys(c.expected.grads).sort());
    for (const [name, expected] of Object.entries(c.expected.grads)) expectTensorClose(result.grads?.[name], expected, `grad ${name}`);
    for (const [name, expected] of Object.entries(c.expected.trace ?? {})) expectTensorClose(result.trace?.[name], expected, `trace ${name}`);
    const leaked = result.memory.buffers.filter((b) => b.owner === c.op && b.destroyed === null).map((b) => b.label);
    expect(leaked, 'buffers the op left alive').toEqual([]);
  });
});

function randomIndices(count: number, bound: number, rng: () => number): number[] {
  return Array.from({ length: count }, () => Math.floor(rng() * bound));
}

describe('embedding on the GPU vs the float64 reference', () => {
  const cases = [
    { name: 'vocab 1000 × dim 37, indices [7, 100] drawn from 50 rows (many repeats), padding_idx 3', vocab: 1000, dim: 37, shape: [7, 100], draw: 50, paddingIdx: 3 },
    { name: 'vocab 33,278 (the word-level LM vocabulary) × dim 8 (four features per invocation), indices [35, 20]', vocab: 33278, dim: 8, shape: [35, 20], draw: 33278, paddingIdx: -1 },
    { name: '0-D indices', vocab: 5, dim: 3, shape: [], draw: 5, paddingIdx: -1 },
    { name: '3-D indices, one row hit by every position', vocab: 65, dim: 5, shape: [2, 3, 4], draw: 1, paddingIdx: -1 },
    { name: '5,000 positions all in row 0 (one long segment to sort), dim 4', vocab: 7, dim: 4, shape: [50, 100], draw: 1, paddingIdx: -1 },
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
    if (c.draw === 1) {
      // Every position holds row 0: the GPU adds them in ascending position order in float32, so
      // the same sequence of float32 additions on the host must give the same bits.
      const gradOut32 = Float32Array.from(gradOut.data);
      const row0 = Array.from({ length: c.dim }, (_, j) => {
        let acc = 0;
        for (let p = 0; p < positions; p++) acc = Math.fround(acc + gradOut32[p * c.dim + j]);
        return acc;
      });
      expect(first.grads!.weight.data.slice(0, c.dim), 'row 0 summed in ascending position order').toEqual(row0);
    }
    const again = (await runSpec(gpu(), spec)).result;
    expect(again.grads!.weight.data, 'the scatter-add is deterministic (bit-identical on a rerun)').toEqual(first.grads!.weight.data);
  });
});

describe('softmax and log_softmax on the GPU vs the float64 reference', () => {
  const cases = [
    { name: 'rows of 1000 (one workgroup per row), dim -1', shape: [7, 1000], dim: -1, scale: 4 },
    { name: 'a row of 33,278 (a word-level vocabulary), dim 1', shape: [2, 33278], dim: 1, scale: 4 },
    { name: '5,000 short rows of 7 (one invocation per row)', shape: [5000, 7], dim: -1, scale: 3 },
    { name: '130 rows of 300 (enough rows: one invocation per long row)', shape: [130, 300], dim: -1, scale: 4 },
    { name: 'a 1-D row of 33 (just past the short-row limit)', shape: [33], dim: 0, scale: 3 },
    { name: '4-D [3, 37, 5, 2] along dim 1 (long strided rows)', shape: [3, 37, 5, 2], dim: 1, scale: 3 },
    { name: '4-D [3, 37, 5, 2] along dim -2 (short strided rows)', shape: [3, 37, 5, 2], dim: -2, scale: 3 },
    { name: '3-D [4, 3, 9] along dim 0', shape: [4, 3, 9], dim: 0, scale: 3 },
    { name: 'logits of ±1000 and 80 (naive exp overflows)', shape: [3, 40], dim: -1, scale: 1000 },
  ];
  test.each(cases.flatMap((c) => [false, true].map((log) => [`${log ? 'log_softmax' : 'softmax'}: ${c.name}`, c, log] as const)))('%s', async (_name, c, log) => {
    const rng = makeRng(c.shape.length * 100 + c.shape[0]);
    const x = randomTensor(c.shape, rng, -c.scale, c.scale);
    if (c.scale === 1000) x.data[45] = 80;
    x.data.set(Float32Array.from(x.data)); // the reference sees the float32 values the GPU gets
    const g = randomTensor(c.shape, rng);
    const spec = {
      op: log ? 'log_softmax' : 'softmax', attrs: { dim: c.dim },
      inputs: { x: jsonTensor(c.shape, x.data) }, grad_output: { output: jsonTensor(c.shape, g.data) },
    };
    const { result } = await runSpec(gpu(), spec, { trace: true });
    expectTensorClose(result.outputs.output, softmaxForwardRef(x, c.dim, log), 'output');
    expectTensorClose(result.grads?.x, softmaxBackwardRef(x, g, c.dim, log), 'grad x');
    const parts = logSumExpPartsRef(x, c.dim);
    const statsShape = c.shape.filter((_, i) => i !== (c.dim + c.shape.length) % c.shape.length);
    expectTensorClose(result.trace?.max, { shape: statsShape, data: parts.max }, 'trace max');
    expectTensorClose(result.trace?.sum_exp, { shape: statsShape, data: parts.sumExp }, 'trace sum_exp');
  });

  test('the naive kernel equals the stable one on small logits and overflows on large ones', async () => {
    const small = { shape: [2, 3], data: Float32Array.from([0.5, -1, 2, 3, 0, -2]) };
    const naive = await runNaiveSoftmax(gpu(), small, -1);
    expectTensorClose(jsonTensor(naive.shape, naive.data), softmaxForwardRef({ shape: small.shape, data: Float64Array.from(small.data) }, -1), 'naive softmax of small logits');
    const large = await runNaiveSoftmax(gpu(), { shape: [1, 3], data: Float32Array.from([1, 100, 2]) }, -1);
    // exp(100) is above float32's maximum (3.4e38): Σ = inf, so every quotient is 0 or inf/inf = NaN.
    expect(Number.isNaN(large.data[1])).toBe(true);
    expect(large.data[0]).toBe(0);
    const logLarge = await runNaiveSoftmax(gpu(), { shape: [3], data: Float32Array.from([1, 100, 2]) }, 0, true);
    expect(logLarge.data[1]).toBe(-Infinity);
  });
});

describe('gelu (tanh form), relu6 and elu on the GPU vs the float64 reference', () => {
  const cases = [
    { name: 'gelu approximate "tanh"', op: 'gelu', attrs: { approximate: 'tanh' }, kind: 'gelu_tanh', slope: 0 },
    { name: 'relu6', op: 'relu6', attrs: {}, kind: 'relu6', slope: 0 },
    { name: 'elu (alpha 1)', op: 'elu', attrs: {}, kind: 'elu', slope: 1 },
    { name: 'elu alpha 0.5', op: 'elu', attrs: { alpha: 0.5 }, kind: 'elu', slope: 0.5 },
  ] as const;
  test.each(cases.map((c) => [c.name, c] as const))('%s on [3, 5, 67] from −9 to 9, kinks included', async (_name, c) => {
    const shape = [3, 5, 67];
    const rng = makeRng(23);
    const x = randomTensor(shape, rng, -9, 9);
    x.data.set(Float32Array.from(x.data));
    x.data.set([0, 6, -0, 1e-30, 5.9999995, 6.0000005, -20, 20], 0);
    const g = randomTensor(shape, rng);
    const spec = { op: c.op, attrs: c.attrs, inputs: { x: jsonTensor(shape, x.data) }, grad_output: { output: jsonTensor(shape, g.data) } };
    const { result } = await runSpec(gpu(), spec);
    expectTensorClose(result.outputs.output, activationForwardRef(c.kind, x, c.slope), 'output');
    expectTensorClose(result.grads?.x, activationBackwardRef(c.kind, x, g, c.slope), 'grad x');
  });
});

describe('executor layers ReLU6, ELU, Softmax and LogSoftmax', () => {
  test.each(['Softmax', 'LogSoftmax'] as const)('Linear → ReLU6 → Linear → ELU(α 0.5) → Linear → %s(dim 1): the loss equals the float64 forward', async (last) => {
    const spec: ModelSpec = { input: [3, 4], loss: 'mse', optimizer: { type: 'sgd', lr: 0.1 }, layers: [
      { type: 'Linear', name: 'fc1', in_features: 4, out_features: 6 }, { type: 'ReLU6' },
      { type: 'Linear', name: 'fc2', in_features: 6, out_features: 5 }, { type: 'ELU', alpha: 0.5 },
      { type: 'Linear', name: 'fc3', in_features: 5, out_features: 4 }, { type: last, dim: 1 }] };
    const ex = await Executor.create(gpu(), spec);
    try {
      const params = await ex.readParams();
      const { input, target } = ex.data();
      const r = await ex.step();
      const t64 = (shape: number[], data: ArrayLike<number>): Tensor64 => ({ shape, data: Float64Array.from(data) });
      const layer = (x: Tensor64, name: string, out: number, inF: number) => linearForwardRef(x, t64([out, inF], params[`${name}.weight`]), t64([out], params[`${name}.bias`]));
      let h = layer(t64([3, 4], input), 'fc1', 6, 4);
      h = activationForwardRef('relu6', h);
      h = activationForwardRef('elu', layer(h, 'fc2', 5, 6), 0.5);
      const y = softmaxForwardRef(layer(h, 'fc3', 4, 5), 1, last === 'LogSoftmax');
      const loss = y.data.reduce((acc, v, i) => acc + (v - target[i]) ** 2, 0) / y.data.length;
      expect(r.loss).toBeCloseTo(loss, 5);
    } finally {
      ex.dispose();
    }
  });
});
