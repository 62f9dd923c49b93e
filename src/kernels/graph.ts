/**
 * Graph kernels: CSR aggregation (graph_spmm.wgsl), degrees and per-message coefficients
 * (graph_norm.wgsl), and GATConv's attention forward and backward (gat.wgsl).
 */
import spmmCode from '../../shaders/graph_spmm.wgsl?raw';
import normCode from '../../shaders/graph_norm.wgsl?raw';
import gatWgsl from '../../shaders/gat.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import workgroupItemWgsl from '../../shaders/common/workgroup_item.wgsl?raw';
import type { MessageGraph } from '../analysis/graph_csr.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { GatParams, GraphNormParams, GraphSpmmParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const gatCode = composeWgsl(gatWgsl, workgroupSumWgsl, workgroupItemWgsl);

export const graphAggregateKernel: KernelDef<typeof GraphSpmmParams> = {
  name: 'graph_aggregate', code: spmmCode, entryPoint: 'aggregate', params: GraphSpmmParams,
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read_write'],
};

export const graphAggregate4Kernel: KernelDef<typeof GraphSpmmParams> = {
  ...graphAggregateKernel, name: 'graph_aggregate4', entryPoint: 'aggregate4',
};
export const graphCombineKernel: KernelDef<typeof GraphSpmmParams> = {
  name: 'graph_combine', code: spmmCode, entryPoint: 'combine', params: GraphSpmmParams,
  bindings: ['read', 'read', 'read_write'],
};
export const graphDegreeKernel: KernelDef<typeof GraphNormParams> = {
  name: 'graph_degree', code: normCode, entryPoint: 'degree', params: GraphNormParams,
  bindings: ['read', 'read_write'],
};
export const graphEdgeCoefKernel: KernelDef<typeof GraphNormParams> = {
  name: 'graph_edge_coef', code: normCode, entryPoint: 'edge_coef', params: GraphNormParams,
  bindings: ['read', 'read', 'read', 'read_write'],
};

function gatKernel(entryPoint: string, bindings: KernelDef['bindings']): KernelDef<typeof GatParams> {
  return { name: `gat_${entryPoint}`, code: gatCode, entryPoint, params: GatParams, bindings };
}
const R = 'read' as const;
const W = 'read_write' as const;
export const gatScoresKernel = gatKernel('scores', [R, R, R, W, W]);
export const gatSoftmaxKernel = gatKernel('softmax', [R, R, R, R, R, W, W]);
export const gatHeadMeanKernel = gatKernel('head_mean', [R, R, W]);
export const gatHeadMeanBackwardKernel = gatKernel('head_mean_backward', [R, W]);
export const gatAlphaGradKernel = gatKernel('alpha_grad', [R, R, R, R, W]);
export const gatSoftmaxBackwardKernel = gatKernel('softmax_backward', [R, R, R, R, R, R, R, W]);
export const gatScoreGradKernel = gatKernel('score_grad', [R, R, R, R, R, W, W]);
export const gatFeatureGradKernel = gatKernel('feature_grad', [R, R, R, R, W]);
export const gatAttGradKernel = gatKernel('att_grad', [R, R, R, W, W]);

/** Every graph kernel, for compile checks. */
export const GRAPH_KERNELS: KernelDef[] = [
  graphAggregateKernel, graphCombineKernel, graphDegreeKernel, graphEdgeCoefKernel,
  gatScoresKernel, gatSoftmaxKernel, gatHeadMeanKernel, gatHeadMeanBackwardKernel, gatAlphaGradKernel,
  gatSoftmaxBackwardKernel, gatScoreGradKernel, gatFeatureGradKernel, gatAttGradKernel,
] as KernelDef[];

