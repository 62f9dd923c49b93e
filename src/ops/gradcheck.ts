/**
 * Gradient checking: analytic GPU gradients of every registered op against central
 * differences of the GPU forward pass (float32), L = Σ output·g for a fixed random g, on small
 * built-in cases. Inputs stay away from the kinks of relu and max (well-separated values).
 */
import { InputError } from '../analysis/errors.ts';
import { numel } from '../analysis/tensor.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import { mulberry32 } from '../analysis/random.ts';
import type { HostTensor } from './op.ts';
import { OPS } from './registry.ts';

/** One built-in case: attributes and inputs (data generated from `gen`). */
export interface GradcheckCase {
  op: string;
  attrs: Record<string, unknown>;
  inputs: Record<string, { shape: number[]; gen: 'uniform' | 'spread' | 'apart' | 'distinct' | 'int'; bound?: number; data?: number[]; bool?: boolean }>;
  /** Tolerance on the max relative error (default 1e-2). */
  tolerance?: number;
}

const EDGES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 0, 1, 3];
const edge = { shape: [2, 6], gen: 'int' as const, data: [0, 1, 2, 3, 4, 1, 1, 2, 3, 4, 0, 3].map((_, i) => EDGES[(i % 6) * 2 + (i < 6 ? 0 : 1)]) };

function recurrentCase(op: string, gates: number): GradcheckCase {
  const H = 3;
  return {
    op, attrs: {},
    inputs: {
      x: { shape: [3, 2, 2], gen: 'uniform' }, h0: { shape: [1, 2, H], gen: 'uniform' },
      ...(op === 'lstm' ? { c0: { shape: [1, 2, H], gen: 'uniform' as const } } : {}),
      weight_ih: { shape: [gates * H, 2], gen: 'uniform' }, weight_hh: { shape: [gates * H, H], gen: 'uniform' },
      bias_ih: { shape: [gates * H], gen: 'uniform' }, bias_hh: { shape: [gates * H], gen: 'uniform' },
    },
  };
}

