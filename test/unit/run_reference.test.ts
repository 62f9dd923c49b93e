/**
 * `runSpecOnReference` (the CPU path of <nnx-layer-inspector>) against PyTorch: every case of
 * the CNN, norm/recurrent, softmax/activation/embedding and graph fixtures whose op it runs,
 * spec in, `nnx run` JSON out (outputs, gradients, traced intermediates) within the kernel
 * tests' tolerance; and bad specs fail with the GPU path's one-line messages.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { REFERENCE_OP_NAMES, runSpecOnReference } from '../../src/ops/run_reference.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';

interface FixtureCase {
  name: string;
  op: string;
  expected: { outputs: Record<string, JsonTensor>; grads?: Record<string, JsonTensor>; trace?: Record<string, JsonTensor> };
  [key: string]: unknown;
}

const load = (file: string): FixtureCase[] => JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));
const FILES = ['cnn_cases.json', 'cnn_holdout.json', 'norm_rnn_cases.json', 'norm_rnn_holdout.json', 'softmax_embedding_cases.json', 'softmax_embedding_holdout.json', 'graph_cases.json', 'graph_holdout.json'];
const CASES = FILES.flatMap(load).filter((c) => REFERENCE_OP_NAMES.includes(c.op));

function expectClose(got: JsonTensor | undefined, want: JsonTensor, what: string): void {
  expect(got, `${what} is missing`).toBeDefined();
  expect(got!.shape, `${what} shape`).toEqual(want.shape);
  const bad = (want.data as number[]).flatMap((w, i) => (Math.abs((got!.data as number[])[i] - w) <= 1e-6 + 1e-5 * Math.abs(w) ? [] : [`#${i}: ${(got!.data as number[])[i]} vs ${w}`]));
  expect(bad.slice(0, 5), `${what} differs from PyTorch`).toEqual([]);
}

describe('runSpecOnReference reproduces PyTorch', () => {
  it('covers conv2d, linear, pooling, norms, softmax, the recurrent ops and gcn', () => {
    const ops = new Set(CASES.map((c) => c.op));
    for (const op of ['conv2d', 'linear', 'max_pool2d', 'avg_pool2d', 'batch_norm', 'layer_norm', 'group_norm', 'softmax', 'log_softmax', 'rnn', 'lstm', 'gru', 'gcn', 'embedding', 'cross_entropy']) {
      expect(ops.has(op), op).toBe(true);
    }
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { expected, name: _n, ...spec } = c;
    const r = runSpecOnReference(spec);
    expect(r.backend).toBe('cpu-reference');
    expect(r.note).toMatch(/not the GPU/);
    expect(Object.keys(r.outputs).sort()).toEqual(Object.keys(expected.outputs).sort());
    for (const [name, t] of Object.entries(expected.outputs)) expectClose(r.outputs[name], t, `output ${name}`);
    expect(Object.keys(r.grads ?? {}).sort()).toEqual(Object.keys(expected.grads ?? {}).sort());
    for (const [name, t] of Object.entries(expected.grads ?? {})) expectClose(r.grads?.[name], t, `grad ${name}`);
    for (const [name, t] of Object.entries(expected.trace ?? {})) if (r.trace?.[name]) expectClose(r.trace[name], t, `trace ${name}`);
  });
});

describe('runSpecOnReference refuses bad specs in one line', () => {
  const x = { shape: [1, 1, 4, 4], data: new Array(16).fill(1) };
  it.each([
    [{ op: 'conv2d', attrs: {}, inputs: { x, weight: { shape: [1, 2, 3, 3], data: new Array(18).fill(1) } } }, /^conv2d: weight \[1, 2, 3, 3\] expects .*input channels/],
    [{ op: 'conv3d', inputs: {} }, /^unknown op "conv3d"/],
    [{ op: 'relu', inputs: { x: { shape: [2], data: [1, NaN] } } }, /not a finite number/],
    [{ op: 'scaled_dot_product_attention', inputs: {} }, /^scaled_dot_product_attention has no CPU reference here, so it needs WebGPU/],
    ['conv2d', /^spec must be a JSON object/],
  ])('%j', (spec, message) => {
    const run = () => runSpecOnReference(spec);
    expect(run).toThrow(InputError);
    expect(run).toThrow(message);
    expect(run).toThrow(/^[^\n]+$/);
  });
});
