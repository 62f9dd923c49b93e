/**
 * The Gradient Lab and the Layer Lab's gradient-check panel in headless Chromium (WebGPU on
 * SwiftShader): the page loads without console errors, the 20-layer sigmoid preset trains on the
 * browser's GPU and is judged `vanishing`, the 12-layer Kaiming ReLU MLP gets no vanishing or
 * exploding verdict, the RNN vs LSTM preset charts ‖∂L/∂h_t‖ for both, and gradcheck passes for
 * conv2d. Screenshots go to test-results/.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { NnxGradientLab } from '../../src/ui/gradient_lab.ts';
import { openLab, RESULTS, useBrowser } from './harness.ts';

const browser = useBrowser('gradient-lab');

/** Opens the Gradient Lab with URL parameters and waits for its automatic training run. */
async function openGradientLab(page: Page, baseUrl: string, query: string): Promise<{ kinds: string[][] }> {
  await page.goto(`${baseUrl}?t=${Date.now()}#/gradient-lab?${query}`);
  const lab = page.locator('nnx-gradient-lab');
  await page.locator('nnx-gradient-lab[data-state="done"], nnx-gradient-lab[data-state="error"], nnx-webgpu-missing').first().waitFor({ timeout: 120_000 });
  const failed = page.locator('[data-role="run-error"]');
  if (await failed.count()) throw new Error(`the training run failed in the page: ${await failed.innerText()}`);
  if (await page.locator('nnx-webgpu-missing').count()) throw new Error('WebGPU is unavailable in Chromium');
  const kinds = await lab.evaluate((el) => (el as NnxGradientLab).runs.map((r) => r.verdicts.map((v) => v.kind)));
  return { kinds };
}

describe('Gradient Lab in headless Chromium', () => {
  it('the 20-layer sigmoid preset vanishes, the Kaiming ReLU MLP does not, charts and memory are drawn', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    const vanishing = await openGradientLab(page, baseUrl, 'preset=vanishing&steps=2');
    expect(vanishing.kinds).toHaveLength(1);
    expect(vanishing.kinds[0]).toContain('vanishing');
    expect(vanishing.kinds[0]).not.toContain('exploding');
    const verdict = page.locator('nnx-verdict-list [data-role="verdict"][data-kind="vanishing"]').first();
    expect(await verdict.getAttribute('data-layer')).toBe('fc0');
    expect(await verdict.innerText()).toMatch(/xavier_uniform/);
    // The table has a row per leaf layer (20 × (Linear, Sigmoid) + head), the charts are drawn.
    expect(await page.locator('nnx-grad-flow-table tbody tr').count()).toBe(41);
    await page.locator('nnx-chart[data-role="flow-chart"] canvas').first().waitFor({ timeout: 5_000 });
    await page.locator('nnx-chart[data-role="loss-chart"] canvas').first().waitFor({ timeout: 5_000 });
    const predicted = Number(await page.locator('nnx-memory-compare [data-role="predicted-peak"]').getAttribute('data-value'));
    const measured = Number(await page.locator('nnx-memory-compare [data-role="measured-peak"]').getAttribute('data-value'));
    expect(predicted).toBeGreaterThan(0);
    expect(Math.abs(measured / predicted - 1)).toBeLessThan(0.1);
    expect(page.url()).toContain('preset=vanishing');
    await page.screenshot({ path: join(RESULTS, 'gradient-lab-vanishing.png'), fullPage: true });

    const healthy = await openGradientLab(page, baseUrl, 'preset=healthy&steps=2');
    expect(healthy.kinds[0].filter((k) => k === 'vanishing' || k === 'exploding')).toEqual([]);

    // Plain RNN vs LSTM over 50 steps: both series of ‖∂L/∂h_t‖ are charted, the RNN's gradient
    // at t = 0 is far smaller relative to t = 49 than the LSTM's.
    await openGradientLab(page, baseUrl, 'preset=rnn-lstm&steps=1');
    const ratios = await page.locator('nnx-gradient-lab').evaluate((el) => (el as NnxGradientLab).runs.map((r) => {
      const g = r.layers.find((l) => l.grad_h_norm)!.grad_h_norm!;
      return [r.label, g.length, g[0] / g[g.length - 1]] as const;
    }));
    expect(ratios.map((r) => [r[0], r[1]])).toEqual([['RNN', 50], ['LSTM', 50]]);
    expect(ratios[0][2]).toBeLessThan(ratios[1][2] * 1e-3);
    await page.screenshot({ path: join(RESULTS, 'gradient-lab-rnn-lstm.png'), fullPage: true });
    expect(consoleErrors, `console errors:\n${consoleErrors.join('\n')}`).toEqual([]);
  });

  it('the Layer Lab gradient-check panel passes for conv2d', async () => {
    const br = browser();
    await openLab(br, { op: 'conv2d' });
    const panel = br.page.locator('nnx-gradcheck-panel');
    await panel.scrollIntoViewIfNeeded();
    await panel.locator('[data-role="gradcheck-run"]').click();
    await br.page.locator('nnx-gradcheck-panel[data-state="passed"], nnx-gradcheck-panel[data-state="failed"], nnx-gradcheck-panel[data-state="error"]').waitFor({ timeout: 30_000 });
    const rows = await panel.locator('[data-role="gradcheck-table"] tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-input'), Number(tr.querySelector('[data-col="max_rel_error"]')!.getAttribute('data-value'))] as const));
    expect(rows.map((r) => r[0])).toEqual(['x', 'weight', 'bias']);
    for (const [, err] of rows) expect(err).toBeLessThan(2e-2);
    expect(await panel.getAttribute('data-state')).toBe('passed');
    await br.page.locator('[data-role="gradcheck"]').screenshot({ path: join(RESULTS, 'layer-lab-gradcheck.png') });
    expect(br.consoleErrors, `console errors:\n${br.consoleErrors.join('\n')}`).toEqual([]);
  });
});
