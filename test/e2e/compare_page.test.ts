/**
 * The Compare page in headless Chromium (WebGPU on SwiftShader): a short graph line-up (GCN,
 * GAT, SAGE on the karate club) and a short image line-up (the ViT on the shipped Fashion-MNIST
 * subset, fetched and gunzipped in the page; the CNN's first step alone compiles for over a
 * minute on SwiftShader) train live with no console error;
 * Stop pauses and Resume goes on; the curves, the table, the gradient-flow bars and the
 * predictions are filled from the runs; the URL keeps the set-up. Screenshots go to test-results/.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { NnxChart } from '../../src/ui/chart.ts';
import type { NnxCompareLab } from '../../src/ui/compare_lab.ts';
import { RESULTS, useBrowser } from './harness.ts';

const browser = useBrowser('compare');

/** Waits for the page to finish its run, failing with the page's own words. */
async function waitDone(page: Page, timeout: number): Promise<void> {
  await page.locator('nnx-compare-lab[data-state="done"], nnx-compare-lab[data-state="error"], nnx-webgpu-missing').first().waitFor({ timeout });
  if (await page.locator('nnx-webgpu-missing').count()) throw new Error('WebGPU is unavailable in Chromium');
  const failed = page.locator('[data-role="run-error"]');
  if (await failed.count()) throw new Error(`the run failed in the page: ${await failed.innerText()}`);
}

/** What the page holds: per run its curve length, evals, final metric, table row and chart series. */
async function snapshot(page: Page) {
  const runs = await page.locator('nnx-compare-lab').evaluate((el) => (el as NnxCompareLab).live.map((r) => ({
    arch: r.arch, steps: r.curve.length, evals: r.evals.map((e) => e.step), losses: r.curve.map((p) => p.loss),
    params: r.result!.params, accuracy: r.result!.final.test_accuracy, testLoss: r.result!.final.test_loss,
    flowLayers: r.result!.gradient_flow.layers.length, predictions: r.predictions?.kind ?? null,
    correct: r.predictions && 'correct' in r.predictions ? r.predictions.correct : null, total: r.predictions && 'total' in r.predictions ? r.predictions.total : null,
  })));
  const table = await page.locator('nnx-compare-table tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    arch: tr.getAttribute('data-arch'),
    params: Number(tr.querySelector('[data-col="params"]')!.textContent!.replace(/,/g, '')),
    accuracy: Number(tr.querySelector('[data-col="test_accuracy"]')?.textContent),
  })));
  const lossSeries = await page.locator('nnx-chart[data-role="loss-chart"]').evaluate((el) => (el as NnxChart).data!.series.map((s) => s.values));
  return { runs, table, lossSeries };
}

