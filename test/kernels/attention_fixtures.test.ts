/**
 * scaled_dot_product_attention and multi_head_attention on the GPU through runSpec: every
 * PyTorch case of test/fixtures/generate_attention.py (outputs, every gradient, the traced
 * probabilities, scores and per-head projections), then odd shapes against the float64 reference.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { mhaBackwardRef, mhaForwardRef, sdpaBackwardRef, sdpaForwardRef } from '../../src/analysis/reference/attention.ts';
import { mulberry32 } from '../../src/analysis/random.ts';
import { numel, type Tensor64 } from '../../src/analysis/tensor.ts';
import { runSpec } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { expectTensorClose, useGpu } from './gpu_harness.ts';

interface FixtureCase {
  name: string;
  op: string;
  expected: { outputs: Record<string, JsonTensor>; grads: Record<string, JsonTensor>; trace: Record<string, JsonTensor> };
}

const cases: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/attention_cases.json', import.meta.url), 'utf8'));

/** Float32-rounded uniform values in [-1, 1), as float64 for the reference. */
function random(shape: number[], rng: () => number): Tensor64 {
  return { shape, data: Float64Array.from({ length: numel(shape) }, () => Math.fround(2 * rng() - 1)) };
}
const json = (t: Tensor64): JsonTensor => ({ shape: t.shape, data: Array.from(t.data) });

const gpu = useGpu();

describe('attention kernels match PyTorch fixtures', () => {
  test('the fixture file covers both ops, causal and masked', () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(['scaled_dot_product_attention', 'multi_head_attention']));
    expect(cases.filter((c) => c.name.includes('causal')).length).toBeGreaterThanOrEqual(4);
    expect(cases.filter((c) => c.name.includes('mask')).length).toBeGreaterThanOrEqual(6);
  });
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { result } = await runSpec(gpu(), c, { trace: true });
    expect(Object.keys(result.outputs)).toEqual(['output']);
    expectTensorClose(result.outputs.output, c.expected.outputs.output, 'output');
    expect(Object.keys(result.grads ?? {}).sort()).toEqual(Object.keys(c.expected.grads).sort());
    for (const [name, expected] of Object.entries(c.expected.grads)) expectTensorClose(result.grads?.[name], expected, `grad ${name}`);
    for (const [name, expected] of Object.entries(c.expected.trace)) expectTensorClose(result.trace?.[name], expected, `trace ${name}`);
    const leaked = result.memory.buffers.filter((b) => b.destroyed === null).map((b) => b.label);
    expect(leaked, 'buffers the op left alive').toEqual([]);
  });
});

describe('attention kernels match the float64 reference on odd shapes', () => {
  test('sdpa [2, 3, 67, 5] with S = 70, Ev = 3, causal (more than one 64-row tile)', async () => {
    const rng = mulberry32(21);
    const [q, k, v] = [[2, 3, 67, 5], [2, 3, 70, 5], [2, 3, 70, 3]].map((s) => random(s, rng));
    const g = random([2, 3, 67, 3], rng);
    const options = { isCausal: true };
    const ref = sdpaForwardRef(q, k, v, options);
    const grads = sdpaBackwardRef(q, k, v, options, g);
    const { result } = await runSpec(gpu(), {
      op: 'scaled_dot_product_attention', attrs: { is_causal: true },
      inputs: { q: json(q), k: json(k), v: json(v) }, grad_output: { output: json(g) },
    }, { trace: true });
    expectTensorClose(result.outputs.output, ref.output, 'output');
    expectTensorClose(result.trace?.attn, ref.attn, 'attn');
    for (const n of ['q', 'k', 'v'] as const) expectTensorClose(result.grads?.[n], grads[n], `grad ${n}`);
  });

  test('mha batch_first false [7, 3, 10], 5 heads, float attn_mask [15, 7, 7] and bool key_padding_mask', async () => {
    const rng = mulberry32(22);
    const [L, N, E, H] = [7, 3, 10, 5];
    const x = random([L, N, E], rng);
    const w = { in_proj_weight: random([3 * E, E], rng), in_proj_bias: random([3 * E], rng), out_proj_weight: random([E, E], rng), out_proj_bias: random([E], rng) };
    const attnMask = random([N * H, L, L], rng);
    const padding = { shape: [N, L], data: Float64Array.from({ length: N * L }, (_, i) => (i % L !== 0 && rng() < 0.3 ? 1 : 0)) };
    const g = random([L, N, E], rng);
    const p = {
      inProjWeight: w.in_proj_weight, inProjBias: w.in_proj_bias, outProjWeight: w.out_proj_weight, outProjBias: w.out_proj_bias,
      numHeads: H, batchFirst: false, attnMask: { tensor: attnMask, bool: false }, keyPaddingMask: { tensor: padding, bool: true },
    };
    const ref = mhaForwardRef(x, p);
    const grads = mhaBackwardRef(x, p, g);
    const { result } = await runSpec(gpu(), {
      op: 'multi_head_attention', attrs: { num_heads: H, batch_first: false },
      inputs: {
        x: json(x), ...Object.fromEntries(Object.entries(w).map(([n, t]) => [n, json(t)])), attn_mask: json(attnMask),
        key_padding_mask: { shape: padding.shape, data: Array.from(padding.data, (b) => b === 1), dtype: 'bool' },
      },
      grad_output: { output: json(g) },
    }, { trace: true });
    expectTensorClose(result.outputs.output, ref.output, 'output');
    expectTensorClose(result.trace?.attn_weights, ref.attnWeights, 'attn_weights');
    for (const n of ['q', 'k', 'v'] as const) expectTensorClose(result.trace?.[n], ref[n], `trace ${n}`);
    expectTensorClose(result.grads?.x, grads.x, 'grad x');
    expectTensorClose(result.grads?.in_proj_weight, grads.inProjWeight, 'grad in_proj_weight');
    expectTensorClose(result.grads?.in_proj_bias, grads.inProjBias!, 'grad in_proj_bias');
    expectTensorClose(result.grads?.out_proj_weight, grads.outProjWeight, 'grad out_proj_weight');
    expectTensorClose(result.grads?.out_proj_bias, grads.outProjBias!, 'grad out_proj_bias');
  });
});
