import { InputError } from '../errors.ts';
import { formatShape } from '../tensor.ts';
import { ELEMENTWISE_FLOPS } from './activation.ts';
import { Args, expectFloat, type InputInfo, type LayerRule, type RuleContext, type TensorDecl } from './types.ts';

/**
 * Graph layers as PyTorch Geometric defines them, on node features [V, F] with E directed edges
 * (the spec's `graph.num_edges`, as in PyG's `edge_index`; an undirected edge counts twice).
 * GCN and GAT add a self-loop per node by default: E' = E + V messages.
 */
function graphDims(x: InputInfo, ctx: RuleContext, inChannels: number): { v: number; e: number } {
  if (!ctx.graph) throw new InputError('needs the graph size: add "graph": {"num_nodes": V, "num_edges": E} to the spec');
  expectFloat(x);
  if (x.shape.length !== 2) throw new InputError(`expects node features [num_nodes, in_channels], got ${formatShape(x.shape)}`);
  if (ctx.graph.numNodes !== undefined && x.shape[0] !== ctx.graph.numNodes) {
    throw new InputError(`the input ${formatShape(x.shape)} has ${x.shape[0]} nodes but graph.num_nodes is ${ctx.graph.numNodes}`);
  }
  if (x.shape[1] !== inChannels) throw new InputError(`in_channels is ${inChannels} but the input ${formatShape(x.shape)} has ${x.shape[1]} features per node`);
  return { v: x.shape[0], e: ctx.graph.numEdges };
}

/**
 * GCNConv(in_channels, out_channels, improved=False, cached=False, add_self_loops=True,
 * normalize=True, bias=True): X' = D^−½ (A + I) D^−½ X W + b. Params `lin.weight` [out, in]
 * (no bias in lin) and `bias` [out].
 * MACs: X·W (V·in·out) plus one per message per output feature (norm·x summed).
 * FLOPs: 2·MACs + bias + the normalization coefficients (degree sum E', 1/√deg V, 2 per message).
 */
export const gcnConv: LayerRule = {
  args: ['in_channels', 'out_channels', 'improved', 'cached', 'add_self_loops', 'normalize', 'bias'],
  infer(layer, [x], ctx) {
    const a = new Args(layer, gcnConv.args);
    const inC = a.int('in_channels');
    const outC = a.int('out_channels');
    a.bool('improved', false);
    a.bool('cached', false);
    const loops = a.bool('add_self_loops', true);
    const normalize = a.bool('normalize', true);
    const bias = a.bool('bias', true);
    const { v, e } = graphDims(x, ctx, inC);
    const msgs = e + (loops ? v : 0);
    const macs = v * inC * outC + msgs * outC;
    const params: TensorDecl[] = [{ name: 'lin.weight', shape: [outC, inC] }];
    if (bias) params.push({ name: 'bias', shape: [outC] });
    return {
      outputShape: [v, outC], params, macs,
      flops: 2 * macs + (bias ? v * outC : 0) + (normalize ? 3 * msgs + v : 0),
      saved: [{ what: 'input', input: 0 }, { what: 'edge weights (normalization)', elements: msgs, kind: 'float' }],
      notes: [`${v} nodes, ${msgs} messages (${e} edges${loops ? ` + ${v} self-loops` : ''})`],
    };
  },
};

/**
 * GATConv(in_channels, out_channels, heads=1, concat=True, negative_slope=0.2, dropout=0,
 * add_self_loops=True, bias=True). Params `lin.weight` [heads·out, in] (no bias), `att_src`,
 * `att_dst` [1, heads, out], `bias` [heads·out] (concat) or [out].
 * MACs: X·W, the two attention dot products per node (2·V·heads·out), and one per message per
 * output feature (α·x summed). FLOPs add per message and head: α_src + α_dst, LeakyReLU,
 * softmax (5); the head mean when concat=False; attention dropout; the bias.
 */
