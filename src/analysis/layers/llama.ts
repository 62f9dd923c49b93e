import { InputError } from '../errors.ts';
import type { LayerSpec } from '../model_spec.ts';
import { formatShape, numel } from '../tensor.ts';
import { ELEMENTWISE_FLOPS } from './activation.ts';
import { Args, expectFloat, expectRank, type InputInfo, type LayerRule } from './types.ts';

/**
 * FLOPs per element of RMSNorm: square and add (mean of squares: 2), scale by 1/rms (1), and the
 * weight (1). The per-row eps add, rsqrt and divide by the row length are not counted.
 */
export const RMS_NORM_FLOPS_PER_ELEMENT = { statistics: 3, affine: 1 } as const;

/**
 * FLOPs per element of a rotary position embedding, x·cos + rotate_half(x)·sin: two multiplies
 * and one add (rotate_half only moves and negates halves; the cos/sin tables are computed once
 * per forward pass and shared by every layer, so they are not counted here).
 */
export const ROTARY_FLOPS_PER_ELEMENT = 3;

/**
 * nn.RMSNorm(normalized_shape, eps=None, elementwise_affine=True): y = x / sqrt(mean(x²) + eps) · weight
 * over the trailing dims, as Llama's LlamaRMSNorm (weight only, no bias). Autograd keeps the
 * input and one 1/rms per row.
 */
export const rmsNorm: LayerRule = {
  args: ['normalized_shape', 'eps', 'elementwise_affine'],
  infer(layer, [x]) {
    const a = new Args(layer, rmsNorm.args);
    const shape = a.intList('normalized_shape');
    if (a.has('eps')) a.num('eps', 0, 0);
    const affine = a.bool('elementwise_affine', true);
    expectFloat(x);
    const tail = x.shape.slice(x.shape.length - shape.length);
    if (x.shape.length < shape.length || tail.some((v, i) => v !== shape[i])) {
      throw new InputError(`normalized_shape ${formatShape(shape)} does not match the trailing dimensions of the input ${formatShape(x.shape)}`);
    }
    const elements = numel(x.shape);
    return {
      outputShape: [...x.shape],
      params: affine ? [{ name: 'weight', shape: [...shape] }] : [],
      macs: 0,
      flops: elements * (RMS_NORM_FLOPS_PER_ELEMENT.statistics + (affine ? RMS_NORM_FLOPS_PER_ELEMENT.affine : 0)),
      saved: [{ what: 'input', input: 0 }, { what: 'rstd', elements: elements / numel(shape), kind: 'float' }],
    };
  },
};

/**
 * RotaryEmbedding {head_dim, base=10000}: rotates each head's (x_i, x_{i+head_dim/2}) pairs by a
 * position-dependent angle, on [N, T, heads·head_dim] (Llama's apply_rotary_pos_emb on q or k).
 * No parameters; the backward pass rotates back with the same cos/sin, so nothing is saved.
 */
export const rotaryEmbedding: LayerRule = {
  args: ['head_dim', 'base'],
  infer(layer, [x]) {
    const a = new Args(layer, rotaryEmbedding.args);
    const headDim = a.int('head_dim');
    a.num('base', 10000, 1);
    expectFloat(x);
    expectRank(x, [3], '[N, T, heads·head_dim]');
    if (headDim % 2 !== 0) throw new InputError(`head_dim must be even (features rotate in pairs), got ${headDim}`);
    const features = x.shape[2];
    if (features % headDim !== 0) throw new InputError(`the input ${formatShape(x.shape)} has ${features} features, not a multiple of head_dim ${headDim}`);
    return {
      outputShape: [...x.shape], params: [], macs: 0,
      flops: numel(x.shape) * ROTARY_FLOPS_PER_ELEMENT,
      saved: [],
      notes: [`${features / headDim} heads of ${headDim}, ${x.shape[1]} positions`],
    };
  },
};

/**
 * ScaledDotProductAttention {num_heads, num_key_value_heads=num_heads, is_causal=false, dropout_p=0}:
 * F.scaled_dot_product_attention on query [N, L, heads·D], key and value [N, S, kv_heads·D]
 * (heads packed in the last dim), each key/value head shared by heads / kv_heads query heads
 * (grouped-query attention; kv_heads = 1 is multi-query). Output [N, L, heads·D].
 *
 * Counted as MultiheadAttention counts its core: Q·Kᵀ and P·V are N·heads·L·S·D MACs each, the
 * 1/√D scaling one FLOP per query element, softmax 5 per score; a causal mask still counts the
 * full L × S (as the kernels compute it). Autograd keeps q, k, v and the probabilities.
 */
