/** Bad input to the attention ops: exit 1 with one line naming the problem and the numbers. */
import { describe, test } from 'vitest';
import { expectRejects, filledTensor, useInProcessNnx } from './nnx_cli.ts';

const t = filledTensor;
const bools = (shape: number[], data: boolean[]) => ({ shape, data, dtype: 'bool' });
const qkv = (L: number, S: number, E = 4) => ({ q: t([1, 2, L, E]), k: t([1, 2, S, E]), v: t([1, 2, S, E]) });
const mhaInputs = (N: number, L: number, E: number) => ({ x: t([N, L, E]), in_proj_weight: t([3 * E, E]), out_proj_weight: t([E, E]) });

const bad: [string, unknown, RegExp][] = [
  ['mha embed_dim not divisible by num_heads', { op: 'multi_head_attention', attrs: { num_heads: 3 }, inputs: mhaInputs(1, 3, 10) },
    /multi_head_attention: embed_dim 10 is not divisible by num_heads 3/],
  ['sdpa q and k with different E', { op: 'scaled_dot_product_attention', inputs: { q: t([1, 2, 3, 4]), k: t([1, 2, 5, 3]), v: t([1, 2, 5, 3]) } },
    /scaled_dot_product_attention: q \[1, 2, 3, 4\] has E = 4 but k \[1, 2, 5, 3\] has E = 3/],
  ['sdpa mask not broadcastable', { op: 'scaled_dot_product_attention', inputs: { ...qkv(3, 5), attn_mask: t([3, 4], 0) } },
    /attn_mask \[3, 4\] is not broadcastable to the scores \[1, 2, 3, 5\]: dimension 1 has size 4, expected 5 or 1/],
  ['sdpa query row with every key masked', { op: 'scaled_dot_product_attention', inputs: { ...qkv(3, 2), attn_mask: bools([3, 2], [true, false, false, true, false, false]) } },
    /every key of query row \[0, 0, 2\] \(batch index \[0, 0\], query 2\) is masked out.*PyTorch returns NaN/],
  ['mha key_padding_mask hiding every key of a sample', { op: 'multi_head_attention', attrs: { num_heads: 2 }, inputs: { ...mhaInputs(2, 2, 4), key_padding_mask: bools([2, 2], [false, true, true, true]) } },
    /multi_head_attention: every key of query row \(batch 1, head 0, query 0\) is masked out/],
  ['bool dtype on a non-mask input', { op: 'scaled_dot_product_attention', inputs: { ...qkv(2, 2), q: bools([1, 1, 1, 1], [true]) } },
    /q: dtype "bool" is only accepted for masks, not for q/],
  ['sdpa is_causal with attn_mask', { op: 'scaled_dot_product_attention', attrs: { is_causal: true }, inputs: { ...qkv(2, 2), attn_mask: t([2, 2], 0) } },
    /give attn_mask or is_causal, not both/],
  ['sdpa dropout_p above 0', { op: 'scaled_dot_product_attention', attrs: { dropout_p: 0.1 }, inputs: qkv(2, 2) },
    /dropout_p must be 0 \(dropout is not implemented here\), got 0.1/],
  ['mha attn_mask of the wrong shape', { op: 'multi_head_attention', attrs: { num_heads: 2 }, inputs: { ...mhaInputs(2, 3, 4), attn_mask: t([2, 3, 3], 0) } },
    /attn_mask must have shape \[3, 3\] \(L, L\) or \[4, 3, 3\] \(N·num_heads, L, L\), got \[2, 3, 3\]/],
];

describe('nnx run rejects bad attention input with one clear line', () => {
  const cli = useInProcessNnx();

  test.each(bad)('%s', async (_name, spec, message) => {
    expectRejects(await cli(['run', '-'], JSON.stringify(spec)), message);
  });
});
