import type { ModelSpec } from '../model_spec.ts';

/**
 * A Transformer-encoder text classifier: Embedding(10,000, 256) → nn.TransformerEncoder of 4
 * post-norm nn.TransformerEncoderLayer(d_model 256, nhead 4, dim_feedforward 1024,
 * batch_first) → mean over tokens → Linear(256, 2), on [batch 8, 128 tokens].
 */
export function transformerEncoder(): ModelSpec {
  return {
    name: 'transformer_encoder',
    input: [8, 128],
    layers: [
      { type: 'Embedding', name: 'embedding', num_embeddings: 10000, embedding_dim: 256 },
      {
        type: 'TransformerEncoder', name: 'encoder', num_layers: 4,
        encoder_layer: { type: 'TransformerEncoderLayer', d_model: 256, nhead: 4, dim_feedforward: 1024, dropout: 0.1, batch_first: true },
      },
      { type: 'Mean', name: 'pool', dim: 1 },
      { type: 'Linear', name: 'classifier', in_features: 256, out_features: 2 },
    ],
    loss: 'cross_entropy',
  };
}
