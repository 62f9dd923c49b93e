/**
 * batch_norm, layer_norm and group_norm on the GPU: against the float64 reference on odd shapes
 * (groups larger than one workgroup chunk, sizes that are not multiples of 64, no affine,
 * eval mode), the accuracy of the statistics on a million elements with mean 1000 and a tiny
 * spread (where a naive float32 E[x²] − E[x]² fails), and gradients against central
 * differences of the GPU forward.
 */
import { describe, expect, test } from 'vitest';
import {
  batchNormBackwardRef, batchNormForwardRef, groupNormBackwardRef, groupNormForwardRef,
  layerNormBackwardRef, layerNormForwardRef, type NormForward, type NormGrads,
} from '../../src/analysis/reference/norm.ts';
import { numel, type Tensor64 } from '../../src/analysis/tensor.ts';
import { OPS } from '../../src/ops/registry.ts';
import { runSpec } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { makeRng, randomTensor } from '../unit/reference_helpers.ts';
import { expectTensorClose, jsonTensor, useGpu } from './gpu_harness.ts';

const gpu = useGpu();

function f32(t: Tensor64): Tensor64 {
  return { shape: t.shape, data: Float64Array.from(Float32Array.from(t.data)) };
}

const json = (t: Tensor64) => jsonTensor(t.shape, t.data);

interface NormCase {
  name: string;
  op: 'batch_norm' | 'layer_norm' | 'group_norm';
  attrs: Record<string, unknown>;
  x: number[];
  affine: 'both' | 'weight' | 'none';
  running?: boolean;
  offset?: number;
}

const cases: NormCase[] = [
  { name: 'batch_norm training [3, 5, 13, 11] with running stats', op: 'batch_norm', attrs: { training: true, momentum: 0.25 }, x: [3, 5, 13, 11], affine: 'both', running: true },
  { name: 'batch_norm training, 7,000 values per channel (2 chunks)', op: 'batch_norm', attrs: { training: true }, x: [2, 3, 70, 50], affine: 'both', running: true, offset: 20 },
  { name: 'batch_norm eval [2, 67]', op: 'batch_norm', attrs: { training: false, eps: 1e-3 }, x: [2, 67], affine: 'weight', running: true },
  { name: 'batch_norm training [N = 65, C = 1], no affine, no running stats', op: 'batch_norm', attrs: { training: true }, x: [65, 1], affine: 'none' },
  { name: 'layer_norm [67, 129] over [129]', op: 'layer_norm', attrs: { normalized_shape: [129] }, x: [67, 129], affine: 'both' },
  { name: 'layer_norm rows of 5,000 (2 chunks each)', op: 'layer_norm', attrs: { normalized_shape: 5000 }, x: [3, 5000], affine: 'both', offset: -7 },
  { name: 'layer_norm [2, 3, 5, 7] over [5, 7], no affine', op: 'layer_norm', attrs: { normalized_shape: [5, 7], eps: 1e-6 }, x: [2, 3, 5, 7], affine: 'none' },
  { name: 'group_norm 3 groups of [2, 6, 7, 5]', op: 'group_norm', attrs: { num_groups: 3 }, x: [2, 6, 7, 5], affine: 'both' },
  { name: 'group_norm 1 group of [1, 4, 40, 40] (6,400 per group)', op: 'group_norm', attrs: { num_groups: 1 }, x: [1, 4, 40, 40], affine: 'weight' },
  { name: 'group_norm instance norm [3, 5, 67], no affine', op: 'group_norm', attrs: { num_groups: 5 }, x: [3, 5, 67], affine: 'none' },
];

function reference(c: NormCase, x: Tensor64, w: Tensor64 | null, b: Tensor64 | null, rm: Tensor64 | null, rv: Tensor64 | null, gy: Tensor64): [NormForward, NormGrads] {
  const eps = (c.attrs.eps as number | undefined) ?? 1e-5;
  if (c.op === 'batch_norm') {
    const o = { training: c.attrs.training === true, momentum: (c.attrs.momentum as number | undefined) ?? 0.1, eps };
    return [batchNormForwardRef(x, w, b, rm, rv, o), batchNormBackwardRef(x, w, b, rm, rv, o, gy)];
  }
  if (c.op === 'layer_norm') {
    const raw = c.attrs.normalized_shape as number | number[];
    const shape = typeof raw === 'number' ? [raw] : raw;
    return [layerNormForwardRef(x, shape, w, b, eps), layerNormBackwardRef(x, shape, w, b, eps, gy)];
  }
  const g = c.attrs.num_groups as number;
  return [groupNormForwardRef(x, g, w, b, eps), groupNormBackwardRef(x, g, w, b, eps, gy)];
}

