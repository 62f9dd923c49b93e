/** Every kernel's TS params schema and its WGSL `struct Params` agree field by field. */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import * as d from 'typegpu/data';
import * as schemas from '../../src/kernels/schemas.ts';
import { packParams, paramsWgsl, type ParamsSchema } from '../../src/kernels/uniform.ts';

const SHADERS = new URL('../../shaders/', import.meta.url);

/** The WGSL files that declare a Params (the conv2d kernels share common/'s) and the schema each must equal. */
const OWNERS: Record<string, ParamsSchema> = {
  'common/conv2d_params.wgsl': schemas.Conv2dParams,
  'channel_sum.wgsl': schemas.ChannelSumParams,
  'max_pool2d.wgsl': schemas.MaxPool2dParams,
  'avg_pool2d.wgsl': schemas.AvgPool2dParams,
  'matmul.wgsl': schemas.MatmulParams,
  'relu.wgsl': schemas.ElementwiseParams,
  'cross_entropy.wgsl': schemas.CrossEntropyParams,
  'roofline.wgsl': schemas.RooflineParams,
  'graph_spmm.wgsl': schemas.GraphSpmmParams,
  'graph_norm.wgsl': schemas.GraphNormParams,
  'gat.wgsl': schemas.GatParams,
  'norm.wgsl': schemas.NormParams,
  'recurrent.wgsl': schemas.RecurrentParams,
  'activation.wgsl': schemas.ActivationParams,
  'add.wgsl': schemas.ElementwiseParams,
  'strided_copy.wgsl': schemas.StridedCopyParams,
  'reduce_mean.wgsl': schemas.ReduceMeanParams,
  'adaptive_avg_pool2d.wgsl': schemas.AdaptiveAvgPool2dParams,
  'mse.wgsl': schemas.MseParams,
  'optimizer.wgsl': schemas.OptimizerParams,
  'tensor_stats.wgsl': schemas.TensorStatsParams,
  'patch_tokens.wgsl': schemas.PatchTokensParams,
  'dropout.wgsl': schemas.DropoutParams,
  'embedding.wgsl': schemas.EmbeddingParams,
  'softmax.wgsl': schemas.SoftmaxParams,
  'attention.wgsl': schemas.AttentionParams,
  'attention_fused.wgsl': schemas.FusedAttentionParams,
  'fake_quantize.wgsl': schemas.FakeQuantizeParams,
  'float_cast.wgsl': schemas.ElementwiseParams,
  'moe.wgsl': schemas.MoeParams,
  'landscape_combine.wgsl': schemas.LandscapeCombineParams,
};

function declaredParams(file: string): string {
  const code = readFileSync(new URL(file, SHADERS), 'utf8');
  const match = /struct Params \{([^}]*)\}/.exec(code);
  if (!match) throw new Error(`${file} declares no struct Params`);
  return match[1].split(',').map((f) => f.trim()).filter(Boolean).join(', ');
}

describe('params schemas', () => {
  test('every WGSL file in shaders/ (common/ included) has its schema listed here', () => {
    const files = readdirSync(SHADERS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.wgsl') && readFileSync(new URL(f, SHADERS), 'utf8').includes('struct Params'));
    expect(files.sort()).toEqual(Object.keys(OWNERS).sort());
  });

  test.each(Object.entries(OWNERS))('%s matches its TS schema', (file, schema) => {
    expect(`struct Params { ${declaredParams(file)} }`).toBe(paramsWgsl(schema));
  });

  test('packParams writes u32, i32 and f32 at the schema offsets, padded to 16 bytes', () => {
    const bytes = packParams(schemas.CrossEntropyParams, { rows: 3, classes: 70000, ignoreIndex: -100, scale: 0.25, perRowGrad: 1 });
    expect(bytes.byteLength).toBe(32);
    const view = new DataView(bytes);
    expect([view.getUint32(0, true), view.getUint32(4, true), view.getInt32(8, true), view.getFloat32(12, true), view.getUint32(16, true)]).toEqual([3, 70000, -100, 0.25, 1]);
    expect(d.sizeOf(schemas.CrossEntropyParams)).toBe(20);
  });

  test('packParams refuses a missing or non-finite field', () => {
    expect(() => packParams(schemas.ChannelSumParams, { outer: 1, channels: 2 } as never)).toThrow(/inner/);
    expect(() => packParams(schemas.CrossEntropyParams, { rows: 1, classes: 1, ignoreIndex: 0, scale: Infinity, perRowGrad: 0 })).toThrow(/scale/);
  });
});
