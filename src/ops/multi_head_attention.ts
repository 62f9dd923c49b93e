import { InputError } from '../analysis/errors.ts';
import { formatShape } from '../analysis/tensor.ts';
import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { gatherHeads, type AttentionMask, type HeadView } from '../kernels/attention.ts';
import { matmul, plain, transposed } from '../kernels/matmul.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import type { HostTensor, OpDefinition } from './op.ts';
import { boolAttr, checkMaskedRows, runAttention, type AttentionDims, type MaskPlan } from './scaled_dot_product_attention.ts';
import { keepMask } from './input_samplers.ts';

const OP = 'multi_head_attention';

/**
 * sums[c] = Σ_r g[r, c] as the product of a ones row and g (the ones read through zero strides
 * from one element). channel_sum's one-workgroup-per-column reduction measured 9.3 s of an
 * 11.1 s ViT-tiny step on SwiftShader for these [N·L, 3E] columns; the matmul takes milliseconds.
 */
async function columnSums(rt: GpuRuntime, g: GpuTensor, rows: number, width: number, sums: GpuTensor): Promise<void> {
  const one = rt.tensor(`${OP}.one`, [1], 'float32', [1]);
  await matmul(rt, { tensor: one, rowStride: 0, colStride: 0 }, plain(g, width), null, sums, 1, width, rows);
  rt.releaseAfterSubmit(one);
}

/** attn_mask ([L, L] or [N·heads, L, L]) or key_padding_mask ([N, L]) as a mask on [n, head, query, key]. */
function maskPlan(name: string, t: HostTensor, N: number, H: number, L: number): MaskPlan {
  const s = t.shape;
  let strides: MaskPlan['strides'];
  if (name === 'key_padding_mask') {
    if (s.length !== 2 || s[0] !== N || s[1] !== L) throw new InputError(`${OP}: key_padding_mask must have shape [${N}, ${L}] (N, L), got ${formatShape(s)}`);
    strides = [L, 0, 0, 1];
  } else if (s.length === 2 && s[0] === L && s[1] === L) {
    strides = [0, 0, L, 1];
  } else if (s.length === 3 && s[0] === N * H && s[1] === L && s[2] === L) {
    strides = [H * L * L, L * L, L, 1];
  } else {
    throw new InputError(`${OP}: attn_mask must have shape [${L}, ${L}] (L, L) or [${N * H}, ${L}, ${L}] (N·num_heads, L, L), got ${formatShape(s)}`);
  }
  // nn.MultiheadAttention's convention: a bool True means the key may NOT be attended.
  return { mode: t.bool ? 'drop' : 'add', strides, data: t.data };
}

/**
 * Attention dropout (training): `dropout_p` in [0, 1) with a `dropout_mask` [N, heads, L, L] of 0/1
 * (1 = the probability is kept, then scaled by 1/(1 − p)), as F.dropout on the attention weights.
 */
function dropoutAttr(value: unknown, mask: HostTensor | undefined, shape: number[]): number {
  const p = value ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new InputError(`${OP}: dropout_p must be a number in [0, 1), got ${JSON.stringify(value)}`);
  if ((p > 0) !== !!mask) throw new InputError(`${OP}: dropout_p ${p} ${p > 0 ? 'needs' : 'takes no'} dropout_mask ${formatShape(shape)} (0/1 per attention weight)`);
  if (mask && formatShape(mask.shape) !== formatShape(shape)) throw new InputError(`${OP}: dropout_mask must have shape ${formatShape(shape)} (N, num_heads, L, L), got ${formatShape(mask.shape)}`);
  const bad = mask?.data ? Array.from(mask.data).findIndex((m) => m !== 0 && m !== 1) : -1;
  if (bad >= 0) throw new InputError(`${OP}: dropout_mask[${bad}] = ${mask!.data![bad]}, expected 0 (dropped) or 1 (kept)`);
  return p;
}

/**
 * Self-attention as `nn.MultiheadAttention(E, num_heads, batch_first)(x, x, x, need_weights=True,
 * average_attn_weights=False)`: in-projection, per-head scaled dot-product attention read in
 * place from the [N, L, 3E] projection, out-projection. Backward keeps what autograd keeps: x,
 * the projected q/k/v, the probabilities and the heads' output.
 */
