/**
 * Every op in the registry runs through `nnx bench --cases` with a tiny case: the bench must
 * draw valid values for every constrained input (positive running variances, class targets
 * below C, node indices below V, ...). Speed is never asserted. The command runs in-process
 * (bench.test.ts runs the binary).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { benchInputs, parseBenchCases } from '../../src/ops/bench.ts';
import { OPS } from '../../src/ops/registry.ts';
import { useInProcessNnx } from './nnx_cli.ts';

/** One tiny case per op (shapes that are not multiples of any workgroup size). */
const TINY: Record<string, { attrs?: Record<string, unknown>; shapes: Record<string, number[]>; backward?: boolean }> = {
  conv2d: { attrs: { padding: 1 }, shapes: { x: [2, 3, 5, 4], weight: [4, 3, 3, 3], bias: [4] }, backward: true },
  conv2d_relu: { attrs: { padding: 1, groups: 2 }, shapes: { x: [2, 4, 5, 3], weight: [6, 2, 3, 3], bias: [6] }, backward: true },
  conv_bn_relu2d: { attrs: { padding: 1, eps: 1e-3 }, shapes: { x: [2, 3, 5, 4], weight: [5, 3, 3, 3], bn_weight: [5], bn_bias: [5], running_mean: [5], running_var: [5] }, backward: true },
  conv_transpose2d: { attrs: { stride: 2, output_padding: 1 }, shapes: { x: [2, 3, 5, 4], weight: [3, 4, 3, 3], bias: [4] }, backward: true },
  max_pool2d: { attrs: { kernel_size: 2 }, shapes: { x: [2, 3, 5, 4] }, backward: true },
  avg_pool2d: { attrs: { kernel_size: 2 }, shapes: { x: [2, 3, 5, 4] }, backward: true },
  linear: { shapes: { x: [3, 5], weight: [4, 5], bias: [4] }, backward: true },
  relu: { shapes: { x: [3, 7] }, backward: true },
  cross_entropy: { shapes: { logits: [6, 5], target: [6] }, backward: true },
  gcn: { shapes: { x: [7, 3], edge_index: [2, 12], weight: [4, 3], bias: [4] }, backward: true },
  gat: { attrs: { heads: 2 }, shapes: { x: [7, 3], edge_index: [2, 12], weight: [4, 3], att_src: [1, 2, 2], att_dst: [1, 2, 2], bias: [4] }, backward: true },
  sage: { shapes: { x: [7, 3], edge_index: [2, 12], weight_l: [4, 3], bias_l: [4], weight_r: [4, 3] }, backward: true },
  batch_norm: { attrs: { training: false }, shapes: { x: [3, 4, 2, 3], weight: [4], bias: [4], running_mean: [4], running_var: [4] }, backward: true },
  layer_norm: { attrs: { normalized_shape: [5] }, shapes: { x: [3, 5], weight: [5], bias: [5] }, backward: true },
  group_norm: { attrs: { num_groups: 2 }, shapes: { x: [2, 4, 3], weight: [4], bias: [4] }, backward: true },
  rnn: { shapes: { x: [3, 2, 4], weight_ih: [5, 4], weight_hh: [5, 5], bias_ih: [5], bias_hh: [5] }, backward: true },
  lstm: { shapes: { x: [3, 2, 4], weight_ih: [20, 4], weight_hh: [20, 5] }, backward: true },
  gru: { shapes: { x: [3, 2, 4], weight_ih: [15, 4], weight_hh: [15, 5] }, backward: true },
  tanh: { shapes: { x: [3, 7] }, backward: true },
  sigmoid: { shapes: { x: [3, 7] }, backward: true },
  gelu: { shapes: { x: [3, 7] }, backward: true },
  silu: { shapes: { x: [3, 7] }, backward: true },
  leaky_relu: { attrs: { negative_slope: 0.1 }, shapes: { x: [3, 7] }, backward: true },
  add: { shapes: { x: [3, 7], other: [3, 7] }, backward: true },
  flatten: { shapes: { x: [2, 3, 4] }, backward: true },
  mse_loss: { shapes: { x: [3, 7], target: [3, 7] }, backward: true },
  embedding: { attrs: { padding_idx: 1 }, shapes: { weight: [6, 5], indices: [2, 7] }, backward: true },
  relu6: { shapes: { x: [3, 7] }, backward: true },
  elu: { shapes: { x: [3, 7] }, backward: true },
  softmax: { attrs: { dim: 1 }, shapes: { x: [3, 7] }, backward: true },
  log_softmax: { attrs: { dim: 1 }, shapes: { x: [3, 7] }, backward: true },
  scaled_dot_product_attention: { shapes: { q: [2, 3, 4], k: [2, 5, 4], v: [2, 5, 4], attn_mask: [3, 5] }, backward: true },
  fake_quantize_per_tensor_affine: { attrs: { scale: 0.05, zero_point: 3, quant_min: 0, quant_max: 15 }, shapes: { x: [3, 7] }, backward: true },
  fake_quantize_per_channel_affine: { attrs: { axis: 1, quant_min: -8, quant_max: 7 }, shapes: { x: [2, 3, 5], scale: [3], zero_point: [3] }, backward: true },
  to_float16: { shapes: { x: [3, 7] }, backward: true },
  to_bfloat16: { shapes: { x: [3, 7] }, backward: true },
  multi_head_attention: {
    attrs: { num_heads: 2, batch_first: true, dropout_p: 0.25 },
    shapes: { x: [2, 3, 4], in_proj_weight: [12, 4], in_proj_bias: [12], out_proj_weight: [4, 4], out_proj_bias: [4], attn_mask: [3, 3], key_padding_mask: [2, 3], dropout_mask: [2, 2, 3, 3] },
    backward: true,
  },
};

