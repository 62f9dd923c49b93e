/**
 * The executor's attention family and seeded dropout: MultiheadAttention (the
 * `multi_head_attention` op), ViT's PatchTokens (class token and position embedding) and
 * Dropout/Dropout2d with p > 0 in training mode. Shapes and parameter names come from the
 * analysis rows (`in_proj_weight`, `out_proj.weight`, `class_token`, `pos_embedding`).
 */
import { InputError } from '../../analysis/errors.ts';
import type { LayerNode } from '../../analysis/graph.ts';
import type { LayerSpec } from '../../analysis/model_spec.ts';
import { dropoutApply, dropoutMask } from '../../kernels/dropout.ts';
import { patchTokensBackwardInput, patchTokensBackwardParams, patchTokensForward, type PatchTokensShape } from '../../kernels/patch_tokens.ts';
import type { GpuTensor } from '../../kernels/runtime.ts';
import { OPS } from '../registry.ts';
import { streamSeed } from './init.ts';
import { viewImpl, type LayerContext, type LayerImpl } from './layers.ts';

/** The mask seed of one layer at one step: reproducible for (executor seed, layer path, step). */
export function dropoutSeed(context: LayerContext | undefined, path: string): number {
  const c = context ?? { seed: 0, step: 1 };
  return streamSeed(c.seed, `dropout ${path} step ${c.step}`);
}

/**
 * nn.Dropout / nn.Dropout2d with p > 0 (training mode): a seeded Bernoulli(1 − p) mask, outputs
 * scaled by 1/(1 − p), the same mask applied to the gradient. Dropout draws one value per
 * element, Dropout2d one per (n, c) channel of an [N, C, *] input (PyTorch 1.13's
 * feature_dropout, which reads a 3-D input as [N, C, L]). The mask (1 kept, 0 dropped) is the
 * layer's trace `mask`: x's shape for Dropout, [N, C, 1, …] for Dropout2d. In eval, the identity.
 */
export function dropoutImpl(node: LayerNode, layer: LayerSpec): LayerImpl {
  const p = typeof layer.p === 'number' ? layer.p : 0.5;
  const shape = node.inputShapes[0];
  const maskShape = layer.type === 'Dropout2d' ? shape.map((v, i) => (i < 2 ? v : 1)) : [...shape];
  const identity = viewImpl(shape);
  return {
    module: 'other',
    async forward(rt, [x], params, buffers, context) {
      if (context?.training === false) return identity.forward(rt, [x], params, buffers, context);
      const mask = rt.tensor(`${node.name}.mask`, maskShape);
      // The output storage tells apart layers that share a path (word_language_model applies `drop` twice).
      await dropoutMask(rt, mask, p, dropoutSeed(context, `${node.name}#${node.outputStorage}`));
      const output = rt.tensor(`${node.name}.output`, shape);
      await dropoutApply(rt, x, mask, output, p);
      return {
        output, scratch: [mask], trace: { mask }, updatedBuffers: {},
        async backward(gradOutput) {
          const gradX = rt.tensor(`${node.name}.grad.x`, shape);
          await dropoutApply(rt, gradOutput, mask, gradX, p);
          return { inputs: [gradX], params: {} };
        },
      };
    },
  };
}

/**
 * ViT's token stem after `conv_proj`: [N, D, h, w] → [N, h·w (+1), D], the class token
 * prepended, the position embedding added (torchvision's VisionTransformer). Backward:
 * dL/dx is the patch rows transposed back; ∂L/∂pos_embedding the batch sum of dL/dtokens,
 * ∂L/∂class_token its row 0.
 */
export function patchTokensImpl(node: LayerNode): LayerImpl {
  const [n, d, h, w] = node.inputShapes[0];
  const has = new Set(node.params.map((q) => q.name));
  const s: PatchTokensShape = { batch: n, dim: d, patches: h * w, hasClass: has.has('class_token'), hasPos: has.has('pos_embedding') };
  const seq = s.patches + (s.hasClass ? 1 : 0);
  return {
    module: 'tokens',
    async forward(rt, [x], params) {
      const placeholder = rt.tensor(`${node.name}.unused`, [1]);
      const output = rt.tensor(`${node.name}.output`, node.outputShape);
      await patchTokensForward(rt, s, x, params.class_token ?? placeholder, params.pos_embedding ?? placeholder, output);
      rt.releaseAfterSubmit(placeholder);
      return {
        output, scratch: [], trace: {}, updatedBuffers: {},
        async backward(gradOutput) {
          const gradX = rt.tensor(`${node.name}.grad.x`, node.inputShapes[0]);
          await patchTokensBackwardInput(rt, s, gradOutput, gradX);
          const grads: Record<string, GpuTensor> = {};
          if (s.hasClass || s.hasPos) {
            const sum = rt.tensor(`${node.name}.grad.pos_embedding`, [1, seq, d]);
            await patchTokensBackwardParams(rt, s, gradOutput, sum);
            if (s.hasClass) {
              grads.class_token = rt.tensor(`${node.name}.grad.class_token`, [1, 1, d]);
              rt.copy(sum.buffer, grads.class_token.buffer, 4 * d);
            }
            if (s.hasPos) grads.pos_embedding = sum;
            else rt.releaseAfterSubmit(sum);
          }
          return { inputs: [gradX], params: grads };
        },
      };
    },
  };
}

