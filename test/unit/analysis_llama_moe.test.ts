import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { analyzeModel, type LayerNode, type ModelGraph } from '../../src/analysis/graph.ts';
import type { LayerSpec } from '../../src/analysis/model_spec.ts';
import { buildSummary, formatSummaryTable } from '../../src/analysis/summary.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';

/**
 * Llama/Mixtral pieces and the MoE layer against counts worked out by hand from the published
 * configurations (Hugging Face config.json of meta-llama/Llama-2-7b-hf and
 * mistralai/Mixtral-8x7B-v0.1), never from the code under test.
 */

const model = (input: number[], layers: LayerSpec[]): ModelGraph => analyzeModel({ input, layers });
const leaf = (g: ModelGraph, name: string): LayerNode => {
  const row = g.layers.find((l) => l.name === name);
  if (!row) throw new Error(`no row ${name}`);
  return row;
};
const total = (g: ModelGraph, f: (l: LayerNode) => number): number => g.layers.reduce((s, l) => s + f(l), 0);

describe('published totals', () => {
  it('Mixtral-8x7B: 46,702,792,704 parameters, 12,879,925,248 active per token (top-2 of 8)', () => {
    const vocab = 32000, d = 4096, layers = 32, ffn = 14336, kvDim = 8 * 128, experts = 8, topK = 2;
    const attention = d * d + 2 * d * kvDim + d * d; // q, k, v, o projections, no biases
    const expert = 3 * d * ffn; // w1, w3: d → ffn; w2: ffn → d
    const router = d * experts;
    const norms = 2 * d;
    const embedAndHead = 2 * vocab * d + d; // untied embed_tokens and lm_head, final norm
    const params = layers * (attention + norms + router + experts * expert) + embedAndHead;
    const active = layers * (attention + norms + router + topK * expert) + embedAndHead;
    expect(params).toBe(46_702_792_704);
    expect(active).toBe(12_879_925_248);
    const r = buildSummary(zooModel('mixtral_8x7b'), { input: [1, 16] });
    expect(r.totals.params).toBe(params);
    expect(r.totals.active_params).toBe(active);
    // Per token: every matmul weight once except the gathered embedding table, 2 of 8 experts; attention Q·Kᵀ and P·V over 16 positions.
    const tokens = 16;
    const perTokenMacs = layers * (attention + router + topK * expert) + vocab * d;
    const attnMacs = layers * 2 * tokens * tokens * d;
    expect(r.totals.macs).toBe(tokens * perTokenMacs + attnMacs);
  });

  it('Llama-2-7B: 6,738,415,616 parameters, all active', () => {
    const vocab = 32000, d = 4096, layers = 32, ffn = 11008;
    const params = layers * (4 * d * d + 3 * d * ffn + 2 * d) + 2 * vocab * d + d;
    expect(params).toBe(6_738_415_616);
    const r = buildSummary(zooModel('llama2_7b'), { input: [1, 16] });
    expect(r.totals.params).toBe(params);
    expect(r.totals.active_params).toBe(params);
  });

  it('dense models report active_params = params', () => {
    const r = buildSummary(zooModel('lenet5'));
    expect(r.totals.active_params).toBe(r.totals.params);
  });

  it('the summary table shows the active parameters of an MoE model', () => {
    const text = formatSummaryTable(buildSummary(zooModel('mixtral_8x7b'), { input: [1, 16] }), { maxDepth: 3 });
    expect(text).toContain('Active params:        12,879,925,248 per token');
    expect(text).toContain('Total params:         46,702,792,704');
  });
});

