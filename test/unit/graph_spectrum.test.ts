/** The normalized Laplacian's eigendecomposition in float64 against numpy.linalg.eigvalsh (test/fixtures/generate_spectrum.py). */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { grid, karateClub, randomGraph, ring, type GraphData } from '../../src/analysis/graph_sources.ts';
import {
  connectedComponents, dirichletEnergy, fourierCoefficients, gcnPropagationMatrix, graphSpectrum, highFrequencyShare, normalizedLaplacian,
  renormalizedLaplacian, symmetricEigen, undirectedEdgeIndex, type DenseMatrix,
} from '../../src/analysis/graph_spectrum.ts';
import { makeRng } from './reference_helpers.ts';

interface SpectrumCase {
  name: string;
  num_nodes: number;
  laplacian?: 'renormalized';
  eigenvalues: number[];
  fiedler?: number[];
}
const cases: SpectrumCase[] = JSON.parse(readFileSync(new URL('../fixtures/spectrum_cases.json', import.meta.url), 'utf8'));
const byName = Object.fromEntries(cases.map((c) => [c.name, c]));

function twoTrianglesAndIsolated(): GraphData {
  const pairs = [[0, 1], [1, 2], [2, 0], [3, 4], [4, 5], [5, 3]];
  return { name: 't', numNodes: 7, numEdges: 6, edgeIndex: Int32Array.from([...pairs.map((p) => p[0]), ...pairs.map((p) => p[1])]) };
}

/** max |M·v − λ·v| over all pairs and max |VᵀV − I|. */
function residuals(m: DenseMatrix, values: Float64Array, vectors: Float64Array): [number, number] {
  const n = m.n;
  let res = 0;
  let orth = 0;
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += m.data[i * n + j] * vectors[j * n + k];
      res = Math.max(res, Math.abs(s - values[k] * vectors[i * n + k]));
    }
    for (let l = 0; l < n; l++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += vectors[i * n + k] * vectors[i * n + l];
      orth = Math.max(orth, Math.abs(s - (k === l ? 1 : 0)));
    }
  }
  return [res, orth];
}