export const gatConv: LayerRule = {
  args: ['in_channels', 'out_channels', 'heads', 'concat', 'negative_slope', 'dropout', 'add_self_loops', 'bias'],
  infer(layer, [x], ctx) {
    const a = new Args(layer, gatConv.args);
    const inC = a.int('in_channels');
    const outC = a.int('out_channels');
    const heads = a.int('heads', 1);
    const concat = a.bool('concat', true);
    a.num('negative_slope', 0.2);
    const dropout = a.num('dropout', 0, 0, 1);
    const loops = a.bool('add_self_loops', true);
    const bias = a.bool('bias', true);
    const { v, e } = graphDims(x, ctx, inC);
    const msgs = e + (loops ? v : 0);
    const hc = heads * outC;
    const outWidth = concat ? hc : outC;
    const macs = v * inC * hc + 2 * v * hc + msgs * hc;
    const params: TensorDecl[] = [
      { name: 'lin.weight', shape: [hc, inC] },
      { name: 'att_src', shape: [1, heads, outC] },
      { name: 'att_dst', shape: [1, heads, outC] },
    ];
    if (bias) params.push({ name: 'bias', shape: [outWidth] });
    const perMessage = 1 + ELEMENTWISE_FLOPS.LeakyReLU + ELEMENTWISE_FLOPS.Softmax + (dropout > 0 ? 1 : 0);
    return {
      outputShape: [v, outWidth], params, macs,
      flops: 2 * macs + msgs * heads * perMessage + (concat ? 0 : v * hc) + (bias ? v * outWidth : 0),
      saved: [
        { what: 'input', input: 0 },
        { what: 'projected features X·W', elements: v * hc, kind: 'float' },
        { what: 'attention logits and coefficients', elements: 2 * msgs * heads, kind: 'float' },
      ],
      notes: [`${v} nodes, ${msgs} messages (${e} edges${loops ? ` + ${v} self-loops` : ''}), ${heads} head(s)`],
    };
  },
};

/**
 * SAGEConv(in_channels, out_channels, aggr='mean', normalize=False, root_weight=True,
 * project=False, bias=True): x' = W₁·mean_{j∈N(i)} x_j + W₂·x_i. Params `lin_l.weight`,
 * `lin_l.bias`, `lin_r.weight` (no bias); with project=True also `lin.weight`, `lin.bias` [in, in].
 * The neighbour mean is E adds and V·in divides per feature (FLOPs, no multiplies: no MACs).
 */
export const sageConv: LayerRule = {
  args: ['in_channels', 'out_channels', 'aggr', 'normalize', 'root_weight', 'project', 'bias'],
  infer(layer, [x], ctx) {
    const a = new Args(layer, sageConv.args);
    const inC = a.int('in_channels');
    const outC = a.int('out_channels');
    const aggr = a.choice('aggr', ['mean', 'sum', 'add', 'max'] as const, 'mean');
    const normalize = a.bool('normalize', false);
    const root = a.bool('root_weight', true);
    const project = a.bool('project', false);
    const bias = a.bool('bias', true);
    const { v, e } = graphDims(x, ctx, inC);
    const params: TensorDecl[] = [];
    let macs = 0;
    let extra = 0;
    if (project) {
      params.push({ name: 'lin.weight', shape: [inC, inC] }, { name: 'lin.bias', shape: [inC] });
      macs += v * inC * inC;
      extra += 2 * v * inC; // bias + ReLU
    }
    params.push({ name: 'lin_l.weight', shape: [outC, inC] });
    if (bias) params.push({ name: 'lin_l.bias', shape: [outC] });
    macs += v * inC * outC;
    if (root) {
      params.push({ name: 'lin_r.weight', shape: [outC, inC] });
      macs += v * inC * outC;
      extra += v * outC; // the sum of both branches
    }
    const aggregation = e * inC + (aggr === 'mean' ? v * inC : 0);
    return {
      outputShape: [v, outC], params, macs,
      flops: 2 * macs + aggregation + extra + (bias ? v * outC : 0) + (normalize ? 3 * v * outC : 0),
      saved: [{ what: 'input', input: 0 }, { what: 'aggregated neighbour features', elements: v * inC, kind: 'float' }],
      notes: [`${v} nodes, ${e} edges, ${aggr} aggregation`],
    };
  },
};
