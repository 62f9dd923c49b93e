import { InputError } from './errors.ts';
import { formatBytes, formatCount, renderTable } from './format.ts';
import type { LayerNode, ModelGraph } from './graph.ts';
import { elementBytes, OPTIMIZER_STATE_PER_PARAM } from './memory.ts';
import type { DType, OptimizerName } from './model_spec.ts';
import { numel } from './tensor.ts';

/**
 * The parallelism planner: how a model's training memory and traffic split over GPUs under data
 * parallelism (plain or ZeRO stage 1/2/3), tensor parallelism and pipeline parallelism.
 *
 * Model states per GPU follow the ZeRO paper (Rajbhandari et al., 2020, §3 and §5): with Ψ
 * parameters per model-parallel shard and mixed-precision Adam, fp16 parameters (2Ψ) and
 * gradients (2Ψ) and an fp32 master copy, momentum and variance (KΨ, K = 12); ZeRO-1 partitions
 * the optimizer state over the N_d data-parallel ranks, ZeRO-2 the gradients too, ZeRO-3 the
 * parameters too. Communication uses ring collectives: an all-reduce of M bytes moves
 * 2(N−1)/N·M per GPU, a reduce-scatter or all-gather (N−1)/N·M.
 */

/** Training precision: `mixed` (fp16 parameters, gradients, activations; fp32 master copy) or `fp32`. */
export type Precision = 'mixed' | 'fp32';
/** How the data-parallel dimension holds model states. */
export type DataParallelMode = 'dp' | 'zero1' | 'zero2' | 'zero3';

/** A parsed strategy: the data-parallel mode and the model-parallel degrees. */
export interface Strategy {
  mode: DataParallelMode;
  tp: number;
  pp: number;
}

/** What the planner needs besides the strategy. */
export interface ParallelOptions {
  strategy: Strategy;
  gpus: number;
  precision: Precision;
  optimizer: OptimizerName;
  checkpointing: boolean;
}

/** One collective a training step runs. */
export interface Collective {
  collective: 'all-reduce' | 'reduce-scatter' | 'all-gather' | 'send/recv';
  /** What it moves. */
  what: string;
  /** The GPUs taking part: the data-, tensor- or pipeline-parallel group. */
  group: 'data' | 'tensor' | 'pipeline';
  group_size: number;
  /** How many times a step runs it. */
  count: number;
  /** Size of the tensor each call reduces or gathers (bytes). */
  message_bytes: number;
  /** Bytes each GPU sends over the whole step for this collective. */
  bytes_per_gpu: number;
}

/** The plan, as `nnx summary --parallel … --json` prints it under `parallel`. */
export interface ParallelPlan {
  strategy: string;
  gpus: number;
  precision: Precision;
  optimizer: OptimizerName;
  checkpointing: boolean;
  degrees: { data: number; tensor: number; pipeline: number };
  zero_stage: 0 | 1 | 2 | 3;
  params: number;
  bytes_per_param: { params: number; grads: number; optimizer: number };
  per_gpu: {
    params_bytes: number;
    grads_bytes: number;
    optimizer_bytes: number;
    model_states_bytes: number;
    activation_bytes: number;
    total_bytes: number;
  };
  communication_bytes_per_step: number;
  collectives: Collective[];
  notes: string[];
}

const MODES: readonly DataParallelMode[] = ['dp', 'zero1', 'zero2', 'zero3'];

/** Parses `dp|zero1|zero2|zero3|tp:N|pp:N[,…]` (at most one data-parallel mode; default dp). */
export function parseStrategy(text: string): Strategy {
  const s: Strategy = { mode: 'dp', tp: 1, pp: 1 };
  const seen = new Set<string>();
  for (const part of text.split(',').map((p) => p.trim().toLowerCase())) {
    const m = /^(tp|pp):(\d+)$/.exec(part);
    const key = m ? m[1] : MODES.includes(part as DataParallelMode) ? 'mode' : null;
    if (!key) throw new InputError(`--parallel: unknown strategy "${part}" (use dp, zero1, zero2, zero3, tp:N, pp:N, comma-separated, e.g. zero1,tp:8)`);
    if (seen.has(key)) throw new InputError(`--parallel: "${text}" gives ${key === 'mode' ? 'more than one of dp, zero1, zero2, zero3' : `${key} twice`}`);
    seen.add(key);
    if (m) {
      const n = Number(m[2]);
      if (n < 1) throw new InputError(`--parallel: ${m[1]}:${m[2]} needs a degree >= 1`);
      s[m[1] as 'tp' | 'pp'] = n;
    } else s.mode = part as DataParallelMode;
  }
  return s;
}