describe('graph spectrum', () => {
  const graphs: [string, GraphData][] = [['karate_club', karateClub()], ['ring_10', ring(10)], ['grid_3x4', grid(3, 4)], ['two_triangles_and_isolated', twoTrianglesAndIsolated()]];
  test.each(graphs)('%s eigenvalues match numpy eigvalsh to 1e-9', (name, g) => {
    const expected = byName[name];
    expect(g.numNodes).toBe(expected.num_nodes);
    const s = graphSpectrum(g.numNodes, g.edgeIndex);
    let worst = 0;
    s.eigenvalues.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected.eigenvalues[i]))));
    expect(worst).toBeLessThan(1e-9);
    const [res, orth] = residuals(s.laplacian, s.eigenvalues, s.eigenvectors);
    expect(res).toBeLessThan(1e-12);
    expect(orth).toBeLessThan(1e-12);
  });

  test('spectral facts: components, gap, bipartite λ_max = 2', () => {
    const k = graphSpectrum(34, karateClub().edgeIndex);
    expect(k.zeroEigenvalues).toBe(1);
    expect(k.spectralGap).toBeCloseTo(0.1322723292295161, 12);
    const t = twoTrianglesAndIsolated();
    expect(graphSpectrum(t.numNodes, t.edgeIndex).zeroEigenvalues).toBe(3);
    expect(graphSpectrum(10, ring(10).edgeIndex).maxEigenvalue).toBeCloseTo(2, 12); // even ring: bipartite
    expect(graphSpectrum(9, ring(9).edgeIndex).maxEigenvalue).toBeLessThan(2 - 1e-3);
  });

  test('the ring matches its closed form 1 − cos(2πk/n)', () => {
    const n = 17;
    const s = graphSpectrum(n, ring(n).edgeIndex);
    const closed = Array.from({ length: n }, (_, k) => 1 - Math.cos((2 * Math.PI * k) / n)).sort((a, b) => a - b);
    s.eigenvalues.forEach((v, i) => expect(Math.abs(v - closed[i])).toBeLessThan(1e-12));
  });

  // Speed is not asserted here (timed tests are flaky on a shared CPU); `nnx bench` territory.
  test('a 500-node random graph decomposes accurately', () => {
    const g = randomGraph(500, 2500, 3);
    const s = graphSpectrum(g.numNodes, g.edgeIndex);
    const [res, orth] = residuals(s.laplacian, s.eigenvalues, s.eigenvectors);
    expect(res).toBeLessThan(1e-11);
    expect(orth).toBeLessThan(1e-11);
    expect(s.eigenvalues[0]).toBeGreaterThan(-1e-12);
    expect(s.eigenvalues[499]).toBeLessThanOrEqual(2 + 1e-12);
  });

  test('a random symmetric matrix: trace and residuals', () => {
    const rng = makeRng(9);
    const n = 40;
    const data = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) data[i * n + j] = data[j * n + i] = rng() * 2 - 1;
    const m = { n, data };
    const { values, vectors } = symmetricEigen(m);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += data[i * n + i];
    expect(Math.abs(values.reduce((a, b) => a + b, 0) - trace)).toBeLessThan(1e-12);
    for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
    const [res, orth] = residuals(m, values, vectors);
    expect(res).toBeLessThan(1e-12);
    expect(orth).toBeLessThan(1e-12);
    expect(() => symmetricEigen({ n: 2, data: Float64Array.from([1, 2, 3, 4]) })).toThrow(InputError);
  });

  test('GCN propagation matrix: Â = D̃^-½(A+I)D̃^-½ with existing self loops replaced, duplicates counted', () => {
    // 0→1 twice, 1→1 (replaced), 2 isolated.
    const p = gcnPropagationMatrix(3, [0, 0, 1, 1, 1, 1]);
    const d = [1, 3, 1]; // in-degrees with one self loop each
    expect(p.data[1 * 3 + 0]).toBeCloseTo(2 / Math.sqrt(d[0] * d[1]), 15);
    expect(p.data[1 * 3 + 1]).toBeCloseTo(1 / 3, 15);
    expect(p.data[0 * 3 + 0]).toBe(1);
    expect(p.data[2 * 3 + 2]).toBe(1);
    expect(p.data[0 * 3 + 1]).toBe(0);
    // L of a single edge: [[1, −1], [−1, 1]]
    expect(Array.from(normalizedLaplacian(2, [0, 1]).data)).toEqual([1, -1, -1, 1]);
  });

  test('karate: renormalized L̃ eigenvalues and both Fiedler vectors match numpy; the sign split finds the factions', () => {
    const g = karateClub();
    for (const name of ['karate_club', 'karate_club_renormalized']) {
      const expected = byName[name];
      const s = graphSpectrum(34, g.edgeIndex, expected.laplacian ?? 'normalized');
      s.eigenvalues.forEach((v, i) => expect(Math.abs(v - expected.eigenvalues[i]), `${name} λ${i}`).toBeLessThan(1e-9));
      s.fiedler.forEach((v, i) => expect(Math.abs(v - expected.fiedler![i]), `${name} fiedler[${i}]`).toBeLessThan(1e-9));
      const agree = g.labels!.filter((l, i) => (s.fiedler[i] >= 0) === (l === g.labels![0])).length;
      expect(Math.max(agree, 34 - agree), name).toBeGreaterThanOrEqual(32);
    }
  });

  test('a 1×n grid (a path) matches its closed form 1 − cos(πk/(n−1)); the 3×4 grid is checked against numpy above', () => {
    const n = 9;
    const s = graphSpectrum(n, grid(1, n).edgeIndex);
    s.eigenvalues.forEach((v, k) => expect(Math.abs(v - (1 - Math.cos((Math.PI * k) / (n - 1))))).toBeLessThan(1e-12));
  });

  test('the multiplicity of eigenvalue 0 is the number of connected components', () => {
    const union = (...gs: GraphData[]): GraphData => {
      const src: number[] = [];
      const dst: number[] = [];
      let offset = 0;
      for (const g of gs) {
        const e = g.numEdges;
        for (let k = 0; k < e; k++) src.push(g.edgeIndex[k] + offset), dst.push(g.edgeIndex[e + k] + offset);
        offset += g.numNodes;
      }
      return { name: 'union', numNodes: offset, numEdges: src.length, edgeIndex: Int32Array.from([...src, ...dst]) };
    };
    const graphs = [karateClub(), union(ring(5), grid(2, 3), karateClub()), twoTrianglesAndIsolated(), randomGraph(40, 30, 2), union(ring(4), ring(4), ring(4), ring(4))];
    for (const g of graphs) {
      const components = connectedComponents(g.numNodes, g.edgeIndex);
      for (const kind of ['normalized', 'renormalized'] as const) expect(graphSpectrum(g.numNodes, g.edgeIndex, kind).zeroEigenvalues, `${g.name} ${kind}`).toBe(components);
    }
    expect(connectedComponents(7, twoTrianglesAndIsolated().edgeIndex)).toBe(3);
    expect(connectedComponents(12, union(ring(4), ring(4), ring(4)).edgeIndex)).toBe(3);
  });

  test('Dirichlet energy and the high-frequency share agree with the dense L̃ and its eigenbasis', () => {
    const g = randomGraph(30, 70, 5);
    const edges = undirectedEdgeIndex(30, g.edgeIndex);
    const lt = renormalizedLaplacian(30, g.edgeIndex);
    const s = graphSpectrum(30, g.edgeIndex, 'renormalized');
    const rng = makeRng(3);
    const width = 3;
    const x = Float64Array.from({ length: 30 * width }, () => rng() * 2 - 1);
    let quad = 0;
    let norm = 0;
    for (let f = 0; f < width; f++) {
      for (let i = 0; i < 30; i++) {
        norm += x[i * width + f] ** 2;
        for (let j = 0; j < 30; j++) quad += x[i * width + f] * lt.data[i * 30 + j] * x[j * width + f];
      }
    }
    expect(Math.abs(dirichletEnergy(30, edges, x, width) - quad / norm)).toBeLessThan(1e-12);
    // Parseval: Σ λ_k ‖c_k‖² / Σ ‖c_k‖² is the same energy.
    const c = fourierCoefficients(s.eigenvectors, 30, x, width);
    let weighted = 0;
    let total = 0;
    let high = 0;
    s.eigenvalues.forEach((lambda, k) => {
      const ck = c[k * width] ** 2 + c[k * width + 1] ** 2 + c[k * width + 2] ** 2;
      weighted += lambda * ck;
      total += ck;
      if (lambda > 1) high += ck;
    });
    expect(Math.abs(total - norm)).toBeLessThan(1e-10);
    expect(Math.abs(weighted / total - quad / norm)).toBeLessThan(1e-12);
    expect(highFrequencyShare(s.eigenvalues, c, width)).toBeCloseTo(high / total, 14);
    // L̃ = I − Â with Â GCN's propagation matrix of the simple undirected graph.
    const a = gcnPropagationMatrix(30, edges);
    lt.data.forEach((v, q) => expect(v).toBeCloseTo((q % 31 === 0 ? 1 : 0) - a.data[q], 15));
  });

  test('undirectedEdgeIndex drops self loops and duplicates and lists each pair both ways', () => {
    expect(Array.from(undirectedEdgeIndex(4, [0, 1, 1, 2, 3, /* → */ 1, 0, 1, 3, 2]))).toEqual([0, 1, 2, 3, 1, 0, 3, 2]);
  });
});
