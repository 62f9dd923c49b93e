/**
 * GPU kernels against the independent float64 CPU reference on odd shapes: non-square, batch
 * > 1, stride larger than the kernel, depthwise and grouped convs, sizes that are not
 * multiples of the workgroup size, 1×1 outputs, long rows.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { normalizeConv2dAttrs, normalizePool2dAttrs } from '../../src/analysis/conv_shapes.ts';
import { conv2dBackwardRef, conv2dForwardRef } from '../../src/analysis/reference/conv2d.ts';
import { crossEntropyBackwardRef, crossEntropyForwardRef, type Reduction } from '../../src/analysis/reference/cross_entropy.ts';
import { linearBackwardRef, linearForwardRef } from '../../src/analysis/reference/linear.ts';
import { avgPool2dBackwardRef, avgPool2dForwardRef, maxPool2dBackwardRef, maxPool2dForwardRef } from '../../src/analysis/reference/pool2d.ts';
import { reluBackwardRef, reluForwardRef } from '../../src/analysis/reference/relu.ts';
import { type Tensor, type Tensor64 } from '../../src/analysis/tensor.ts';
import { conv2dBlockedBackwardInput, conv2dBlockedBackwardWeight } from '../../src/kernels/conv2d_blocked.ts';
import { setMatmulAlgorithm } from '../../src/kernels/matmul.ts';
import { setConv2dAlgorithm } from '../../src/ops/conv2d.ts';
import { runSpec } from '../../src/ops/run.ts';
import { makeRng, randomTensor } from '../unit/reference_helpers.ts';
import { expectTensorClose, jsonTensor, useGpu } from './gpu_harness.ts';

/** Float32-representable values, so GPU and reference see the same inputs. */
function f32(t: Tensor64): Tensor64 {
  return { shape: t.shape, data: Float64Array.from(Float32Array.from(t.data)) };
}

function json(t: Tensor64) {
  return jsonTensor(t.shape, t.data);
}

const gpu = useGpu();

describe.each(['direct', 'gemm', 'small_k', 'blocked'] as const)('conv2d (%s kernels) on the GPU vs the float64 reference', (algorithm) => {
  beforeAll(() => setConv2dAlgorithm(algorithm));
  afterAll(() => setConv2dAlgorithm('auto'));
  const cases: [string, number[], number[], Record<string, unknown>, boolean][] = [
    ['non-square, batch 3, stride 2×1, dilation 1×2', [3, 5, 13, 11], [4, 5, 3, 2], { stride: [2, 1], padding: [1, 1], dilation: [1, 2] }, true],
    ['depthwise 6 channels', [2, 6, 9, 7], [6, 1, 3, 3], { groups: 6, padding: 1 }, true],
    ['depthwise with channel multiplier 2', [1, 4, 8, 8], [8, 1, 3, 3], { groups: 4, padding: 1, stride: 2 }, false],
    ['groups 2 with a 1×3 kernel', [2, 4, 6, 10], [6, 2, 1, 3], { groups: 2 }, true],
    ['stride 3 larger than the 2×2 kernel', [1, 3, 17, 17], [2, 3, 2, 2], { stride: 3 }, true],
    ['1×1 output from a full-size kernel', [2, 3, 4, 5], [7, 3, 4, 5], {}, true],
    ['"same" padding on 67×45 (not a multiple of 64)', [2, 3, 67, 45], [5, 3, 3, 3], { padding: 'same' }, true],
    ['"same" with an even kernel pads one more at the end', [1, 2, 10, 9], [3, 2, 4, 2], { padding: 'same' }, true],
    ['padding half the kernel with dilation 3', [1, 2, 12, 12], [2, 2, 3, 3], { padding: 1, dilation: 3 }, false],
    ['16→16 channels: 256×16 tiles, weight gradient in a 16×256 tile', [3, 16, 12, 11], [16, 16, 3, 3], { padding: 1 }, true],
    ['8→32 channels: 128×32 tiles, weight gradient in a 32×128 tile', [2, 8, 10, 10], [32, 8, 3, 3], {}, true],
    ['1→4 channels on 60×70: the weight gradient splits K (8,400) into slices', [2, 1, 60, 70], [4, 1, 3, 3], { padding: 1 }, true],
    ['40 → 36 channels in 2 groups, stride 2, 19×23 (partial 64×64 tiles)', [2, 40, 19, 23], [36, 20, 3, 3], { groups: 2, stride: 2, padding: 1 }, true],
    ['K = 33 not a multiple of the 16-wide K tile', [3, 11, 7, 6], [9, 11, 1, 3], { padding: [0, 1] }, true],
    ['3×3 in 2 groups of 6 → 5 channels, padding 0×2, 9×13 (blocked: odd channel blocks, row blocks past the edge)', [2, 12, 9, 13], [10, 6, 3, 3], { groups: 2, padding: [0, 2] }, true],
    ['1→16 on [5, 1, 28, 27], padding 1 (blocked: weight gradient in 18 slices of 8 rows)', [5, 1, 28, 27], [16, 1, 3, 3], { padding: 1 }, false],
    ['3×3 stride 2 on odd 15×12, 6→8 (blocked: gradY spread 2 apart; the last input row meets no window)', [2, 6, 15, 12], [8, 6, 3, 3], { stride: 2, padding: 1 }, true],
    ['1×1 stride 2 downsample, 5→12 on 9×8 (blocked: the input gradient at every other pixel, zeros between)', [3, 5, 9, 8], [12, 5, 1, 1], { stride: 2 }, false],
  ];
  test.each(cases)('%s', async (_name, xs, ws, attrs, withBias) => {
    const rng = makeRng(xs.reduce((a, b) => a * 31 + b, 7));
    const x = f32(randomTensor(xs, rng));
    const w = f32(randomTensor(ws, rng));
    const b = withBias ? f32(randomTensor([ws[0]], rng)) : null;
    const a = normalizeConv2dAttrs(attrs, ws[2], ws[3]);
    const y = conv2dForwardRef(x, w, b, a);
    const gy = f32(randomTensor(y.shape, rng));
    const grads = conv2dBackwardRef(x, w, b, a, gy);
    const inputs: Record<string, unknown> = { x: json(x), weight: json(w) };
    if (b) inputs.bias = json(b);
    const { result } = await runSpec(gpu(), { op: 'conv2d', attrs, inputs, grad_output: { output: json(gy) } });
    expectTensorClose(result.outputs.output, y, 'output');
    expectTensorClose(result.grads?.x, grads.x, 'grad x');
    expectTensorClose(result.grads?.weight, grads.weight, 'grad weight');
    if (b) expectTensorClose(result.grads?.bias, grads.bias!, 'grad bias');
  });
});

