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

/**
 * The simple undirected graph underneath an edge_index [2, E]: every pair {a, b} with a ≠ b once
 * in each direction (self loops and duplicates dropped), sources then targets, pairs in order of
 * first appearance. The spectrum, the smoothing and the page all use this one graph.
 */
export function undirectedEdgeIndex(numNodes: number, edgeIndex: ArrayLike<number>): Int32Array {
  const e = checkEdges(numNodes, edgeIndex);
  const seen = new Set<number>();
  const pairs: number[] = [];
  for (let k = 0; k < e; k++) {
    const a = Math.min(edgeIndex[k], edgeIndex[e + k]);
    const b = Math.max(edgeIndex[k], edgeIndex[e + k]);
    if (a === b || seen.has(a * numNodes + b)) continue;
    seen.add(a * numNodes + b);
    pairs.push(a, b);
  }
  const m = pairs.length;
  const out = new Int32Array(2 * m);
  for (let p = 0; p < m / 2; p++) {
    out[2 * p] = pairs[2 * p];
    out[m + 2 * p] = pairs[2 * p + 1];
    out[2 * p + 1] = pairs[2 * p + 1];
    out[m + 2 * p + 1] = pairs[2 * p];
  }
  return out;
}

/** GCN's renormalized Laplacian L̃ = I − Â, Â = D̃^-½ (A + I) D̃^-½ of the undirected graph: one step of GCN multiplies mode k by 1 − λ̃_k. */
export function renormalizedLaplacian(numNodes: number, edgeIndex: ArrayLike<number>): DenseMatrix {
  const a = gcnPropagationMatrix(numNodes, undirectedEdgeIndex(numNodes, edgeIndex));
  const data = a.data.map((v, k) => (k % (numNodes + 1) === 0 ? 1 : 0) - v);
  return { n: numNodes, data };
}

/** The number of connected components of the undirected graph (union–find; an isolated node is one). */
export function connectedComponents(numNodes: number, edgeIndex: ArrayLike<number>): number {
  const e = checkEdges(numNodes, edgeIndex);
  const parent = Int32Array.from({ length: numNodes }, (_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  let count = numNodes;
  for (let k = 0; k < e; k++) {
    const a = root(edgeIndex[k]);
    const b = root(edgeIndex[e + k]);
    if (a !== b) (parent[a] = b), count--;
  }
  return count;
}

/** Which Laplacian: the normalized L = I − D^-½ A D^-½, or GCN's renormalized L̃ = I − Â (self loops added). */
export type LaplacianKind = 'normalized' | 'renormalized';

/** What the spectrum of a graph Laplacian says about the graph. */
export interface GraphSpectrum {
  numNodes: number;
  kind: LaplacianKind;
  laplacian: DenseMatrix;
  eigenvalues: Float64Array;
  eigenvectors: Float64Array;
  /** Eigenvalues within 1e-9 of 0: the number of connected components (isolated nodes count via L_ii = 0). */
  zeroEigenvalues: number;
  /** λ₂, the spectral gap (algebraic connectivity of L); 0 when disconnected. */
  spectralGap: number;
  /** λ_max ≤ 2, with equality iff some component is bipartite (normalized L). */
  maxEigenvalue: number;
  /** The eigenvector of λ₂, signed so that its largest-magnitude entry is positive (empty below 2 nodes). */
  fiedler: Float64Array;
}

/** Column k of a row-major n×n eigenvector matrix. */
export function eigenvector(vectors: Float64Array, n: number, k: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => vectors[i * n + k]);
}

/** The Laplacian (normalized by default) of the undirected graph and its full eigendecomposition. */
export function graphSpectrum(numNodes: number, edgeIndex: ArrayLike<number>, kind: LaplacianKind = 'normalized'): GraphSpectrum {
  const laplacian = kind === 'normalized' ? normalizedLaplacian(numNodes, edgeIndex) : renormalizedLaplacian(numNodes, edgeIndex);
  const { values, vectors } = symmetricEigen(laplacian);
  let zero = 0;
  for (const v of values) if (Math.abs(v) < 1e-9) zero++;
  let fiedler: Float64Array = new Float64Array(0);
  if (numNodes > 1) {
    fiedler = eigenvector(vectors, numNodes, 1);
    const peak = fiedler.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0);
    if (peak < 0) fiedler = fiedler.map((v) => -v);
  }
  return {
    numNodes, kind, laplacian, eigenvalues: values, eigenvectors: vectors, zeroEigenvalues: zero,
    spectralGap: numNodes > 1 ? values[1] : 0, maxEigenvalue: numNodes > 0 ? values[numNodes - 1] : 0, fiedler,
  };
}

/**
 * The Dirichlet energy of node features x [V, F] (row-major) under L̃ = I − Â, summed over the
 * feature columns and normalized by ‖x‖²: Σ_f x_fᵀ L̃ x_f / ‖x‖², where x_fᵀ L̃ x_f sums
 * (x_if/√d̃_i − x_jf/√d̃_j)² once per undirected edge {i, j}
 * (d̃ = degree + 1). 0 for features proportional to √d̃ per component; sparse, O((V + E)·F).
 */
export function dirichletEnergy(numNodes: number, undirectedEdges: ArrayLike<number>, x: ArrayLike<number>, width: number): number {
  const e = undirectedEdges.length / 2;
  const inv = new Float64Array(numNodes).fill(1);
  for (let k = 0; k < e; k++) inv[undirectedEdges[e + k]]++;
  for (let i = 0; i < numNodes; i++) inv[i] = 1 / Math.sqrt(inv[i]);
  let norm = 0;
  for (let q = 0; q < numNodes * width; q++) norm += x[q] * x[q];
  let energy = 0;
  for (let k = 0; k < e; k++) {
    const a = undirectedEdges[k];
    const b = undirectedEdges[e + k];
    for (let f = 0; f < width; f++) {
      const d = x[a * width + f] * inv[a] - x[b * width + f] * inv[b];
      energy += d * d;
    }
  }
  // Each undirected edge is listed in both directions.
  return norm > 0 ? energy / 2 / norm : 0;
}

/** Graph-Fourier coefficients Uᵀx of node features x [V, F]: [V (one per eigenvalue), F], float64. */
export function fourierCoefficients(vectors: Float64Array, numNodes: number, x: ArrayLike<number>, width: number): Float64Array {
  const out = new Float64Array(numNodes * width);
  for (let i = 0; i < numNodes; i++) {
    for (let k = 0; k < numNodes; k++) {
      const u = vectors[i * numNodes + k];
      if (u === 0) continue;
      for (let f = 0; f < width; f++) out[k * width + f] += u * x[i * width + f];
    }
  }
  return out;
}

/** The share of Σ‖Uᵀx‖² held by modes with λ > 1 (the upper half of [0, 2], where GCN's filter 1 − λ̃ is ≤ 0). */
export function highFrequencyShare(eigenvalues: Float64Array, coefficients: Float64Array, width: number): number {
  let high = 0;
  let total = 0;
  eigenvalues.forEach((lambda, k) => {
    let s = 0;
    for (let f = 0; f < width; f++) s += coefficients[k * width + f] ** 2;
    total += s;
    if (lambda > 1) high += s;
  });
  return total > 0 ? high / total : 0;
}