/** A small case for every registered op. */
export const GRADCHECK_CASES: GradcheckCase[] = [
  { op: 'conv2d', attrs: { padding: 1, stride: [2, 1] }, inputs: { x: { shape: [1, 2, 5, 4], gen: 'uniform' }, weight: { shape: [3, 2, 3, 2], gen: 'uniform' }, bias: { shape: [3], gen: 'uniform' } } },
  { op: 'conv2d_relu', attrs: { padding: 1 }, inputs: { x: { shape: [1, 2, 4, 3], gen: 'uniform' }, weight: { shape: [3, 2, 2, 2], gen: 'uniform' }, bias: { shape: [3], gen: 'uniform' } } },
  { op: 'conv_bn_relu2d', attrs: { eps: 1e-3 }, inputs: { x: { shape: [2, 2, 3, 4], gen: 'uniform' }, weight: { shape: [3, 2, 2, 2], gen: 'uniform' }, bn_weight: { shape: [3], gen: 'spread' }, bn_bias: { shape: [3], gen: 'uniform' }, running_mean: { shape: [3], gen: 'uniform' }, running_var: { shape: [3], gen: 'uniform', data: [0.6, 1.3, 0.9] } } },
  { op: 'conv_transpose2d', attrs: { stride: 2, padding: 1, output_padding: 1, groups: 2 }, inputs: { x: { shape: [2, 4, 3, 2], gen: 'uniform' }, weight: { shape: [4, 3, 3, 2], gen: 'uniform' }, bias: { shape: [6], gen: 'uniform' } } },
  { op: 'max_pool2d', attrs: { kernel_size: 2 }, inputs: { x: { shape: [1, 2, 4, 4], gen: 'distinct' } } },
  { op: 'avg_pool2d', attrs: { kernel_size: 3, stride: 2, padding: 1 }, inputs: { x: { shape: [1, 2, 5, 5], gen: 'uniform' } } },
  { op: 'linear', attrs: {}, inputs: { x: { shape: [3, 5], gen: 'uniform' }, weight: { shape: [4, 5], gen: 'uniform' }, bias: { shape: [4], gen: 'uniform' } } },
  { op: 'relu', attrs: {}, inputs: { x: { shape: [12], gen: 'apart' } } },
  { op: 'cross_entropy', attrs: {}, inputs: { logits: { shape: [4, 5], gen: 'spread' }, target: { shape: [4], gen: 'int', bound: 5 } } },
  { op: 'gcn', attrs: {}, inputs: { x: { shape: [5, 3], gen: 'uniform' }, edge_index: edge, weight: { shape: [4, 3], gen: 'uniform' }, bias: { shape: [4], gen: 'uniform' } } },
  { op: 'gat', attrs: { heads: 2 }, inputs: { x: { shape: [5, 3], gen: 'uniform' }, edge_index: edge, weight: { shape: [4, 3], gen: 'uniform' }, att_src: { shape: [1, 2, 2], gen: 'uniform' }, att_dst: { shape: [1, 2, 2], gen: 'uniform' }, bias: { shape: [4], gen: 'uniform' } } },
  { op: 'sage', attrs: {}, inputs: { x: { shape: [5, 3], gen: 'uniform' }, edge_index: edge, weight_l: { shape: [4, 3], gen: 'uniform' }, bias_l: { shape: [4], gen: 'uniform' }, weight_r: { shape: [4, 3], gen: 'uniform' } } },
  { op: 'batch_norm', attrs: { training: true }, inputs: { x: { shape: [4, 3, 2, 2], gen: 'uniform' }, weight: { shape: [3], gen: 'spread' }, bias: { shape: [3], gen: 'uniform' } } },
  { op: 'layer_norm', attrs: { normalized_shape: [6] }, inputs: { x: { shape: [3, 6], gen: 'uniform' }, weight: { shape: [6], gen: 'spread' }, bias: { shape: [6], gen: 'uniform' } } },
  { op: 'group_norm', attrs: { num_groups: 2 }, inputs: { x: { shape: [2, 4, 3], gen: 'uniform' }, weight: { shape: [4], gen: 'spread' }, bias: { shape: [4], gen: 'uniform' } } },
  recurrentCase('rnn', 1), recurrentCase('lstm', 4), recurrentCase('gru', 3),
  { op: 'tanh', attrs: {}, inputs: { x: { shape: [10], gen: 'spread' } } },
  { op: 'sigmoid', attrs: {}, inputs: { x: { shape: [10], gen: 'spread' } } },
  { op: 'gelu', attrs: {}, inputs: { x: { shape: [10], gen: 'spread' } } },
  { op: 'silu', attrs: {}, inputs: { x: { shape: [10], gen: 'spread' } } },
  { op: 'leaky_relu', attrs: { negative_slope: 0.1 }, inputs: { x: { shape: [10], gen: 'apart' } } },
  { op: 'add', attrs: {}, inputs: { x: { shape: [2, 3], gen: 'uniform' }, other: { shape: [2, 3], gen: 'uniform' } } },
  { op: 'flatten', attrs: { start_dim: 1 }, inputs: { x: { shape: [2, 3, 2], gen: 'uniform' } } },
  { op: 'mse_loss', attrs: {}, inputs: { x: { shape: [3, 4], gen: 'uniform' }, target: { shape: [3, 4], gen: 'uniform' } } },
  { op: 'softmax', attrs: { dim: 0 }, inputs: { x: { shape: [3, 5], gen: 'spread' } } },
  { op: 'log_softmax', attrs: { dim: 1 }, inputs: { x: { shape: [2, 3, 4], gen: 'spread' } } },
  { op: 'gelu', attrs: { approximate: 'tanh' }, inputs: { x: { shape: [10], gen: 'spread' } } },
  // Values away from relu6's kinks at 0 and 6, on both sides of each.
  { op: 'relu6', attrs: {}, inputs: { x: { shape: [10], gen: 'apart', data: [-1.3, -0.4, 0.3, 1.7, 2.9, 4.2, 5.5, 6.4, 7.1, 8.8] } } },
  { op: 'elu', attrs: { alpha: 0.5 }, inputs: { x: { shape: [10], gen: 'apart' } } },
  // Repeated indices (rows 1 and 3 twice or more, rows 4 and 5 never): dL/dweight only.
  { op: 'embedding', attrs: {}, inputs: { weight: { shape: [7, 3], gen: 'uniform' }, indices: { shape: [2, 4], gen: 'int', data: [1, 3, 1, 6, 0, 3, 3, 2] } } },
  { op: 'scaled_dot_product_attention', attrs: {}, inputs: { q: { shape: [2, 2, 3, 4], gen: 'spread' }, k: { shape: [2, 2, 5, 4], gen: 'spread' }, v: { shape: [2, 2, 5, 3], gen: 'uniform' } } },
  { op: 'scaled_dot_product_attention', attrs: { is_causal: true }, inputs: { q: { shape: [1, 2, 5, 3], gen: 'spread' }, k: { shape: [1, 2, 4, 3], gen: 'spread' }, v: { shape: [1, 2, 4, 3], gen: 'uniform' } } },
  { op: 'scaled_dot_product_attention', attrs: { scale: 0.8 }, inputs: { q: { shape: [2, 3, 4], gen: 'spread' }, k: { shape: [2, 4, 4], gen: 'spread' }, v: { shape: [2, 4, 2], gen: 'uniform' }, attn_mask: { shape: [3, 4], gen: 'int', bool: true, data: [1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0] } } },
  { op: 'multi_head_attention', attrs: { num_heads: 2 }, inputs: { x: { shape: [2, 3, 4], gen: 'spread' }, in_proj_weight: { shape: [12, 4], gen: 'uniform' }, in_proj_bias: { shape: [12], gen: 'uniform' }, out_proj_weight: { shape: [4, 4], gen: 'uniform' }, out_proj_bias: { shape: [4], gen: 'uniform' } } },
  // Steps of 2^-16 and 2^-15 are far finer than the probe (1e-2), so the straight-through gradient is
  // the slope there: 1 inside each range, 0 outside (the values stay at least 0.03 from its ends).
  { op: 'fake_quantize_per_tensor_affine', attrs: { scale: 2 ** -16, zero_point: 0, quant_min: -32768, quant_max: 32767 }, inputs: { x: { shape: [10], gen: 'apart', data: [-0.9, -0.62, -0.35, -0.2, -0.05, 0.1, 0.3, 0.44, 0.61, 0.8] } } },
  { op: 'fake_quantize_per_channel_affine', attrs: { axis: 1, quant_min: -16384, quant_max: 16383 }, inputs: { x: { shape: [2, 3, 2], gen: 'apart', data: [-0.9, -0.3, 0.03, 0.6, -0.05, 0.2, 0.35, -0.7, 0.12, 0.9, -0.15, 0.02] }, scale: { shape: [3], gen: 'uniform', data: [2 ** -15, 2 ** -16, 2 ** -15] }, zero_point: { shape: [3], gen: 'int', data: [0, 6000, -2000] } } },
  // Values near 0.005, where both formats' steps stay far below the probe.
  { op: 'to_float16', attrs: {}, inputs: { x: { shape: [10], gen: 'apart', data: [-0.0049, -0.0031, -0.0017, -0.0004, 0.0002, 0.0011, 0.0023, 0.0036, 0.0042, 0.005] } } },
  { op: 'to_bfloat16', attrs: {}, inputs: { x: { shape: [10], gen: 'apart', data: [-0.0049, -0.0031, -0.0017, -0.0004, 0.0002, 0.0011, 0.0023, 0.0036, 0.0042, 0.005] } } },
  { op: 'multi_head_attention', attrs: { num_heads: 2, is_causal: true, batch_first: false }, inputs: { x: { shape: [4, 2, 4], gen: 'spread' }, in_proj_weight: { shape: [12, 4], gen: 'uniform' }, out_proj_weight: { shape: [4, 4], gen: 'uniform' }, key_padding_mask: { shape: [2, 4], gen: 'int', bool: true, data: [0, 0, 1, 0, 0, 1, 0, 1] } } },
];

