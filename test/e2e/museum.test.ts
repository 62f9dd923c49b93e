/**
 * The Museum page in headless Chromium (WebGPU on SwiftShader): the default exhibit (saturated
 * tanh) runs on load with a saturation verdict on the broken side, none on the fixed side, and
 * its charts; the naive-softmax exhibit shows inf where log-sum-exp matches float64 (computed
 * here); the residual study section charts ‖∂L/∂W‖ per layer; the normalization study section
 * tables every norm at both batch sizes and the kernels' variance error. Screenshots go to test-results/;
 * the console stays clean.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { NnxMuseumPage } from '../../src/ui/museum_page.ts';
import { RESULTS, useBrowser } from './harness.ts';

const browser = useBrowser('museum');

async function settled(page: Page): Promise<void> {
  await page.locator('nnx-museum-page[data-state="done"], nnx-museum-page[data-state="error"], nnx-webgpu-missing').first().waitFor({ timeout: 240_000 });
  if (await page.locator('nnx-webgpu-missing').count()) throw new Error('WebGPU is unavailable in Chromium');
  const failed = page.locator('[data-role="run-error"]');
  if (await failed.count()) throw new Error(`the exhibit failed: ${await failed.innerText()}`);
}

describe('Museum page in headless Chromium', () => {
  it('saturated-init runs on load: saturation on the broken side, healthy fixed side, charts drawn', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}?t=${Date.now()}#/museum`);
    await settled(page);
    const museum = page.locator('nnx-museum-page');
    const result = await museum.evaluate((el) => (el as NnxMuseumPage).result);
    expect(result!.exhibit).toBe('saturated-init');
    expect(result!.broken.verdicts.map((v) => v.kind)).toContain('saturation');
    expect(result!.fixed.verdicts).toEqual([]);
    expect(await page.locator('[data-side="broken"] [data-role="verdict"][data-kind="saturation"]').count()).toBe(1);
    expect(await page.locator('[data-side="fixed"] [data-role="healthy"]').count()).toBe(1);
    expect(await page.locator('[data-role="exhibit"] nnx-chart').count()).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(RESULTS, 'museum-saturated-init.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  }, 300_000);

  it('naive-softmax: inf from the naive loss, log-sum-exp equal to float64', async () => {
    const { page, consoleErrors } = browser();
    await page.locator('[data-exhibit="naive-softmax"]').first().click();
    await page.locator('[data-role="run"]').click();
    await page.locator('[data-role="exhibit"][data-exhibit="naive-softmax"]').waitFor({ timeout: 120_000 });
    await settled(page);
    const e = (await page.locator('nnx-museum-page').evaluate((el) => (el as NnxMuseumPage).result))!;
    const spec = e.broken.spec as { logits: { shape: number[]; data: number[] }; target: number[] };
    const [rows, classes] = spec.logits.shape;
    const stable = e.fixed.evidence.loss_per_row as number[];
    for (let r = 0; r < rows; r++) {
      const x = spec.logits.data.slice(r * classes, (r + 1) * classes);
      const m = Math.max(...x);
      const expected = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0)) - x[spec.target[r]];
      expect(Math.abs(stable[r] - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, expected));
    }
    expect(e.broken.evidence.loss_per_row as unknown[]).toContain('Infinity');
    expect(await page.locator('[data-role="softmax-rows"]').innerText()).toContain('Infinity');
    expect(await page.locator('[data-side="broken"] [data-role="verdict"][data-kind="overflow"]').count()).toBe(1);
    await page.screenshot({ path: join(RESULTS, 'museum-naive-softmax.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  }, 300_000);

  it('residual study section: plain vs residual ‖∂L/∂W‖ per layer and the Jacobian terms', async () => {
    const { page, consoleErrors } = browser();
    await page.locator('[data-role="run-residual"]').click();
    await page.locator('[data-role="residual-study"]').waitFor({ timeout: 280_000 });
    const report = (await page.locator('nnx-museum-page').evaluate((el) => (el as NnxMuseumPage).residual))!;
    expect(report.depths.map((d) => d.depth)).toEqual([10, 20]);
    for (const d of report.depths) {
      expect(d.plain.layers).toHaveLength(d.depth);
      expect(d.residual.first_to_last).toBeGreaterThan(100 * d.plain.first_to_last);
    }
    expect(await page.locator('[data-role="residual-study"] nnx-chart').count()).toBe(2);
    expect(await page.locator('[data-role="jacobian"] tr').count()).toBeGreaterThan(1);
    await page.locator('[data-role="studies"]').screenshot({ path: join(RESULTS, 'museum-residual-study.png') });
    expect(consoleErrors).toEqual([]);
  }, 300_000);

  it('normalization study section: every norm at batch 2 and 8, BatchNorm\'s gap, the variance error table', async () => {
    const { page, consoleErrors } = browser();
    await page.locator('[data-role="run-norms"]').click();
    await page.locator('[data-role="norms-study"]').waitFor({ timeout: 380_000 });
    const report = (await page.locator('nnx-museum-page').evaluate((el) => (el as NnxMuseumPage).norms))!;
    expect(report.runs.map((r) => `${r.norm}@${r.batch}`)).toEqual(['batch_norm@2', 'layer_norm@2', 'group_norm@2', 'none@2', 'batch_norm@8', 'layer_norm@8', 'group_norm@8', 'none@8']);
    expect(report.runs.filter((r) => r.train_eval_gap).length).toBe(2);
    for (const v of report.variance_error) expect(v.variance_relative_error).toBeLessThan(1e-5);
    expect(await page.locator('[data-role="norms-study"] tr').count()).toBe(9);
    await page.locator('[data-role="studies"]').screenshot({ path: join(RESULTS, 'museum-norms-study.png') });
    expect(consoleErrors).toEqual([]);
  }, 400_000);
});
