/**
 * The executor's fused chains (fused_layers.ts: Conv2d → ReLU (→ MaxPool2d), ReLU → MaxPool2d)
 * against the same model run layer by layer. A step with flow statistics runs every layer on its
 * own (the path the PyTorch fixture tests check); a step without them runs the fused plan. Both
 * start from the same weights and data, and the loss, every parameter gradient and the evaluate
 * output must be the same floats: the fused kernels repeat the separate kernels' sums in the same
 * order. The dispatch lists show which plan ran.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { LayerSpec, ModelSpec } from '../../src/analysis/model_spec.ts';
import { setConv2dAlgorithm } from '../../src/ops/conv2d.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { useGpu } from './gpu_harness.ts';

const gpu = useGpu();

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface FusionCase {
  name: string;
  input: number[];
  layers: LayerSpec[];
  /** Kernels the fused step dispatches and the layer-by-layer step does not. */
  fusedKernels: string[];
  /** Whether the fused step still runs a ReLU forward pass of its own (ReLU → MaxPool2d fuses only the backward). */
  reluPass: boolean;
  /** setConv2dAlgorithm for the case (default auto). */
  algorithm?: 'gemm';
}

const CASES: FusionCase[] = [
  {
    name: 'conv 3×3 → ReLU → 2×2 pool, twice (one conv2d_relu_pool pass each), odd 13×11 input, batch 3',
    input: [3, 2, 13, 11],
    layers: [
      { type: 'Conv2d', in_channels: 2, out_channels: 6, kernel_size: 3, padding: 1 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel_size: 2 },
      { type: 'Conv2d', in_channels: 6, out_channels: 9, kernel_size: 3, padding: 1, bias: false }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel_size: 2 },
      { type: 'Flatten' }, { type: 'Linear', in_features: 9 * 3 * 2, out_features: 4 },
    ],
    fusedKernels: ['conv2d_relu_pool'],
    reluPass: false,
  },
  {
    name: 'conv 5×5 stride 2 → ReLU → 3×3 pool stride 2 (ReLU in the conv epilogue, its mask in the pool backward)',
    input: [2, 3, 17, 15],
    layers: [
      { type: 'Conv2d', in_channels: 3, out_channels: 8, kernel_size: 5, stride: 2, padding: 2 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel_size: 3, stride: 2 },
      { type: 'Flatten' }, { type: 'Linear', in_features: 8 * 4 * 3, out_features: 5 },
    ],
    fusedKernels: ['conv2d_blocked_forward_relu', 'max_pool2d_backward_relu'],
    reluPass: false,
  },
  {
    name: 'conv → ReLU with no pool, and BatchNorm → ReLU → pool (ReLU and its mask around the pool)',
    input: [4, 3, 8, 10],
    layers: [
      { type: 'Conv2d', in_channels: 3, out_channels: 5, kernel_size: 3 }, { type: 'ReLU' },
      { type: 'Conv2d', in_channels: 5, out_channels: 4, kernel_size: 1, bias: false }, { type: 'BatchNorm2d', num_features: 4 }, { type: 'ReLU' },
      { type: 'MaxPool2d', kernel_size: 2 }, { type: 'Flatten' }, { type: 'Linear', in_features: 4 * 3 * 4, out_features: 3 },
    ],
    fusedKernels: ['conv2d_blocked_forward_relu', 'max_pool2d_backward_tiles_relu'],
    reluPass: true,
  },
  {
    name: 'conv → ReLU → pool on the implicit GEMM (ReLU in its epilogue, the mask in the pool backward), batch 1',
    input: [1, 2, 7, 9],
    layers: [
      { type: 'Conv2d', in_channels: 2, out_channels: 5, kernel_size: 3, padding: 1 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel_size: 2 },
      { type: 'Flatten' }, { type: 'Linear', in_features: 5 * 3 * 4, out_features: 2 },
    ],
    fusedKernels: ['conv2d_gemm_forward_relu', 'max_pool2d_backward_tiles_relu'],
    reluPass: false,
    algorithm: 'gemm',
  },
];

async function stepAndEvaluate(spec: ModelSpec, flowStats: boolean, weights: Record<string, Float32Array>, input: Float32Array, target: number[]) {
  const ex = await Executor.create(gpu(), spec, { flowStats, batch: spec.input![0] as number });
  try {
    for (const [name, data] of Object.entries(weights)) ex.setParam(name, data);
    ex.setData(input, target);
    // A hook that replaces nothing still makes evaluate run layer by layer.
    const evaluated = await ex.evaluate(input, target, flowStats ? async () => null : undefined);
    await gpu().timings();
    const r = await ex.step({ readGradients: true });
    return { loss: r.loss, gradients: r.gradients!, kernels: new Set(r.timings.dispatches.map((d) => d.kernel)), output: evaluated.output, params: ex.params.map((p) => p.name) };
  } finally {
    ex.dispose();
  }
}

function expectSame(fused: ArrayLike<number>, separate: ArrayLike<number>, what: string): void {
  expect(fused.length, what).toBe(separate.length);
  const differing = Array.from(fused, (_v, i) => i).filter((i) => !Object.is(fused[i], separate[i]));
  expect(differing.slice(0, 5).map((i) => `[${i}] ${fused[i]} vs ${separate[i]}`), `${what}: ${differing.length} values differ`).toEqual([]);
}

describe('executor: fused chains compute what the separate layers compute', () => {
  afterEach(() => setConv2dAlgorithm('auto'));

  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    setConv2dAlgorithm(c.algorithm ?? 'auto');
    const spec: ModelSpec = { input: c.input, layers: c.layers, optimizer: { type: 'sgd', lr: 0.1 } };
    const rand = random(7);
    const probe = await Executor.create(gpu(), spec, { flowStats: false, batch: c.input[0] });
    const weights = await probe.readParams();
    probe.dispose();
    // Weights drawn fresh (half of the conv outputs negative, so the ReLU masks matter).
    for (const w of Object.values(weights)) for (let i = 0; i < w.length; i++) w[i] = rand() - 0.5;
    const input = Float32Array.from({ length: c.input.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1);
    const classes = Number(c.layers[c.layers.length - 1].out_features);
    const target = Array.from({ length: c.input[0] }, (_, i) => i % classes);
    const separate = await stepAndEvaluate(spec, true, weights, input, target);
    const fused = await stepAndEvaluate(spec, false, weights, input, target);
    for (const k of c.fusedKernels) {
      expect(fused.kernels.has(k), `the fused step runs ${k}`).toBe(true);
      expect(separate.kernels.has(k), `the layer-by-layer step does not run ${k}`).toBe(false);
    }
    expect(fused.kernels.has('relu_forward'), 'a ReLU forward pass of its own').toBe(c.reluPass);
    expect(separate.kernels.has('relu_forward')).toBe(true);
    expectSame([fused.loss], [separate.loss], 'loss');
    expectSame(fused.output, separate.output, 'evaluate output');
    expect(Object.keys(fused.gradients).sort()).toEqual([...separate.params].sort());
    for (const name of separate.params) expectSame(fused.gradients[name], separate.gradients[name], `∂L/∂${name}`);
  });
});
