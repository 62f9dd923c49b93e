/**
 * The fused conv → BN → ReLU on the GPU: the implicit GEMM with bias and ReLU in its epilogue,
 * on parameters folded in float64, against PyTorch's relu(bn(conv(x))) in eval mode
 * (test/fixtures/fusion_cases.json: bias or not, groups 2 with dilation, depthwise, no ReLU,
 * BatchNorm without affine); the unfused three-op chain (conv_bn_relu2d) against the same
 * outputs; and fuseModel on a small spec whose weights are given. The ledger ends at 0 live bytes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { normalizeConv2dAttrs } from '../../src/analysis/conv_shapes.ts';
import { foldConvBn } from '../../src/analysis/fusion.ts';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { adapterPrefersBlocked } from '../../src/kernels/adapter.ts';
import { conv2dGemmForward } from '../../src/kernels/conv2d_gemm.ts';
import { fuseModel } from '../../src/ops/fusion.ts';
import { runSpec } from '../../src/ops/run.ts';
import { expectTensorClose, expectValuesClose, useGpu } from './gpu_harness.ts';

interface Tensor { shape: number[]; data: number[] }
interface FusionCase {
  name: string;
  conv: { kernel_size: number[]; stride: number[]; padding: number[]; dilation: number[]; groups: number };
  bn: { eps: number };
  relu: boolean;
  inputs: Record<string, Tensor>;
  expected: { output: Tensor };
}

const cases: FusionCase[] = JSON.parse(readFileSync(new URL('../fixtures/fusion_cases.json', import.meta.url), 'utf8'));
const convAttrs = (c: FusionCase) => ({ stride: c.conv.stride, padding: c.conv.padding, dilation: c.conv.dilation, groups: c.conv.groups });

describe('fused conv → BN → ReLU on the GPU', () => {
  const gpu = useGpu();

  test.each(cases.map((c) => [c.name, c] as const))('one dispatch matches PyTorch: %s', async (_, c) => {
    const rt = gpu();
    const i = c.inputs;
    const folded = foldConvBn({ shape: i.weight.shape, data: Float64Array.from(i.weight.data) }, i.bias?.data ?? null, {
      weight: i.bn_weight?.data ?? null, bias: i.bn_bias?.data ?? null, runningMean: i.running_mean.data, runningVar: i.running_var.data, eps: c.bn.eps,
    });
    const a = normalizeConv2dAttrs(convAttrs(c), i.weight.shape[2], i.weight.shape[3]);
    const x = rt.tensor('x', i.x.shape, 'float32', i.x.data);
    const w = rt.tensor('w', folded.weight.shape, 'float32', folded.weight.data);
    const b = rt.tensor('b', folded.bias.shape, 'float32', folded.bias.data);
    const y = rt.tensor('y', c.expected.output.shape);
    await rt.timings();
    await conv2dGemmForward(rt, x, w, b, y, a, c.relu);
    const [out] = await rt.read([y]);
    const report = await rt.timings();
    expect(report.dispatches.map((d) => d.kernel)).toEqual([c.relu ? 'conv2d_gemm_forward_relu' : 'conv2d_gemm_forward']);
    rt.release(x, w, b, y);
    expectValuesClose(out, c.expected.output, 'fused output');
    expect(rt.ledger.liveBytes).toBe(0);
  });

  test.each(cases.filter((c) => c.relu).map((c) => [c.name, c] as const))('conv_bn_relu2d (three ops) matches PyTorch: %s', async (_, c) => {
    const rt = gpu();
    const { result } = await runSpec(rt, { op: 'conv_bn_relu2d', attrs: { ...convAttrs(c), eps: c.bn.eps }, inputs: c.inputs });
    expectTensorClose(result.outputs.output, c.expected.output, 'unfused output');
    expect(rt.ledger.liveBytes).toBe(0);
  });

  test('fuseModel folds the spec\'s weights: fused equals unfused, one dispatch instead of three to five', async () => {
    const rt = gpu();
    const c = cases[0];
    const spec: ModelSpec = {
      name: 'tiny', input: c.inputs.x.shape,
      layers: [
        { type: 'Conv2d', name: 'conv', in_channels: 3, out_channels: 5, kernel_size: 3, stride: [2, 1], padding: 1 },
        { type: 'BatchNorm2d', name: 'bn', num_features: 5 },
        { type: 'ReLU', name: 'relu' },
        { type: 'Conv2d', name: 'conv2', in_channels: 5, out_channels: 7, kernel_size: 1, bias: false },
        { type: 'BatchNorm2d', name: 'bn2', num_features: 7 },
      ],
      weights: {
        'conv.weight': c.inputs.weight, 'conv.bias': c.inputs.bias, 'bn.weight': c.inputs.bn_weight, 'bn.bias': c.inputs.bn_bias,
        'bn.running_mean': c.inputs.running_mean, 'bn.running_var': c.inputs.running_var,
      },
    };
    const r = await fuseModel(rt, spec, { runs: 1 });
    expect(r.weights).toMatch(/^seeded/);
    // Unfused, a conv is one GEMM dispatch, or two (weight pack, conv) where the blocked kernels run.
    const conv = adapterPrefersBlocked(rt.adapter) ? 2 : 1;
    expect(r.chains.map((ch) => [ch.conv, ch.bn, ch.relu, ch.unfused.dispatches, ch.fused.dispatches])).toEqual([['conv', 'bn', 'relu', conv + 3, 1], ['conv2', 'bn2', null, conv + 2, 1]]);
    for (const ch of r.chains) {
      expect(ch.max_abs_output).toBeGreaterThan(0.1);
      expect(ch.max_abs_diff).toBeLessThan(1e-5 * ch.max_abs_output + 1e-6);
      expect(ch.fused.bytes).toBeLessThan(ch.unfused.bytes);
    }
    expect(r.chains[0].output_shape).toEqual(c.expected.output.shape);
    expect(rt.ledger.liveBytes).toBe(0);
    const only = await fuseModel(rt, { ...spec, layers: spec.layers.slice(0, 3) }, { runs: 1 });
    expect(only.weights).toBe('spec');
    await expect(fuseModel(rt, { input: [1, 3, 4, 4], layers: [{ type: 'ReLU' }] })).rejects.toThrow(/^fuse: model "spec" has no Conv2d directly followed by a BatchNorm2d/);
  });
});
