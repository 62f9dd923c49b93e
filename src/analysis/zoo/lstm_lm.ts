import type { ModelSpec } from '../model_spec.ts';

/**
 * The LSTM language model of PyTorch's word_language_model example with its defaults:
 * WikiText-2 vocabulary (33,278 tokens), embedding and hidden size 200, 2 layers, dropout 0.2,
 * input [bptt 35, batch 20] of token ids (sequence first). 13,987,678 parameters.
 */
export function lstmLm(): ModelSpec {
  const vocab = 33278;
  return {
    name: 'lstm_lm',
    input: [35, 20],
    batch_dim: 1,
    layers: [
      { type: 'Embedding', name: 'encoder', num_embeddings: vocab, embedding_dim: 200 },
      { type: 'Dropout', name: 'drop', p: 0.2 },
      { type: 'LSTM', name: 'rnn', input_size: 200, hidden_size: 200, num_layers: 2, dropout: 0.2 },
      { type: 'Dropout', name: 'drop', p: 0.2 },
      { type: 'Linear', name: 'decoder', in_features: 200, out_features: vocab },
    ],
    loss: 'cross_entropy',
  };
}
