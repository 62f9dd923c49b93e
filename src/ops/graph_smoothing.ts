/**
 * Over-smoothing measured on the GPU: node features propagated K times through GCN's
 * Â = D̃^-½ (A + I) D̃^-½ by the GCN aggregation kernel (graph_spmm.wgsl, coefficients from
 * graph_norm.wgsl), no weights. No Node-only imports: the CLI and the Layer Lab both use it.
 */
import { mulberry32 } from '../analysis/random.ts';
import { buildMessages } from '../analysis/graph_csr.ts';
import { dirichletEnergy, fourierCoefficients, highFrequencyShare } from '../analysis/graph_spectrum.ts';
import { graphAggregate, graphCoefficients, uploadGraph } from '../kernels/graph.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';

/** Seeded node features [V, F], uniform in [−1, 1), float32. */
export function randomNodeFeatures(numNodes: number, width: number, seed = 0): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: numNodes * width }, () => 2 * next() - 1);
}

/**
 * x, Âx, Â²x, …, Â^K x for node features x [V, F] on a graph given as an undirected edge index
 * (both directions listed, no self loops: `undirectedEdgeIndex`), each read back from the GPU.
 */
export async function propagateOnGpu(
  rt: GpuRuntime, numNodes: number, undirectedEdges: Int32Array, x: Float32Array, width: number, steps: number,
): Promise<Float32Array[]> {
  return rt.withOwner('graph_smoothing', async () => {
    const messages = buildMessages(undirectedEdges, undirectedEdges.length / 2, numNodes, true);
    const g = uploadGraph(rt, 'smoothing', messages);
    const deg = rt.tensor('smoothing.deg', [numNodes]);
    const coef = rt.tensor('smoothing.norm', [g.numMessages]);
    await graphCoefficients(rt, g, deg, coef, 'gcn');
    const states: GpuTensor[] = [rt.tensor('smoothing.x0', [numNodes, width], 'float32', x)];
    for (let k = 1; k <= steps; k++) {
      const next = rt.tensor(`smoothing.x${k}`, [numNodes, width]);
      await graphAggregate(rt, g, coef, states[k - 1], null, next, width);
      states.push(next);
    }
    const values = (await rt.read(states)) as Float32Array[];
    rt.release(...states, deg, coef, g.edgeIndex, g.src, g.dst, g.rowPtr, g.byTarget, g.colPtr, g.bySource);
    return values;
  });
}

/** One row of the smoothing table. */
export interface SmoothingStep {
  k: number;
  /** Σ_f x_fᵀ L̃ x_f / ‖x‖² of Â^k x. */
  dirichlet_energy: number;
  /** Share of ‖Uᵀ Â^k x‖² in modes with λ̃ > 1; null without an eigendecomposition. */
  high_frequency_share: number | null;
}

/**
 * The smoothing table of propagated features (from `propagateOnGpu`): Dirichlet energy per step,
 * and the high-frequency share when L̃'s eigenvalues and eigenvectors (row-major, column k =
 * mode k) are given. Float64 on the CPU from the GPU's values.
 */
export function smoothingTable(
  numNodes: number, undirectedEdges: Int32Array, states: Float32Array[], width: number,
  spectrum: { eigenvalues: Float64Array; eigenvectors: Float64Array } | null,
): SmoothingStep[] {
  return states.map((x, k) => ({
    k,
    dirichlet_energy: dirichletEnergy(numNodes, undirectedEdges, x, width),
    high_frequency_share: spectrum ? highFrequencyShare(spectrum.eigenvalues, fourierCoefficients(spectrum.eigenvectors, numNodes, x, width), width) : null,
  }));
}