/** A message graph uploaded to the GPU (int32 buffers, freed with the op's trace). */
export interface GpuGraph {
  numNodes: number;
  numMessages: number;
  /** Messages [2, E'] (row 0 sources, row 1 targets), self loops included when added. */
  edgeIndex: GpuTensor;
  src: GpuTensor;
  dst: GpuTensor;
  rowPtr: GpuTensor;
  byTarget: GpuTensor;
  colPtr: GpuTensor;
  bySource: GpuTensor;
}

/** Uploads the messages and both CSR groupings. */
export function uploadGraph(rt: GpuRuntime, op: string, g: MessageGraph): GpuGraph {
  const e = g.src.length;
  const v = g.numNodes;
  const edges = new Int32Array(2 * e);
  edges.set(g.src, 0);
  edges.set(g.dst, e);
  const edgeIndex = rt.tensor(`${op}.edge_index`, [2, e], 'int32', edges);
  return {
    numNodes: v,
    numMessages: e,
    edgeIndex,
    // Views into edge_index would need offsets; the two rows are uploaded again on their own.
    src: rt.tensor(`${op}.csr.src`, [e], 'int32', g.src),
    dst: rt.tensor(`${op}.csr.dst`, [e], 'int32', g.dst),
    rowPtr: rt.tensor(`${op}.csr.row_ptr`, [v + 1], 'int32', g.rowPtr),
    byTarget: rt.tensor(`${op}.csr.by_target`, [e], 'int32', g.byTarget),
    colPtr: rt.tensor(`${op}.csr.col_ptr`, [v + 1], 'int32', g.colPtr),
    bySource: rt.tensor(`${op}.csr.by_source`, [e], 'int32', g.bySource),
  };
}

/** The graph's buffers, for the op's trace (so they are shown and freed with it). */
export function graphTrace(g: GpuGraph): Record<string, GpuTensor> {
  return {
    edge_index: g.edgeIndex, 'csr.row_ptr': g.rowPtr, 'csr.by_target': g.byTarget,
    'csr.col_ptr': g.colPtr, 'csr.by_source': g.bySource, 'csr.src': g.src, 'csr.dst': g.dst,
  };
}

/**
 * out[i, f] = Σ coef[m, f / headDim]·feat[other(m), f] over node i's messages (+ bias) (+ out).
 * `transpose` false: messages into i, other = source (forward); true: messages out of i,
 * other = target (the adjoint, for backward).
 */
export async function graphAggregate(
  rt: GpuRuntime, g: GpuGraph, coef: GpuTensor, feat: GpuTensor, bias: GpuTensor | null, out: GpuTensor,
  width: number, options: { transpose?: boolean; headDim?: number; accumulate?: boolean } = {},
): Promise<void> {
  const t = options.transpose ?? false;
  const count = g.numNodes * width;
  const params = { nodes: g.numNodes, width, headDim: options.headDim ?? width, hasBias: bias ? 1 : 0, accumulate: options.accumulate ? 1 : 0 };
  const buffers = [
    (t ? g.colPtr : g.rowPtr).buffer, (t ? g.bySource : g.byTarget).buffer, (t ? g.dst : g.src).buffer,
    coef.buffer, feat.buffer, (bias ?? coef).buffer, out.buffer,
  ];
  const e = g.numMessages;
  const quads = width % 4 === 0 && params.headDim % 4 === 0;
  const kernel = quads ? graphAggregate4Kernel : graphAggregateKernel;
  await rt.dispatch(kernel, params, buffers, grid1d(quads ? count / 4 : count, 64), {
    flops: 2 * e * width + (bias ? count : 0) + (options.accumulate ? count : 0),
    bytesRead: 4 * (g.numNodes + 1 + 2 * e + e * width / (params.headDim) + e * width + (bias ? width : 0) + (options.accumulate ? count : 0)),
    bytesWritten: 4 * count,
  });
}