/**
 * nn.MultiheadAttention as self-attention (one input, so kdim = vdim = embed_dim as the
 * analysis checks; no bias_k/v, no zero attention), through the `multi_head_attention` op: the layer's `in_proj_weight`,
 * `in_proj_bias`, `out_proj.weight`, `out_proj.bias` are the op's inputs. An unbatched [L, E]
 * input runs as [1, L, E]. Attention dropout p > 0 (training) draws a seeded 0/1 mask
 * [N, heads, L, L] on the probabilities, shown in the trace as `attn_dropout_mask`; eval draws none.
 */
export function multiheadAttentionImpl(node: LayerNode, layer: LayerSpec): LayerImpl {
  const fail = (why: string): never => {
    throw new InputError(`layer "${node.name}" (MultiheadAttention): the GPU executor ${why}`);
  };
  if (node.inputShapes.length !== 1) fail(`runs self-attention only (one input), got ${node.inputShapes.length} inputs (query, key, value)`);
  if (layer.add_bias_kv) fail('does not implement add_bias_kv');
  if (layer.add_zero_attn) fail('does not implement add_zero_attn');
  const p = typeof layer.dropout === 'number' ? layer.dropout : 0;
  if (p >= 1) fail(`runs attention dropout p < 1 only, got ${p}`);
  const inShape = node.inputShapes[0];
  const unbatched = inShape.length === 2;
  const opShape = unbatched ? [1, ...inShape] : inShape;
  const batchFirst = unbatched ? true : layer.batch_first === true;
  const [n, l] = batchFirst ? [opShape[0], opShape[1]] : [opShape[1], opShape[0]];
  const maskShape = [n, layer.num_heads as number, l, l];
  const paramMap: Record<string, string> = { in_proj_weight: 'in_proj_weight', in_proj_bias: 'in_proj_bias', 'out_proj.weight': 'out_proj_weight', 'out_proj.bias': 'out_proj_bias' };
  return {
    module: 'attention',
    async forward(rt, [x], params, _buffers, context) {
      const inputs: Record<string, GpuTensor> = { x: { ...x, shape: opShape } };
      for (const [name, opInput] of Object.entries(paramMap)) if (params[name]) inputs[opInput] = params[name];
      const attrs: Record<string, unknown> = { num_heads: layer.num_heads, batch_first: batchFirst };
      if (p > 0 && context?.training !== false) {
        inputs.dropout_mask = rt.tensor(`${node.name}.attn_dropout_mask`, maskShape);
        await dropoutMask(rt, inputs.dropout_mask, p, dropoutSeed(context, `${node.name}#${node.outputStorage} attention`));
        attrs.dropout_p = p;
      }
      const prepared = OPS.multi_head_attention.prepare(attrs, Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype }])));
      const run = await prepared.forward(rt, inputs, { trace: false });
      const output = { ...run.outputs.output, shape: [...node.outputShape] };
      const scratch = [...Object.values(run.trace), ...Object.entries(run.outputs).filter(([k]) => k !== 'output').map(([, t]) => t)];
      const trace = { ...run.trace };
      if (inputs.dropout_mask) {
        trace.attn_dropout_mask = inputs.dropout_mask;
        scratch.push(inputs.dropout_mask);
      }
      return {
        output, scratch, trace, updatedBuffers: {},
        async backward(gradOutput) {
          const grads = await run.backward({ output: { ...gradOutput, shape: run.outputs.output.shape } });
          for (const t of Object.values(run.trace)) if (!scratch.includes(t)) scratch.push(t);
          const paramGrads: Record<string, GpuTensor> = {};
          for (const [name, opInput] of Object.entries(paramMap)) if (grads[opInput]) paramGrads[name] = grads[opInput];
          const gradX = grads.x ? { ...grads.x, shape: [...inShape] } : null;
          return { inputs: [gradX], params: paramGrads };
        },
      };
    },
  };
}
