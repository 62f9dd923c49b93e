/**
 * The graph pages' spectrum section in headless Chromium on SwiftShader's WebGPU: Â with its
 * hover text, the eigenvalues of L̃ against numpy, a click on an eigenvalue recolours the graph
 * by its eigenvector, the propagations read back from the GPU match a float64 propagation, and
 * the depth slider shows the Dirichlet energy falling. Screenshots go to test-results/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { undirectedEdgeIndex } from '../../src/analysis/graph_spectrum.ts';
import { gcnForwardRef } from '../../src/analysis/reference/graph.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import type { NnxHeatmap } from '../../src/ui/heatmap.ts';
import type { NnxLayerLab } from '../../src/ui/layer_lab.ts';
import { mismatches, RESULTS, useBrowser, waitForRun } from './harness.ts';

const browser = useBrowser('lab-spectrum');
const numpy: { name: string; eigenvalues: number[] }[] = JSON.parse(readFileSync(new URL('../fixtures/spectrum_cases.json', import.meta.url), 'utf8'));
const SECTION = 'nnx-graph-spectrum';

/** The fill of every node of one of the section's graph drawings. */
async function fills(role: string): Promise<string[]> {
  return browser().page.locator(`${SECTION} [data-role="${role}"] circle[data-node]`).evaluateAll((els) => els.map((e) => e.getAttribute('fill') ?? ''));
}

/** A screenshot of the section below the app's sticky header. */
async function shot(section: Locator, name: string): Promise<void> {
  const box = (await section.boundingBox())!;
  const y = await browser().page.evaluate((top) => window.scrollY + top - 60, box.y);
  await browser().page.evaluate((to) => window.scrollTo(0, to), y);
  await browser().page.screenshot({ path: join(RESULTS, name), fullPage: false });
}

/** Opens a graph page and waits for its run; the first run in a fresh browser compiles every pipeline, slow on a loaded machine. */
async function openGraphPage(params: Record<string, string | number>): Promise<void> {
  const { page, baseUrl } = browser();
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  await page.goto(`${baseUrl}?t=${Date.now()}#/layer-lab?${query}`);
  await waitForRun(page, 120_000);
}

async function text(role: string): Promise<string> {
  return browser().page.locator(`${SECTION} [data-role="${role}"]`).innerText();
}

describe('Layer Lab: the spectrum section of the graph pages', () => {
  it('gcn on the karate club: Â hover, eigenvalues, recolour on click, GPU propagation, depth slider', { timeout: 240_000 }, async () => {
    const { page } = browser();
    await openGraphPage({ op: 'gcn', graph: 'karate', fin: 4, fout: 3, input: 'random', grad: 'random', seed: 3 });
    const section = page.locator(SECTION);
    await section.waitFor({ timeout: 20_000 });
    await section.scrollIntoViewIfNeeded();

    // The eigenvalues of L̃ drawn are numpy's (34 points; the readout of the selected one, λ̃_1, to 6 digits).
    const expected = numpy.find((c) => c.name === 'karate_club_renormalized')!.eigenvalues;
    expect(await page.locator(`${SECTION} circle[data-mode]`).count()).toBe(34);
    const readout = await text('mode-readout');
    expect(Number(/λ̃_1 = ([\d.]+)/.exec(readout)![1])).toBeCloseTo(expected[1], 6);

    // What the GPU propagated is Â^k x of the layer's input, against the float64 GCN reference (weight = I).
    const { spec, propagated } = await page.locator('nnx-layer-lab').evaluate((el) => {
      const run = (el as NnxLayerLab).lastRun!;
      const p = run.tensors['spectrum.propagated'];
      return { spec: run.spec, propagated: { shape: p.shape, data: Array.from(p.data) } };
    });
    const [steps, v, width] = propagated.shape;
    expect([v, width]).toEqual([34, 4]);
    const edges = undirectedEdgeIndex(34, spec.inputs.edge_index.data);
    const identity = { shape: [width, width], data: Float64Array.from({ length: width * width }, (_, q) => (q % (width + 1) === 0 ? 1 : 0)) };
    let x: Tensor64 = { shape: [v, width], data: Float64Array.from(spec.inputs.x.data) };
    for (let k = 0; k < steps; k++) {
      expect(mismatches(propagated.data.slice(k * v * width, (k + 1) * v * width), x.data), `Â^${k} x`).toEqual([]);
      x = gcnForwardRef(x, edges, identity, null);
    }

    // Hovering Â names the message and its coefficient.
    const heat = page.locator(`${SECTION} [data-role="ahat"] nnx-heatmap`);
    const at = await heat.evaluate((el) => (el as NnxHeatmap).cellCenter([33, 33]));
    await page.mouse.move(at.x, at.y);
    await expect.poll(() => page.locator(`${SECTION} [data-role="ahat"] nnx-heatmap .tip`).innerText(), { timeout: 5_000 }).toMatch(/message 33 → 33: 1\/√\(deg\(33\)·deg\(33\)\) = 1\/√\(18·18\) \(self loop\) = 0\.0555/);
    await page.screenshot({ path: join(RESULTS, 'layer-lab-gcn-spectrum-hover.png') });

    // Clicking the highest eigenvalue recolours the mode graph; its readout follows.
    const before = await fills('mode-graph');
    await page.locator(`${SECTION} circle[data-mode="33"]`).click();
    await expect.poll(() => text('mode-readout')).toMatch(/^λ̃_33 = /);
    const after = await fills('mode-graph');
    expect(after).toHaveLength(34);
    expect(after).not.toEqual(before);
    expect(Number(/λ̃_33 = ([\d.]+)/.exec(await text('mode-readout'))![1])).toBeCloseTo(expected[33], 6);
    await shot(section, 'layer-lab-gcn-spectrum.png');

    // The depth slider: node colours change and the energy at k = 8 is below k = 1's.
    const energyAt = async () => Number(/Dirichlet energy ([\d.e-]+)/.exec(await text('energy-readout'))![1]);
    const e1 = await energyAt();
    const atOne = await fills('depth-graph');
    await page.locator(`${SECTION} input[type="range"]`).fill('8');
    await expect.poll(() => text('depth-value')).toBe('8');
    expect(await energyAt()).toBeLessThan(e1);
    expect(await fills('depth-graph')).not.toEqual(atOne);
    await shot(section, 'layer-lab-gcn-spectrum-depth8.png');
    expect(browser().consoleErrors, `console errors:\n${browser().consoleErrors.join('\n')}`).toEqual([]);
  });

  it('the GAT and SAGE pages show the same section', { timeout: 240_000 }, async () => {
    for (const op of ['gat', 'sage']) {
      await openGraphPage({ op, graph: 'ring', nodes: 9, fin: 3, fout: 2, input: 'random', grad: 'random', seed: 1 });
      await browser().page.locator(SECTION).waitFor({ timeout: 20_000 });
      expect(await browser().page.locator(`${SECTION} circle[data-mode]`).count(), op).toBe(9);
      // The previous page's propagations do not leak into this run's kernel timings.
      const owners = await browser().page.locator('nnx-layer-lab').evaluate((el) => (el as NnxLayerLab).lastRun!.result.timings!.dispatches.map((d) => d.op));
      expect(new Set(owners), op).toEqual(new Set([op]));
    }
    expect(browser().consoleErrors, `console errors:\n${browser().consoleErrors.join('\n')}`).toEqual([]);
  });
});