/**
 * Bytes per parameter of parameters, gradients and optimizer state: fp32 state of 4 bytes per
 * slot (Adam: momentum and variance; momentum SGD: one buffer), plus the fp32 master copy in
 * mixed precision (the ZeRO paper's 2 + 2 + 12 for mixed Adam).
 */
export function bytesPerParam(precision: Precision, optimizer: OptimizerName): { params: number; grads: number; optimizer: number } {
  const state = 4 * OPTIMIZER_STATE_PER_PARAM[optimizer];
  if (precision === 'mixed') return { params: 2, grads: 2, optimizer: 4 + state };
  return { params: 4, grads: 4, optimizer: state };
}

/** Bytes a ring all-reduce of `bytes` sends per GPU in a group of n. */
const allReduceBytes = (bytes: number, n: number): number => (2 * (n - 1) / n) * bytes;
/** Bytes a ring reduce-scatter or all-gather of `bytes` (the whole tensor) sends per GPU. */
const scatterGatherBytes = (bytes: number, n: number): number => ((n - 1) / n) * bytes;

/**
 * The repeated blocks of a model (transformer layers, residual stages): the children of the
 * container that holds the most containers. Each is a checkpoint segment, a tensor-parallel
 * block and the unit a pipeline stage holds. Row index ranges [start, end).
 */
export function modelBlocks(g: ModelGraph): { start: number; end: number }[] {
  const childContainers = new Map<number, number[]>();
  g.layers.forEach((l, i) => {
    if (l.container && l.parent !== null) childContainers.set(l.parent, [...(childContainers.get(l.parent) ?? []), i]);
  });
  let best: number[] = [];
  for (const kids of childContainers.values()) if (kids.length > best.length) best = kids;
  if (best.length < 2) return [];
  return best.map((start) => {
    let end = start + 1;
    while (end < g.layers.length && g.layers[end].depth > g.layers[start].depth) end++;
    return { start, end };
  });
}

function storageBytes(g: ModelGraph, ids: Iterable<number>, dtype: DType): number {
  let bytes = 0;
  for (const id of ids) bytes += g.storages[id].elements * elementBytes(g.storages[id].kind, dtype);
  return bytes;
}

function savedIds(rows: LayerNode[]): Set<number> {
  const ids = new Set<number>();
  for (const l of rows) for (const s of l.saved) ids.add(s.storage);
  return ids;
}

/**
 * Activation bytes one micro-batch keeps for backward. With checkpointing, each block keeps
 * only its input; one block's saved tensors exist again while it is recomputed in backward.
 */
export function activationBytes(g: ModelGraph, dtype: DType, checkpointing: boolean): number {
  const blocks = checkpointing ? modelBlocks(g) : [];
  if (blocks.length === 0) return storageBytes(g, savedIds(g.layers), dtype);
  const inBlock = new Set<number>();
  for (const b of blocks) for (let i = b.start; i < b.end; i++) inBlock.add(i);
  const kept = savedIds(g.layers.filter((_, i) => !inBlock.has(i)));
  const first = g.layers[blocks[0].start];
  let boundaries = numel(first.inputShapes[0]) * elementBytes('float', dtype);
  for (const b of blocks) {
    const out = g.layers[b.start].outputStorage;
    if (!kept.has(out)) boundaries += storageBytes(g, [out], dtype);
  }
  const recompute = Math.max(...blocks.map((b) => storageBytes(g, savedIds(g.layers.slice(b.start, b.end)), dtype)));
  return storageBytes(g, kept, dtype) + boundaries + recompute;
}

