import type { LayerSpec, ModelSpec } from '../model_spec.ts';

/** A Llama-family decoder's published configuration (Hugging Face config.json names). */
export interface LlamaConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  rms_norm_eps: number;
  rope_theta: number;
  /** Mixtral: experts per layer and experts per token; absent for a dense model. */
  num_local_experts?: number;
  num_experts_per_tok?: number;
}

/** Mixtral's expert (MixtralBlockSparseTop2MLP): w2(SiLU(w1(x)) · w3(x)), no biases. */
function mixtralExpert(c: LlamaConfig): LayerSpec[] {
  return [
    { type: 'Linear', name: 'w1', in_features: c.hidden_size, out_features: c.intermediate_size, bias: false },
    { type: 'SiLU', name: 'act_fn' },
    { type: 'Linear', name: 'w3', in_features: c.hidden_size, out_features: c.intermediate_size, bias: false, inputs: ['input'] },
    { type: 'Mul', name: 'mul', inputs: ['act_fn', 'w3'] },
    { type: 'Linear', name: 'w2', in_features: c.intermediate_size, out_features: c.hidden_size, bias: false },
  ];
}

/**
 * One pre-norm decoder layer: x = x + self_attn(input_layernorm(x)); x = x + mlp(post_attention_layernorm(x)),
 * with the MLP a SwiGLU (`mlp`) or, with experts, a sparse MoE (`block_sparse_moe`).
 */
function decoderLayer(name: string, c: LlamaConfig): LayerSpec {
  const ffn: LayerSpec = c.num_local_experts
    ? { type: 'MoE', name: 'block_sparse_moe', num_experts: c.num_local_experts, top_k: c.num_experts_per_tok, experts: mixtralExpert(c) }
    : { type: 'SwiGLU', name: 'mlp', hidden_size: c.hidden_size, intermediate_size: c.intermediate_size };
  return {
    type: 'Sequential', name, layers: [
      { type: 'RMSNorm', name: 'input_layernorm', normalized_shape: c.hidden_size, eps: c.rms_norm_eps },
      {
        type: 'LlamaAttention', name: 'self_attn', hidden_size: c.hidden_size, num_attention_heads: c.num_attention_heads,
        num_key_value_heads: c.num_key_value_heads, rope_theta: c.rope_theta,
      },
      { type: 'Add', name: 'residual1', inputs: ['input', 'self_attn'] },
      { type: 'RMSNorm', name: 'post_attention_layernorm', normalized_shape: c.hidden_size, eps: c.rms_norm_eps },
      { ...ffn, inputs: ['post_attention_layernorm'] },
      { type: 'Add', name: 'residual2', inputs: ['residual1', ffn.name as string] },
    ],
  };
}

/**
 * A Llama-family causal language model as Hugging Face's LlamaForCausalLM / MixtralForCausalLM:
 * model.embed_tokens, model.layers.0…, model.norm, an untied lm_head; on [1, tokens] token ids.
 */
export function llamaModel(name: string, c: LlamaConfig, tokens = 128): ModelSpec {
  const layers: LayerSpec[] = [];
  for (let i = 0; i < c.num_hidden_layers; i++) layers.push(decoderLayer(String(i), c));
  return {
    name,
    input: [1, tokens],
    layers: [
      {
        type: 'Sequential', name: 'model', layers: [
          { type: 'Embedding', name: 'embed_tokens', num_embeddings: c.vocab_size, embedding_dim: c.hidden_size },
          { type: 'Sequential', name: 'layers', layers },
          { type: 'RMSNorm', name: 'norm', normalized_shape: c.hidden_size, eps: c.rms_norm_eps },
        ],
      },
      { type: 'Linear', name: 'lm_head', in_features: c.hidden_size, out_features: c.vocab_size, bias: false },
    ],
    loss: 'cross_entropy',
  };
}

/** Llama-2-7B (meta-llama/Llama-2-7b-hf config.json): 6,738,415,616 parameters. */
export function llama2_7b(): ModelSpec {
  return llamaModel('llama2_7b', {
    vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32,
    num_attention_heads: 32, num_key_value_heads: 32, rms_norm_eps: 1e-5, rope_theta: 10000,
  });
}

/** Mixtral-8x7B (mistralai/Mixtral-8x7B-v0.1 config.json): 8 experts, 2 per token, 8 key/value heads. */
export function mixtral8x7b(): ModelSpec {
  return llamaModel('mixtral_8x7b', {
    vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
    num_attention_heads: 32, num_key_value_heads: 8, rms_norm_eps: 1e-5, rope_theta: 1e6,
    num_local_experts: 8, num_experts_per_tok: 2,
  });
}