export const multiHeadAttentionOp: OpDefinition = {
  name: OP,
  inputs: [
    { name: 'x', dtype: 'float32', differentiable: true },
    { name: 'in_proj_weight', dtype: 'float32', differentiable: true },
    { name: 'in_proj_bias', dtype: 'float32', optional: true, differentiable: true },
    { name: 'out_proj_weight', dtype: 'float32', differentiable: true },
    { name: 'out_proj_bias', dtype: 'float32', optional: true, differentiable: true },
    { name: 'attn_mask', dtype: 'float32', optional: true, acceptsBool: true, differentiable: false },
    { name: 'key_padding_mask', dtype: 'float32', optional: true, acceptsBool: true, differentiable: false },
    { name: 'dropout_mask', dtype: 'float32', optional: true, differentiable: false, sample: keepMask() },
  ],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames(OP, attrs, ['num_heads', 'is_causal', 'batch_first', 'dropout_p']);
    const causal = boolAttr(OP, 'is_causal', attrs.is_causal, false);
    const batchFirst = boolAttr(OP, 'batch_first', attrs.batch_first, true);
    const H = attrs.num_heads;
    if (H === undefined) throw new InputError(`${OP}: attribute num_heads is required (a whole number >= 1)`);
    if (typeof H !== 'number' || !Number.isInteger(H) || H < 1) throw new InputError(`${OP}: num_heads must be a whole number >= 1, got ${JSON.stringify(H)}`);
    const xs = inputs.x.shape;
    if (xs.length !== 3) throw new InputError(`${OP}: x must be 3-D ${batchFirst ? '[N, L, E]' : '[L, N, E] (batch_first false)'}, got ${formatShape(xs)}`);
    const [N, L] = batchFirst ? [xs[0], xs[1]] : [xs[1], xs[0]];
    const E = xs[2];
    if (E % H !== 0) throw new InputError(`${OP}: embed_dim ${E} is not divisible by num_heads ${H} (${E} / ${H} = ${(E / H).toFixed(3)})`);
    const D = E / H;
    const expect = (name: string, shape: number[]) => {
      const t = inputs[name];
      if (t && formatShape(t.shape) !== formatShape(shape)) throw new InputError(`${OP}: ${name} must have shape ${formatShape(shape)} for embed_dim ${E}, got ${formatShape(t.shape)}`);
    };
    expect('in_proj_weight', [3 * E, E]);
    expect('in_proj_bias', [3 * E]);
    expect('out_proj_weight', [E, E]);
    expect('out_proj_bias', [E]);
    const dropoutP = dropoutAttr(attrs.dropout_p, inputs.dropout_mask, [N, H, L, L]);
    const plans: Record<string, MaskPlan> = {};
    for (const name of ['attn_mask', 'key_padding_mask']) if (inputs[name]) plans[name] = maskPlan(name, inputs[name], N, H, L);
    const dims: AttentionDims = { batch: [N, H], queries: L, keys: L, causal, dim: D, valueDim: D, scale: 1 / Math.sqrt(D) };
    checkMaskedRows(OP, dims, Object.values(plans), (n, h, i) => `(batch ${n}, head ${h}, query ${i})`);
    const rows = N * L;
    // Row stride and per-(n, head) strides of a [.., .., width] tensor in x's layout.
    const headView = (tensor: GpuTensor, width: number, offset: number): HeadView => batchFirst
      ? { tensor, offset, strides: [L * width, D], rowStride: width }
      : { tensor, offset, strides: [width, D], rowStride: N * width };
    return {
      outputShapes: { output: [...xs] },
      async forward(rt, inputsGpu, { trace }) {
        const { x, in_proj_weight: inW, in_proj_bias: inB, out_proj_weight: outW, out_proj_bias: outB } = inputsGpu;
        const qkv = rt.tensor(`${OP}.qkv`, [xs[0], xs[1], 3 * E]);
        await matmul(rt, plain(x, E), transposed(inW, E), inB ?? null, qkv, rows, 3 * E, E);
        const q = headView(qkv, 3 * E, 0);
        const k = headView(qkv, 3 * E, E);
        const v = headView(qkv, 3 * E, 2 * E);
        const heads = rt.tensor(`${OP}.heads`, [...xs]);
        const masks: AttentionMask[] = Object.entries(plans).map(([name, p]) => ({ tensor: inputsGpu[name], mode: p.mode, strides: p.strides }));
        const dropout = dropoutP > 0 ? { mask: inputsGpu.dropout_mask, p: dropoutP } : undefined;
        const attention = await runAttention(rt, dims, { q, k, v, out: headView(heads, E, 0) }, masks, [N, H, L, L], trace, { probs: 'attn_weights' }, dropout);
        const output = rt.tensor(`${OP}.output`, [...xs]);
        await matmul(rt, plain(heads, E), transposed(outW, E), outB ?? null, output, rows, E, E);
        const saved: Record<string, GpuTensor> = { ...attention.saved, qkv, heads };
        if (trace) {
          for (const [name, view] of [['q', q], ['k', k], ['v', v]] as const) {
            saved[name] = rt.tensor(`${OP}.${name}`, [N, H, L, D]);
            await gatherHeads(rt, view, [N, H], L, D, saved[name]);
          }
        }
        return {
          outputs: { output },
          trace: saved,
          async backward({ output: gradOutput }) {
            const grads: Record<string, GpuTensor> = {};
            const gradHeads = rt.tensor(`${OP}.grad.heads`, [...xs]);
            await matmul(rt, plain(gradOutput, E), plain(outW, E), null, gradHeads, rows, E, E);
            grads.out_proj_weight = rt.tensor(`${OP}.grad.out_proj_weight`, [E, E]);
            await matmul(rt, transposed(gradOutput, E), plain(heads, E), null, grads.out_proj_weight, E, E, rows);
            if (outB) {
              grads.out_proj_bias = rt.tensor(`${OP}.grad.out_proj_bias`, [E]);
              await columnSums(rt, gradOutput, rows, E, grads.out_proj_bias);
            }
            const gradQkv = rt.tensor(`${OP}.grad.qkv`, qkv.shape);
            await attention.backward(headView(gradHeads, E, 0), {
              q: headView(gradQkv, 3 * E, 0), k: headView(gradQkv, 3 * E, E), v: headView(gradQkv, 3 * E, 2 * E),
            });
            grads.x = rt.tensor(`${OP}.grad.x`, [...xs]);
            await matmul(rt, plain(gradQkv, 3 * E), plain(inW, E), null, grads.x, rows, E, 3 * E);
            grads.in_proj_weight = rt.tensor(`${OP}.grad.in_proj_weight`, [3 * E, E]);
            await matmul(rt, transposed(gradQkv, 3 * E), plain(x, E), null, grads.in_proj_weight, 3 * E, E, rows);
            if (inB) {
              grads.in_proj_bias = rt.tensor(`${OP}.grad.in_proj_bias`, [3 * E]);
              await columnSums(rt, gradQkv, rows, 3 * E, grads.in_proj_bias);
            }
            rt.releaseAfterSubmit(gradHeads, gradQkv);
            return grads;
          },
        };
      },
    };
  },
};
