/**
 * `nnx trace` through the real binary, once: the MLP fixture (test/fixtures/generate_trace.py; no
 * conv kernels to compile, so the spawn stays short) with its weights and batch, --explain on a
 * Linear neuron, the --json contract. The CNN's layers and its conv explanations are checked
 * in-process (test/kernels/trace.test.ts); errors found before the GPU runs are checked here
 * in-process.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { prepareTrace } from '../../src/cli/trace.ts';
import { nnx } from './nnx_cli.ts';

interface JsonTensor {
  shape: number[];
  data: number[];
}

const CASES = JSON.parse(readFileSync(new URL('../fixtures/trace_cases.json', import.meta.url), 'utf8'));
const CNN = CASES.find((c: { name: string }) => c.name === 'trace_cnn');
const MLP = CASES.find((c: { name: string }) => c.name === 'trace_mlp');
const DIR = mkdtempSync(join(tmpdir(), 'nnx-trace-'));

function write(name: string, value: unknown): string {
  const file = join(DIR, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('nnx trace', () => {
  test('--json --explain on the MLP fixture: every layer with inputs, output and grad_output; params with value, grad, update; the linear neuron adds up', () => {
    const r = nnx(['trace', write('mlp.json', MLP.spec), '--data', write('mlp_data.json', MLP.data), '--explain', '2:2,5', '--json'], undefined, 300_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['explain', 'layers', 'loss', 'memory', 'model', 'params', 'timings']);
    expect(out.model).toBe('trace_mlp');
    expect(Math.abs(out.loss - MLP.expected.loss)).toBeLessThanOrEqual(2e-4 + 2e-3 * MLP.expected.loss);
    expect(out.layers.map((l: { name: string }) => l.name)).toEqual(['0', '1', '2', '3', '4']);
    const tanh = out.layers.find((l: { name: string }) => l.name === '3');
    expect(Object.keys(tanh).sort()).toEqual(['grad_output', 'inputs', 'name', 'output', 'type']);
    expect(tanh.type).toBe('Tanh');
    expect(tanh.inputs).toEqual(['2']);
    const expected: JsonTensor = MLP.expected.layers['3'].grad_output;
    expect(tanh.grad_output.shape).toEqual(expected.shape);
    tanh.grad_output.data.forEach((v: number, i: number) => expect(Math.abs(v - expected.data[i])).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(expected.data[i])));
    const update: JsonTensor = MLP.expected.params['2.weight'].update;
    expect(Object.keys(out.params['2.weight']).sort()).toEqual(['grad', 'update', 'value']);
    out.params['2.weight'].update.data.forEach((v: number, i: number) => expect(Math.abs(v - update.data[i])).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(update.data[i])));
    expect(out.memory.peak_bytes).toBeGreaterThan(0);
    expect(out.explain.layer).toBe('2');
    expect(out.explain.dot.terms).toHaveLength(8);
    const sum = out.explain.dot.terms.reduce((s: number, t: { x: number; w: number }) => s + t.x * t.w, 0) + out.explain.dot.bias;
    expect(Math.abs(sum - out.explain.dot.output)).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(out.explain.dot.output));
  });

  test('a missing ONNX file, a data file that does not fit the model and a sample index past the data are one-line errors before the GPU runs', () => {
    expect(() => prepareTrace('lenet5', { data: 'fashion-mnist:3999', batch: 2 })).toThrow(/^trace: --data fashion-mnist:3999: samples 3999\.\.4000 are outside the training split \(4000 samples\)$/);
    expect(() => prepareTrace('model.onnx', {})).toThrow(/^cannot read "model\.onnx": ENOENT/);
    const spec = write('cnn_only.json', CNN.spec);
    const data = write('bad_data.json', { ...CNN.data, inputs: { shape: [2, 3, 6, 6], data: new Array(216).fill(0) } });
    expect(() => prepareTrace(spec, { data })).toThrow(/--data inputs has shape \[2, 3, 6, 6\], the model's input is \[2, 3, 7, 7\]/);
  });
});