describe('layers by hand (odd sizes, batch > 1)', () => {
  it('RMSNorm: weight only, 4 FLOPs per element, one 1/rms per row kept', () => {
    const g = model([3, 5, 6], [{ type: 'RMSNorm', normalized_shape: 6, eps: 1e-6 }]);
    const n = g.layers[0];
    expect(n.params).toEqual([{ name: 'weight', shape: [6] }]);
    expect(n.flops).toBe(90 * 4);
    expect(n.saved.map((s) => s.elements)).toEqual([90, 15]);
    expect(() => model([3, 5, 7], [{ type: 'RMSNorm', normalized_shape: 6 }])).toThrow(/normalized_shape \[6\] does not match the trailing dimensions of the input \[3, 5, 7\]/);
  });

  it('LlamaAttention with grouped-query attention: k/v of kv_heads·head_dim, MACs as MultiheadAttention counts them', () => {
    // hidden 12, 6 heads of 2, 2 kv heads; batch 2, 5 tokens.
    const g = model([2, 5, 12], [{ type: 'LlamaAttention', name: 'self_attn', hidden_size: 12, num_attention_heads: 6, num_key_value_heads: 2 }]);
    expect(leaf(g, 'self_attn.k_proj').params).toEqual([{ name: 'weight', shape: [4, 12] }]);
    expect(total(g, (l) => l.paramCount)).toBe(12 * 12 + 2 * 12 * 4 + 12 * 12);
    const rows = 2 * 5;
    const projMacs = rows * (12 * 12 + 2 * 12 * 4 + 12 * 12);
    const attnMacs = 2 * 6 * 5 * 5 * 2 * 2; // batch × heads × L × S × head_dim, for Q·Kᵀ and P·V
    expect(total(g, (l) => l.macs)).toBe(projMacs + attnMacs);
    const sdpa = leaf(g, 'self_attn.attn');
    // 2 per MAC, the 1/√d scale on every query element, softmax 5 per score (2·6·5·5 scores)
    expect(sdpa.flops).toBe(2 * attnMacs + rows * 12 + 5 * 300);
    // rotary: 3 FLOPs per element of q [2, 5, 12] and k [2, 5, 4]
    expect(leaf(g, 'self_attn.rotary_q').flops + leaf(g, 'self_attn.rotary_k').flops).toBe(3 * (120 + 40));
    expect(g.output.shape).toEqual([2, 5, 12]);
  });

  it('SwiGLU: gate, up and down projections without biases', () => {
    const g = model([2, 3, 10], [{ type: 'SwiGLU', name: 'mlp', hidden_size: 10, intermediate_size: 7 }]);
    expect(g.layers.filter((l) => !l.container).map((l) => l.name)).toEqual(['mlp.gate_proj', 'mlp.act_fn', 'mlp.up_proj', 'mlp.mul', 'mlp.down_proj']);
    expect(total(g, (l) => l.paramCount)).toBe(3 * 10 * 7);
    expect(total(g, (l) => l.macs)).toBe(6 * 3 * 10 * 7);
  });

  it('MoE: router plus all experts as parameters, router plus top_k experts active and computed', () => {
    // d 6, 5 experts of Linear(6, 9) → ReLU → Linear(9, 6), top-2; 3 × 7 = 21 tokens.
    const expert: LayerSpec[] = [
      { type: 'Linear', name: 'fc1', in_features: 6, out_features: 9 }, { type: 'ReLU', name: 'act' },
      { type: 'Linear', name: 'fc2', in_features: 9, out_features: 6 },
    ];
    const g = model([3, 7, 6], [{ type: 'MoE', name: 'moe', num_experts: 5, top_k: 2, experts: expert }]);
    const n = g.layers[0];
    const expertParams = 6 * 9 + 9 + 9 * 6 + 6;
    expect(n.paramCount).toBe(6 * 5 + 5 * expertParams);
    expect(n.activeParamCount).toBe(6 * 5 + 2 * expertParams);
    expect(n.params[0]).toEqual({ name: 'gate.weight', shape: [5, 6] });
    expect(n.params.map((p) => p.name)).toContain('experts.4.fc2.bias');
    const tokens = 21, routed = 42;
    expect(n.macs).toBe(tokens * 6 * 5 + routed * (6 * 9 + 9 * 6));
    const expertFlops = routed * (2 * 54 + 9) + routed * 9 + routed * (2 * 54 + 6);
    expect(n.flops).toBe(2 * tokens * 30 + 5 * tokens * 5 + 2 * routed + tokens * 6 * 3 + expertFlops);
    expect(g.output.shape).toEqual([3, 7, 6]);
  });

  it('bad configurations name the problem and the numbers', () => {
    const expert: LayerSpec[] = [{ type: 'Linear', name: 'fc', in_features: 6, out_features: 6 }];
    expect(() => model([2, 6], [{ type: 'MoE', num_experts: 2, top_k: 3, experts: expert }])).toThrow(/top_k 3 is larger than num_experts 2/);
    expect(() => model([2, 8], [{ type: 'MoE', num_experts: 2, top_k: 1, experts: expert }]))
      .toThrow(/layer "0" \(MoE\): expert layer "fc" \(Linear\): in_features 6 does not match the input \[2, 8\]/);
    expect(() => model([2, 6], [{ type: 'MoE', num_experts: 2, top_k: 1, experts: [{ type: 'Linear', in_features: 6, out_features: 4 }] }]))
      .toThrow(/an expert must map \[tokens, 6\] to \[tokens, 6\], got \[2, 4\]/);
    expect(() => model([2, 5, 12], [{ type: 'LlamaAttention', hidden_size: 12, num_attention_heads: 6, num_key_value_heads: 4 }]))
      .toThrow(/num_heads 6 is not divisible by num_key_value_heads 4/);
    expect(() => model([2, 5, 9], [{ type: 'RotaryEmbedding', head_dim: 3 }])).toThrow(/head_dim must be even/);
    expect(() => model([2, 5, 12], [{ type: 'MoE', num_experts: 2, experts: [] }])).toThrow(InputError);
  });
});