/** out[i, f] = values[i, f] + bias[f] (+ out[i, f] when accumulating). */
export async function graphCombine(
  rt: GpuRuntime, values: GpuTensor, bias: GpuTensor | null, out: GpuTensor, nodes: number, width: number, accumulate = false,
): Promise<void> {
  const count = nodes * width;
  await rt.dispatch(graphCombineKernel, { nodes, width, headDim: width, hasBias: bias ? 1 : 0, accumulate: accumulate ? 1 : 0 },
    [values.buffer, (bias ?? values).buffer, out.buffer], grid1d(count, 64), {
      flops: (bias ? count : 0) + (accumulate ? count : 0),
      bytesRead: 4 * (count + (bias ? width : 0) + (accumulate ? count : 0)),
      bytesWritten: 4 * count,
    });
}

/** Coefficient per message: 'gcn' deg^-½(src)·deg^-½(dst), 'mean' 1/deg(dst), 'sum' 1. */
export type CoefMode = 'gcn' | 'mean' | 'sum';
const MODES: Record<CoefMode, number> = { gcn: 0, mean: 1, sum: 2 };

/** deg[i] = number of messages into i; coef[m] by `mode`. */
export async function graphCoefficients(rt: GpuRuntime, g: GpuGraph, deg: GpuTensor, coef: GpuTensor, mode: CoefMode): Promise<void> {
  const params = { nodes: g.numNodes, messages: g.numMessages, mode: MODES[mode] };
  await rt.dispatch(graphDegreeKernel, params, [g.rowPtr.buffer, deg.buffer], grid1d(g.numNodes, 64), {
    flops: g.numNodes, bytesRead: 4 * (g.numNodes + 1), bytesWritten: 4 * g.numNodes,
  });
  await rt.dispatch(graphEdgeCoefKernel, params, [g.src.buffer, g.dst.buffer, deg.buffer, coef.buffer], grid1d(g.numMessages, 64), {
    flops: 3 * g.numMessages, bytesRead: 16 * g.numMessages, bytesWritten: 4 * g.numMessages,
  });
}

/** GAT sizes. */
export interface GatDims {
  heads: number;
  channels: number;
  negativeSlope: number;
}

function gatParams(g: GpuGraph, d: GatDims, hasBias = false) {
  return { nodes: g.numNodes, messages: g.numMessages, heads: d.heads, channels: d.channels, negativeSlope: d.negativeSlope, hasBias: hasBias ? 1 : 0 };
}

/** a_src, a_dst [V, heads] from H [V, heads·C]; e and α [E', heads], softmax per target. */
export async function gatAttention(
  rt: GpuRuntime, g: GpuGraph, d: GatDims, h: GpuTensor, attSrc: GpuTensor, attDst: GpuTensor,
  aSrc: GpuTensor, aDst: GpuTensor, logits: GpuTensor, alpha: GpuTensor,
): Promise<void> {
  const p = gatParams(g, d);
  const vh = g.numNodes * d.heads;
  const eh = g.numMessages * d.heads;
  await rt.dispatch(gatScoresKernel, p, [h.buffer, attSrc.buffer, attDst.buffer, aSrc.buffer, aDst.buffer], grid1d(vh, 64), {
    flops: 4 * vh * d.channels, bytesRead: 4 * (vh * d.channels + 2 * d.heads * d.channels), bytesWritten: 8 * vh,
  });
  await rt.dispatch(gatSoftmaxKernel, p, [g.rowPtr.buffer, g.byTarget.buffer, g.src.buffer, aSrc.buffer, aDst.buffer, logits.buffer, alpha.buffer], grid1d(vh, 64), {
    flops: eh * (2 + 5), bytesRead: 4 * (g.numNodes + 1 + 2 * g.numMessages + 2 * eh + vh), bytesWritten: 8 * eh,
  });
}

/** out[i, c] = mean over heads of agg[i, h, c] + bias[c]. */
export async function gatHeadMean(rt: GpuRuntime, g: GpuGraph, d: GatDims, agg: GpuTensor, bias: GpuTensor | null, out: GpuTensor): Promise<void> {
  const count = g.numNodes * d.channels;
  await rt.dispatch(gatHeadMeanKernel, gatParams(g, d, !!bias), [agg.buffer, (bias ?? agg).buffer, out.buffer], grid1d(count, 64), {
    flops: count * (d.heads + 1), bytesRead: 4 * (count * d.heads + d.channels), bytesWritten: 4 * count,
  });
}

