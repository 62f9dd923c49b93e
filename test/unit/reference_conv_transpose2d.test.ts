/** The float64 conv_transpose2d reference: by hand, against PyTorch's fixtures, and its gradients by finite differences. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convTranspose2dBackwardRef, convTranspose2dForwardRef, type ConvTranspose2dRefAttrs } from '../../src/analysis/reference/conv_transpose2d.ts';
import { toFloat64, type Tensor } from '../../src/analysis/tensor.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

interface FixtureCase {
  name: string;
  attrs: Record<string, number | number[]>;
  inputs: Record<string, Tensor>;
  grad_output: { output: Tensor };
  expected: { outputs: { output: Tensor }; grads: Record<string, Tensor> };
}

const pair = (v: number | number[] | undefined, fallback: number): [number, number] => (v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const attrsOf = (a: FixtureCase['attrs']): ConvTranspose2dRefAttrs => ({
  stride: pair(a.stride, 1), padding: pair(a.padding, 0), outputPadding: pair(a.output_padding, 0), dilation: pair(a.dilation, 1), groups: (a.groups as number | undefined) ?? 1,
});

describe('convTranspose2dForwardRef', () => {
  it('by hand: stride 2 spreads each input over its own 2×2 block, output_padding adds a zero row and column', () => {
    const a: ConvTranspose2dRefAttrs = { stride: [2, 2], padding: [0, 0], outputPadding: [1, 1], dilation: [1, 1], groups: 1 };
    const out = convTranspose2dForwardRef(tensor([1, 1, 1, 2], [1, 10]), tensor([1, 1, 2, 2], [1, 2, 3, 4]), tensor([1], [0.5]), a);
    expect(out.shape).toEqual([1, 1, 3, 5]);
    expect(Array.from(out.data)).toEqual([1, 2, 10, 20, 0, 3, 4, 30, 40, 0, 0, 0, 0, 0, 0].map((v) => v + 0.5));
  });

  const cases: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/conv_transpose_cases.json', import.meta.url), 'utf8'));
  it.each(cases.map((c) => [c.name, c] as const))('matches PyTorch: %s', (_name, c) => {
    const x = toFloat64(c.inputs.x);
    const w = toFloat64(c.inputs.weight);
    const b = c.inputs.bias ? toFloat64(c.inputs.bias) : null;
    const a = attrsOf(c.attrs);
    expectClose(convTranspose2dForwardRef(x, w, b, a), c.expected.outputs.output, 1e-7, 1e-7, 'output');
    const grads = convTranspose2dBackwardRef(x, w, b, a, toFloat64(c.grad_output.output));
    expectClose(grads.x, c.expected.grads.x, 1e-7, 1e-7, 'grad x');
    expectClose(grads.weight, c.expected.grads.weight, 1e-7, 1e-7, 'grad weight');
    if (b) expectClose(grads.bias!, c.expected.grads.bias, 1e-7, 1e-7, 'grad bias');
  });

  it('gradients agree with finite differences (groups 2, dilation, stride 3, padding)', () => {
    const rng = makeRng(7);
    const a: ConvTranspose2dRefAttrs = { stride: [3, 2], padding: [1, 0], outputPadding: [2, 1], dilation: [1, 2], groups: 2 };
    const x = randomTensor([2, 4, 3, 2], rng);
    const w = randomTensor([4, 1, 2, 3], rng);
    const b = randomTensor([2], rng);
    const out = convTranspose2dForwardRef(x, w, b, a);
    const g = randomTensor(out.shape, rng).data;
    const grads = convTranspose2dBackwardRef(x, w, b, a, { shape: out.shape, data: g });
    expectClose(grads.x, numericalGrad(() => convTranspose2dForwardRef(x, w, b, a), x, g), FD_ATOL, FD_RTOL, 'grad x');
    expectClose(grads.weight, numericalGrad(() => convTranspose2dForwardRef(x, w, b, a), w, g), FD_ATOL, FD_RTOL, 'grad weight');
    expectClose(grads.bias!, numericalGrad(() => convTranspose2dForwardRef(x, w, b, a), b, g), FD_ATOL, FD_RTOL, 'grad bias');
  });
});