/**
 * Plans training of a model with `params` parameters (and its graph, for activations and the
 * tensor/pipeline traffic; without one those are left at 0 and the notes say so).
 * The graph's input batch is one micro-batch per data-parallel rank; a pipeline runs as many
 * micro-batches per step as it has stages (1F1B), so its first stage holds that many in flight.
 */
export function planParallel(params: number, graph: ModelGraph | null, opts: ParallelOptions): ParallelPlan {
  const { strategy: s, gpus, precision, optimizer, checkpointing } = opts;
  if (!Number.isInteger(gpus) || gpus < 1) throw new InputError(`--gpus must be a positive integer, got ${gpus}`);
  if (gpus % (s.tp * s.pp) !== 0) {
    throw new InputError(`--gpus ${gpus} is not divisible by tp ${s.tp} × pp ${s.pp} = ${s.tp * s.pp} (data-parallel degree = gpus / (tp·pp))`);
  }
  const dp = gpus / (s.tp * s.pp);
  const stage = ({ dp: 0, zero1: 1, zero2: 2, zero3: 3 } as const)[s.mode];
  const bpp = bytesPerParam(precision, optimizer);
  const shard = params / (s.tp * s.pp);
  const paramsBytes = (bpp.params * shard) / (stage >= 3 ? dp : 1);
  const gradsBytes = (bpp.grads * shard) / (stage >= 2 ? dp : 1);
  const optimizerBytes = (bpp.optimizer * shard) / (stage >= 1 ? dp : 1);
  const modelStates = paramsBytes + gradsBytes + optimizerBytes;
  const actDtype: DType = precision === 'mixed' ? 'fp16' : 'fp32';
  const notes: string[] = [];
  const collectives: Collective[] = [];
  const blocks = graph ? modelBlocks(graph) : [];

  // Data-parallel traffic: gradients (and, under ZeRO-3, parameters) of this GPU's model shard.
  if (dp > 1) {
    const grads = bpp.grads * shard;
    const weights = bpp.params * shard;
    if (stage === 0) {
      collectives.push({ collective: 'all-reduce', what: 'gradients', group: 'data', group_size: dp, count: 1, message_bytes: grads, bytes_per_gpu: allReduceBytes(grads, dp) });
    } else {
      collectives.push({ collective: 'reduce-scatter', what: 'gradients', group: 'data', group_size: dp, count: 1, message_bytes: grads, bytes_per_gpu: scatterGatherBytes(grads, dp) });
      const gathers = stage === 3 ? 2 : 1;
      collectives.push({
        collective: 'all-gather', what: stage === 3 ? 'parameters, before forward and again before backward' : 'updated parameters',
        group: 'data', group_size: dp, count: gathers, message_bytes: weights, bytes_per_gpu: gathers * scatterGatherBytes(weights, dp),
      });
    }
  }

  let activation = 0;
  if (graph) {
    // Tensor parallelism with sequence parallelism splits every activation t ways (Korthikanti et al., 2022).
    activation = activationBytes(graph, actDtype, checkpointing) / s.tp;
    if (s.pp > 1) notes.push(`pipeline: the first stage holds ${s.pp} micro-batches of its 1/${s.pp} of the layers in flight (1F1B), i.e. one micro-batch's activations`);
    const boundary = blocks.length ? numel(graph.layers[blocks[0].start].outputShape) * elementBytes('float', actDtype) : 0;
    if (s.tp > 1) {
      if (blocks.length) {
        const perStage = Math.ceil(blocks.length / s.pp);
        const count = 4 * perStage * s.pp;
        collectives.push({
          collective: 'all-reduce', what: 'block outputs (2 in forward, 2 in backward per block of the stage and micro-batch, Megatron-style)', group: 'tensor', group_size: s.tp,
          count, message_bytes: boundary, bytes_per_gpu: count * allReduceBytes(boundary, s.tp),
        });
      } else notes.push('tensor parallel: the model has no repeated blocks, so its all-reduces are not counted');
    }
    if (s.pp > 1) {
      if (blocks.length) {
        if (blocks.length < s.pp) throw new InputError(`pp ${s.pp} is more stages than the model's ${blocks.length} blocks`);
        collectives.push({
          collective: 'send/recv', what: 'stage boundary activations forward and their gradients backward, per micro-batch', group: 'pipeline', group_size: s.pp,
          count: 2 * s.pp, message_bytes: boundary / s.tp, bytes_per_gpu: 2 * s.pp * (boundary / s.tp),
        });
      } else notes.push('pipeline parallel: the model has no repeated blocks to split into stages, so its sends are not counted');
    }
    if (checkpointing && blocks.length === 0) notes.push('activation checkpointing: the model has no repeated blocks to checkpoint, so nothing is dropped');
  } else {
    notes.push('no model graph (--params): activations and tensor/pipeline traffic are not counted');
  }
  if (s.tp * s.pp > 1) notes.push(`model states: the ${formatCount(params)} parameters split evenly over tp × pp = ${s.tp * s.pp} GPUs`);

  const strategyName = [s.mode, ...(s.tp > 1 ? [`tp:${s.tp}`] : []), ...(s.pp > 1 ? [`pp:${s.pp}`] : [])].join(',');
  return {
    strategy: strategyName, gpus, precision, optimizer, checkpointing,
    degrees: { data: dp, tensor: s.tp, pipeline: s.pp },
    zero_stage: stage, params, bytes_per_param: bpp,
    per_gpu: {
      params_bytes: paramsBytes, grads_bytes: gradsBytes, optimizer_bytes: optimizerBytes,
      model_states_bytes: modelStates, activation_bytes: activation, total_bytes: modelStates + activation,
    },
    communication_bytes_per_step: collectives.reduce((sum, c) => sum + c.bytes_per_gpu, 0),
    collectives, notes,
  };
}