/** dAgg[i, h, c] = g[i, c] / heads. */
export async function gatHeadMeanBackward(rt: GpuRuntime, g: GpuGraph, d: GatDims, grad: GpuTensor, dAgg: GpuTensor): Promise<void> {
  const count = g.numNodes * d.heads * d.channels;
  await rt.dispatch(gatHeadMeanBackwardKernel, gatParams(g, d), [grad.buffer, dAgg.buffer], grid1d(count, 64), {
    flops: count, bytesRead: 4 * count / d.heads, bytesWritten: 4 * count,
  });
}

/** Tensors GAT's backward needs from the forward. */
export interface GatSaved {
  h: GpuTensor;
  attSrc: GpuTensor;
  attDst: GpuTensor;
  aSrc: GpuTensor;
  aDst: GpuTensor;
  alpha: GpuTensor;
}

/** The attention part of GAT's backward: dH += ∂(α-weights)/∂H, and d att_src, d att_dst. */
export async function gatAttentionBackward(
  rt: GpuRuntime, g: GpuGraph, d: GatDims, s: GatSaved, dAgg: GpuTensor,
  scratch: { dAlpha: GpuTensor; dScore: GpuTensor; dASrc: GpuTensor; dADst: GpuTensor },
  dH: GpuTensor, dAttSrc: GpuTensor, dAttDst: GpuTensor,
): Promise<void> {
  const p = gatParams(g, d);
  const v = g.numNodes;
  const e = g.numMessages;
  const hc = d.heads * d.channels;
  await rt.dispatch(gatAlphaGradKernel, p, [g.src.buffer, g.dst.buffer, dAgg.buffer, s.h.buffer, scratch.dAlpha.buffer], grid1d(e * d.heads, 64), {
    flops: 2 * e * hc, bytesRead: 4 * (2 * e + 2 * e * hc), bytesWritten: 4 * e * d.heads,
  });
  await rt.dispatch(gatSoftmaxBackwardKernel, p,
    [g.rowPtr.buffer, g.byTarget.buffer, g.src.buffer, s.aSrc.buffer, s.aDst.buffer, s.alpha.buffer, scratch.dAlpha.buffer, scratch.dScore.buffer],
    grid1d(v * d.heads, 64), { flops: 6 * e * d.heads, bytesRead: 4 * (v + 1 + 2 * e + 4 * e * d.heads), bytesWritten: 4 * e * d.heads });
  await rt.dispatch(gatScoreGradKernel, p,
    [g.rowPtr.buffer, g.byTarget.buffer, g.colPtr.buffer, g.bySource.buffer, scratch.dScore.buffer, scratch.dASrc.buffer, scratch.dADst.buffer],
    grid1d(v * d.heads, 64), { flops: 2 * e * d.heads, bytesRead: 4 * (2 * v + 2 * e + 2 * e * d.heads), bytesWritten: 8 * v * d.heads });
  await rt.dispatch(gatFeatureGradKernel, p, [scratch.dASrc.buffer, scratch.dADst.buffer, s.attSrc.buffer, s.attDst.buffer, dH.buffer], grid1d(v * hc, 64), {
    flops: 4 * v * hc, bytesRead: 4 * (2 * v * hc + 2 * hc), bytesWritten: 4 * v * hc,
  });
  await rt.dispatch(gatAttGradKernel, p, [scratch.dASrc.buffer, scratch.dADst.buffer, s.h.buffer, dAttSrc.buffer, dAttDst.buffer], grid1d(2 * hc, 1), {
    flops: 4 * v * hc, bytesRead: 4 * (2 * v * hc), bytesWritten: 8 * hc,
  });
}