describe('norms on the GPU vs the float64 reference', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const rng = makeRng(c.x.reduce((a, v) => a * 31 + v, 5));
    const x = f32(randomTensor(c.x, rng, -2 + (c.offset ?? 0), 2 + (c.offset ?? 0)));
    const pShape = c.op === 'layer_norm' ? x.shape.slice(x.shape.length - (typeof c.attrs.normalized_shape === 'number' ? 1 : (c.attrs.normalized_shape as number[]).length)) : [c.x[1]];
    const w = c.affine !== 'none' ? f32(randomTensor(pShape, rng, 0.5, 1.5)) : null;
    const b = c.affine === 'both' ? f32(randomTensor(pShape, rng)) : null;
    const rm = c.running ? f32(randomTensor([c.x[1]], rng)) : null;
    const rv = c.running ? f32(randomTensor([c.x[1]], rng, 0.5, 2)) : null;
    const gy = f32(randomTensor(c.x, rng));
    const [f, g] = reference(c, x, w, b, rm, rv, gy);
    const inputs: Record<string, JsonTensor> = { x: json(x) };
    if (w) inputs.weight = json(w);
    if (b) inputs.bias = json(b);
    if (rm) inputs.running_mean = json(rm);
    if (rv) inputs.running_var = json(rv);
    const { result } = await runSpec(gpu(), { op: c.op, attrs: c.attrs, inputs, grad_output: { output: json(gy) } }, { trace: true });
    expectTensorClose(result.outputs.output, f.output, 'output');
    if (f.runningMean) {
      expectTensorClose(result.outputs.running_mean, f.runningMean, 'running_mean');
      expectTensorClose(result.outputs.running_var, f.runningVar!, 'running_var');
    } else expect(Object.keys(result.outputs)).toEqual(['output']);
    expectTensorClose(result.trace?.mean, f.mean, 'mean');
    expectTensorClose(result.trace?.invstd, f.invstd, 'invstd');
    expectTensorClose(result.trace?.xhat, f.xhat, 'xhat');
    expectTensorClose(result.grads?.x, g.x, 'grad x');
    if (w) expectTensorClose(result.grads?.weight, g.weight!, 'grad weight');
    if (b) expectTensorClose(result.grads?.bias, g.bias!, 'grad bias');
    expect(Object.keys(result.grads!).sort()).toEqual(['x', ...(w ? ['weight'] : []), ...(b ? ['bias'] : [])].sort());
    expect(result.memory.buffers.filter((e) => e.owner === c.op && e.destroyed === null)).toEqual([]);
  });
});

