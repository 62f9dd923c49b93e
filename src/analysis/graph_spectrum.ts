/**
 * The spectral view of a graph, on the CPU in float64 (dense; meant for graphs up to a few
 * thousand nodes): GCN's normalized propagation matrix, the normalized Laplacian and its full
 * eigendecomposition (ml-matrix's symmetric EigenvalueDecomposition: Householder
 * tridiagonalization + implicit QL, O(n³)).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InputError } from './errors.ts';

/** A dense row-major n×n float64 matrix. */
export interface DenseMatrix {
  n: number;
  data: Float64Array;
}

function checkEdges(numNodes: number, edgeIndex: ArrayLike<number>): number {
  if (edgeIndex.length % 2 !== 0) throw new InputError(`edge_index must hold 2·E values, got ${edgeIndex.length}`);
  const e = edgeIndex.length / 2;
  for (let k = 0; k < 2 * e; k++) {
    const v = edgeIndex[k];
    if (!(v >= 0 && v < numNodes && Number.isInteger(v))) throw new InputError(`edge_index[${k < e ? 0 : 1}][${k % e}] = ${v} is not a node index in [0, ${numNodes})`);
  }
  return e;
}

/**
 * GCN's propagation matrix Â = D̃^-½ (A + I) D̃^-½ as GCNConv applies it: Â[i][j] sums the
 * coefficients of the messages j → i (existing self loops replaced by one per node,
 * duplicate edges counted twice, degrees counted at the target).
 */
export function gcnPropagationMatrix(numNodes: number, edgeIndex: ArrayLike<number>, addSelfLoops = true): DenseMatrix {
  const e = checkEdges(numNodes, edgeIndex);
  const src: number[] = [];
  const dst: number[] = [];
  for (let k = 0; k < e; k++) {
    if (addSelfLoops && edgeIndex[k] === edgeIndex[e + k]) continue;
    src.push(edgeIndex[k]);
    dst.push(edgeIndex[e + k]);
  }
  if (addSelfLoops) for (let i = 0; i < numNodes; i++) src.push(i), dst.push(i);
  const deg = new Float64Array(numNodes);
  for (const t of dst) deg[t]++;
  const inv = deg.map((d) => (d > 0 ? 1 / Math.sqrt(d) : 0));
  const data = new Float64Array(numNodes * numNodes);
  for (let m = 0; m < src.length; m++) data[dst[m] * numNodes + src[m]] += inv[src[m]] * inv[dst[m]];
  return { n: numNodes, data };
}

/** The symmetric 0/1 adjacency of the undirected graph underneath (self loops dropped). */
export function undirectedAdjacency(numNodes: number, edgeIndex: ArrayLike<number>): DenseMatrix {
  const e = checkEdges(numNodes, edgeIndex);
  const data = new Float64Array(numNodes * numNodes);
  for (let k = 0; k < e; k++) {
    const a = edgeIndex[k];
    const b = edgeIndex[e + k];
    if (a === b) continue;
    data[a * numNodes + b] = 1;
    data[b * numNodes + a] = 1;
  }
  return { n: numNodes, data };
}

/**
 * The normalized Laplacian L = I − D^-½ A D^-½ of the undirected graph (A symmetric 0/1, no
 * self loops). An isolated node gets L_ii = 0 (Chung's convention, as NetworkX).
 */
export function normalizedLaplacian(numNodes: number, edgeIndex: ArrayLike<number>): DenseMatrix {
  const a = undirectedAdjacency(numNodes, edgeIndex);
  const n = numNodes;
  const inv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let j = 0; j < n; j++) d += a.data[i * n + j];
    inv[i] = d > 0 ? 1 / Math.sqrt(d) : 0;
  }
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) data[i * n + j] = (i === j && inv[i] > 0 ? 1 : 0) - inv[i] * a.data[i * n + j] * inv[j];
  }
  return { n, data };
}

/** Eigenvalues ascending; eigenvector k is column k of `vectors` (row-major n×n), unit length. */
export interface Eigen {
  values: Float64Array;
  vectors: Float64Array;
}

/** Full eigendecomposition of a symmetric matrix by ml-matrix (refuses one that is not symmetric). */
export function symmetricEigen(m: DenseMatrix): Eigen {
  const n = m.n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const x = m.data[i * n + j];
      const y = m.data[j * n + i];
      if (Math.abs(x - y) > 1e-12 * Math.max(1, Math.abs(x))) throw new InputError(`symmetricEigen: the matrix is not symmetric at (${i}, ${j}): ${x} vs ${y}`);
    }
  }
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  const rows = Array.from({ length: n }, (_, i) => Array.from(m.data.subarray(i * n, (i + 1) * n)));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const raw = evd.realEigenvalues;
  const u = evd.eigenvectorMatrix;
  // ml-matrix's symmetric path returns them ascending already; the sort makes that a guarantee.
  const order = raw.map((_, k) => k).sort((a, b) => raw[a] - raw[b]);
  const values = Float64Array.from(order, (k) => raw[k]);
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < n; c++) vectors[i * n + c] = u.get(i, order[c]);
  return { values, vectors };
}

/** What the spectrum of the normalized Laplacian says about a graph. */
export interface GraphSpectrum {
  numNodes: number;
  laplacian: DenseMatrix;
  eigenvalues: Float64Array;
  eigenvectors: Float64Array;
  /** Eigenvalues within 1e-9 of 0: the number of connected components (isolated nodes count via L_ii = 0). */
  zeroEigenvalues: number;
  /** λ₂, the spectral gap (algebraic connectivity of L); 0 when disconnected. */
  spectralGap: number;
  /** λ_max ≤ 2, with equality iff some component is bipartite. */
  maxEigenvalue: number;
}

/** The normalized Laplacian of the undirected graph and its full eigendecomposition. */
export function graphSpectrum(numNodes: number, edgeIndex: ArrayLike<number>): GraphSpectrum {
  const laplacian = normalizedLaplacian(numNodes, edgeIndex);
  const { values, vectors } = symmetricEigen(laplacian);
  let zero = 0;
  for (const v of values) if (Math.abs(v) < 1e-9) zero++;
  return {
    numNodes, laplacian, eigenvalues: values, eigenvectors: vectors, zeroEigenvalues: zero,
    spectralGap: numNodes > 1 ? values[1] : 0, maxEigenvalue: numNodes > 0 ? values[numNodes - 1] : 0,
  };
}
