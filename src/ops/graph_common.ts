/** Shared checks of the graph ops (gcn, gat, sage): attributes, node features, edge_index. */
import { InputError } from '../analysis/errors.ts';
import { buildMessages, checkEdgeIndex, type MessageGraph } from '../analysis/graph_csr.ts';
import { formatShape } from '../analysis/tensor.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import type { HostTensor } from './op.ts';

export function boolAttr(op: string, attrs: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const v = attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new InputError(`${op}: ${name} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function intAttr(op: string, attrs: Record<string, unknown>, name: string, fallback: number, min: number): number {
  const v = attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InputError(`${op}: ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export function numberAttr(op: string, attrs: Record<string, unknown>, name: string, fallback: number): number {
  const v = attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${op}: ${name} must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

/** x must be [V, F] with V >= 1; returns [V, F]. */
export function nodeFeatures(op: string, x: HostTensor): [number, number] {
  if (x.shape.length !== 2) throw new InputError(`${op}: x must be node features [num_nodes, in_channels], got shape ${formatShape(x.shape)}`);
  if (x.shape[0] < 1) throw new InputError(`${op}: x has no nodes (shape ${formatShape(x.shape)})`);
  return [x.shape[0], x.shape[1]];
}

/** FNV-1a over the values: a cheap fingerprint of an edge list (a few ms for 10⁶ edges; building the CSR takes ~100×). */
function fingerprint(values: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < values.length; i++) h = Math.imul(h ^ values[i], 0x01000193);
  return h >>> 0;
}

/**
 * The messages built from an edge list, per array: a training loop runs every graph layer on the
 * same edge_index at every step, and sorting 10⁶ edges on the CPU costs more than the GPU epoch.
 * The fingerprint catches an array edited in place.
 */
const messageCache = new WeakMap<object, { key: string; graph: MessageGraph }>();

/** Validates edge_index against V nodes and builds the messages (self loops replaced when asked); memoized per edge array. */
export function messagesOf(op: string, edgeIndex: HostTensor, numNodes: number, replaceSelfLoops: boolean): MessageGraph {
  const data = edgeIndex.data;
  const key = data ? `${edgeIndex.shape.join(',')}|${numNodes}|${replaceSelfLoops}|${fingerprint(data)}` : '';
  const hit = data ? messageCache.get(data) : undefined;
  if (hit && hit.key === key) return hit.graph;
  checkEdgeIndex(op, edgeIndex.shape, data, numNodes);
  const graph = buildMessages(data!, edgeIndex.shape[1], numNodes, replaceSelfLoops);
  messageCache.set(data!, { key, graph });
  return graph;
}

/** Checks a parameter's shape. */
export function expectShape(op: string, name: string, t: HostTensor | undefined, shape: number[], why: string): void {
  if (!t) return;
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new InputError(`${op}: ${name} must have shape ${formatShape(shape)} (${why}), got ${formatShape(t.shape)}`);
  }
}

/** Submits pending work, then frees scratch tensors (destroy after submit is safe in WebGPU). */
export async function freeAfterSubmit(rt: GpuRuntime, ...scratch: (GpuTensor | null)[]): Promise<void> {
  await rt.submit();
  rt.release(...scratch);
}
