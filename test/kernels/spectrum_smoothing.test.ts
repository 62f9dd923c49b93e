/**
 * Over-smoothing on the GPU (src/ops/graph_smoothing.ts): features propagated through GCN's Â by
 * the aggregation kernel match a float64 CPU propagation (the GCN reference with an identity
 * weight), and their Dirichlet energy never increases on connected graphs.
 */
import { describe, expect, test } from 'vitest';
import { grid, karateClub, randomGraph, type GraphData } from '../../src/analysis/graph_sources.ts';
import { connectedComponents, graphSpectrum, undirectedEdgeIndex } from '../../src/analysis/graph_spectrum.ts';
import { gcnForwardRef } from '../../src/analysis/reference/graph.ts';
import { DENSE_LIMIT, spectrumReport } from '../../src/cli/spectrum.ts';
import { propagateOnGpu, randomNodeFeatures, smoothingTable } from '../../src/ops/graph_smoothing.ts';
import { expectValuesClose, useGpu } from './gpu_harness.ts';

const gpu = useGpu();

/** x, Âx, …, Â^K x in float64 by the independent GCN reference (weight = I, no bias). */
function cpuPropagation(g: GraphData, edges: Int32Array, x: Float32Array, width: number, steps: number): Float64Array[] {
  const identity = { shape: [width, width], data: Float64Array.from({ length: width * width }, (_, q) => (q % (width + 1) === 0 ? 1 : 0)) };
  const out: Float64Array[] = [Float64Array.from(x)];
  for (let k = 1; k <= steps; k++) out.push(gcnForwardRef({ shape: [g.numNodes, width], data: out[k - 1] }, edges, identity, null).data);
  return out;
}

describe('GCN propagation on the GPU smooths', () => {
  // Widths 8 (four features per invocation) and 5 (one per invocation); 35 and 34 nodes are not multiples of 64.
  const cases: [string, GraphData, number, number][] = [
    ['karate club', karateClub(), 8, 12],
    ['grid 5×7', grid(5, 7), 5, 10],
    ['random G(60, 150)', randomGraph(60, 150, 4), 3, 10],
  ];
  test.each(cases)('%s: every step matches float64, energy never increases', async (_name, g, width, steps) => {
    const edges = undirectedEdgeIndex(g.numNodes, g.edgeIndex);
    const x = randomNodeFeatures(g.numNodes, width, 7);
    const states = await propagateOnGpu(gpu(), g.numNodes, edges, x, width, steps);
    const expected = cpuPropagation(g, edges, x, width, steps);
    expect(states).toHaveLength(steps + 1);
    states.forEach((s, k) => expectValuesClose(s, { shape: [g.numNodes * width], data: expected[k] }, `Â^${k} x`));

    const connected = connectedComponents(g.numNodes, edges) === 1;
    const spectrum = graphSpectrum(g.numNodes, edges, 'renormalized');
    const table = smoothingTable(g.numNodes, edges, states, width, spectrum);
    const exact = smoothingTable(g.numNodes, edges, expected.map((s) => Float32Array.from(s)), width, spectrum);
    table.forEach((row, k) => {
      expect(Math.abs(row.dirichlet_energy - exact[k].dirichlet_energy)).toBeLessThan(1e-4 + 1e-3 * exact[k].dirichlet_energy);
      if (k > 0 && connected) expect(row.dirichlet_energy, `step ${k}`).toBeLessThanOrEqual(table[k - 1].dirichlet_energy);
    });
    expect(table[steps].dirichlet_energy).toBeLessThan(0.5 * table[0].dirichlet_energy);
    expect(table[steps].high_frequency_share!).toBeLessThan(table[0].high_frequency_share!);
  });

  test('an empty propagation (K = 0) returns the features unchanged', async () => {
    const g = karateClub();
    const x = randomNodeFeatures(34, 4, 1);
    const [x0] = await propagateOnGpu(gpu(), 34, undirectedEdgeIndex(34, g.edgeIndex), x, 4, 0);
    expect(Array.from(x0)).toEqual(Array.from(x));
  });

  test('a graph above the dense limit: no eigendecomposition, components by union–find, still the smoothing table', async () => {
    const n = DENSE_LIMIT + 37;
    const g = randomGraph(n, 3 * n, 2);
    const { report } = await spectrumReport(gpu(), g, { steps: 3, seed: 1, kind: 'normalized' });
    expect([report.eigenvalues, report.eigenvectors, report.fiedler]).toEqual([null, null, null]);
    expect(report.components).toBe(connectedComponents(n, g.edgeIndex));
    expect(report.smoothing.map((s) => s.high_frequency_share)).toEqual([null, null, null, null]);
    for (let k = 1; k <= 3; k++) expect(report.smoothing[k].dirichlet_energy).toBeLessThan(report.smoothing[k - 1].dirichlet_energy);
  });
});

