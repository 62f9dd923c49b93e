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
 * PyG `GCNConv` as a function: out = D^-½ (A + I) D^-½ · X·Wᵀ + b on x [V, F_in],
 * edge_index [2, E] (row 0 source, row 1 target), weight [F_out, F_in] (PyG's `lin.weight`),
 * bias [F_out]. Degrees count incoming messages at the target (self loop included, duplicates
 * twice); existing self loops are replaced by one per node. Trace: `deg`, `norm` (the
 * coefficient of every message in `edge_index`, self loops last), `xw`, `aggregated`.
 */
export const gcnOp: OpDefinition = {
  name: 'gcn',
  inputs: [
    { name: 'x', dtype: 'float32', differentiable: true },
    { name: 'edge_index', dtype: 'int32', differentiable: false, sample: indicesBelow((s) => s.x?.[0]) },
    { name: 'weight', dtype: 'float32', differentiable: true },
    { name: 'bias', dtype: 'float32', optional: true, differentiable: true },
  ],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames('gcn', attrs, ['add_self_loops', 'normalize']);
    const normalize = boolAttr('gcn', attrs, 'normalize', true);
    const loops = boolAttr('gcn', attrs, 'add_self_loops', normalize);
    if (loops && !normalize) throw new InputError('gcn: add_self_loops=true needs normalize=true (as in PyG, self loops are added by the normalization)');
    const [v, inF] = nodeFeatures('gcn', inputs.x);
    const ws = inputs.weight.shape;
    if (ws.length !== 2 || ws[1] !== inF) throw new InputError(`gcn: weight must be [out_channels, ${inF}] for x with ${inF} features, got ${JSON.stringify(ws)}`);
    const outF = ws[0];
    expectShape('gcn', 'bias', inputs.bias, [outF], 'out_channels');
    const graph = messagesOf('gcn', inputs.edge_index, v, loops);
    const e = graph.src.length;
    return {
      outputShapes: { output: [v, outF] },
      async forward(rt, { x, weight, bias }) {
        const g = uploadGraph(rt, 'gcn', graph);
        const deg = rt.tensor('gcn.deg', [v]);
        const norm = rt.tensor('gcn.norm', [e]);
        const xw = rt.tensor('gcn.xw', [v, outF]);
        const aggregated = rt.tensor('gcn.aggregated', [v, outF]);
        const output = rt.tensor('gcn.output', [v, outF]);
        await graphCoefficients(rt, g, deg, norm, normalize ? 'gcn' : 'sum');
        await matmul(rt, plain(x, inF), transposed(weight, inF), null, xw, v, outF, inF);
        await graphAggregate(rt, g, norm, xw, null, aggregated, outF);
        await graphCombine(rt, aggregated, bias ?? null, output, v, outF);
        const trace: Record<string, GpuTensor> = { deg, norm, xw, aggregated, ...graphTrace(g) };
        return {
          outputs: { output },
          trace,
          async backward({ output: gradOutput }) {
            const grads: Record<string, GpuTensor> = {};
            const dxw = rt.tensor('gcn.grad.xw', [v, outF]);
            await graphAggregate(rt, g, norm, gradOutput, null, dxw, outF, { transpose: true });
            grads.x = rt.tensor('gcn.grad.x', [v, inF]);
            grads.weight = rt.tensor('gcn.grad.weight', [outF, inF]);
            await matmul(rt, plain(dxw, outF), plain(weight, inF), null, grads.x, v, inF, outF);
            await matmul(rt, transposed(dxw, outF), plain(x, inF), null, grads.weight, outF, inF, v);
            if (bias) {
              grads.bias = rt.tensor('gcn.grad.bias', [outF]);
              await channelSum(rt, gradOutput, grads.bias, v, outF, 1);
            }
            await freeAfterSubmit(rt, dxw);
            return grads;
          },
        };
      },
    };
  },
};