function casesFile(cases: unknown[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'nnx-bench-ops-')), 'cases.json');
  writeFileSync(file, JSON.stringify(cases));
  return file;
}

describe('nnx bench --cases on every op', () => {
  const cli = useInProcessNnx();

  test('every registered op has a tiny case here', () => {
    expect(Object.keys(OPS).filter((op) => !TINY[op])).toEqual([]);
  });

  test('constrained inputs are drawn valid', () => {
    const [bn, ce, gcn] = parseBenchCases([
      { op: 'batch_norm', attrs: { training: false }, shapes: { x: [8, 64], running_mean: [64], running_var: [64] } },
      { op: 'cross_entropy', shapes: { logits: [50, 3], target: [50] } },
      { op: 'gcn', shapes: { x: [5, 2], edge_index: [2, 200], weight: [3, 2] } },
    ], 'test');
    expect(Math.min(...Array.from(benchInputs(bn).running_var.data!))).toBeGreaterThan(0);
    const targets = Array.from(benchInputs(ce).target.data!);
    expect(targets.every((t) => Number.isInteger(t) && t >= 0 && t < 3)).toBe(true);
    expect(new Set(targets).size).toBe(3);
    const edges = Array.from(benchInputs(gcn).edge_index.data!);
    expect(edges.every((v) => Number.isInteger(v) && v >= 0 && v < 5)).toBe(true);
    expect(new Set(edges).size).toBe(5);
    const [mha] = parseBenchCases([{ op: 'multi_head_attention', attrs: { num_heads: 1, dropout_p: 0.5 }, shapes: { x: [3, 2, 4], in_proj_weight: [12, 4], out_proj_weight: [4, 4], dropout_mask: [2, 1, 3, 3] } }], 'test');
    const keep = Array.from(benchInputs(mha).dropout_mask.data!);
    expect(new Set(keep)).toEqual(new Set([0, 1]));
  });

  test('every op runs forward and backward, batch_norm inference with running statistics', async () => {
    const cases = Object.entries(TINY).filter(([op]) => OPS[op]).map(([op, c]) => ({ name: op, op, ...c }));
    const r = await cli(['bench', '--json', '--cases', casesFile(cases), '--runs', '1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.cases.map((c: { name: string }) => c.name)).toEqual(cases.map((c) => c.name));
    for (const c of out.cases) {
      expect(c.wall_ms).toBeGreaterThan(0);
      // flatten is a view: no kernel runs.
      expect(c.kernels.length > 0).toBe(c.op !== 'flatten');
    }
  }, 600_000);
});
