/**
 * Edge lists to the message lists and CSR indices the graph kernels read (pure CPU, O(V + E)).
 * A message m goes from `src[m]` to `dst[m]`; messages keep PyG's order: the edges of
 * `edge_index` (minus self loops when they are replaced), then one self loop per node 0..V−1.
 */
import { InputError } from './errors.ts';
import { formatShape } from './tensor.ts';

/** Messages and their two CSR groupings. */
export interface MessageGraph {
  numNodes: number;
  src: Int32Array;
  dst: Int32Array;
  /** CSR by target: the messages into node i are byTarget[rowPtr[i] .. rowPtr[i+1]). */
  rowPtr: Int32Array;
  byTarget: Int32Array;
  /** CSR by source: the messages out of node j are bySource[colPtr[j] .. colPtr[j+1]). */
  colPtr: Int32Array;
  bySource: Int32Array;
}

/**
 * Checks `edge_index` is [2, E] with node indices in [0, numNodes); the message names the
 * first bad entry and the numbers.
 */
export function checkEdgeIndex(op: string, shape: number[], data: ArrayLike<number> | undefined, numNodes: number): void {
  if (shape.length !== 2 || shape[0] !== 2) {
    throw new InputError(`${op}: edge_index must have shape [2, E] (row 0 sources, row 1 targets), got ${formatShape(shape)}`);
  }
  if (!data) throw new InputError(`${op}: edge_index values are needed on the host to build the CSR`);
  const e = shape[1];
  for (let k = 0; k < 2 * e; k++) {
    const v = data[k];
    const where = `edge_index[${k < e ? 0 : 1}][${k % e}]`;
    if (v < 0) throw new InputError(`${op}: ${where} = ${v} is negative; node indices run from 0 to ${numNodes - 1} (x has ${numNodes} nodes)`);
    if (v >= numNodes) throw new InputError(`${op}: ${where} = ${v} is out of range: x has ${numNodes} nodes, so indices run from 0 to ${numNodes - 1}`);
  }
}

/** Stable counting sort of message ids by `key`: returns [ptr (V+1), order (E)]. */
function groupBy(key: Int32Array, numNodes: number): [Int32Array, Int32Array] {
  const ptr = new Int32Array(numNodes + 1);
  for (let m = 0; m < key.length; m++) ptr[key[m] + 1]++;
  for (let i = 0; i < numNodes; i++) ptr[i + 1] += ptr[i];
  const fill = ptr.slice(0, numNodes);
  const order = new Int32Array(key.length);
  for (let m = 0; m < key.length; m++) order[fill[key[m]]++] = m;
  return [ptr, order];
}

/**
 * Builds the messages of a validated edge_index [2, E]. `replaceSelfLoops`: drop every
 * existing self loop and add exactly one per node (PyG's remove_self_loops + add_self_loops,
 * and what add_remaining_self_loops gives with unit weights).
 */
export function buildMessages(edgeIndex: ArrayLike<number>, numEdges: number, numNodes: number, replaceSelfLoops: boolean): MessageGraph {
  let kept = numEdges;
  if (replaceSelfLoops) for (let k = 0; k < numEdges; k++) if (edgeIndex[k] === edgeIndex[numEdges + k]) kept--;
  const total = kept + (replaceSelfLoops ? numNodes : 0);
  const src = new Int32Array(total);
  const dst = new Int32Array(total);
  let m = 0;
  for (let k = 0; k < numEdges; k++) {
    const s = edgeIndex[k];
    const t = edgeIndex[numEdges + k];
    if (replaceSelfLoops && s === t) continue;
    src[m] = s;
    dst[m++] = t;
  }
  if (replaceSelfLoops) {
    for (let i = 0; i < numNodes; i++) {
      src[m] = i;
      dst[m++] = i;
    }
  }
  const [rowPtr, byTarget] = groupBy(dst, numNodes);
  const [colPtr, bySource] = groupBy(src, numNodes);
  return { numNodes, src, dst, rowPtr, byTarget, colPtr, bySource };
}
