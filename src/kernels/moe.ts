import code from '../../shaders/moe.wgsl?raw';
import { InputError } from '../analysis/errors.ts';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { MoeParams } from './schemas.ts';

/** Sizes of one MoE layer's routing: T tokens of `features` values, E experts, top_k chosen per token. */
export interface MoeShape {
  tokens: number;
  experts: number;
  topK: number;
  features: number;
}

/** expert_stats runs one workgroup of this many invocations, one per expert. */
export const MOE_MAX_EXPERTS = 64;

const kernel = (entryPoint: string, bindings: KernelDef['bindings']): KernelDef<typeof MoeParams> => ({
  name: `moe_${entryPoint}`, code, entryPoint, params: MoeParams, bindings,
});
const routerForwardKernel = kernel('router_forward', ['read', 'read_write', 'read_write', 'read_write', 'read_write']);
const expertStatsKernel = kernel('expert_stats', ['read', 'read', 'read_write', 'read_write']);
const routerBackwardKernel = kernel('router_backward', ['read', 'read', 'read', 'read', 'read', 'read_write']);
const gatherRowsKernel = kernel('gather_rows', ['read', 'read', 'read_write']);
const combineRowsKernel = kernel('combine_rows', ['read', 'read', 'read', 'read_write']);
const combineRowsBackwardKernel = kernel('combine_rows_backward', ['read', 'read', 'read', 'read_write']);
const gateGradRowsKernel = kernel('gate_grad_rows', ['read', 'read', 'read', 'read_write']);
const scatterAddRowsKernel = kernel('scatter_add_rows', ['read', 'read', 'read_write']);

const params = (s: MoeShape, auxCoef = 0) => ({ tokens: s.tokens, experts: s.experts, topK: s.topK, features: s.features, auxCoef, rows: 0, expert: 0 });

/** Rejects routings the kernels cannot run (more experts than expert_stats' workgroup, top_k outside 1..E). */
export function checkMoeShape(s: MoeShape): void {
  if (s.experts > MOE_MAX_EXPERTS) throw new InputError(`moe: the GPU router handles at most ${MOE_MAX_EXPERTS} experts, got ${s.experts}`);
  if (s.topK < 1 || s.topK > s.experts) throw new InputError(`moe: top_k must be in 1..${s.experts} (num_experts), got ${s.topK}`);
}

/**
 * From router logits [T, E]: probs [T, E] (softmax), indices [T, top_k] (int32, by descending
 * probability), gates [T, top_k] (renormalized to sum to 1) and dense [T, E] (each expert's gate, 0 if not chosen).
 */
export async function moeRouterForward(rt: GpuRuntime, s: MoeShape, logits: GpuTensor, probs: GpuTensor, indices: GpuTensor, gates: GpuTensor, dense: GpuTensor): Promise<void> {
  const n = s.tokens * s.experts;
  await rt.dispatch(routerForwardKernel, params(s), [logits.buffer, probs.buffer, indices.buffer, gates.buffer, dense.buffer], grid1d(s.tokens, 64), {
    flops: n * (4 + s.topK) + 2 * s.tokens * s.topK, bytesRead: 4 * n * (3 + s.topK), bytesWritten: 4 * (3 * n + 2 * s.tokens * s.topK),
  });
}

/** counts [E]: how many of the T·top_k choices picked each expert; aux [1]: Mixtral's load-balancing loss. */
export async function moeExpertStats(rt: GpuRuntime, s: MoeShape, probs: GpuTensor, indices: GpuTensor, counts: GpuTensor, aux: GpuTensor): Promise<void> {
  await rt.dispatch(expertStatsKernel, params(s), [probs.buffer, indices.buffer, counts.buffer, aux.buffer], [1, 1, 1], {
    flops: s.tokens * s.experts + 3 * s.experts, bytesRead: 4 * s.tokens * (s.experts + s.topK * s.experts), bytesWritten: 4 * (s.experts + 1),
  });
}

