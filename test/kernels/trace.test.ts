/**
 * The Model Tracer against PyTorch (test/fixtures/generate_trace.py → trace_cases.json): a CNN with
 * BatchNorm in training mode and a residual block, an MLP and an LSTM classifier, each with given
 * weights (the spec's `weights`, loaded as `nnx trace` loads them) and one batch. Every layer's
 * output and ∂L/∂output (PyTorch's forward hooks and output-tensor hooks), every parameter's value,
 * gradient and optimizer update must match within 2e-4 + 2e-3·|expected|; explanations of conv,
 * linear, pooling, norm and LSTM neurons must add up to the read-back outputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { explainTraceNeuron, liveBytesAt, traceStep, type ModelTrace } from '../../src/ops/tracer.ts';
import { expectScalarClose, expectValuesClose, useGpu } from './gpu_harness.ts';

interface Case {
  name: string;
  spec: ModelSpec & { weights: Record<string, JsonTensor> };
  data: { inputs: JsonTensor; targets: JsonTensor };
  expected: {
    loss: number;
    layers: Record<string, { output: JsonTensor; grad_output: JsonTensor | null }>;
    params: Record<string, { value: JsonTensor; grad: JsonTensor; update: JsonTensor }>;
  };
}

const CASES: Case[] = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/trace_cases.json'), 'utf8'));
const gpu = useGpu();
const traces = new Map<string, ModelTrace>();

beforeAll(async () => {
  for (const c of CASES) {
    const ex = await Executor.create(gpu(), c.spec);
    try {
      ex.loadWeights(c.spec.weights);
      ex.setData(c.data.inputs.data, c.data.targets.data);
      traces.set(c.name, await traceStep(gpu(), ex));
    } finally {
      ex.dispose();
    }
  }
});

describe('nnx trace: every layer, gradient and update against PyTorch hooks', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const t = traces.get(c.name)!;
    expectScalarClose(t.loss, c.expected.loss, `${c.name}: loss`);
    // (JSON objects list integer-like keys first, so the order is compared sorted.)
    expect(t.layers.map((l) => l.name).sort()).toEqual(Object.keys(c.expected.layers).sort());
    for (const l of t.layers) {
      const e = c.expected.layers[l.name];
      expect(l.output.shape, `${l.name} output shape`).toEqual(e.output.shape);
      expectValuesClose(l.output.data, e.output, `${c.name}: ${l.name} output`);
      expect(e.grad_output, `${l.name}: PyTorch saw a gradient`).not.toBeNull();
      expect(l.grad_output?.shape, `${l.name} grad_output shape`).toEqual(e.grad_output!.shape);
      expectValuesClose(l.grad_output!.data, e.grad_output!, `${c.name}: ${l.name} grad_output`);
    }
    expect(Object.keys(t.params).sort()).toEqual(Object.keys(c.expected.params).sort());
    for (const [name, e] of Object.entries(c.expected.params)) {
      const p = t.params[name];
      expectValuesClose(p.value.data, e.value, `${c.name}: ${name} value`);
      expectValuesClose(p.grad!.data, e.grad, `${c.name}: ${name} grad`);
      expectValuesClose(p.update!.data, e.update, `${c.name}: ${name} update`);
    }
  });

  test('the CNN names its inputs: the residual sum reads its body and the block input', () => {
    const t = traces.get('trace_cnn')!;
    expect(t.layers.find((l) => l.name === '0')!.inputs).toEqual(['input']);
    expect(t.layers.find((l) => l.name === '3')!.inputs).toEqual(['3.3', '2']);
    expect(t.layers.find((l) => l.name === '6')!.inputs).toEqual(['5']);
  });

  test('live bytes follow the step: the first conv output is alive after its forward, and the kept copies are not counted', () => {
    const t = traces.get('trace_cnn')!;
    const first = t.layers[0];
    const afterFirst = liveBytesAt(t, first.clock[0]);
    expect(afterFirst).toBeGreaterThanOrEqual(4 * first.output.data.length);
    expect(t.memory.buffers.some((b) => b.owner === 'trace')).toBe(true);
    expect(liveBytesAt(t, t.layers[t.layers.length - 1].clock[0])).toBeGreaterThan(0);
  });
});

describe('nnx trace --explain', () => {
  test('a conv neuron deep in the CNN (after the residual block and the pooling): the terms sum, plus bias, to its output', () => {
    const t = traces.get('trace_cnn')!;
    const c = CASES.find((k) => k.name === 'trace_cnn')!;
    for (const [layer, index] of [['6', [1, 3, 1, 0]], ['3.3', [0, 2, 6, 3]]] as [string, number[]][]) {
      const e = explainTraceNeuron(t, layer, index);
      if (e.kind !== 'dot') throw new Error(`expected a dot product, got ${e.kind}`);
      const layerOut = t.layers.find((l) => l.name === layer)!.output;
      expect(e.dot.terms.length).toBe(layer === '6' ? 4 * 2 * 2 : 4 * 3 * 3);
      const flat = index.reduce((f, v, i) => f * layerOut.shape[i] + v, 0);
      expect(e.dot.output).toBe(layerOut.data[flat]);
      expectScalarClose(e.dot.recomputed, e.dot.output, `${layer}${JSON.stringify(index)}: Σ x·w + b vs the GPU output`);
      expectScalarClose(e.dot.recomputed, c.expected.layers[layer].output.data[flat], `${layer}${JSON.stringify(index)}: Σ x·w + b vs PyTorch`);
    }
  });

  test('linear, max pooling, batch norm and LSTM neurons', () => {
    const cnn = traces.get('trace_cnn')!;
    const lin = explainTraceNeuron(traces.get('trace_mlp')!, '2', [2, 5]);
    if (lin.kind !== 'dot') throw new Error(lin.kind);
    expect(lin.dot.terms.length).toBe(8);
    expectScalarClose(lin.dot.recomputed, lin.dot.output, 'linear 2[2, 5]');
    const pool = explainTraceNeuron(cnn, '5', [1, 2, 2, 1]);
    if (pool.kind !== 'max_pool') throw new Error(pool.kind);
    expect(pool.window.length).toBe(4);
    const winner = pool.window.filter((w) => w.winner);
    expect(winner.length).toBe(1);
    expect(winner[0].x).toBe(pool.output);
    expect(Math.max(...pool.window.map((w) => w.x))).toBe(pool.output);
    const norm = explainTraceNeuron(cnn, '3.1', [1, 3, 4, 5]);
    if (norm.kind !== 'norm') throw new Error(norm.kind);
    expect(norm.norm.group).toBe('channel 3 over the batch (98 values)');
    expectScalarClose(norm.norm.recomputed, norm.norm.output, 'batch norm 3.1[1, 3, 4, 5]');
    // The LSTM (batch-first) at the last step: the float64 recurrence over the read-back input gives the GPU's h.
    const lstm = explainTraceNeuron(traces.get('trace_lstm')!, '0', [1, 4, 2]);
    if (lstm.kind !== 'recurrent') throw new Error(lstm.kind);
    expect(Object.keys(lstm.recurrent.gates)).toEqual(['i', 'f', 'g', 'o']);
    const r = lstm.recurrent;
    expect(Math.abs(r.c! - (r.gates.f * r.c_prev! + r.gates.i * r.gates.g))).toBeLessThan(1e-12);
    expectScalarClose(r.recomputed, r.output, 'lstm 0[1, 4, 2]');
  });

  test('a layer without an explanation, an unknown layer and an index outside the output are one-line InputErrors', () => {
    const t = traces.get('trace_lstm')!;
    expect(() => explainTraceNeuron(t, '1', [0, 0])).toThrow(/layer "1" is Select; explanations exist for Conv2d, Linear/);
    expect(() => explainTraceNeuron(t, 'head', [0, 0])).toThrow(/no layer "head" \(layers: 0, 1, 2\)/);
    expect(() => explainTraceNeuron(t, '2', [2, 0])).toThrow(InputError);
    expect(() => explainTraceNeuron(t, '2', [2, 0])).toThrow(/\[2, 0\] is outside the output shape \[2, 3\]/);
  });
});
