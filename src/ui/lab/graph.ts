/**
 * The Layer Lab's descriptions of the graph ops `gcn`, `gat` and `sage` (PyG's GCNConv,
 * GATConv, SAGEConv): the graph drawn, a node's incoming messages with their coefficients, and
 * the spectrum section (graph_spectrum_panel.ts).
 */
import { html, nothing } from 'lit';
import { NnxError } from '../../analysis/errors.ts';
import { grid, karateClub, parseEdgeList, randomGraph, ring, type GraphData } from '../../analysis/graph_sources.ts';
import { numel } from '../../analysis/tensor.ts';
import type { RunSpec } from '../../ops/spec.ts';
import { formatCount, formatFloat32, formatFloat64, formatShape } from '../format.ts';
import '../graph_view.ts';
import { checkInts, figures, gradValues, int, invalid } from './common.ts';
import { spectrumExtraRun, spectrumSection } from './graph_spectrum_panel.ts';
import { checkInput, inputGradSeedRows, makeInput, stream, uniform } from './data.ts';
import { num, type LabConfig, type LabOp, type LabRunData, type NeuronFocus, type Validation } from './types.ts';

type Kind = 'gcn' | 'gat' | 'sage';

const GRAPHS = [
  { value: 'karate', label: 'karate club (34)' },
  { value: 'ring', label: 'ring' },
  { value: 'grid', label: 'grid' },
  { value: 'random', label: 'seeded random' },
  { value: 'edges', label: 'edge list (typed)' },
];

function read(config: LabConfig) {
  return {
    graph: String(config.graph ?? 'karate'), nodes: num(config, 'nodes'), fin: num(config, 'fin'), fout: num(config, 'fout'),
    heads: config.heads === undefined ? 1 : num(config, 'heads'), seed: num(config, 'seed'), edges: String(config.edges ?? ''),
  };
}

/** The graph a configuration names (throws InputError for a bad edge list). */
export function graphOf(config: LabConfig): GraphData {
  const c = read(config);
  switch (c.graph) {
    case 'ring': return ring(c.nodes);
    case 'grid': {
      const cols = Math.ceil(Math.sqrt(c.nodes));
      return grid(Math.max(1, Math.round(c.nodes / cols)), cols);
    }
    case 'random': return randomGraph(c.nodes, Math.min(2 * c.nodes, (c.nodes * (c.nodes - 1)) / 2), c.seed);
    case 'edges': return parseEdgeList(c.edges, { undirected: true, name: 'typed edge list' });
    default: return karateClub();
  }
}

const COEF: Record<Kind, { trace: string; name: string; words: string }> = {
  gcn: { trace: 'norm', name: 'norm', words: '1/√(deg(j)·deg(i)) with self loops' },
  gat: { trace: 'alpha', name: 'α', words: 'softmax over i’s incoming edges of LeakyReLU(a_src·Wx_j + a_dst·Wx_i)' },
  sage: { trace: 'mean_coef', name: '1/deg', words: '1/deg(i): the plain mean of the neighbours' },
};

