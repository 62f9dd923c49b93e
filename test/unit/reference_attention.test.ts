import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { mhaBackwardRef, mhaForwardRef, sdpaBackwardRef, sdpaForwardRef, type MhaParams, type SdpaOptions } from '../../src/analysis/reference/attention.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import { FD_ATOL, FD_RTOL, expectClose, makeRng, numericalGrad, randomTensor, tensor } from './reference_helpers.ts';

interface JsonT { shape: number[]; data: (number | boolean)[]; dtype?: string }
interface FixtureCase {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: Record<string, JsonT>;
  grad_output: { output: JsonT };
  expected: { outputs: { output: JsonT }; grads: Record<string, JsonT>; trace: Record<string, JsonT> };
}

const t64 = (t: JsonT): Tensor64 => ({ shape: t.shape, data: Float64Array.from(t.data, Number) });
const maskOf = (t?: JsonT) => (t ? { tensor: t64(t), bool: t.dtype === 'bool' } : null);

describe('sdpaForwardRef / sdpaBackwardRef', () => {
  it('computes softmax(Q·Kᵀ/√E)·V by hand, with the causal mask top-left aligned', () => {
    const q = tensor([1, 2, 2], [1, 0, 0, 1]);
    const k = tensor([1, 3, 2], [1, 0, 0, 1, 1, 1]);
    const v = tensor([1, 3, 1], [1, 2, 3]);
    const r = sdpaForwardRef(q, k, v, { isCausal: true });
    const s = 1 / Math.sqrt(2);
    expect(Array.from(r.scores.data)).toEqual([s, -Infinity, -Infinity, 0, s, -Infinity]);
    const p = 1 / (1 + Math.exp(s));
    expect(r.attn.data[3]).toBeCloseTo(p, 14);
    expect(r.output.data[0]).toBe(1);
    expect(r.output.data[1]).toBeCloseTo(p * 1 + (1 - p) * 2, 14);
  });

  it('reads a bool mask as "takes part" and adds a float mask, broadcasting from the right', () => {
    const rng = makeRng(2);
    const q = randomTensor([2, 3, 4], rng);
    const k = randomTensor([2, 5, 4], rng);
    const v = randomTensor([2, 5, 2], rng);
    const keep = tensor([5], [1, 0, 1, 0, 0]);
    const r = sdpaForwardRef(q, k, v, { mask: { tensor: keep, bool: true } });
    for (let row = 0; row < 6; row++) expect([1, 3, 4].map((j) => r.attn.data[row * 5 + j])).toEqual([0, 0, 0]);
    const bias = tensor([3, 1], [0.5, -1, 2]);
    const plain = sdpaForwardRef(q, k, v).scores;
    const added = sdpaForwardRef(q, k, v, { mask: { tensor: bias, bool: false } }).scores;
    for (let b = 0; b < 2; b++) for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) {
      const at = (b * 3 + i) * 5 + j;
      expect(added.data[at] - plain.data[at]).toBeCloseTo(bias.data[i], 12);
    }
  });

  it('rejects a mask that does not broadcast and mismatched shapes', () => {
    const rng = makeRng(3);
    const q = randomTensor([1, 2, 3], rng);
    expect(() => sdpaForwardRef(q, randomTensor([1, 4, 3], rng), randomTensor([1, 4, 2], rng), { mask: { tensor: randomTensor([3, 4], rng), bool: false } })).toThrow(InputError);
    expect(() => sdpaForwardRef(q, randomTensor([1, 4, 2], rng), randomTensor([1, 4, 2], rng))).toThrow(InputError);
  });

  const cases: { name: string; q: number[]; k: number[]; v: number[]; options: (rng: () => number) => SdpaOptions }[] = [
    { name: 'no mask, L ≠ S, Ev ≠ E', q: [2, 3, 4], k: [2, 5, 4], v: [2, 5, 3], options: () => ({}) },
    { name: 'causal L > S, custom scale', q: [1, 2, 5, 3], k: [1, 2, 3, 3], v: [1, 2, 3, 2], options: () => ({ isCausal: true, scale: 0.7 }) },
    { name: 'float mask [2, 1, 3, 4]', q: [2, 2, 3, 2], k: [2, 2, 4, 2], v: [2, 2, 4, 2], options: (rng) => ({ mask: { tensor: randomTensor([2, 1, 3, 4], rng), bool: false } }) },
    { name: 'bool mask [3, 4]', q: [2, 3, 3], k: [2, 4, 3], v: [2, 4, 3], options: () => ({ mask: { tensor: tensor([3, 4], [1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0]), bool: true } }) },
  ];
  for (const c of cases) {
    it(`matches central finite differences: ${c.name}`, () => {
      const rng = makeRng(7);
      const q = randomTensor(c.q, rng);
      const k = randomTensor(c.k, rng);
      const v = randomTensor(c.v, rng);
      const options = c.options(rng);
      const gradOut = randomTensor(sdpaForwardRef(q, k, v, options).output.shape, rng);
      const g = sdpaBackwardRef(q, k, v, options, gradOut);
      const forward = () => sdpaForwardRef(q, k, v, options).output;
      expectClose(g.q, numericalGrad(forward, q, gradOut.data), FD_ATOL, FD_RTOL, 'dq');
      expectClose(g.k, numericalGrad(forward, k, gradOut.data), FD_ATOL, FD_RTOL, 'dk');
      expectClose(g.v, numericalGrad(forward, v, gradOut.data), FD_ATOL, FD_RTOL, 'dv');
    });
  }
});