/**
 * The smallest GPU count (a multiple of tp·pp, up to `maxGpus`) at which the plan's per-GPU
 * total fits `gpuBytes`, or null when none does. Per-GPU memory never grows with more
 * data-parallel ranks, so a binary search over the multiples finds it.
 */
export function smallestFit(params: number, graph: ModelGraph | null, opts: Omit<ParallelOptions, 'gpus'>, gpuBytes: number, maxGpus = 4096): ParallelPlan | null {
  const step = opts.strategy.tp * opts.strategy.pp;
  const plan = (k: number): ParallelPlan => planParallel(params, graph, { ...opts, gpus: k * step });
  let hi = Math.floor(maxGpus / step);
  if (hi < 1) return null;
  let best = plan(hi);
  if (best.per_gpu.total_bytes > gpuBytes) return null;
  let lo = 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const p = plan(mid);
    if (p.per_gpu.total_bytes <= gpuBytes) {
      best = p;
      hi = mid;
    } else lo = mid + 1;
  }
  return best.gpus === lo * step ? best : plan(lo);
}

/** The plan as text: per-GPU memory, then each collective. */
export function formatParallelPlan(p: ParallelPlan): string {
  const g = p.per_gpu;
  const lines = [
    `Parallel plan: ${p.strategy} on ${p.gpus} GPUs (data ${p.degrees.data} × tensor ${p.degrees.tensor} × pipeline ${p.degrees.pipeline}), ${p.precision} precision, ${p.optimizer}${p.checkpointing ? ', activation checkpointing' : ''}`,
    `  ${formatCount(p.params)} parameters; bytes per parameter: ${p.bytes_per_param.params} + ${p.bytes_per_param.grads} + ${p.bytes_per_param.optimizer} (params + grads + optimizer)`,
    `Per GPU (GB = 10^9 bytes):`,
    ...renderTable([
      ['params', 'grads', 'optimizer', 'model states', 'activations', 'total'],
      [g.params_bytes, g.grads_bytes, g.optimizer_bytes, g.model_states_bytes, g.activation_bytes, g.total_bytes].map((b) => `${(b / 1e9).toFixed(3)} GB`),
    ], ['r', 'r', 'r', 'r', 'r', 'r']).map((l) => `  ${l}`),
    `Communication per step and GPU: ${formatBytes(p.communication_bytes_per_step)}`,
    ...p.collectives.map((c) => `  ${c.collective} × ${c.count} over the ${c.group} group of ${c.group_size}: ${c.what}; ${formatBytes(c.bytes_per_gpu)}`),
    ...p.notes.map((n) => `  note: ${n}`),
  ];
  return lines.join('\n');
}