function makeGraphOp(kind: Kind): LabOp {
  const title = { gcn: 'GCNConv', gat: 'GATConv', sage: 'SAGEConv' }[kind];
  const pytorch = (config: LabConfig) => {
    const c = read(config);
    if (kind === 'gat') return `GATConv(${c.fin}, ${c.fout}, heads=${c.heads})`;
    return `${title}(${c.fin}, ${c.fout})`;
  };
  const op: LabOp = {
    name: kind,
    title,
    summary: {
      gcn: 'out_i = Σ_{j→i} norm_ji · (W x_j) + b over i’s neighbours and itself, norm_ji = 1/√(deg j · deg i): a degree-weighted average of transformed features.',
      gat: 'out_i = Σ_{j→i} α_ji · (W x_j) + b, where the attention α_ji is a softmax over i’s incoming edges of a learned score: neighbours are weighted by content.',
      sage: 'out_i = W_l · mean_{j→i} x_j + b_l + W_r · x_i: the mean of the neighbours and the node’s own features, each through its own weight.',
    }[kind],
    rows: [
      { section: 'Graph', label: 'graph', fields: [{ key: 'graph', kind: 'choice', default: 'karate', options: GRAPHS }] },
      { section: 'Graph', label: 'nodes', hint: 'ring, grid, random', fields: [int('nodes', 12, 2, 120)] },
      { section: 'Graph', label: 'edges', hint: 'pairs "0 1, 1 2", undirected', when: { key: 'graph', value: 'edges' }, fields: [{ key: 'edges', kind: 'text', default: '0 1, 1 2, 2 0, 2 3' }] },
      { section: 'Layer', label: kind === 'gat' ? 'features in → per head' : 'features in → out', fields: [int('fin', 4, 1, 32, 'in'), int('fout', 3, 1, 32, 'out')] },
      ...(kind === 'gat' ? [{ section: 'Layer', label: 'heads', hint: 'concatenated', fields: [int('heads', 2, 1, 4)] }] : []),
      ...inputGradSeedRows(false),
    ],

    validate(config): Validation {
      const c = read(config);
      const line = pytorch(config);
      const bad = checkInts(op.rows, config, line);
      if (bad) return bad;
      let g: GraphData;
      try {
        g = graphOf(config);
      } catch (e) {
        if (!(e instanceof NnxError)) throw e;
        return invalid(e.message, c.graph === 'edges' ? ['edges'] : ['nodes'], line);
      }
      const v = g.numNodes;
      const x = [v, c.fin];
      const inputProblem = checkInput(config, numel(x));
      if (inputProblem) return invalid(inputProblem, ['xtext'], line);
      const outF = kind === 'gat' ? c.heads * c.fout : c.fout;
      const shapes: Record<string, number[]> = { x, edge_index: [2, g.numEdges], output: [v, outF] };
      let params = 0;
      if (kind === 'gcn') { shapes.weight = [c.fout, c.fin]; shapes.bias = [c.fout]; params = c.fout * (c.fin + 1); }
      if (kind === 'gat') { shapes.weight = [outF, c.fin]; shapes.att_src = shapes.att_dst = [1, c.heads, c.fout]; shapes.bias = [outF]; params = outF * (c.fin + 3); }
      if (kind === 'sage') { shapes.weight_l = shapes.weight_r = [c.fout, c.fin]; shapes.bias_l = [c.fout]; params = c.fout * (2 * c.fin + 1); }
      return {
        ok: true, error: null, fields: [], derivations: [], shapes, pytorch: line,
        stats: [
          { label: 'graph', value: `${formatCount(v)} nodes`, title: g.name },
          { label: 'edges', value: formatCount(g.numEdges), title: 'directed; an undirected edge counts twice' },
          { label: 'parameters', value: formatCount(params) },
          { label: 'output', value: formatShape([v, outF]) },
        ],
      };
    },

    buildSpec(config): RunSpec {
      const v = op.validate(config);
      if (!v.ok) throw new Error(v.error ?? 'invalid configuration');
      const c = read(config);
      const g = graphOf(config);
      const bound = 1 / Math.sqrt(c.fin);
      const u = (shape: number[], k: number, b = bound) => ({ shape, data: Array.from(uniform(numel(shape), stream(c.seed, k), -b, b)) });
      const outCount = numel(v.shapes.output);
      const inputs: RunSpec['inputs'] = {
        x: { shape: v.shapes.x, data: Array.from(makeInput(config, v.shapes.x, c.seed)) },
        edge_index: { shape: [2, g.numEdges], data: Array.from(g.edgeIndex), dtype: 'int32' },
      };
      if (kind === 'gcn') Object.assign(inputs, { weight: u(v.shapes.weight, 1), bias: u(v.shapes.bias, 2) });
      if (kind === 'gat') Object.assign(inputs, { weight: u(v.shapes.weight, 1), att_src: u(v.shapes.att_src, 4, 1), att_dst: u(v.shapes.att_dst, 5, 1), bias: u(v.shapes.bias, 2) });
      if (kind === 'sage') Object.assign(inputs, { weight_l: u(v.shapes.weight_l, 1), bias_l: u(v.shapes.bias_l, 2), weight_r: u(v.shapes.weight_r, 3) });
      return {
        op: kind,
        attrs: kind === 'gat' ? { heads: c.heads } : {},
        inputs,
        grad_output: { output: { shape: v.shapes.output, data: Array.from(gradValues(config.grad, outCount, () => uniform(outCount, stream(c.seed, 9), -1, 1))) } },
      };
    },

    extraRun: (rt, spec) => spectrumExtraRun(rt, spec),
    section: (run) => spectrumSection(run, graphOf(run.config).labels),

    trace: true,
    forwardSlots: [
      { name: 'x', title: 'node features x', source: 'inputs.x', help: 'rows: nodes · columns: features' },
      ...(kind === 'sage'
        ? [{ name: 'weight_l', title: 'weight_l', source: 'inputs.weight_l', help: 'applied to the neighbour mean' }, { name: 'weight_r', title: 'weight_r', source: 'inputs.weight_r', help: 'applied to the node itself' }]
        : [{ name: 'weight', title: 'weight', source: 'inputs.weight', help: kind === 'gat' ? 'rows: heads × channels' : 'rows: out features' }]),
      { name: 'output', title: 'output', source: 'outputs.output', help: 'rows: nodes; click a row (or a node in the graph) to see its messages' },
    ],
    operators: { output: '=' },
    traceSlots: [
      ...(kind === 'sage' ? [] : [{ name: 'xw', title: 'x·Wᵀ', source: 'trace.xw', help: 'the transformed features each node sends' }]),
      { name: 'aggregated', title: 'aggregated', source: 'trace.aggregated', help: kind === 'sage' ? 'mean of the neighbours’ x' : 'Σ coefficient · message' },
    ],
    backwardSlots: [
      { name: 'grad_output', title: '∂L/∂output', source: 'grad_output.output', help: 'the upstream gradient fed to backward' },
      { name: 'grad.x', title: '∂L/∂x', source: 'grads.x', help: 'flows back along the edges, reversed' },
      ...(kind === 'sage'
        ? [{ name: 'grad.weight_l', title: '∂L/∂weight_l', source: 'grads.weight_l', help: '' }]
        : [{ name: 'grad.weight', title: '∂L/∂weight', source: 'grads.weight', help: '' }]),
    ],
    explainSlot: 'output',
    params: kind === 'sage'
      ? [{ name: 'weight_l', value: 'inputs.weight_l', grad: 'grads.weight_l' }, { name: 'weight_r', value: 'inputs.weight_r', grad: 'grads.weight_r' }]
      : [{ name: 'weight', value: 'inputs.weight', grad: 'grads.weight' }, { name: 'bias', value: 'inputs.bias', grad: 'grads.bias' }],
    padding: () => ({}),

    focus(_config, [i, f], run?: LabRunData): NeuronFocus {
      const hl: Record<string, number[][]> = { output: [[i, f]], grad_output: [[i, f]] };
      const ei = run?.tensors['trace.edge_index'];
      if (ei && run) {
        const e = ei.shape[1];
        const fin = run.tensors['inputs.x'].shape[1];
        const srcs: number[] = [];
        for (let k = 0; k < e; k++) if (ei.data[e + k] === i) srcs.push(ei.data[k]);
        hl.x = srcs.flatMap((j) => Array.from({ length: fin }, (_, q) => [j, q]));
        const xw = run.tensors['trace.xw'];
        if (xw) hl.xw = srcs.map((j) => [j, f]);
        hl.aggregated = [[i, kind === 'sage' ? 0 : f]];
      }
      return { highlights: hl };
    },

    detail(run, index, select) {
      const ei = run.tensors['trace.edge_index'];
      const coef = run.tensors[`trace.${COEF[kind].trace}`];
      const out = run.tensors['outputs.output'];
      if (!ei || !coef) return html`<p class="muted small">The trace has no edge list.</p>`;
      const e = ei.shape[1];
      const src = ei.data.subarray(0, e);
      const dst = ei.data.subarray(e, 2 * e);
      const [v, outF] = out.shape;
      const i = index ? index[0] : -1;
      const f = index ? index[1] : 0;
      const heads = kind === 'gat' ? coef.shape[1] : 1;
      const perHead = outF / heads;
      const head = Math.floor(f / perHead);
      const coefOf = (k: number) => coef.data[k * heads + head];
      const coefs = Float32Array.from({ length: e }, (_, k) => coefOf(k));
      const values = Float32Array.from({ length: v }, (_, n) => out.data[n * outF + f]);
      const view = html`<nnx-graph-view .numNodes=${v} .src=${src} .dst=${dst} .coef=${coefs} .values=${values} .selected=${i}
        @nnx-node-click=${(ev: CustomEvent<{ node: number }>) => select([ev.detail.node, f])}></nnx-graph-view>`;
      if (!index) {
        return html`<div class="detail graph"><div class="layout"><div>${view}</div>
          <div class="hint"><span><b>Click a node</b> (or an output row) to list its incoming messages with their coefficients: ${COEF[kind].words}. Node colour: output feature ${f}.</span></div></div></div>`;
      }
      const incoming: number[] = [];
      for (let k = 0; k < e; k++) if (dst[k] === i) incoming.push(k);
      const bias = run.tensors['inputs.bias'] ?? run.tensors['inputs.bias_l'];
      const b = bias ? bias.data[f] : 0;
      let figs;
      let rows;
      if (kind === 'sage') {
        const x = run.tensors['inputs.x'];
        const fin = x.shape[1];
        const agg = run.tensors['trace.aggregated'];
        const root = run.tensors['trace.root'];
        const wl = run.tensors['inputs.weight_l'];
        const mean0 = incoming.reduce((s, k) => s + coefOf(k) * x.data[src[k] * fin], 0);
        let recomputed = b + (root ? root.data[i * outF + f] : 0);
        for (let q = 0; q < fin; q++) recomputed += wl.data[f * fin + q] * agg.data[i * fin + q];
        figs = figures([
          { label: 'Σ coef·x_j[0] (float64)', value: formatFloat64(mean0), role: 'sum', raw: mean0 },
          { label: 'aggregated[i, 0] on the GPU', value: formatFloat32(agg.data[i * fin]), role: 'aggregated', raw: agg.data[i * fin] },
          { label: `W_l[${f}]·aggregated + b_l + root`, value: formatFloat64(recomputed), role: 'recomputed', raw: recomputed, cls: 'total' },
          { label: `GPU output[${i}, ${f}]`, value: formatFloat32(out.data[i * outF + f]), role: 'output', raw: out.data[i * outF + f], cls: 'gpu' },
        ]);
        rows = incoming.map((k) => html`<tr class="msg" data-src=${src[k]}><td class="num">${src[k]}</td><td class="num" data-value=${coefOf(k)}>${formatFloat32(coefOf(k))}</td>
          <td class="num">${formatFloat32(x.data[src[k] * fin])}</td><td class="num" data-value=${coefOf(k) * x.data[src[k] * fin]}>${formatFloat64(coefOf(k) * x.data[src[k] * fin], 7)}</td></tr>`);
      } else {
        const xw = run.tensors['trace.xw'];
        const sum = incoming.reduce((s, k) => s + coefOf(k) * xw.data[src[k] * outF + f], 0);
        const coefSum = incoming.reduce((s, k) => s + coefOf(k), 0);
        figs = figures([
          { label: `Σ ${COEF[kind].name}·(Wx_j)[${f}] (float64)`, value: formatFloat64(sum), role: 'sum', raw: sum },
          { label: '+ bias', value: formatFloat32(b), role: 'bias', raw: b },
          { label: '= recomputed', value: formatFloat64(sum + b), role: 'recomputed', raw: sum + b, cls: 'total' },
          { label: `GPU output[${i}, ${f}]`, value: formatFloat32(out.data[i * outF + f]), role: 'output', raw: out.data[i * outF + f], cls: 'gpu' },
          { label: `Σ ${COEF[kind].name} over the messages${kind === 'gat' ? ` (head ${head})` : ''}`, value: formatFloat64(coefSum, 7), role: 'coef-sum', raw: coefSum },
        ]);
        rows = incoming.map((k) => {
          const m = xw.data[src[k] * outF + f];
          return html`<tr class="msg" data-src=${src[k]}><td class="num">${src[k]}${src[k] === i ? html` <span class="chip">self</span>` : nothing}</td><td class="num" data-value=${coefOf(k)}>${formatFloat32(coefOf(k))}</td>
            <td class="num">${formatFloat32(m)}</td><td class="num" data-value=${coefOf(k) * m}>${formatFloat64(coefOf(k) * m, 7)}</td></tr>`;
        });
      }
      return html`<div class="detail graph">
        <div class="head"><h2 class="mono">node ${i}: output[${i}, ${f}]</h2><span class="muted small">${formatCount(incoming.length)} incoming messages; ${COEF[kind].name} = ${COEF[kind].words}</span></div>
        <div class="layout">
          <div>${view}</div>
          <div>
            ${figs}
            <div class="terms" tabindex="0" role="region" aria-label="terms of the aggregation" style="margin-top:10px">
              <table>
                <thead><tr><th class="num">from j</th><th class="num">${COEF[kind].name}</th><th class="num">${kind === 'sage' ? 'x_j[0]' : `(Wx_j)[${f}]`}</th><th class="num">product</th></tr></thead>
                <tbody>${rows}</tbody>
              </table>
            </div>
          </div>
        </div>
      </div>`;
    },
  };
  return op;
}

export const gcnLab = makeGraphOp('gcn');
export const gatLab = makeGraphOp('gat');
export const sageLab = makeGraphOp('sage');
