/** The normalized Laplacian's eigendecomposition in float64 against numpy.linalg.eigvalsh (test/fixtures/generate_spectrum.py). */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { grid, karateClub, randomGraph, ring, type GraphData } from '../../src/analysis/graph_sources.ts';
import { gcnPropagationMatrix, graphSpectrum, normalizedLaplacian, symmetricEigen, type DenseMatrix } from '../../src/analysis/graph_spectrum.ts';
import { makeRng } from './reference_helpers.ts';

interface SpectrumCase {
  name: string;
  num_nodes: number;
  eigenvalues: number[];
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
});
