import { InputError } from '../errors.ts';
import { formatShape, numel } from '../tensor.ts';
import { Args, expectFloat, type LayerRule, type TensorDecl } from './types.ts';

/**
 * nn.Linear(in_features, out_features, bias=True) on [..., in_features]. MACs: one per
 * (row, in, out). Autograd keeps the input.
 */
export const linear: LayerRule = {
  args: ['in_features', 'out_features', 'bias'],
  infer(layer, [x]) {
    const a = new Args(layer, linear.args);
    const inF = a.int('in_features');
    const outF = a.int('out_features');
    const bias = a.bool('bias', true);
    expectFloat(x);
    const last = x.shape[x.shape.length - 1];
    if (last !== inF) {
      const hint = x.shape.length > 2 ? ' (a Flatten before it would give [' + `${x.shape[0]}, ${numel(x.shape.slice(1))}])` : '';
      throw new InputError(`in_features ${inF} does not match the input ${formatShape(x.shape)}, whose last dimension is ${last}${hint}`);
    }
    const rows = numel(x.shape) / inF;
    const macs = rows * inF * outF;
    const params: TensorDecl[] = [{ name: 'weight', shape: [outF, inF] }];
    if (bias) params.push({ name: 'bias', shape: [outF] });
    return {
      outputShape: [...x.shape.slice(0, -1), outF], params, macs,
      flops: 2 * macs + (bias ? rows * outF : 0),
      saved: [{ what: 'input', input: 0 }],
    };
  },
};

/**
 * nn.Embedding(num_embeddings, embedding_dim, padding_idx=None, …) on integer token ids:
 * a gather, no arithmetic. Autograd keeps the indices.
 */
export const embedding: LayerRule = {
  args: ['num_embeddings', 'embedding_dim', 'padding_idx', 'max_norm', 'norm_type', 'scale_grad_by_freq', 'sparse'],
  infer(layer, [x]) {
    const a = new Args(layer, embedding.args);
    const num = a.int('num_embeddings');
    const dim = a.int('embedding_dim');
    if (a.has('padding_idx')) {
      const p = a.dim('padding_idx');
      if (p < -num || p >= num) throw new InputError(`padding_idx ${p} must be in [${-num}, ${num - 1}] for num_embeddings ${num}`);
    }
    if (a.has('max_norm')) a.num('max_norm', 0, 0);
    a.num('norm_type', 2);
    a.bool('scale_grad_by_freq', false);
    a.bool('sparse', false);
    if (x.kind !== 'int') {
      throw new InputError(`needs integer token ids but its input ${formatShape(x.shape)} holds floats (an Embedding must read the model input, whose dtype is then int64)`);
    }
    return {
      outputShape: [...x.shape, dim],
      params: [{ name: 'weight', shape: [num, dim] }],
      macs: 0, flops: 0,
      saved: [{ what: 'indices', input: 0 }],
      // A gather reads one row per token (at most the whole table).
      weightsRead: Math.min(num, x.shape.reduce((a, b) => a * b, 1)) * dim,
    };
  },
};
