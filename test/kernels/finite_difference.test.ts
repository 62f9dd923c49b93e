/**
 * Analytic GPU gradients against central differences of the GPU forward pass itself:
 * L = Σ output · g, perturbing single input elements by ±eps. Float32 forward passes limit
 * the precision, so eps is large and inputs avoid the kinks of relu and max.
 */
import { describe, expect, test } from 'vitest';
import { numel } from '../../src/analysis/tensor.ts';
import { runSpec } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { makeRng } from '../unit/reference_helpers.ts';
import { useGpu } from './gpu_harness.ts';

const gpu = useGpu();
const EPS = 1e-2;

function random(shape: number[], rng: () => number, spread = 1): JsonTensor {
  return { shape, data: Array.from({ length: numel(shape) }, () => Math.fround((rng() * 2 - 1) * spread)) };
}

/** Σ output·g in float64 for the spec with input `name` element `i` moved by `delta`. */
async function lossAt(spec: Record<string, unknown>, name: string, i: number, delta: number, output: string, g: JsonTensor): Promise<number> {
  const inputs = structuredClone(spec.inputs) as Record<string, JsonTensor>;
  inputs[name].data[i] += delta;
  const { result } = await runSpec(gpu(), { ...spec, inputs, grad_output: undefined });
  return result.outputs[output].data.reduce((s, v, k) => s + v * g.data[k], 0);
}

const cases: [string, Record<string, unknown>, string][] = (() => {
  const rng = makeRng(99);
  // Well-separated values keep every max-pool window's winner stable under ±eps.
  const distinct = { shape: [1, 2, 5, 6], data: Array.from({ length: 60 }, (_, i) => ((i * 37) % 60) / 10) };
  return [
    ['conv2d grouped, strided, padded', { op: 'conv2d', attrs: { stride: [2, 1], padding: 1, groups: 2 }, inputs: { x: random([2, 4, 6, 5], rng), weight: random([4, 2, 3, 2], rng), bias: random([4], rng) } }, 'output'],
    ['max_pool2d 3×2 stride 2', { op: 'max_pool2d', attrs: { kernel_size: [3, 2], stride: 2, padding: 1 }, inputs: { x: distinct } }, 'output'],
    ['avg_pool2d count_include_pad false', { op: 'avg_pool2d', attrs: { kernel_size: 3, stride: 2, padding: 1, count_include_pad: false }, inputs: { x: random([1, 2, 5, 6], rng) } }, 'output'],
    ['linear', { op: 'linear', inputs: { x: random([3, 7], rng), weight: random([5, 7], rng), bias: random([5], rng) } }, 'output'],
    ['relu', { op: 'relu', inputs: { x: { shape: [8], data: [-2, -1, -0.5, 0.3, 0.7, 1, 1.5, 2] } } }, 'output'],
    ['cross_entropy', { op: 'cross_entropy', inputs: { logits: random([4, 6], rng, 3), target: { shape: [4], data: [0, 5, 2, 2], dtype: 'int32' } } }, 'loss'],
  ];
})();

describe('analytic GPU gradients match central differences of the GPU forward', () => {
  test.each(cases)('%s', async (_name, spec, output) => {
    const rng = makeRng(7);
    const { result: forward } = await runSpec(gpu(), spec);
    const g = random(forward.outputs[output].shape, rng);
    const { result } = await runSpec(gpu(), { ...spec, grad_output: { [output]: g } });
    const inputs = spec.inputs as Record<string, JsonTensor>;
    for (const [name, t] of Object.entries(inputs)) {
      if (t.dtype === 'int32') continue;
      const analytic = result.grads![name].data;
      for (let probe = 0; probe < 5; probe++) {
        const i = Math.floor(rng() * t.data.length);
        const numeric = ((await lossAt(spec, name, i, EPS, output, g)) - (await lossAt(spec, name, i, -EPS, output, g))) / (2 * EPS);
        expect(Math.abs(numeric - analytic[i]), `d${output}/d${name}[${i}]: numeric ${numeric}, analytic ${analytic[i]}`).toBeLessThanOrEqual(2e-3 + 1e-2 * Math.abs(numeric));
      }
    }
  });
});
