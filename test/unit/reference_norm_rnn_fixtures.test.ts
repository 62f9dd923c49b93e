/**
 * The float64 reference against PyTorch: every output, gradient and trace tensor of every case
 * in test/fixtures/norm_rnn_cases.json and norm_rnn_holdout.json (written by generate_norm_rnn.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  batchNormBackwardRef, batchNormForwardRef, groupNormBackwardRef, groupNormForwardRef,
  layerNormBackwardRef, layerNormForwardRef, type NormForward, type NormGrads,
} from '../../src/analysis/reference/norm.ts';
import { recurrentBackwardRef, recurrentForwardRef, type Nonlinearity, type RecurrentCell } from '../../src/analysis/reference/recurrent.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import { expectClose } from './reference_helpers.ts';

interface JsonTensor {
  shape: number[];
  data: number[];
}

interface FixtureCase {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: Record<string, JsonTensor>;
  grad_output?: Record<string, JsonTensor>;
  expected: { outputs: Record<string, JsonTensor>; grads?: Record<string, JsonTensor>; trace: Record<string, JsonTensor> };
}

interface RefResult {
  outputs: Record<string, Tensor64>;
  grads: Record<string, Tensor64>;
  trace: Record<string, Tensor64>;
}

// Expected values carry 9 significant digits.
const ATOL = 1e-8;
const RTOL = 1e-7;

const f64 = (t: JsonTensor): Tensor64 => ({ shape: t.shape, data: Float64Array.from(t.data) });

function normResult(f: NormForward, g: NormGrads | null): RefResult {
  const outputs: Record<string, Tensor64> = { output: f.output };
  if (f.runningMean) outputs.running_mean = f.runningMean;
  if (f.runningVar) outputs.running_var = f.runningVar;
  const grads: Record<string, Tensor64> = {};
  if (g) {
    grads.x = g.x;
    if (g.weight) grads.weight = g.weight;
    if (g.bias) grads.bias = g.bias;
  }
  return { outputs, grads, trace: { mean: f.mean, invstd: f.invstd, xhat: f.xhat } };
}

function runReference(c: FixtureCase): RefResult {
  const t = (name: string) => (c.inputs[name] ? f64(c.inputs[name]) : null);
  const x = t('x')!;
  const go = c.grad_output ?? {};
  const eps = (c.attrs.eps as number | undefined) ?? 1e-5;
  switch (c.op) {
    case 'batch_norm': {
      const o = { training: c.attrs.training === true, momentum: (c.attrs.momentum as number | undefined) ?? 0.1, eps };
      const args = [x, t('weight'), t('bias'), t('running_mean'), t('running_var'), o] as const;
      return normResult(batchNormForwardRef(...args), go.output ? batchNormBackwardRef(...args, f64(go.output)) : null);
    }
    case 'layer_norm': {
      const raw = c.attrs.normalized_shape as number | number[];
      const shape = typeof raw === 'number' ? [raw] : raw;
      const args = [x, shape, t('weight'), t('bias'), eps] as const;
      return normResult(layerNormForwardRef(...args), go.output ? layerNormBackwardRef(...args, f64(go.output)) : null);
    }
    case 'group_norm': {
      const args = [x, c.attrs.num_groups as number, t('weight'), t('bias'), eps] as const;
      return normResult(groupNormForwardRef(...args), go.output ? groupNormBackwardRef(...args, f64(go.output)) : null);
    }
    default: {
      const cell = c.op as RecurrentCell;
      const nl = ((c.attrs.nonlinearity as string | undefined) ?? 'tanh') as Nonlinearity;
      const p = { x, h0: t('h0'), c0: t('c0'), weightIh: t('weight_ih')!, weightHh: t('weight_hh')!, biasIh: t('bias_ih'), biasHh: t('bias_hh') };
      const f = recurrentForwardRef(cell, p, nl);
      const g = recurrentBackwardRef(cell, p, nl, go.y ? f64(go.y) : null, go.h_n ? f64(go.h_n) : null, go.c_n ? f64(go.c_n) : null);
      const outputs: Record<string, Tensor64> = { y: f.y, h_n: f.hN };
      if (f.cN) outputs.c_n = f.cN;
      const grads: Record<string, Tensor64> = { x: g.x, weight_ih: g.weightIh, weight_hh: g.weightHh };
      if (g.h0) grads.h0 = g.h0;
      if (g.c0) grads.c0 = g.c0;
      if (g.biasIh) grads.bias_ih = g.biasIh;
      if (g.biasHh) grads.bias_hh = g.biasHh;
      const trace: Record<string, Tensor64> = { h: f.h, grad_h_norm: g.gradHNorm };
      for (const [name, v] of Object.entries(f.gates)) trace[`gates.${name}`] = v;
      if (f.c) trace.c = f.c;
      return { outputs, grads, trace };
    }
  }
}

for (const file of ['norm_rnn_cases.json', 'norm_rnn_holdout.json']) {
  describe(`float64 reference reproduces PyTorch: ${file}`, () => {
    const cases: FixtureCase[] = JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));
    it('has cases for every norm and recurrent op', () => {
      expect(new Set(cases.map((c) => c.op))).toEqual(new Set(['batch_norm', 'layer_norm', 'group_norm', 'rnn', 'lstm', 'gru']));
    });
    for (const c of cases) {
      it(c.name, () => {
        const got = runReference(c);
        expect(Object.keys(got.outputs).sort()).toEqual(Object.keys(c.expected.outputs).sort());
        expect(Object.keys(got.grads).sort()).toEqual(Object.keys(c.expected.grads ?? {}).sort());
        for (const [name, want] of Object.entries(c.expected.outputs)) expectClose(got.outputs[name], want, ATOL, RTOL, `output ${name}`);
        for (const [name, want] of Object.entries(c.expected.grads ?? {})) expectClose(got.grads[name], want, ATOL, RTOL, `grad ${name}`);
        for (const [name, want] of Object.entries(c.expected.trace)) {
          expect(got.trace[name], `trace ${name}`).toBeDefined();
          expectClose(got.trace[name], want, ATOL, RTOL, `trace ${name}`);
        }
      });
    }
  });
}
