/** `nnx spectrum`: the binary's JSON for the karate club against numpy, the factions and the GPU smoothing; bad arguments. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { karateClub } from '../../src/analysis/graph_sources.ts';
import { formatSpectrum, graphNamed, spectrumCommand, type SpectrumReport } from '../../src/cli/spectrum.ts';
import { nnx } from './nnx_cli.ts';

const numpy: { name: string; eigenvalues: number[] }[] = JSON.parse(readFileSync(new URL('../fixtures/spectrum_cases.json', import.meta.url), 'utf8'));

describe('nnx spectrum', () => {
  test('karate --steps 6 --json: numpy eigenvalues, Fiedler split ≈ factions, energy falls every step', () => {
    const r = nnx(['spectrum', 'karate', '--steps', '6', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report: SpectrumReport = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['num_nodes', 'num_edges', 'eigenvalues', 'eigenvectors', 'fiedler', 'components', 'smoothing']));
    expect([report.num_nodes, report.num_edges, report.components]).toEqual([34, 78, 1]);
    const expected = numpy.find((c) => c.name === 'karate_club')!.eigenvalues;
    expect(report.eigenvalues).toHaveLength(34);
    report.eigenvalues!.forEach((v, i) => expect(Math.abs(v - expected[i]), `λ${i}`).toBeLessThan(1e-6));
    expect(report.eigenvectors).toHaveLength(34);
    expect(report.eigenvectors![1]).toEqual(report.fiedler);
    const labels = karateClub().labels!;
    const agree = labels.filter((l, i) => (report.fiedler![i] >= 0) === (l === labels[0])).length;
    expect(Math.max(agree, 34 - agree)).toBeGreaterThanOrEqual(32);
    expect(report.smoothing.map((s) => s.k)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (let k = 1; k <= 6; k++) expect(report.smoothing[k].dirichlet_energy).toBeLessThan(report.smoothing[k - 1].dirichlet_energy);
    expect(report.smoothing[6].high_frequency_share!).toBeLessThan(report.smoothing[0].high_frequency_share!);
  }, 120_000);

  test('graph names and bad arguments give one InputError line', async () => {
    expect(graphNamed('ring:7').numNodes).toBe(7);
    expect(graphNamed('grid:3x4').numNodes).toBe(12);
    expect(graphNamed('gnm:20,30,2').numEdges).toBe(60);
    expect(graphNamed('sbm:40').numNodes).toBe(40);
    await expect(spectrumCommand([])).rejects.toThrow(/missing GRAPH/);
    await expect(spectrumCommand(['petersen'])).rejects.toThrow(/"petersen" is neither a graph name nor a file/);
    await expect(spectrumCommand(['grid:3'])).rejects.toThrow(/grid:RxC needs 2 whole numbers, got "3"/);
    await expect(spectrumCommand(['ring:2'])).rejects.toThrow(/ring: number of nodes must be a whole number >= 3, got 2/);
    await expect(spectrumCommand(['karate', '--steps', '-1'])).rejects.toThrow(InputError);
    await expect(spectrumCommand(['karate', '--wat'])).rejects.toThrow(/unknown option --wat/);
  });

  test('the text report: a disconnected graph has no sign split, a too-large one says why there is no spectrum', () => {
    const smoothing = [{ k: 0, dirichlet_energy: 0.5, high_frequency_share: null }];
    const base = { graph: 'g', num_edges: 4, laplacian: 'normalized' as const, smoothing };
    const two = formatSpectrum({ ...base, num_nodes: 5, eigenvalues: [0, 0, 1.5, 1.5, 2], eigenvectors: [], fiedler: [0, 0, 0, 1, 1], components: 2 });
    expect(two).toContain('λ₂ = 0: the graph is disconnected');
    expect(two).not.toContain('Fiedler value');
    const big = formatSpectrum({ ...base, num_nodes: 5000, eigenvalues: null, eigenvectors: null, fiedler: null, components: 10 });
    expect(big).toContain('no eigendecomposition: 5,000 nodes is above the dense limit of 1,000 nodes');
  });
});
