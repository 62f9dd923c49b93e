import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { channelSum } from '../kernels/channel_sum.ts';
import { graphAggregate, graphCoefficients, graphCombine, graphTrace, uploadGraph } from '../kernels/graph.ts';
import { matmul, plain, transposed } from '../kernels/matmul.ts';
import type { GpuTensor } from '../kernels/runtime.ts';
import { boolAttr, expectShape, freeAfterSubmit, messagesOf, nodeFeatures } from './graph_common.ts';
import type { OpDefinition } from './op.ts';
import { indicesBelow } from './input_samplers.ts';

/**
 * PyG `SAGEConv` (mean aggregation) as a function:
 * out_i = W_l·mean_{j→i} x_j + b_l + W_r·x_i on x [V, F_in], edge_index [2, E],
 * weight_l [F_out, F_in] (`lin_l.weight`), bias_l [F_out] (`lin_l.bias`), weight_r [F_out, F_in]
 * (`lin_r.weight`, no bias). Edges are used as given (self loops and duplicates count as
 * neighbours); a node with no incoming edge aggregates to zero. Trace: `deg`, `mean_coef`
 * (1/deg(target) per edge), `aggregated` (the neighbour mean of x), `root` (x·W_rᵀ).
 */
export const sageOp: OpDefinition = {
  name: 'sage',
  inputs: [
    { name: 'x', dtype: 'float32', differentiable: true },
    { name: 'edge_index', dtype: 'int32', differentiable: false, sample: indicesBelow((s) => s.x?.[0]) },
    { name: 'weight_l', dtype: 'float32', differentiable: true },
    { name: 'bias_l', dtype: 'float32', optional: true, differentiable: true },
    { name: 'weight_r', dtype: 'float32', optional: true, differentiable: true },
  ],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames('sage', attrs, ['aggr', 'root_weight']);
    if (attrs.aggr !== undefined && attrs.aggr !== 'mean') throw new InputError(`sage: aggr must be "mean" (the only aggregation implemented), got ${JSON.stringify(attrs.aggr)}`);
    const root = boolAttr('sage', attrs, 'root_weight', true);
    const [v, inF] = nodeFeatures('sage', inputs.x);
    const ws = inputs.weight_l.shape;
    if (ws.length !== 2 || ws[1] !== inF) throw new InputError(`sage: weight_l must be [out_channels, ${inF}] for x with ${inF} features, got ${JSON.stringify(ws)}`);
    const outF = ws[0];
    expectShape('sage', 'bias_l', inputs.bias_l, [outF], 'out_channels');
    if (root && !inputs.weight_r) throw new InputError('sage: root_weight=true needs weight_r [out_channels, in_channels]');
    if (!root && inputs.weight_r) throw new InputError('sage: weight_r was given but root_weight=false');
    expectShape('sage', 'weight_r', inputs.weight_r, [outF, inF], 'out_channels, in_channels');
    const graph = messagesOf('sage', inputs.edge_index, v, false);
    const e = graph.src.length;
    return {
      outputShapes: { output: [v, outF] },
      async forward(rt, { x, weight_l: wl, bias_l: bl, weight_r: wr }) {
        const g = uploadGraph(rt, 'sage', graph);
        const deg = rt.tensor('sage.deg', [v]);
        const coef = rt.tensor('sage.mean_coef', [e]);
        const aggregated = rt.tensor('sage.aggregated', [v, inF]);
        const output = rt.tensor('sage.output', [v, outF]);
        await graphCoefficients(rt, g, deg, coef, 'mean');
        await graphAggregate(rt, g, coef, x, null, aggregated, inF);
        await matmul(rt, plain(aggregated, inF), transposed(wl, inF), bl ?? null, output, v, outF, inF);
        const trace: Record<string, GpuTensor> = { deg, mean_coef: coef, aggregated, ...graphTrace(g) };
        if (root && wr) {
          const rootOut = (trace.root = rt.tensor('sage.root', [v, outF]));
          await matmul(rt, plain(x, inF), transposed(wr, inF), null, rootOut, v, outF, inF);
          await graphCombine(rt, rootOut, null, output, v, outF, true);
        }
        return {
          outputs: { output },
          trace,
          async backward({ output: gradOutput }) {
            const grads: Record<string, GpuTensor> = {};
            grads.weight_l = rt.tensor('sage.grad.weight_l', [outF, inF]);
            await matmul(rt, transposed(gradOutput, outF), plain(aggregated, inF), null, grads.weight_l, outF, inF, v);
            if (bl) {
              grads.bias_l = rt.tensor('sage.grad.bias_l', [outF]);
              await channelSum(rt, gradOutput, grads.bias_l, v, outF, 1);
            }
            const dAgg = rt.tensor('sage.grad.aggregated', [v, inF]);
            await matmul(rt, plain(gradOutput, outF), plain(wl, inF), null, dAgg, v, inF, outF);
            grads.x = rt.tensor('sage.grad.x', [v, inF]);
            if (wr) {
              grads.weight_r = rt.tensor('sage.grad.weight_r', [outF, inF]);
              await matmul(rt, transposed(gradOutput, outF), plain(x, inF), null, grads.weight_r, outF, inF, v);
              await matmul(rt, plain(gradOutput, outF), plain(wr, inF), null, grads.x, v, inF, outF);
            }
            await graphAggregate(rt, g, coef, dAgg, null, grads.x, inF, { transpose: true, accumulate: !!wr });
            await freeAfterSubmit(rt, dAgg);
            return grads;
          },
        };
      },
    };
  },
};
