import type { LayerSpec, ModelSpec } from '../model_spec.ts';

/**
 * torchvision's EncoderBlock in DAG form: x = x + dropout(self_attention(ln_1(x)));
 * x = x + mlp(ln_2(x)), with mlp = Linear → GELU → Dropout → Linear → Dropout.
 */
function encoderBlock(name: string, dim: number, heads: number, mlp: number): LayerSpec {
  return {
    type: 'Sequential', name, layers: [
      { type: 'LayerNorm', name: 'ln_1', normalized_shape: dim, eps: 1e-6 },
      { type: 'MultiheadAttention', name: 'self_attention', embed_dim: dim, num_heads: heads, dropout: 0, batch_first: true },
      { type: 'Dropout', name: 'dropout', p: 0 },
      { type: 'Add', name: 'residual1', inputs: ['input', 'dropout'] },
      { type: 'LayerNorm', name: 'ln_2', normalized_shape: dim, eps: 1e-6 },
      {
        type: 'Sequential', name: 'mlp', layers: [
          { type: 'Linear', in_features: dim, out_features: mlp }, { type: 'GELU' }, { type: 'Dropout', p: 0 },
          { type: 'Linear', in_features: mlp, out_features: dim }, { type: 'Dropout', p: 0 },
        ],
      },
      { type: 'Add', name: 'residual2', inputs: ['residual1', 'mlp'] },
    ],
  };
}

/**
 * torchvision's VisionTransformer: patch embedding (conv_proj, class token, position
 * embedding), encoder (dropout, encoder_layer_0…, ln), the class token's row, heads.head.
 * `image` is [channels, size] of the square input.
 */
export function vit(
  name: string, patch: number, depth: number, heads: number, dim: number, mlp: number, classes = 1000, image: [number, number] = [3, 224],
): ModelSpec {
  const blocks: LayerSpec[] = [];
  for (let i = 0; i < depth; i++) blocks.push(encoderBlock(`encoder_layer_${i}`, dim, heads, mlp));
  return {
    name,
    input: [1, image[0], image[1], image[1]],
    layers: [
      { type: 'PatchEmbedding', name: 'patch_embed', in_channels: image[0], embed_dim: dim, patch_size: patch },
      {
        type: 'Sequential', name: 'encoder', layers: [
          { type: 'Dropout', name: 'dropout', p: 0 },
          { type: 'Sequential', name: 'layers', layers: blocks },
          { type: 'LayerNorm', name: 'ln', normalized_shape: dim, eps: 1e-6 },
        ],
      },
      { type: 'Select', name: 'class_token_out', dim: 1, index: 0 },
      { type: 'Sequential', name: 'heads', layers: [{ type: 'Linear', name: 'head', in_features: dim, out_features: classes }] },
    ],
  };
}

/** torchvision.models.vit_b_16: 86,567,656 parameters, 17.56 GMACs at 224×224. */
export const vitB16 = (): ModelSpec => vit('vit_b_16', 16, 12, 12, 768, 3072);
/** ViT-Tiny/16 (patch 16, dim 192, depth 12, heads 3, MLP 768): 5,717,416 parameters. */
export const vitTiny = (): ModelSpec => vit('vit_tiny', 16, 12, 3, 192, 768);
