/** The float64 references (softmax, activations, embedding) against every PyTorch case of generate_softmax_embedding.py. */
import { readFileSync } from 'node:fs';
import { describe, test } from 'vitest';
import { activationBackwardRef, activationForwardRef, type ActivationName } from '../../src/analysis/reference/elementwise.ts';
import { embeddingBackwardRef, embeddingForwardRef } from '../../src/analysis/reference/embedding.ts';
import { logSumExpPartsRef, softmaxBackwardRef, softmaxForwardRef } from '../../src/analysis/reference/softmax.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import { expectClose } from './reference_helpers.ts';

interface T { shape: number[]; data: number[] }
interface FixtureCase {
  name: string; op: string; attrs: Record<string, unknown>;
  inputs: Record<string, T>; grad_output: { output: T };
  expected: { outputs: { output: T }; grads: Record<string, T>; trace?: Record<string, T> };
}

const t64 = (t: T): Tensor64 => ({ shape: t.shape, data: Float64Array.from(t.data) });
const load = (file: string): FixtureCase[] => JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));
const cases = [...load('softmax_embedding_cases.json'), ...load('softmax_embedding_holdout.json')];
const TOL = 1e-7;

describe('float64 references vs PyTorch (softmax, log_softmax, gelu, relu6, elu, embedding)', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const g = t64(c.grad_output.output);
    const expected = c.expected;
    if (c.op === 'embedding') {
      const { weight, indices } = c.inputs;
      const vocab = weight.shape[0];
      const pad = typeof c.attrs.padding_idx === 'number' ? (c.attrs.padding_idx + vocab) % vocab : -1;
      expectClose(embeddingForwardRef(t64(weight), indices.data, indices.shape), expected.outputs.output, TOL, TOL, 'output');
      expectClose(embeddingBackwardRef(t64(weight), indices.data, g, pad), expected.grads.weight, TOL, TOL, 'grad weight');
      return;
    }
    const x = t64(c.inputs.x);
    if (c.op === 'softmax' || c.op === 'log_softmax') {
      const dim = c.attrs.dim as number;
      const log = c.op === 'log_softmax';
      expectClose(softmaxForwardRef(x, dim, log), expected.outputs.output, TOL, TOL, 'output');
      expectClose(softmaxBackwardRef(x, g, dim, log), expected.grads.x, TOL, TOL, 'grad x');
      const parts = logSumExpPartsRef(x, dim);
      expectClose({ shape: expected.trace!.max.shape, data: parts.max }, expected.trace!.max, TOL, TOL, 'max');
      expectClose({ shape: expected.trace!.sum_exp.shape, data: parts.sumExp }, expected.trace!.sum_exp, TOL, TOL, 'sum_exp');
      return;
    }
    const kind: ActivationName = c.op === 'gelu' && c.attrs.approximate === 'tanh' ? 'gelu_tanh' : (c.op as ActivationName);
    const slope = c.op === 'elu' ? ((c.attrs.alpha as number | undefined) ?? 1) : 0.01;
    expectClose(activationForwardRef(kind, x, slope), expected.outputs.output, TOL, TOL, 'output');
    expectClose(activationBackwardRef(kind, x, g, slope), expected.grads.x, TOL, TOL, 'grad x');
  });
});
