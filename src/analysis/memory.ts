import type { LayerNode, ModelGraph, StorageKind } from './graph.ts';
import { DTYPE_BYTES, DTYPES, type DType, type OptimizerName } from './model_spec.ts';
import { numel } from './tensor.ts';

/**
 * Training-memory plan: what one training step holds at its peak, in bytes.
 *
 * peak = parameters + buffers + gradients + optimizer state + max over the backward pass of
 *        (saved activations still needed + that layer's working set)
 *
 * - parameters and buffers (running statistics) in the chosen dtype;
 * - gradients: one per trainable parameter;
 * - optimizer state per trainable parameter: SGD none, SGD with momentum one buffer, Adam two
 *   (exp_avg, exp_avg_sq); kept in the same dtype (mixed-precision master weights are not modelled);
 * - saved activations: every tensor autograd keeps for backward, each storage counted once,
 *   all alive when backward starts (float tensors in the dtype, int64 indices 8 bytes, bool masks 1);
 *   backward runs the layers in reverse, and a saved tensor is freed once the earliest layer that
 *   saved it has run its backward;
 * - working set: a layer's gradients of its output and inputs during its backward (the same
 *   sizes as its output and inputs in forward) plus its scratch (attention scores). The peak is
 *   taken at the layer where still-saved tensors plus its working set are largest — not the
 *   largest working set on top of every saved tensor, which overstates an early layer's peak.
 * int8 is reported for comparison; PyTorch does not train in int8.
 */
export interface MemoryPlan {
  dtype: DType;
  optimizer: OptimizerName;
  parameter_bytes: number;
  buffer_bytes: number;
  gradient_bytes: number;
  optimizer_state_bytes: number;
  saved_activation_bytes: number;
  largest_transient_bytes: number;
  largest_transient_layer: string | null;
  /** Saved activations still alive plus the working set, at the layer where that is largest. */
  backward_peak_bytes: number;
  backward_peak_layer: string | null;
  peak_bytes: number;
  /** Forward only, no autograd: parameters + buffers + the largest layer's inputs + output + scratch. */
  inference_peak_bytes: number;
}

/** Optimizer state values per trainable parameter. */
export const OPTIMIZER_STATE_PER_PARAM: Record<OptimizerName, number> = { sgd: 0, momentum: 1, adam: 2 };

/** Bytes per element of a storage kind under a dtype. */
export function elementBytes(kind: StorageKind, dtype: DType): number {
  return kind === 'float' ? DTYPE_BYTES[dtype] : kind === 'int64' ? 8 : 1;
}

/** Bytes of a layer's inputs, output (0 for a view) and scratch: its working set. */
export function workingSetBytes(g: ModelGraph, node: LayerNode, dtype: DType): number {
  if (node.container || node.view) return 0;
  const inputBytes = node.inputShapes.reduce((s, shape, i) => s + numel(shape) * elementBytes(node.inputKinds[i] === 'int' ? 'int64' : 'float', dtype), 0);
  const outBytes = numel(node.outputShape) * elementBytes(g.storages[node.outputStorage].kind, dtype);
  return inputBytes + outBytes + node.workspace * DTYPE_BYTES[dtype];
}

/** Bytes of every storage saved for backward, each counted once. */
export function savedActivationBytes(g: ModelGraph, dtype: DType): number {
  const ids = new Set<number>();
  for (const l of g.layers) for (const s of l.saved) ids.add(s.storage);
  let bytes = 0;
  for (const id of ids) bytes += g.storages[id].elements * elementBytes(g.storages[id].kind, dtype);
  return bytes;
}

/**
 * The largest (saved activations still alive + working set) over backward, walking the layers
 * in reverse; a saved storage is alive until the first layer that saved it has run backward.
 */
export function backwardPeak(g: ModelGraph, dtype: DType): { bytes: number; layer: string | null } {
  const firstSaver = new Map<number, number>();
  g.layers.forEach((l, index) => {
    for (const s of l.saved) if (!firstSaver.has(s.storage)) firstSaver.set(s.storage, index);
  });
  const freedAt = new Array<number>(g.layers.length).fill(0);
  let alive = 0;
  for (const [id, index] of firstSaver) {
    const bytes = g.storages[id].elements * elementBytes(g.storages[id].kind, dtype);
    alive += bytes;
    freedAt[index] += bytes;
  }
  let best = { bytes: alive, layer: null as string | null };
  for (let index = g.layers.length - 1; index >= 0; index--) {
    const l = g.layers[index];
    const total = alive + workingSetBytes(g, l, dtype);
    if (total > best.bytes) best = { bytes: total, layer: l.name };
    alive -= freedAt[index];
  }
  return best;
}

/** The training-memory plan for one dtype and optimizer. */
export function memoryPlan(g: ModelGraph, dtype: DType, optimizer: OptimizerName): MemoryPlan {
  const b = DTYPE_BYTES[dtype];
  let params = 0;
  let trainable = 0;
  let buffers = 0;
  let largest = 0;
  let largestLayer: string | null = null;
  for (const l of g.layers) {
    params += l.paramCount;
    if (l.trainable) trainable += l.paramCount;
    buffers += l.bufferCount;
    const ws = workingSetBytes(g, l, dtype);
    if (ws > largest) {
      largest = ws;
      largestLayer = l.name;
    }
  }
  const saved = savedActivationBytes(g, dtype);
  const plan = {
    dtype, optimizer,
    parameter_bytes: params * b,
    buffer_bytes: buffers * b,
    gradient_bytes: trainable * b,
    optimizer_state_bytes: trainable * b * OPTIMIZER_STATE_PER_PARAM[optimizer],
    saved_activation_bytes: saved,
    largest_transient_bytes: largest,
    largest_transient_layer: largestLayer,
    backward_peak_bytes: 0,
    backward_peak_layer: null as string | null,
    peak_bytes: 0,
    inference_peak_bytes: params * b + buffers * b + largest,
  };
  const peak = backwardPeak(g, dtype);
  plan.backward_peak_bytes = peak.bytes;
  plan.backward_peak_layer = peak.layer;
  plan.peak_bytes = plan.parameter_bytes + plan.buffer_bytes + plan.gradient_bytes + plan.optimizer_state_bytes + peak.bytes;
  return plan;
}

/** The plan for every dtype (fp32, fp16, bf16, int8). */
export function memoryPlans(g: ModelGraph, optimizer: OptimizerName): MemoryPlan[] {
  return DTYPES.map((d) => memoryPlan(g, d, optimizer));
}