/** Max relative error of one input's gradient. */
export interface GradcheckInput {
  input: string;
  probes: number;
  max_rel_error: number;
  /** The worst probe: flat index, analytic and numeric values. */
  worst: { index: number; analytic: number; numeric: number };
}

export interface GradcheckResult {
  op: string;
  tolerance: number;
  inputs: GradcheckInput[];
  passed: boolean;
}

function hostInputs(c: GradcheckCase, seed: number): Record<string, HostTensor> {
  const u = mulberry32(seed);
  const out: Record<string, HostTensor> = {};
  for (const [name, s] of Object.entries(c.inputs)) {
    const n = numel(s.shape);
    let data: number[];
    if (s.data) data = s.data;
    else if (s.gen === 'int') data = Array.from({ length: n }, () => Math.floor(u() * (s.bound ?? 2)));
    else if (s.gen === 'uniform') data = Array.from({ length: n }, () => u() * 2 - 1);
    else if (s.gen === 'spread') data = Array.from({ length: n }, () => (u() * 2 - 1) * 2.5);
    // Away from 0 by at least 0.15 (relu, leaky_relu kinks).
    else if (s.gen === 'apart') data = Array.from({ length: n }, () => (u() < 0.5 ? -1 : 1) * (0.15 + 0.85 * u()));
    // A permutation of well-separated values (max_pool2d winners stay put under ±eps).
    else data = Array.from({ length: n }, (_, i) => ((i * 37) % n) / 5 - n / 10);
    if (s.bool) out[name] = { shape: s.shape, dtype: 'float32', data: Float32Array.from(data), bool: true };
    else out[name] = { shape: s.shape, dtype: s.gen === 'int' ? 'int32' : 'float32', data: s.gen === 'int' ? Int32Array.from(data) : Float32Array.from(data) };
  }
  return out;
}

