import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { formatShape } from '../analysis/tensor.ts';
import { channelSum } from '../kernels/channel_sum.ts';
import {
  gatAttention, gatAttentionBackward, gatHeadMean, gatHeadMeanBackward, graphAggregate, graphCombine, graphTrace, uploadGraph,
  type GatDims,
} from '../kernels/graph.ts';
import { matmul, plain, transposed } from '../kernels/matmul.ts';
import type { GpuTensor } from '../kernels/runtime.ts';
import { boolAttr, expectShape, freeAfterSubmit, intAttr, messagesOf, nodeFeatures, numberAttr } from './graph_common.ts';
import type { OpDefinition } from './op.ts';
import { indicesBelow } from './input_samplers.ts';

/**
 * PyG `GATConv` as a function (dropout 0): H = X·Wᵀ viewed [V, heads, C];
 * e_ji = LeakyReLU(⟨H_j, att_src⟩ + ⟨H_i, att_dst⟩) per head; α = softmax of e over the
 * messages into i (stable: max subtracted); out_i = Σ_j α_ji·H_j, heads concatenated
 * (concat) or averaged, + bias. Inputs x [V, F_in], edge_index [2, E], weight [heads·C, F_in],
 * att_src, att_dst [1, heads, C], bias [heads·C] (concat) or [C]. Trace: `xw`, `alpha_src`,
 * `alpha_dst` [V, heads], `scores` (e) and `alpha` [E', heads] per message of `edge_index`.
 */
export const gatOp: OpDefinition = {
  name: 'gat',
  inputs: [
    { name: 'x', dtype: 'float32', differentiable: true },
    { name: 'edge_index', dtype: 'int32', differentiable: false, sample: indicesBelow((s) => s.x?.[0]) },
    { name: 'weight', dtype: 'float32', differentiable: true },
    { name: 'att_src', dtype: 'float32', differentiable: true },
    { name: 'att_dst', dtype: 'float32', differentiable: true },
    { name: 'bias', dtype: 'float32', optional: true, differentiable: true },
  ],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames('gat', attrs, ['heads', 'concat', 'negative_slope', 'add_self_loops']);
    const heads = intAttr('gat', attrs, 'heads', 1, 1);
    const concat = boolAttr('gat', attrs, 'concat', true);
    const negativeSlope = numberAttr('gat', attrs, 'negative_slope', 0.2);
    const loops = boolAttr('gat', attrs, 'add_self_loops', true);
    const [v, inF] = nodeFeatures('gat', inputs.x);
    const ws = inputs.weight.shape;
    if (ws.length !== 2 || ws[1] !== inF) throw new InputError(`gat: weight must be [heads·out_channels, ${inF}] for x with ${inF} features, got ${formatShape(ws)}`);
    if (ws[0] % heads !== 0) throw new InputError(`gat: weight has ${ws[0]} rows, not a multiple of heads = ${heads}`);
    const c = ws[0] / heads;
    const hc = heads * c;
    expectShape('gat', 'att_src', inputs.att_src, [1, heads, c], '1, heads, out_channels');
    expectShape('gat', 'att_dst', inputs.att_dst, [1, heads, c], '1, heads, out_channels');
    const outW = concat ? hc : c;
    expectShape('gat', 'bias', inputs.bias, [outW], concat ? 'heads·out_channels with concat' : 'out_channels without concat');
    const graph = messagesOf('gat', inputs.edge_index, v, loops);
    const e = graph.src.length;
    const dims: GatDims = { heads, channels: c, negativeSlope };
    return {
      outputShapes: { output: [v, outW] },
      async forward(rt, { x, weight, att_src: attSrc, att_dst: attDst, bias }) {
        const g = uploadGraph(rt, 'gat', graph);
        const h = rt.tensor('gat.xw', [v, hc]);
        const aSrc = rt.tensor('gat.alpha_src', [v, heads]);
        const aDst = rt.tensor('gat.alpha_dst', [v, heads]);
        const scores = rt.tensor('gat.scores', [e, heads]);
        const alpha = rt.tensor('gat.alpha', [e, heads]);
        const aggregated = rt.tensor('gat.aggregated', [v, hc]);
        const output = rt.tensor('gat.output', [v, outW]);
        await matmul(rt, plain(x, inF), transposed(weight, inF), null, h, v, hc, inF);
        await gatAttention(rt, g, dims, h, attSrc, attDst, aSrc, aDst, scores, alpha);
        await graphAggregate(rt, g, alpha, h, null, aggregated, hc, { headDim: c });
        if (concat) await graphCombine(rt, aggregated, bias ?? null, output, v, hc);
        else await gatHeadMean(rt, g, dims, aggregated, bias ?? null, output);
        const trace: Record<string, GpuTensor> = { xw: h, alpha_src: aSrc, alpha_dst: aDst, scores, alpha, aggregated, ...graphTrace(g) };
        return {
          outputs: { output },
          trace,
          async backward({ output: gradOutput }) {
            const grads: Record<string, GpuTensor> = {};
            if (bias) {
              grads.bias = rt.tensor('gat.grad.bias', [outW]);
              await channelSum(rt, gradOutput, grads.bias, v, outW, 1);
            }
            let dAgg = gradOutput;
            let dAggScratch: GpuTensor | null = null;
            if (!concat) {
              dAgg = dAggScratch = rt.tensor('gat.grad.aggregated', [v, hc]);
              await gatHeadMeanBackward(rt, g, dims, gradOutput, dAgg);
            }
            const dH = rt.tensor('gat.grad.xw', [v, hc]);
            await graphAggregate(rt, g, alpha, dAgg, null, dH, hc, { headDim: c, transpose: true });
            const scratch = {
              dAlpha: rt.tensor('gat.grad.alpha', [e, heads]),
              dScore: rt.tensor('gat.grad.scores', [e, heads]),
              dASrc: rt.tensor('gat.grad.alpha_src', [v, heads]),
              dADst: rt.tensor('gat.grad.alpha_dst', [v, heads]),
            };
            grads.att_src = rt.tensor('gat.grad.att_src', [1, heads, c]);
            grads.att_dst = rt.tensor('gat.grad.att_dst', [1, heads, c]);
            await gatAttentionBackward(rt, g, dims, { h, attSrc, attDst, aSrc, aDst, alpha }, dAgg, scratch, dH, grads.att_src, grads.att_dst);
            grads.x = rt.tensor('gat.grad.x', [v, inF]);
            grads.weight = rt.tensor('gat.grad.weight', [hc, inF]);
            await matmul(rt, plain(dH, hc), plain(weight, inF), null, grads.x, v, inF, hc);
            await matmul(rt, transposed(dH, hc), plain(x, inF), null, grads.weight, hc, inF, v);
            await freeAfterSubmit(rt, dH, dAggScratch, ...Object.values(scratch));
            return grads;
          },
        };
      },
    };
  },
};
