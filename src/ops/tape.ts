/**
 * The autodiff tape of one executor step as a DAG: the forward ops in the order the executor ran
 * them and what each reads (from the traced run, `step({ keep: 'all' })`), the tensors each op
 * saves for its backward with their bytes (the analysis' saved list, which the executor itself
 * holds buffers by), the order backward visits the ops, and the tensors read by several ops, whose
 * gradients are summed as each reader's backward adds its part. Browser-safe (no Node imports).
 */
import type { ModelGraph, StorageKind } from '../analysis/graph.ts';
import type { TraceLayer } from './tracer.ts';

/** A tensor an op keeps for backward: what the op calls it, which tensor it is, its bytes. */
export interface TapeSaved {
  name: string;
  /** The tensor saved: the model `input`, a layer's output (by layer name) or an op's own intermediate (`layer: what`). */
  tensor: string;
  bytes: number;
}

/** One forward op of the tape. */
export interface TapeNode {
  /** The layer's dotted path (PyTorch's named_modules). */
  id: string;
  /** The layer type (`Residual` is the block's sum). */
  op: string;
  /** The tensors it reads, by producer (`input`: the model input). */
  inputs: string[];
  output_shape: number[];
  saved: TapeSaved[];
  /** Whether the loss depends on the output, so backward runs through the op. */
  has_grad: boolean;
}

/** A tensor read by several ops: its gradient is the sum of what each reader's backward returns. */
export interface FanOutSum {
  tensor: string;
  /** The readers in the order backward reaches them; the sum is complete after the last one. */
  consumers: string[];
}

/** What `nnx tape --json` prints. */
export interface Tape {
  model: string;
  nodes: TapeNode[];
  /** Op ids in the order their backward runs. */
  backward_order: string[];
  fan_out_sums: FanOutSum[];
  /** Bytes of every distinct saved tensor (a tensor two ops save counts once). */
  saved_bytes: number;
}

const BYTES: Record<StorageKind, number> = { float: 4, int64: 8, bool: 1 };

/** Builds the tape from a traced step's layers (forward order) and the analysis graph of the same spec and batch. */
export function buildTape(layers: Pick<TraceLayer, 'name' | 'type' | 'inputs' | 'output' | 'grad_output'>[], graph: ModelGraph): Tape {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const nodes: TapeNode[] = layers.map((l) => {
    const analysed = byName.get(l.name);
    const saved = (analysed?.saved ?? []).map((s) => ({ name: s.what, tensor: graph.storages[s.storage].origin, bytes: s.elements * BYTES[s.kind] }));
    return { id: l.name, op: l.type, inputs: [...l.inputs], output_shape: [...l.output.shape], saved, has_grad: l.grad_output !== null };
  });
  const backward = [...nodes].reverse().filter((n) => n.has_grad).map((n) => n.id);
  const readers = new Map<string, string[]>();
  for (const n of nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n.id]);
  const rank = new Map(backward.map((id, k) => [id, k]));
  // The model input needs no gradient, so nothing is summed for it.
  const fanOut = [...readers.entries()]
    .filter(([tensor, r]) => tensor !== 'input' && r.length > 1)
    .map(([tensor, r]) => ({ tensor, consumers: [...r].sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity)) }));
  const distinct = new Map<string, number>();
  for (const n of nodes) for (const s of n.saved) distinct.set(s.tensor, s.bytes);
  return { model: graph.name, nodes, backward_order: backward, fan_out_sums: fanOut, saved_bytes: [...distinct.values()].reduce((a, b) => a + b, 0) };
}

/**
 * Bytes of saved tensors still held after the first `done` ops of `backward_order` ran their
 * backward: a saved tensor is freed once every op that saves it has been visited (ops the loss does
 * not reach are visited, and free theirs, where they sit in reverse forward order).
 */
export function savedBytesHeld(tape: Tape, done: number): number {
  const reverse = [...tape.nodes].reverse();
  const through = done <= 0 ? -1 : reverse.findIndex((n) => n.id === tape.backward_order[Math.min(done, tape.backward_order.length) - 1]);
  const visited = new Set(done >= tape.backward_order.length ? reverse.map((n) => n.id) : reverse.slice(0, through + 1).map((n) => n.id));
  const held = new Map<string, number>();
  for (const n of tape.nodes) for (const s of n.saved) if (!visited.has(n.id)) held.set(s.tensor, s.bytes);
  return [...held.values()].reduce((a, b) => a + b, 0);
}
