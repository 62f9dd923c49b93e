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
const combineForwardKernel = kernel('combine_forward', ['read', 'read', 'read_write']);
const combineBackwardOutputsKernel = kernel('combine_backward_outputs', ['read', 'read', 'read_write']);
const combineBackwardGatesKernel = kernel('combine_backward_gates', ['read', 'read', 'read_write']);

const params = (s: MoeShape, auxCoef = 0) => ({ tokens: s.tokens, experts: s.experts, topK: s.topK, features: s.features, auxCoef });

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

/** y [T, C] = Σ_e dense[:, e] · outputs[e] (outputs [E, T, C], every expert's output for every token). */
export async function moeCombineForward(rt: GpuRuntime, s: MoeShape, dense: GpuTensor, outputs: GpuTensor, y: GpuTensor): Promise<void> {
  const tc = s.tokens * s.features;
  await rt.dispatch(combineForwardKernel, params(s), [dense.buffer, outputs.buffer, y.buffer], grid1d(tc, 64), {
    flops: 2 * s.topK * tc, bytesRead: 4 * (s.experts * tc + s.tokens * s.experts), bytesWritten: 4 * tc,
  });
}

/** dL/doutputs [E, T, C] = dense · dy, and dL/ddense [T, E] = Σ_c dy · outputs. */
export async function moeCombineBackward(rt: GpuRuntime, s: MoeShape, dense: GpuTensor, outputs: GpuTensor, dy: GpuTensor, gradOutputs: GpuTensor, gradDense: GpuTensor): Promise<void> {
  const tc = s.tokens * s.features;
  await rt.dispatch(combineBackwardOutputsKernel, params(s), [dense.buffer, dy.buffer, gradOutputs.buffer], grid1d(s.experts * tc, 64), {
    flops: s.experts * tc, bytesRead: 4 * (s.experts * tc + tc), bytesWritten: 4 * s.experts * tc,
  });
  await rt.dispatch(combineBackwardGatesKernel, params(s), [dy.buffer, outputs.buffer, gradDense.buffer], grid1d(s.tokens * s.experts, 64), {
    flops: 2 * s.experts * tc, bytesRead: 4 * (s.experts * tc + s.experts * tc), bytesWritten: 4 * s.tokens * s.experts,
  });
}
