import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { formatShape, numel } from '../analysis/tensor.ts';
import { embeddingBackward, embeddingForward, type EmbeddingShape } from '../kernels/embedding.ts';
import { indicesBelow } from './input_samplers.ts';
import type { OpDefinition } from './op.ts';

/** `F.embedding`'s options this op refuses, and why each is refused rather than ignored. */
const UNSUPPORTED: Record<string, unknown> = { max_norm: null, scale_grad_by_freq: false, sparse: false };

/**
 * Resolves `padding_idx` as PyTorch does: none by default, negative counts from the end.
 * Returns the row, or −1 for none.
 */
export function embeddingPaddingIdx(value: unknown, vocab: number): number {
  if (value === undefined || value === null) return -1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -vocab || value >= vocab) {
    throw new InputError(`embedding: padding_idx must be an integer in [${-vocab}, ${vocab - 1}] for ${vocab} embeddings, got ${JSON.stringify(value)}`);
  }
  return value < 0 ? value + vocab : value;
}

/**
 * `F.embedding(indices, weight, padding_idx)`: weight [num_embeddings, dim] float32, indices
 * int32 of any shape → output [...indices.shape, dim]. Backward gives dL/dweight only (the
 * padding row gets none); indices are not differentiable.
 */
export const embeddingOp: OpDefinition = {
  name: 'embedding',
  inputs: [
    { name: 'weight', dtype: 'float32', differentiable: true },
    { name: 'indices', dtype: 'int32', differentiable: false, sample: indicesBelow((s) => s.weight?.[0]) },
  ],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames('embedding', attrs, ['padding_idx', ...Object.keys(UNSUPPORTED)]);
    for (const [name, off] of Object.entries(UNSUPPORTED)) {
      if (attrs[name] !== undefined && attrs[name] !== off) {
        throw new InputError(`embedding: ${name} = ${JSON.stringify(attrs[name])} is not supported by this op`);
      }
    }
    const ws = inputs.weight.shape;
    if (ws.length !== 2) throw new InputError(`embedding: weight must be [num_embeddings, embedding_dim], got shape ${formatShape(ws)}`);
    const [vocab, dim] = ws;
    if (vocab < 1 || dim < 1) throw new InputError(`embedding: weight ${formatShape(ws)} needs at least one row and one column`);
    const paddingIdx = embeddingPaddingIdx(attrs.padding_idx, vocab);
    const is = inputs.indices.shape;
    const idx = inputs.indices.data;
    if (idx) {
      for (let i = 0; i < idx.length; i++) {
        if (idx[i] < 0 || idx[i] >= vocab) throw new InputError(`embedding: indices[${i}] (flat) = ${idx[i]} is outside [0, ${vocab}) for weight ${formatShape(ws)}`);
      }
    }
    const shape: EmbeddingShape = { positions: numel(is), vocab, dim, paddingIdx };
    const outShape = [...is, dim];
    return {
      outputShapes: { output: outShape },
      async forward(rt, { weight, indices }) {
        const output = rt.tensor('embedding.output', outShape);
        await embeddingForward(rt, weight, indices, output, shape);
        return {
          outputs: { output },
          trace: {},
          async backward({ output: gradOutput }) {
            const gradWeight = rt.tensor('embedding.grad.weight', ws);
            await embeddingBackward(rt, indices, gradOutput, gradWeight, shape);
            return { weight: gradWeight };
          },
        };
      },
    };
  },
};