describe('mhaForwardRef / mhaBackwardRef', () => {
  const params = (rng: () => number, E: number, bias: boolean, extra: Partial<MhaParams>): MhaParams => ({
    inProjWeight: randomTensor([3 * E, E], rng), inProjBias: bias ? randomTensor([3 * E], rng) : null,
    outProjWeight: randomTensor([E, E], rng), outProjBias: bias ? randomTensor([E], rng) : null,
    numHeads: 2, ...extra,
  });

  it('rejects embed_dim not divisible by num_heads', () => {
    const rng = makeRng(1);
    expect(() => mhaForwardRef(randomTensor([1, 2, 5], rng), params(rng, 5, true, {}))).toThrow(InputError);
  });

  const cases: { name: string; x: number[]; bias: boolean; extra: (rng: () => number) => Partial<MhaParams> }[] = [
    { name: 'biases, causal', x: [2, 3, 4], bias: true, extra: () => ({ isCausal: true }) },
    { name: 'no biases, float attn_mask [N·H, L, L], bool key_padding_mask', x: [2, 3, 4], bias: false, extra: (rng) => ({
      attnMask: { tensor: randomTensor([4, 3, 3], rng), bool: false },
      keyPaddingMask: { tensor: tensor([2, 3], [0, 1, 0, 0, 0, 1]), bool: true },
    }) },
    { name: 'batch_first false, bool attn_mask [L, L]', x: [3, 2, 4], bias: true, extra: () => ({
      batchFirst: false, attnMask: { tensor: tensor([3, 3], [0, 1, 1, 0, 0, 1, 1, 0, 0]), bool: true },
    }) },
  ];
  for (const c of cases) {
    it(`matches central finite differences: ${c.name}`, () => {
      const rng = makeRng(11);
      const x = randomTensor(c.x, rng);
      const p = params(rng, c.x[2], c.bias, c.extra(rng));
      const gradOut = randomTensor(c.x, rng);
      const g = mhaBackwardRef(x, p, gradOut);
      const forward = () => mhaForwardRef(x, p).output;
      expectClose(g.x, numericalGrad(forward, x, gradOut.data), FD_ATOL, FD_RTOL, 'dx');
      expectClose(g.inProjWeight, numericalGrad(forward, p.inProjWeight, gradOut.data), FD_ATOL, FD_RTOL, 'din_proj_weight');
      expectClose(g.outProjWeight, numericalGrad(forward, p.outProjWeight, gradOut.data), FD_ATOL, FD_RTOL, 'dout_proj_weight');
      if (c.bias) {
        expectClose(g.inProjBias!, numericalGrad(forward, p.inProjBias!, gradOut.data), FD_ATOL, FD_RTOL, 'din_proj_bias');
        expectClose(g.outProjBias!, numericalGrad(forward, p.outProjBias!, gradOut.data), FD_ATOL, FD_RTOL, 'dout_proj_bias');
      } else {
        expect(g.inProjBias).toBeNull();
        expect(g.outProjBias).toBeNull();
      }
    });
  }
});

describe('the float64 reference agrees with the PyTorch attention fixtures', () => {
  const cases: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/attention_cases.json', import.meta.url), 'utf8'));
  const tol = 1e-7;
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const g = t64(c.grad_output.output);
    const e = c.expected;
    if (c.op === 'scaled_dot_product_attention') {
      const options: SdpaOptions = { mask: maskOf(c.inputs.attn_mask), isCausal: c.attrs.is_causal === true, scale: (c.attrs.scale as number | undefined) ?? null };
      const [q, k, v] = ['q', 'k', 'v'].map((n) => t64(c.inputs[n]));
      const r = sdpaForwardRef(q, k, v, options);
      expectClose(r.output, t64(e.outputs.output), tol, tol, 'output');
      expectClose(r.attn, t64(e.trace.attn), tol, tol, 'attn');
      const grads = sdpaBackwardRef(q, k, v, options, g);
      for (const n of ['q', 'k', 'v'] as const) expectClose(grads[n], t64(e.grads[n]), tol, tol, `grad ${n}`);
    } else {
      const opt = (n: string) => (c.inputs[n] ? t64(c.inputs[n]) : null);
      const p: MhaParams = {
        inProjWeight: t64(c.inputs.in_proj_weight), inProjBias: opt('in_proj_bias'),
        outProjWeight: t64(c.inputs.out_proj_weight), outProjBias: opt('out_proj_bias'),
        numHeads: c.attrs.num_heads as number, isCausal: c.attrs.is_causal === true, batchFirst: c.attrs.batch_first !== false,
        attnMask: maskOf(c.inputs.attn_mask), keyPaddingMask: maskOf(c.inputs.key_padding_mask),
      };
      const x = t64(c.inputs.x);
      const r = mhaForwardRef(x, p);
      expectClose(r.output, t64(e.outputs.output), tol, tol, 'output');
      expectClose(r.attnWeights, t64(e.trace.attn_weights), tol, tol, 'attn_weights');
      const grads = mhaBackwardRef(x, p, g);
      expectClose(grads.x, t64(e.grads.x), tol, tol, 'grad x');
      expectClose(grads.inProjWeight, t64(e.grads.in_proj_weight), tol, tol, 'grad in_proj_weight');
      expectClose(grads.outProjWeight, t64(e.grads.out_proj_weight), tol, tol, 'grad out_proj_weight');
      if (p.inProjBias) expectClose(grads.inProjBias!, t64(e.grads.in_proj_bias), tol, tol, 'grad in_proj_bias');
      if (p.outProjBias) expectClose(grads.outProjBias!, t64(e.grads.out_proj_bias), tol, tol, 'grad out_proj_bias');
    }
  });
});
