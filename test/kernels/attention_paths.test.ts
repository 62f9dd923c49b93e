/**
 * The fused (online softmax) and unfused attention paths: every PyTorch case of
 * attention_cases.json and attention_holdout.json through both, untraced, against the fixtures
 * and against each other; the fused path keeps no L×S buffer; odd shapes against float64.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { sdpaBackwardRef, sdpaForwardRef } from '../../src/analysis/reference/attention.ts';
import { mulberry32 } from '../../src/analysis/random.ts';
import { numel, type Tensor64 } from '../../src/analysis/tensor.ts';
import { runSpec, type RunResult } from '../../src/ops/run.ts';
import { setAttentionPath } from '../../src/ops/scaled_dot_product_attention.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { expectTensorClose, useGpu } from './gpu_harness.ts';

interface FixtureCase {
  name: string;
  op: string;
  expected: { outputs: Record<string, JsonTensor>; grads: Record<string, JsonTensor> };
}

const load = (file: string): FixtureCase[] => JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));
const cases = [...load('attention_cases.json'), ...load('attention_holdout.json')];

const gpu = useGpu();
afterEach(() => setAttentionPath('auto'));

async function runPath(path: 'fused' | 'unfused', spec: unknown): Promise<RunResult> {
  setAttentionPath(path);
  return (await runSpec(gpu(), spec)).result;
}

const kernelsOf = (r: RunResult) => r.timings.dispatches.map((d) => d.kernel);
const labelsOf = (r: RunResult) => r.memory.buffers.map((b) => b.label);

describe('fused and unfused attention agree with PyTorch', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const fused = await runPath('fused', c);
    const unfused = await runPath('unfused', c);
    expect(kernelsOf(fused)).toContain('attention_fused_forward');
    expect(kernelsOf(fused)).not.toContain('attention_softmax');
    expect(labelsOf(fused).filter((l) => /scores|probs/.test(l)), 'L×S buffers on the fused path').toEqual([]);
    expect(kernelsOf(unfused)).toContain('attention_softmax');
    expect(kernelsOf(unfused)).not.toContain('attention_fused_forward');
    for (const r of [fused, unfused]) {
      expectTensorClose(r.outputs.output, c.expected.outputs.output, 'output');
      expect(Object.keys(r.grads ?? {}).sort()).toEqual(Object.keys(c.expected.grads).sort());
      for (const [name, expected] of Object.entries(c.expected.grads)) expectTensorClose(r.grads?.[name], expected, `grad ${name}`);
      expect(r.memory.buffers.filter((b) => b.destroyed === null).map((b) => b.label), 'buffers left alive').toEqual([]);
    }
    expectTensorClose(fused.outputs.output, unfused.outputs.output, 'fused vs unfused output');
    for (const name of Object.keys(c.expected.grads)) expectTensorClose(fused.grads?.[name], unfused.grads![name], `fused vs unfused grad ${name}`);
  });

  test('tracing takes the unfused path even when fused is asked for (the trace shows the scores)', async () => {
    setAttentionPath('fused');
    const { result } = await runSpec(gpu(), cases[0], { trace: true });
    expect(Object.keys(result.trace ?? {}).sort()).toEqual(['attn', 'scores']);
    expect(kernelsOf(result)).not.toContain('attention_fused_forward');
  });
});

/** Float32-rounded uniform values in [-1, 1), as float64 for the reference. */
function random(shape: number[], rng: () => number): Tensor64 {
  return { shape, data: Float64Array.from({ length: numel(shape) }, () => Math.fround(2 * rng() - 1)) };
}
const json = (t: Tensor64): JsonTensor => ({ shape: t.shape, data: Array.from(t.data) });

describe('fused attention matches the float64 reference on odd shapes', () => {
  test.each([
    ['causal [2, 3, 67, 5], S = 70, Ev = 3', [2, 3, 67, 5], 70, 3, true],
    ['no mask [3, 70, 7], S = 65, Ev = 9 (3-D, one batch level)', [3, 70, 7], 65, 9, false],
  ] as const)('%s', async (_name, qShape, S, Ev, causal) => {
    const rng = mulberry32(31);
    const lead = qShape.slice(0, -2);
    const q = random([...qShape], rng);
    const k = random([...lead, S, qShape[qShape.length - 1]], rng);
    const v = random([...lead, S, Ev], rng);
    const g = random([...lead, qShape[qShape.length - 2], Ev], rng);
    const options = { isCausal: causal };
    const ref = sdpaForwardRef(q, k, v, options);
    const grads = sdpaBackwardRef(q, k, v, options, g);
    const result = await runPath('fused', {
      op: 'scaled_dot_product_attention', attrs: { is_causal: causal },
      inputs: { q: json(q), k: json(k), v: json(v) }, grad_output: { output: json(g) },
    });
    expect(kernelsOf(result)).toContain('attention_fused_backward_key');
    expectTensorClose(result.outputs.output, ref.output, 'output');
    for (const n of ['q', 'k', 'v'] as const) expectTensorClose(result.grads?.[n], grads[n], `grad ${n}`);
  });
});
