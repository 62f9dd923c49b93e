import type { ModelSpec } from '../model_spec.ts';

/**
 * A sentence classifier: Embedding(20,000, 128) → bidirectional GRU(128, 256, batch_first) →
 * the last time step → Linear(512, 2), on [batch 32, 100 tokens]. 3,153,922 parameters.
 */
export function gruClassifier(): ModelSpec {
  return {
    name: 'gru_classifier',
    input: [32, 100],
    layers: [
      { type: 'Embedding', name: 'embedding', num_embeddings: 20000, embedding_dim: 128 },
      { type: 'GRU', name: 'gru', input_size: 128, hidden_size: 256, batch_first: true, bidirectional: true },
      { type: 'Select', name: 'last', dim: 1, index: -1 },
      { type: 'Linear', name: 'fc', in_features: 512, out_features: 2 },
    ],
    loss: 'cross_entropy',
  };
}
