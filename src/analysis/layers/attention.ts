import { InputError } from '../errors.ts';
import { formatShape } from '../tensor.ts';
import { ELEMENTWISE_FLOPS } from './activation.ts';
import { Args, expectFloat, type InputInfo, type LayerRule, type SavedDecl, type TensorDecl } from './types.ts';

/** Splits a [L, N, E] / [N, L, E] / [L, E] tensor into (batch, length, features). */
function seqDims(x: InputInfo, batchFirst: boolean, what: string): { n: number; l: number; e: number } {
  if (x.shape.length === 2) return { n: 1, l: x.shape[0], e: x.shape[1] };
  if (x.shape.length !== 3) {
    throw new InputError(`${what} must be 3-D ${batchFirst ? '[N, L, E] (batch_first)' : '[L, N, E]'} or 2-D [L, E], got ${formatShape(x.shape)}`);
  }
  return batchFirst ? { n: x.shape[0], l: x.shape[1], e: x.shape[2] } : { n: x.shape[1], l: x.shape[0], e: x.shape[2] };
}

/**
 * nn.MultiheadAttention(embed_dim, num_heads, dropout=0, bias=True, add_bias_kv=False,
 * add_zero_attn=False, kdim=None, vdim=None, batch_first=False). One input is self-attention;
 * three are query, key, value. Passes on the attention output (not the weights).
 *
 * MACs (per batch element): Q, K, V projections L·E·E + S·kdim·E + S·vdim·E, the attention
 * matmuls Q·Kᵀ and P·V (L·S·E each, summed over heads), the output projection L·E·E.
 * FLOPs add the biases, the 1/√d scaling, softmax (5 per score) and attention dropout.
 * Autograd keeps the inputs, the projected Q, K, V, the attention probabilities (N·heads·L·S),
 * the dropout mask, and the heads' output before out_proj. The pre-softmax scores are scratch.
 */
export const multiheadAttention: LayerRule = {
  args: ['embed_dim', 'num_heads', 'dropout', 'bias', 'add_bias_kv', 'add_zero_attn', 'kdim', 'vdim', 'batch_first'],
  arity: [1, 3],
  infer(layer, inputs) {
    const a = new Args(layer, multiheadAttention.args);
    const e = a.int('embed_dim');
    const heads = a.int('num_heads');
    const dropout = a.num('dropout', 0, 0, 1);
    const bias = a.bool('bias', true);
    const biasKv = a.bool('add_bias_kv', false);
    const zeroAttn = a.bool('add_zero_attn', false);
    const kdim = a.int('kdim', e);
    const vdim = a.int('vdim', e);
    const batchFirst = a.bool('batch_first', false);
    if (e % heads !== 0) throw new InputError(`embed_dim ${e} is not divisible by num_heads ${heads}`);
    if (inputs.length === 2) throw new InputError('takes one input (self-attention) or three (query, key, value), got 2');
    inputs.forEach(expectFloat);
    const [qx, kx, vx] = inputs.length === 3 ? inputs : [inputs[0], inputs[0], inputs[0]];
    const q = seqDims(qx, batchFirst, 'query');
    const k = seqDims(kx, batchFirst, 'key');
    const v = seqDims(vx, batchFirst, 'value');
    if (q.e !== e) throw new InputError(`embed_dim is ${e} but the query ${formatShape(qx.shape)} has ${q.e} features`);
    if (k.e !== kdim) throw new InputError(`kdim is ${kdim} but the key ${formatShape(kx.shape)} has ${k.e} features`);
    if (v.e !== vdim) throw new InputError(`vdim is ${vdim} but the value ${formatShape(vx.shape)} has ${v.e} features`);
    if (k.l !== v.l) throw new InputError(`key ${formatShape(kx.shape)} and value ${formatShape(vx.shape)} have different lengths`);
    if (qx.shape.length !== kx.shape.length || q.n !== k.n || k.n !== v.n) {
      throw new InputError(`query ${formatShape(qx.shape)}, key ${formatShape(kx.shape)} and value ${formatShape(vx.shape)} have different batch sizes`);
    }
    const n = q.n;
    const L = q.l;
    const S = k.l + (biasKv ? 1 : 0) + (zeroAttn ? 1 : 0);
    const params: TensorDecl[] = [];
    if (kdim === e && vdim === e) params.push({ name: 'in_proj_weight', shape: [3 * e, e] });
    else params.push({ name: 'q_proj_weight', shape: [e, e] }, { name: 'k_proj_weight', shape: [e, kdim] }, { name: 'v_proj_weight', shape: [e, vdim] });
    if (bias) params.push({ name: 'in_proj_bias', shape: [3 * e] });
    if (biasKv) params.push({ name: 'bias_k', shape: [1, 1, e] }, { name: 'bias_v', shape: [1, 1, e] });
    params.push({ name: 'out_proj.weight', shape: [e, e] });
    if (bias) params.push({ name: 'out_proj.bias', shape: [e] });

    const projMacs = n * (L * e * e + k.l * kdim * e + v.l * vdim * e);
    const attnMacs = n * 2 * L * S * e; // Q·Kᵀ and P·V, over all heads
    const outMacs = n * L * e * e;
    const macs = projMacs + attnMacs + outMacs;
    const scores = n * heads * L * S;
    const flops = 2 * macs
      + (bias ? n * (L + 2 * k.l) * e + n * L * e : 0) // in_proj and out_proj biases
      + n * L * e // q scaled by 1/√(head_dim)
      + scores * ELEMENTWISE_FLOPS.Softmax
      + (dropout > 0 ? scores : 0);
    const saved: SavedDecl[] = inputs.length === 3
      ? [{ what: 'query', input: 0 }, { what: 'key', input: 1 }, { what: 'value', input: 2 }]
      : [{ what: 'input', input: 0 }];
    saved.push(
      { what: 'projected q, k, v', elements: n * (L + 2 * S) * e, kind: 'float' },
      { what: 'attention probabilities', elements: scores, kind: 'float' },
    );
    if (dropout > 0) saved.push({ what: 'attention dropout mask', elements: scores, kind: 'bool' });
    saved.push({ what: 'heads output before out_proj', elements: n * L * e, kind: 'float' });
    const outShape = qx.shape.length === 2 ? [L, e] : batchFirst ? [n, L, e] : [L, n, e];
    return {
      outputShape: outShape, params, macs, flops, saved,
      workspace: scores,
      notes: [`${heads} heads of ${e / heads}; attention matmuls Q·Kᵀ and P·V: ${attnMacs} MACs; sequence ${L} × ${S}`],
    };
  },
};