test('the blocked conv kernels refuse a stride-3 input gradient and a weight gradient past 9 taps, naming the numbers', async () => {
  const rt = gpu();
  const t = rt.tensor('t', [1, 1, 4, 4]);
  await expect(conv2dBlockedBackwardInput(rt, t, t, t, normalizeConv2dAttrs({ stride: 3 }, 3, 3))).rejects.toThrow(/^conv2d_blocked_backward_input: stride must be at most 2, got 3×3$/);
  await expect(conv2dBlockedBackwardWeight(rt, t, t, t, normalizeConv2dAttrs({}, 4, 4))).rejects.toThrow(/^conv2d_blocked_weight_grad: a 4×4 kernel has more than 9 taps$/);
  rt.release(t);
  expect(rt.ledger.liveBytes).toBe(0);
});

describe('pooling on the GPU vs the float64 reference', () => {
  const cases: [string, 'max_pool2d' | 'avg_pool2d', number[], Record<string, unknown>][] = [
    ['max: non-square kernel, stride, dilation, ceil_mode', 'max_pool2d', [3, 5, 13, 11], { kernel_size: [3, 2], stride: [2, 3], padding: [1, 1], dilation: [1, 2], ceil_mode: true }],
    ['max: stride 3 larger than kernel 2', 'max_pool2d', [2, 3, 16, 17], { kernel_size: 2, stride: 3 }],
    ['max: 2×3 windows tiling 9×13 with ceil_mode (one invocation per window, partial windows at the edges)', 'max_pool2d', [2, 3, 9, 13], { kernel_size: [2, 3], ceil_mode: true }],
    ['max: 2×2 windows on 9×13 (the last row and column belong to no window)', 'max_pool2d', [2, 3, 9, 13], { kernel_size: 2 }],
    ['max: [C, H, W] input, 3×3 stride 2 pad 1 on 67×67', 'max_pool2d', [5, 67, 67], { kernel_size: 3, stride: 2, padding: 1 }],
    ['avg: count_include_pad false, ceil_mode', 'avg_pool2d', [2, 3, 10, 7], { kernel_size: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false }],
    ['avg: divisor_override 5, stride 4 over kernel 3', 'avg_pool2d', [1, 2, 15, 13], { kernel_size: [3, 2], stride: 4, padding: [1, 1], divisor_override: 5 }],
    ['avg: 1×1 output', 'avg_pool2d', [3, 2, 4, 6], { kernel_size: [4, 6] }],
  ];
  test.each(cases)('%s', async (_name, op, xs, attrs) => {
    const rng = makeRng(xs.reduce((a, b) => a * 17 + b, 3));
    // Integer-valued inputs make ties, which must go to the first maximum.
    const x = f32(op === 'max_pool2d' ? { shape: xs, data: randomTensor(xs, rng).data.map((v) => Math.round(v * 2)) } : randomTensor(xs, rng));
    const a = normalizePool2dAttrs(op, attrs);
    const y = op === 'max_pool2d' ? maxPool2dForwardRef(x, a).output : avgPool2dForwardRef(x, a);
    const gy = f32(randomTensor(y.shape, rng));
    const gx = op === 'max_pool2d' ? maxPool2dBackwardRef(x, a, gy) : avgPool2dBackwardRef(x, a, gy);
    const { result } = await runSpec(gpu(), { op, attrs, inputs: { x: json(x) }, grad_output: { output: json(gy) } }, { trace: true });
    expectTensorClose(result.outputs.output, y, 'output');
    expectTensorClose(result.grads?.x, gx, 'grad x');
    if (op === 'max_pool2d') expectTensorClose(result.trace?.indices, maxPool2dForwardRef(x, a).indices, 'indices', 0, 0);
  });
});