export const scaledDotProductAttention: LayerRule = {
  args: ['num_heads', 'num_key_value_heads', 'is_causal', 'dropout_p'],
  arity: [3, 3],
  infer(layer, inputs) {
    const a = new Args(layer, scaledDotProductAttention.args);
    const heads = a.int('num_heads');
    const kvHeads = a.int('num_key_value_heads', heads);
    const causal = a.bool('is_causal', false);
    const dropout = a.num('dropout_p', 0, 0, 1);
    inputs.forEach(expectFloat);
    const [q, k, v] = inputs;
    for (const [x, what] of [[q, 'query'], [k, 'key'], [v, 'value']] as const) {
      if (x.shape.length !== 3) throw new InputError(`${what} must be 3-D [N, length, heads·head_dim], got ${formatShape(x.shape)}`);
    }
    if (heads % kvHeads !== 0) throw new InputError(`num_heads ${heads} is not divisible by num_key_value_heads ${kvHeads}`);
    const [n, L, qFeatures] = q.shape;
    if (qFeatures % heads !== 0) throw new InputError(`the query ${formatShape(q.shape)} has ${qFeatures} features, not divisible by num_heads ${heads}`);
    const d = qFeatures / heads;
    const S = k.shape[1];
    if (k.shape[0] !== n || v.shape[0] !== n) throw new InputError(`query ${formatShape(q.shape)}, key ${formatShape(k.shape)} and value ${formatShape(v.shape)} have different batch sizes`);
    if (v.shape[1] !== S) throw new InputError(`key ${formatShape(k.shape)} and value ${formatShape(v.shape)} have different lengths`);
    for (const [x, what] of [[k, 'key'], [v, 'value']] as const) {
      if (x.shape[2] !== kvHeads * d) {
        throw new InputError(`the ${what} ${formatShape(x.shape)} has ${x.shape[2]} features, expected num_key_value_heads ${kvHeads} × head_dim ${d} = ${kvHeads * d}`);
      }
    }
    const scores = n * heads * L * S;
    const macs = 2 * scores * d;
    return {
      outputShape: [n, L, qFeatures], params: [], macs,
      flops: 2 * macs + n * L * qFeatures + scores * ELEMENTWISE_FLOPS.Softmax + (dropout > 0 ? scores : 0),
      saved: [
        { what: 'query', input: 0 }, { what: 'key', input: 1 }, { what: 'value', input: 2 },
        { what: 'attention probabilities', elements: scores, kind: 'float' },
        ...(dropout > 0 ? [{ what: 'attention dropout mask', elements: scores, kind: 'bool' as const }] : []),
      ],
      workspace: scores,
      notes: [
        `${heads} query heads of ${d} sharing ${kvHeads} key/value head${kvHeads > 1 ? 's' : ''} (${heads / kvHeads} per group); sequence ${L} × ${S}`
        + (causal ? '; causal mask counted as the full L × S' : ''),
      ],
    };
  },
};

const LLAMA_ATTENTION_ARGS = ['hidden_size', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'attention_bias', 'rope_theta'];

/**
 * LlamaAttention {hidden_size, num_attention_heads, num_key_value_heads=num_attention_heads,
 * head_dim=hidden_size/num_attention_heads, attention_bias=false, rope_theta=10000} on
 * [N, T, hidden_size]: q_proj, k_proj, v_proj (k and v of kv_heads·head_dim features), rotary
 * embedding of q and k, causal grouped-query attention, o_proj; Hugging Face's module names.
 */
export function expandLlamaAttention(layer: LayerSpec, [x]: InputInfo[]): LayerSpec[] {
  const a = new Args(layer, LLAMA_ATTENTION_ARGS);
  const hidden = a.int('hidden_size');
  const heads = a.int('num_attention_heads');
  const kvHeads = a.int('num_key_value_heads', heads);
  if (!a.has('head_dim') && hidden % heads !== 0) throw new InputError(`hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
  const headDim = a.int('head_dim', hidden / heads);
  const bias = a.bool('attention_bias', false);
  const theta = a.num('rope_theta', 10000, 1);
  expectRank(x, [3], '[N, T, hidden_size]');
  const proj = (name: string, inF: number, outF: number): LayerSpec => ({ type: 'Linear', name, in_features: inF, out_features: outF, bias });
  return [
    { ...proj('q_proj', hidden, heads * headDim), inputs: ['input'] },
    { ...proj('k_proj', hidden, kvHeads * headDim), inputs: ['input'] },
    { ...proj('v_proj', hidden, kvHeads * headDim), inputs: ['input'] },
    { type: 'RotaryEmbedding', name: 'rotary_q', head_dim: headDim, base: theta, inputs: ['q_proj'] },
    { type: 'RotaryEmbedding', name: 'rotary_k', head_dim: headDim, base: theta, inputs: ['k_proj'] },
    { type: 'ScaledDotProductAttention', name: 'attn', num_heads: heads, num_key_value_heads: kvHeads, is_causal: true, inputs: ['rotary_q', 'rotary_k', 'v_proj'] },
    proj('o_proj', heads * headDim, hidden),
  ];
}

/**
 * SwiGLU {hidden_size, intermediate_size, bias=false}: Llama's MLP,
 * down_proj(act_fn(gate_proj(x)) · up_proj(x)) with act_fn = SiLU; Hugging Face's module names.
 */
export function expandSwiGLU(layer: LayerSpec): LayerSpec[] {
  const a = new Args(layer, ['hidden_size', 'intermediate_size', 'bias']);
  const hidden = a.int('hidden_size');
  const inter = a.int('intermediate_size');
  const bias = a.bool('bias', false);
  return [
    { type: 'Linear', name: 'gate_proj', in_features: hidden, out_features: inter, bias },
    { type: 'SiLU', name: 'act_fn' },
    { type: 'Linear', name: 'up_proj', in_features: hidden, out_features: inter, bias, inputs: ['input'] },
    { type: 'Mul', name: 'mul', inputs: ['act_fn', 'up_proj'] },
    { type: 'Linear', name: 'down_proj', in_features: inter, out_features: hidden, bias },
  ];
}