/** Checks one case: up to `probes` elements per float input, eps 1e-2 (float32 forward passes). */
export async function gradcheckCase(rt: GpuRuntime, c: GradcheckCase, options: { probes?: number; eps?: number; seed?: number } = {}): Promise<GradcheckResult> {
  const op = OPS[c.op];
  if (!op) throw new InputError(`gradcheck: unknown op "${c.op}" (ops: ${Object.keys(OPS).join(', ')})`);
  const eps = options.eps ?? 1e-2;
  const probes = options.probes ?? 6;
  const host = hostInputs(c, options.seed ?? 5);
  const prepared = op.prepare(c.attrs, host);
  const mainOut = op.outputs[0];
  const u = mulberry32(11);
  const g = Float32Array.from({ length: numel(prepared.outputShapes[mainOut]) }, () => u() * 2 - 1);

  return rt.withOwner(`gradcheck ${c.op}`, async () => {
    const upload = () => Object.fromEntries(Object.entries(host).map(([k, t]) => [k, rt.tensor(k, t.shape, t.dtype, t.data)]));
    const objective = async (): Promise<number> => {
      const inputs = upload();
      const run = await prepared.forward(rt, inputs, { trace: false });
      const [out] = await rt.read([run.outputs[mainOut]]);
      rt.release(...new Set([...Object.values(run.outputs), ...Object.values(run.trace), ...Object.values(inputs)]));
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * g[i];
      return s;
    };
    // Analytic gradients.
    const inputs = upload();
    const run = await prepared.forward(rt, inputs, { trace: false });
    const gradOutputs: Record<string, GpuTensor> = {};
    for (const name of op.outputs) {
      if (!run.outputs[name]) continue;
      gradOutputs[name] = rt.tensor(`grad_output.${name}`, prepared.outputShapes[name], 'float32', name === mainOut ? g : undefined);
    }
    const grads = await run.backward(gradOutputs);
    const names = op.inputs.filter((i) => i.differentiable && i.dtype === 'float32' && host[i.name]).map((i) => i.name);
    const values = await rt.read(names.map((n) => grads[n]));
    rt.release(...new Set([...Object.values(run.outputs), ...Object.values(run.trace), ...Object.values(inputs), ...Object.values(gradOutputs), ...Object.values(grads)]));
    const results: GradcheckInput[] = [];
    for (const [k, name] of names.entries()) {
      const analytic = values[k];
      const data = host[name].data as Float32Array;
      const scale = Math.max(1e-3, ...Array.from(analytic, Math.abs));
      const count = Math.min(probes, data.length);
      const pick = mulberry32(100 + k);
      const indices = data.length <= probes ? Array.from({ length: count }, (_, i) => i) : Array.from({ length: count }, () => Math.floor(pick() * data.length));
      let worst: GradcheckInput['worst'] = { index: -1, analytic: 0, numeric: 0 };
      let maxRel = 0;
      for (const i of indices) {
        const saved = data[i];
        data[i] = saved + eps;
        const plus = await objective();
        data[i] = saved - eps;
        const minus = await objective();
        data[i] = saved;
        const numeric = (plus - minus) / (2 * eps);
        const a = analytic[i];
        const rel = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), 0.05 * scale);
        if (!(rel <= maxRel)) {
          maxRel = Number.isNaN(rel) ? Infinity : rel;
          worst = { index: i, analytic: a, numeric };
        }
      }
      results.push({ input: name, probes: count, max_rel_error: maxRel, worst });
    }
    const tolerance = c.tolerance ?? 2e-2;
    return { op: c.op, tolerance, inputs: results, passed: results.every((r) => r.max_rel_error <= tolerance) };
  });
}