/** dL/dlogits [T, E] from dL/ddense [T, E] and `auxCoef` × the load-balancing loss. */
export async function moeRouterBackward(
  rt: GpuRuntime, s: MoeShape, auxCoef: number, probs: GpuTensor, indices: GpuTensor, gates: GpuTensor, gradDense: GpuTensor, counts: GpuTensor, gradLogits: GpuTensor,
): Promise<void> {
  const n = s.tokens * s.experts;
  await rt.dispatch(routerBackwardKernel, params(s, auxCoef), [probs.buffer, indices.buffer, gates.buffer, gradDense.buffer, counts.buffer, gradLogits.buffer], grid1d(s.tokens, 64), {
    flops: n * 6 + 3 * s.tokens * s.topK, bytesRead: 4 * (3 * n + s.experts + 2 * s.tokens * s.topK), bytesWritten: 4 * n,
  });
}

/** One expert's share of a routing: its `rows` routed tokens, route[r] = t·top_k + j (int32 [rows]). */
export interface ExpertRoute {
  expert: number;
  rows: number;
  route: GpuTensor;
}

const rowParams = (s: MoeShape, r: ExpertRoute) => ({ ...params(s), rows: r.rows, expert: r.expert });

/** xe [rows, C]: the routed tokens' rows of x [T, C]. */
export async function moeGatherRows(rt: GpuRuntime, s: MoeShape, r: ExpertRoute, x: GpuTensor, xe: GpuTensor): Promise<void> {
  const n = r.rows * s.features;
  await rt.dispatch(gatherRowsKernel, rowParams(s, r), [r.route.buffer, x.buffer, xe.buffer], grid1d(n, 64), { flops: 0, bytesRead: 4 * (n + r.rows), bytesWritten: 4 * n });
}

/** y[t] += gate · out[r] for each routed row (y [T, C], out [rows, C]). */
export async function moeCombineRows(rt: GpuRuntime, s: MoeShape, r: ExpertRoute, gates: GpuTensor, out: GpuTensor, y: GpuTensor): Promise<void> {
  const n = r.rows * s.features;
  await rt.dispatch(combineRowsKernel, rowParams(s, r), [r.route.buffer, gates.buffer, out.buffer, y.buffer], grid1d(n, 64), { flops: 2 * n, bytesRead: 4 * (3 * n + 2 * r.rows), bytesWritten: 4 * n });
}

/** dL/dout [rows, C] = gate · dy[t], and dL/ddense[t, expert] = Σ_c dy[t, c] · out[r, c]. */
export async function moeCombineRowsBackward(rt: GpuRuntime, s: MoeShape, r: ExpertRoute, gates: GpuTensor, out: GpuTensor, dy: GpuTensor, gradOut: GpuTensor, gradDense: GpuTensor): Promise<void> {
  const n = r.rows * s.features;
  await rt.dispatch(combineRowsBackwardKernel, rowParams(s, r), [r.route.buffer, gates.buffer, dy.buffer, gradOut.buffer], grid1d(n, 64), { flops: n, bytesRead: 4 * (n + 2 * r.rows), bytesWritten: 4 * n });
  await rt.dispatch(gateGradRowsKernel, rowParams(s, r), [r.route.buffer, dy.buffer, out.buffer, gradDense.buffer], grid1d(r.rows, 64), { flops: 2 * n, bytesRead: 4 * (2 * n + r.rows), bytesWritten: 4 * r.rows });
}

/** acc[t] += rows[r] for each routed row (an expert's input gradient into dL/dx). */
export async function moeScatterAddRows(rt: GpuRuntime, s: MoeShape, r: ExpertRoute, rows: GpuTensor, acc: GpuTensor): Promise<void> {
  const n = r.rows * s.features;
  await rt.dispatch(scatterAddRowsKernel, rowParams(s, r), [r.route.buffer, rows.buffer, acc.buffer], grid1d(n, 64), { flops: n, bytesRead: 4 * (3 * n + r.rows), bytesWritten: 4 * n });
}
