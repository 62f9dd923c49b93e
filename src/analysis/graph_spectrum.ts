/**
 * The spectral view of a graph, on the CPU in float64 (dense; meant for graphs up to a few
 * thousand nodes): GCN's normalized propagation matrix, the normalized Laplacian and its full
 * eigendecomposition (Householder tridiagonalization + implicit QL, EISPACK tred2/tql2 as in
 * JAMA: O(n³), about 0.1 s for 500 nodes).
 */
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

/** Full eigendecomposition of a symmetric matrix (refuses one that is not symmetric). */
export function symmetricEigen(m: DenseMatrix): Eigen {
  const n = m.n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const x = m.data[i * n + j];
      const y = m.data[j * n + i];
      if (Math.abs(x - y) > 1e-12 * Math.max(1, Math.abs(x))) throw new InputError(`symmetricEigen: the matrix is not symmetric at (${i}, ${j}): ${x} vs ${y}`);
    }
  }
  const V = Float64Array.from(m.data);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: V };
  tred2(n, V, d, e);
  tql2(n, V, d, e);
  return { values: d, vectors: V };
}

/** Householder reduction to tridiagonal form (EISPACK tred2, as in JAMA). */
function tred2(n: number, V: Float64Array, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function transposeInPlace(n: number, V: Float64Array): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const t = V[i * n + j];
      V[i * n + j] = V[j * n + i];
      V[j * n + i] = t;
    }
  }
}

/** Implicit QL on the tridiagonal matrix, accumulating the rotations (EISPACK tql2); sorts ascending. */
function tql2(n: number, V: Float64Array, d: Float64Array, e: Float64Array): void {
  transposeInPlace(n, V);
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 200) throw new InputError('symmetricEigen: QL iteration did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          // V is held transposed here (row k = eigenvector k), so the rotation walks two contiguous rows.
          const r0 = i * n;
          const r1 = r0 + n;
          for (let k = 0; k < n; k++) {
            h = V[r1 + k];
            V[r1 + k] = s * V[r0 + k] + c * h;
            V[r0 + k] = c * V[r0 + k] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  transposeInPlace(n, V);
  // Selection sort ascending, swapping eigenvector columns.
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < n; j++) if (d[j] < p) (k = j), (p = d[j]);
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      for (let j = 0; j < n; j++) {
        const t = V[j * n + i];
        V[j * n + i] = V[j * n + k];
        V[j * n + k] = t;
      }
    }
  }
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
