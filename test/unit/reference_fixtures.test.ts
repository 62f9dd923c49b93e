/**
 * The float64 reference against PyTorch: every output and gradient of every case in
 * test/fixtures/cnn_cases.json and cnn_holdout.json (written by generate_cnn.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeConv2dAttrs, normalizePool2dAttrs } from '../../src/analysis/conv_shapes.ts';
import { conv2dBackwardRef, conv2dForwardRef } from '../../src/analysis/reference/conv2d.ts';
import { crossEntropyBackwardRef, crossEntropyForwardRef, type Reduction } from '../../src/analysis/reference/cross_entropy.ts';
import { linearBackwardRef, linearForwardRef } from '../../src/analysis/reference/linear.ts';
import {
  avgPool2dBackwardRef,
  avgPool2dForwardRef,
  maxPool2dBackwardRef,
  maxPool2dForwardRef,
} from '../../src/analysis/reference/pool2d.ts';
import { reluBackwardRef, reluForwardRef } from '../../src/analysis/reference/relu.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import { expectClose } from './reference_helpers.ts';

interface JsonTensor {
  shape: number[];
  data: number[];
  dtype?: 'float32' | 'int32';
}

interface FixtureCase {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: Record<string, JsonTensor>;
  grad_output: Record<string, JsonTensor>;
  expected: { outputs: Record<string, JsonTensor>; grads: Record<string, JsonTensor> };
}

/** What the reference computed for one case, named as in the fixture. */
interface RefResult {
  outputs: Record<string, Tensor64>;
  grads: Record<string, Tensor64>;
}

const ATOL = 1e-9;
const RTOL = 1e-7;

function load(file: string): FixtureCase[] {
  return JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as FixtureCase[];
}

const f64 = (t: JsonTensor): Tensor64 => ({ shape: t.shape, data: Float64Array.from(t.data) });

/** Runs one fixture case through the float64 reference, forward and backward. */
function runReference(c: FixtureCase): RefResult {
  const t = (name: string) => f64(c.inputs[name]);
  const opt = (name: string) => (c.inputs[name] ? t(name) : null);
  const gradOut = f64(Object.values(c.grad_output)[0]);
  switch (c.op) {
    case 'conv2d': {
      const [x, weight, bias] = [t('x'), t('weight'), opt('bias')];
      const attrs = normalizeConv2dAttrs(c.attrs, weight.shape[2], weight.shape[3]);
      const g = conv2dBackwardRef(x, weight, bias, attrs, gradOut);
      const grads: Record<string, Tensor64> = { x: g.x, weight: g.weight };
      if (g.bias) grads.bias = g.bias;
      return { outputs: { output: conv2dForwardRef(x, weight, bias, attrs) }, grads };
    }
    case 'max_pool2d': {
      const attrs = normalizePool2dAttrs('max_pool2d', c.attrs);
      return { outputs: { output: maxPool2dForwardRef(t('x'), attrs).output }, grads: { x: maxPool2dBackwardRef(t('x'), attrs, gradOut) } };
    }
    case 'avg_pool2d': {
      const attrs = normalizePool2dAttrs('avg_pool2d', c.attrs);
      return { outputs: { output: avgPool2dForwardRef(t('x'), attrs) }, grads: { x: avgPool2dBackwardRef(t('x'), attrs, gradOut) } };
    }
    case 'linear': {
      const [x, weight, bias] = [t('x'), t('weight'), opt('bias')];
      const g = linearBackwardRef(x, weight, bias, gradOut);
      const grads: Record<string, Tensor64> = { x: g.x, weight: g.weight };
      if (g.bias) grads.bias = g.bias;
      return { outputs: { output: linearForwardRef(x, weight, bias) }, grads };
    }
    case 'relu':
      return { outputs: { output: reluForwardRef(t('x')) }, grads: { x: reluBackwardRef(t('x'), gradOut) } };
    case 'cross_entropy': {
      const target = { shape: c.inputs.target.shape, data: Int32Array.from(c.inputs.target.data) };
      const reduction = (c.attrs.reduction ?? 'mean') as Reduction;
      const ignoreIndex = (c.attrs.ignore_index ?? -100) as number;
      return {
        outputs: { loss: crossEntropyForwardRef(t('logits'), target, reduction, ignoreIndex).loss },
        grads: { logits: crossEntropyBackwardRef(t('logits'), target, reduction, gradOut, ignoreIndex) },
      };
    }
    default:
      throw new Error(`fixture ${c.name}: no reference for op ${c.op}`);
  }
}

for (const file of ['cnn_cases.json', 'cnn_holdout.json']) {
  describe(`float64 reference reproduces PyTorch: ${file}`, () => {
    const cases = load(file);
    it('has cases for every op', () => {
      expect(new Set(cases.map((c) => c.op))).toEqual(new Set(['conv2d', 'max_pool2d', 'avg_pool2d', 'linear', 'relu', 'cross_entropy']));
    });
    for (const c of cases) {
      it(c.name, () => {
        const got = runReference(c);
        expect(Object.keys(got.outputs).sort()).toEqual(Object.keys(c.expected.outputs).sort());
        expect(Object.keys(got.grads).sort()).toEqual(Object.keys(c.expected.grads).sort());
        for (const [name, want] of Object.entries(c.expected.outputs)) expectClose(got.outputs[name], want, ATOL, RTOL, `output ${name}`);
        for (const [name, want] of Object.entries(c.expected.grads)) expectClose(got.grads[name], want, ATOL, RTOL, `grad ${name}`);
      });
    }
  });
}