describe.each(['tiled', 'direct', 'blocked'] as const)('linear (%s matmul) on the GPU vs the float64 reference', (algorithm) => {
  beforeAll(() => setMatmulAlgorithm(algorithm));
  afterAll(() => setMatmulAlgorithm('auto'));
  test.each([
    ['3-D input [3, 5, 37] → 19', [3, 5, 37], [19, 37], true],
    ['1-D input [70] → 33, no bias', [70], [33, 70], false],
    ['K = 1', [9, 1], [4, 1], true],
    ['129 rows × 65 features → 17', [129, 65], [17, 65], true],
    ['2,003 rows: the weight gradient is split along K', [2003, 20], [12, 20], true],
    ['a classifier head [6, 1568] → 10: the forward splits K, and slice 0 adds the bias', [6, 1568], [10, 1568], true],
  ] as [string, number[], number[], boolean][])('linear %s', async (_name, xs, ws, withBias) => {
    const rng = makeRng(xs.length * 100 + ws[0]);
    const x = f32(randomTensor(xs, rng));
    const w = f32(randomTensor(ws, rng));
    const b = withBias ? f32(randomTensor([ws[0]], rng)) : null;
    const y = linearForwardRef(x, w, b);
    const gy = f32(randomTensor(y.shape, rng));
    const g = linearBackwardRef(x, w, b, gy);
    const inputs: Record<string, unknown> = { x: json(x), weight: json(w) };
    if (b) inputs.bias = json(b);
    const { result } = await runSpec(gpu(), { op: 'linear', inputs, grad_output: { output: json(gy) } });
    expectTensorClose(result.outputs.output, y, 'output');
    expectTensorClose(result.grads?.x, g.x, 'grad x');
    expectTensorClose(result.grads?.weight, g.weight, 'grad weight');
    if (b) expectTensorClose(result.grads?.bias, g.bias!, 'grad bias');
  });
});

describe('relu and cross_entropy on the GPU vs the float64 reference', () => {
  test('relu on 1,000 elements including exact zeros', async () => {
    const rng = makeRng(11);
    const x = f32({ shape: [10, 100], data: randomTensor([10, 100], rng).data.map((v, i) => (i % 7 === 0 ? 0 : v)) });
    const gy = f32(randomTensor([10, 100], rng));
    const { result } = await runSpec(gpu(), { op: 'relu', inputs: { x: json(x) }, grad_output: { output: json(gy) } });
    expectTensorClose(result.outputs.output, reluForwardRef(x), 'output');
    expectTensorClose(result.grads?.x, reluBackwardRef(x, gy), 'grad x');
  });

  // 130 classes take one invocation per row, 1,500 classes in 5 rows a workgroup per row.
  test.each([
    ['mean', 67, 130], ['sum', 67, 130], ['none', 67, 130], ['mean', 5, 1500],
  ] as [Reduction, number, number][])('cross_entropy reduction=%s, %i rows × %i classes, logits up to ±90', async (reduction, rows, classes) => {
    const rng = makeRng(5);
    const logits = f32(randomTensor([rows, classes], rng, -90, 90));
    const target: Tensor<Int32Array> = { shape: [rows], data: Int32Array.from({ length: rows }, (_, i) => (i * 37) % classes) };
    const ref = crossEntropyForwardRef(logits, target, reduction);
    const gLoss = f32(randomTensor(ref.loss.shape, rng));
    const gLogits = crossEntropyBackwardRef(logits, target, reduction, gLoss);
    const { result } = await runSpec(gpu(), {
      op: 'cross_entropy', attrs: { reduction },
      inputs: { logits: json(logits), target: { shape: [rows], data: Array.from(target.data), dtype: 'int32' } },
      grad_output: { loss: json(gLoss) },
    }, { trace: true });
    expectTensorClose(result.outputs.loss, ref.loss, 'loss');
    expectTensorClose(result.grads?.logits, gLogits, 'grad logits');
    expectTensorClose(result.trace?.probs, ref.probs, 'probs');
  });
});
