/** Attention specs on the host (no GPU): bool mask parsing, output shapes, mask and shape errors. */
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { multiHeadAttentionOp } from '../../src/ops/multi_head_attention.ts';
import { scaledDotProductAttentionOp } from '../../src/ops/scaled_dot_product_attention.ts';
import { parseInputs } from '../../src/ops/spec.ts';

const t = (shape: number[]) => ({ shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0.25) });
const sdpa = (inputs: Record<string, unknown>, attrs: Record<string, unknown> = {}) =>
  scaledDotProductAttentionOp.prepare(attrs, parseInputs(scaledDotProductAttentionOp, { inputs }));

describe('attention specs on the host', () => {
  test('a bool mask arrives as float32 0/1 with the bool flag, from true/false or 0/1', () => {
    const parsed = parseInputs(scaledDotProductAttentionOp, {
      inputs: { q: t([1, 2, 2]), k: t([1, 3, 2]), v: t([1, 3, 2]), attn_mask: { shape: [2, 3], data: [[true, false, 1], [0, 1, true]], dtype: 'bool' } },
    });
    expect(parsed.attn_mask.bool).toBe(true);
    expect(parsed.attn_mask.dtype).toBe('float32');
    expect(Array.from(parsed.attn_mask.data)).toEqual([1, 0, 1, 0, 1, 1]);
    expect(parsed.q.bool).toBeUndefined();
  });

  test('a mask whose data are true/false is read as bool without a dtype', () => {
    const parsed = parseInputs(multiHeadAttentionOp, {
      inputs: { x: t([1, 2, 2]), in_proj_weight: t([6, 2]), out_proj_weight: t([2, 2]), key_padding_mask: { shape: [1, 2], data: [false, true] } },
    });
    expect(parsed.key_padding_mask.bool).toBe(true);
    expect(Array.from(parsed.key_padding_mask.data)).toEqual([0, 1]);
  });

  test('a bool value that is not true/false/0/1, and bool on a non-mask input, are errors naming them', () => {
    const base = { q: t([1, 2, 2]), k: t([1, 3, 2]), v: t([1, 3, 2]) };
    expect(() => parseInputs(scaledDotProductAttentionOp, { inputs: { ...base, attn_mask: { shape: [1], data: [2], dtype: 'bool' } } }))
      .toThrow(/attn_mask: value at flat index 0 is 2, not a bool/);
    expect(() => parseInputs(multiHeadAttentionOp, { inputs: { x: { shape: [1], data: [true], dtype: 'bool' } } }))
      .toThrow(/x: dtype "bool" is only accepted for masks/);
  });

  test('output shapes follow q and v, for 3-D to 5-D inputs', () => {
    expect(sdpa({ q: t([3, 4, 5]), k: t([3, 6, 5]), v: t([3, 6, 2]) }).outputShapes.output).toEqual([3, 4, 2]);
    expect(sdpa({ q: t([2, 2, 2, 3, 4]), k: t([2, 2, 2, 5, 4]), v: t([2, 2, 2, 5, 3]) }).outputShapes.output).toEqual([2, 2, 2, 3, 3]);
    const mha = multiHeadAttentionOp.prepare({ num_heads: 2, batch_first: false }, parseInputs(multiHeadAttentionOp, {
      inputs: { x: t([5, 3, 4]), in_proj_weight: t([12, 4]), out_proj_weight: t([4, 4]) },
    }));
    expect(mha.outputShapes.output).toEqual([5, 3, 4]);
  });

  test('a mask broadcast over some but not all of the batch dims before the last is refused with its shape', () => {
    const qkv = { q: t([2, 3, 4, 2, 2]), k: t([2, 3, 4, 2, 2]), v: t([2, 3, 4, 2, 2]) };
    expect(() => sdpa({ ...qkv, attn_mask: t([2, 1, 1, 2, 2]) })).toThrow(/attn_mask \[2, 1, 1, 2, 2\] is not broadcastable .* either fully or not at all/);
    expect(() => sdpa({ ...qkv, attn_mask: t([2, 3, 1, 2, 2]) })).not.toThrow();
    expect(() => sdpa({ ...qkv, attn_mask: t([1, 1, 4, 2, 2]) })).not.toThrow();
  });

  test('rank, leading dims, value rows and attribute types are checked', () => {
    expect(() => sdpa({ q: t([2, 3]), k: t([2, 3]), v: t([2, 3]) })).toThrow(/q must have at least 3 dimensions/);
    expect(() => sdpa({ q: t([2, 3, 4]), k: t([1, 3, 4]), v: t([1, 3, 4]) })).toThrow(/k \[1, 3, 4\] has leading dimensions \[1\], but q \[2, 3, 4\] has \[2\]/);
    expect(() => sdpa({ q: t([1, 3, 4]), k: t([1, 5, 4]), v: t([1, 6, 4]) })).toThrow(/k \[1, 5, 4\] has S = 5 keys but v \[1, 6, 4\] has 6/);
    expect(() => sdpa({ q: t([1, 3, 4]), k: t([1, 3, 4]), v: t([1, 3, 4]) }, { is_causal: 1 })).toThrow(InputError);
    expect(() => sdpa({ q: t([1, 3, 4]), k: t([1, 3, 4]), v: t([1, 3, 4]) }, { scale: 'big' })).toThrow(/scale must be a finite number or null/);
  });
});