describe('statistics stay exact for a million values with mean 1000 and spread 0.1', () => {
  const COUNT = 1_000_000;
  // Float32 values 1000 + 0.1·u, u uniform in [−√3, √3): std 0.1, variance 0.01.
  const rng = makeRng(2024);
  const values = new Float32Array(COUNT);
  for (let i = 0; i < COUNT; i++) values[i] = 1000 + 0.1 * Math.sqrt(3) * (2 * rng() - 1);
  let sum = 0;
  for (const v of values) sum += v;
  const mean64 = sum / COUNT;
  let m2 = 0;
  for (const v of values) m2 += (v - mean64) ** 2;
  const var64 = m2 / COUNT;

  test('a naive single-pass float32 E[x²] − E[x]² is wrong here, even with pairwise sums', () => {
    /** Float32 pairwise (tree) sum, the best case for a one-pass GPU reduction. */
    const pairwise = (f: (v: number) => number, lo: number, hi: number): number => {
      if (hi - lo === 1) return f(values[lo]);
      const mid = (lo + hi) >> 1;
      return Math.fround(pairwise(f, lo, mid) + pairwise(f, mid, hi));
    };
    const ex = Math.fround(pairwise((v) => v, 0, COUNT) / COUNT);
    const ex2 = Math.fround(pairwise((v) => Math.fround(v * v), 0, COUNT) / COUNT);
    const naiveVar = Math.fround(ex2 - Math.fround(ex * ex));
    console.info(`naive float32 E[x²] − E[x]² (pairwise sums): var ${naiveVar} vs ${var64.toExponential(4)} in float64`);
    expect(Math.abs(naiveVar - var64) / var64).toBeGreaterThan(1);
  });

  /** Runs an op directly (no JSON) and reads its outputs and trace. */
  async function run(op: string, attrs: Record<string, unknown>, shape: number[]) {
    const rt = gpu();
    const prepared = OPS[op].prepare(attrs, { x: { shape, dtype: 'float32', data: values } });
    const x = rt.tensor('x', shape, 'float32', values);
    const r = await prepared.forward(rt, { x }, { trace: true });
    const [mean, invstd, xhat] = (await rt.read([r.trace.mean, r.trace.invstd, r.trace.xhat])) as Float32Array[];
    rt.release(x, ...Object.values(r.outputs), ...Object.values(r.trace));
    return { mean, invstd, xhat };
  }

  test.each([
    ['layer_norm over [1000000]', 'layer_norm', { normalized_shape: COUNT }, [COUNT]],
    ['batch_norm training, one channel of [4, 1, 500, 500]', 'batch_norm', { training: true }, [4, 1, 500, 500]],
    ['group_norm, 1 group of [1, 10, 100000]', 'group_norm', { num_groups: 1 }, [1, 10, 100_000]],
  ] as const)('%s', async (_name, op, attrs, shape) => {
    const { mean, invstd, xhat } = await run(op, attrs, [...shape]);
    const invstd64 = 1 / Math.sqrt(var64 + 1e-5);
    const meanError = Math.abs(mean[0] - mean64);
    const invstdError = Math.abs(invstd[0] - invstd64) / invstd64;
    let xhatError = 0;
    for (let i = 0; i < COUNT; i += 97) xhatError = Math.max(xhatError, Math.abs(xhat[i] - (values[i] - mean64) * invstd64));
    console.info(`${op}: |mean − mean64| = ${meanError.toExponential(2)}, invstd relative error ${invstdError.toExponential(2)}, max |xhat − xhat64| ${xhatError.toExponential(2)}`);
    // A float32 mean cannot be closer than half an ulp of 1000 (3.05e-5): the GPU's is correctly
    // rounded. xhat inherits that rounding times invstd (≈ 10), nothing more.
    expect(meanError).toBeLessThanOrEqual(2 ** -15);
    expect(invstdError).toBeLessThan(1e-5);
    expect(xhatError).toBeLessThan(2 ** -15 * invstd64 * 1.01 + 1e-5);
  });
});

describe('norm gradients match central differences of the GPU forward', () => {
  const EPS = 1e-2;
  const rng = makeRng(31);
  const random = (shape: number[], lo = -1, hi = 1): JsonTensor => ({ shape, data: Array.from({ length: numel(shape) }, () => Math.fround(lo + (hi - lo) * rng())) });
  const specs: [string, Record<string, unknown>][] = [
    ['batch_norm training', { op: 'batch_norm', attrs: { training: true }, inputs: { x: random([4, 2, 3]), weight: random([2], 0.5, 1.5), bias: random([2]) } }],
    ['layer_norm', { op: 'layer_norm', attrs: { normalized_shape: 6 }, inputs: { x: random([3, 6], -2, 2), weight: random([6], 0.5, 1.5), bias: random([6]) } }],
    ['group_norm', { op: 'group_norm', attrs: { num_groups: 2 }, inputs: { x: random([2, 4, 3]), weight: random([4], 0.5, 1.5), bias: random([4]) } }],
  ];
  test.each(specs)('%s', async (_name, spec) => {
    const rt = gpu();
    const { result: forward } = await runSpec(rt, spec);
    const g = random(forward.outputs.output.shape);
    const { result } = await runSpec(rt, { ...spec, grad_output: { output: g } });
    const lossAt = async (name: string, i: number, delta: number) => {
      const inputs = structuredClone(spec.inputs) as Record<string, JsonTensor>;
      inputs[name].data[i] += delta;
      const { result: r } = await runSpec(rt, { ...spec, inputs });
      return r.outputs.output.data.reduce((s, v, k) => s + v * g.data[k], 0);
    };
    for (const [name, t] of Object.entries(spec.inputs as Record<string, JsonTensor>)) {
      for (let probe = 0; probe < 4; probe++) {
        const i = Math.floor(rng() * t.data.length);
        const numeric = ((await lossAt(name, i, EPS)) - (await lossAt(name, i, -EPS))) / (2 * EPS);
        const analytic = result.grads![name].data[i];
        expect(Math.abs(numeric - analytic), `d/d${name}[${i}]: numeric ${numeric}, analytic ${analytic}`).toBeLessThanOrEqual(2e-3 + 1e-2 * Math.abs(numeric));
      }
    }
  });
});