describe('Compare page in headless Chromium', () => {
  it('trains the graph line-up live, stops and resumes, and shows curves, table, bars and predicted classes', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}?t=${Date.now()}#/compare?task=graph&archs=gcn,gat,sage&steps=24&every=8`);
    const lab = page.locator('nnx-compare-lab');
    await page.locator('[data-role="run"]:not([disabled])').waitFor({ timeout: 30_000 });
    await page.locator('[data-role="run"]').click();
    // Stop while the first architecture trains, then resume.
    await page.locator('[data-role="stop"]').click();
    await page.locator('nnx-compare-lab[data-state="paused"]').waitFor({ timeout: 30_000 });
    const pausedAt = await lab.evaluate((el) => (el as NnxCompareLab).live.reduce((s, r) => s + r.curve.length, 0));
    await page.waitForTimeout(1500);
    expect(await lab.evaluate((el) => (el as NnxCompareLab).live.reduce((s, r) => s + r.curve.length, 0))).toBe(pausedAt);
    expect(await page.locator('[data-role="progress"]').innerText()).toMatch(/press Resume/);
    await page.locator('[data-role="resume"]').click();
    await waitDone(page, 60_000);

    const { runs, table, lossSeries } = await snapshot(page);
    expect(runs.map((r) => r.arch)).toEqual(['gcn', 'gat', 'sage']);
    for (const r of runs) {
      expect(r.steps).toBe(24);
      expect(r.evals).toEqual([8, 16, 24]);
      expect(r.losses.every(Number.isFinite)).toBe(true);
      expect(r.losses[23]).toBeLessThan(r.losses[0]);
      expect(r.flowLayers).toBe(2);
      // The drawn predictions are the run's own: their count of right test nodes is its accuracy.
      expect(r.predictions).toBe('graph');
      expect(r.total).toBe(28);
      expect(r.correct! / r.total!).toBeCloseTo(r.accuracy!, 10);
    }
    // Two-layer GCN on the karate club separates the factions (the bar is 0.7 at 100 steps).
    expect(runs[0].accuracy).toBeGreaterThan(0.6);
    expect(table.map((t) => [t.arch, t.params, t.accuracy])).toEqual(runs.map((r) => [r.arch, r.params, Number(r.accuracy!.toFixed(3))]));
    expect(lossSeries).toEqual(runs.map((r) => r.losses));
    await page.locator('nnx-chart[data-role="metric-chart"] canvas').first().waitFor({ timeout: 5_000 });
    expect(await page.locator('nnx-chart[data-role="grad-bars"]').count()).toBe(3);
    expect(await page.locator('nnx-compare-predictions nnx-graph-view').count()).toBe(3);
    // The x-axis switches to wall time: the loss chart's x becomes the runs' cumulative seconds.
    await page.locator('[data-x="time"]').click();
    const timeX = await page.locator('nnx-chart[data-role="loss-chart"]').evaluate((el) => (el as NnxChart).data!.x);
    expect(timeX.length).toBeGreaterThan(24);
    expect(page.url()).toContain('task=graph');
    expect(page.url()).toContain('steps=24');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(RESULTS, 'compare-graph.png'), fullPage: true });
    expect(consoleErrors, `console errors:\n${consoleErrors.join('\n')}`).toEqual([]);
  });

  it('trains the image line-up on Fashion-MNIST fetched in the page and shows the confusion matrix', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    // Beside the ViT, a ModelSpec of the person's own (as the Builder sends it): Flatten + Linear(784, 10).
    const own = { name: 'linear_probe', input: [1, 1, 28, 28], layers: [{ type: 'Flatten' }, { type: 'Linear', in_features: 784, out_features: 10 }] };
    await page.goto(`${baseUrl}?t=${Date.now()}#/compare?task=image&archs=vit,custom&steps=2&batch=4&test=16&every=2&spec=${encodeURIComponent(JSON.stringify(own))}`);
    expect(await page.locator('[data-role="custom-name"]').innerText()).toBe('(linear_probe)');
    await page.locator('[data-role="run"]:not([disabled])').waitFor({ timeout: 30_000 });
    await page.locator('[data-role="run"]').click();
    await waitDone(page, 150_000);
    const { runs, table } = await snapshot(page);
    expect(runs.map((r) => [r.arch, r.steps, r.evals])).toEqual([['vit', 2, [2]], ['custom', 2, [2]]]);
    expect(table.map((t) => t.params)).toEqual([79_690, 7_850]);
    for (const r of runs) {
      expect(r.predictions).toBe('confusion');
      expect(r.total).toBe(16);
      expect(r.correct! / r.total!).toBeCloseTo(r.accuracy!, 10);
    }
    const cells = await page.locator('nnx-compare-predictions [data-role="confusion"]').first().locator('td').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-count'))));
    expect(cells).toHaveLength(100);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(16);
    expect(await page.locator('nnx-chart[data-role="grad-bars"]').count()).toBe(2);
    expect(await page.locator('[data-role="data"]').innerText()).toMatch(/the first 4000 training and 16 test samples/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(RESULTS, 'compare-image.png'), fullPage: true });
    expect(consoleErrors, `console errors:\n${consoleErrors.join('\n')}`).toEqual([]);
  }, 180_000);
});
