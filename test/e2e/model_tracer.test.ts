/**
 * The Model Tracer in headless Chromium (WebGPU on SwiftShader): LeNet-5 from the zoo on a
 * Fashion-MNIST image and the page's custom ModelSpec (a residual block, BatchNorm) are traced on
 * the browser's GPU; the step control walks forward one layer at a time and back, a conv neuron's
 * explanation adds up to the GPU's output, gradients and updates appear during the backward
 * pass, residual edges are drawn, and the console stays clean. Screenshots go to test-results/.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { NnxModelTracer } from '../../src/ui/model_tracer.ts';
import type { NnxTensorView } from '../../src/ui/tensor_view.ts';
import { RESULTS, useBrowser } from './harness.ts';

const browser = useBrowser('model-tracer');

/** Opens the page and waits for its automatic trace (the first compiles every kernel: tens of seconds on SwiftShader). */
async function openTracer(page: Page, baseUrl: string, query: string): Promise<number> {
  await page.goto(`${baseUrl}?t=${Date.now()}#/model-tracer${query ? `?${query}` : ''}`);
  return traced(page);
}

async function traced(page: Page): Promise<number> {
  await page.locator('nnx-model-tracer[data-state="done"], nnx-model-tracer[data-state="error"], nnx-webgpu-missing').first().waitFor({ timeout: 120_000 });
  if (await page.locator('nnx-webgpu-missing').count()) throw new Error('WebGPU is unavailable in Chromium');
  const failed = page.locator('[data-role="run-error"]');
  if (await failed.count()) throw new Error(`the trace failed in the page: ${await failed.innerText()}`);
  return page.locator('nnx-model-tracer').evaluate((el) => (el as NnxModelTracer).trace!.layers.length);
}

const phase = (page: Page) => page.locator('[data-role="phase"]').innerText();

describe('Model Tracer in headless Chromium', () => {
  it('LeNet-5 on a Fashion-MNIST image: forward layer by layer, a conv neuron explained, backward with gradients and updates', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    const n = await openTracer(page, baseUrl, 'sample=7');
    expect(n).toBe(12);
    expect(await page.locator('[data-role="status"]').innerText()).toMatch(/loss \d/);
    for (let i = 1; i <= 4; i++) {
      await page.locator('[data-role="step"]').click();
      expect(await phase(page)).toContain(`forward ${i}/${n}`);
    }
    // forward 4: conv2 — its output is clickable; the explanation's Σ x·w + b equals the GPU output.
    expect(await phase(page)).toContain('conv2 (Conv2d)');
    const output = page.locator('[data-role="layer"] nnx-tensor-view[data-name="output"]');
    const at = await output.evaluate((el) => (el as NnxTensorView).cellCenter([0, 5, 3, 4]));
    await page.mouse.click(at.x, at.y);
    const panel = page.locator('[data-role="explanation"] nnx-neuron-panel');
    await panel.waitFor({ timeout: 10_000 });
    const recomputed = Number(await panel.locator('[data-role="recomputed"]').getAttribute('data-value'));
    const gpu = Number(await panel.locator('[data-role="output"]').getAttribute('data-value'));
    expect(Math.abs(recomputed - gpu)).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(gpu));
    expect(await page.locator('[data-role="layer"] nnx-tensor-view[data-name="grad_output"]').count()).toBe(0);
    const liveForward = Number(await page.locator('[data-role="live-bytes"]').getAttribute('data-value'));
    expect(liveForward).toBeGreaterThan(0);
    await page.screenshot({ path: join(RESULTS, 'model-tracer-forward.png'), fullPage: true });

    await page.locator('[data-role="run-to-end"]').click();
    expect(await phase(page)).toContain(`backward ${n}/${n}`);
    for (let i = n - 1; i >= n - 3; i--) {
      await page.locator('[data-role="step-back"]').click();
      expect(await phase(page)).toContain(`backward ${i}/${n}`);
    }
    // Stepping back from the end reaches fc2 … (backward order is reverse); find conv1 by clicking its row.
    await page.locator('nnx-tracer-column li[data-name="conv1"]').click();
    expect(await phase(page)).toContain('conv1 (Conv2d)');
    await page.locator('[data-role="layer"] nnx-tensor-view[data-name="grad_output"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-role="params"] nnx-tensor-view[data-name="update"]').count()).toBe(2);
    await page.screenshot({ path: join(RESULTS, 'model-tracer-backward.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  it('a custom ModelSpec with a residual block: edges drawn, stepped forward and backward', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    // Chosen with the page's own controls when the page is open (the kernels compiled for LeNet-5 are reused).
    if (!page.url().includes('#/model-tracer')) await openTracer(page, baseUrl, '');
    await page.locator('select[name="model"]').selectOption('custom');
    await page.locator('select[name="input"]').selectOption('seeded');
    await page.locator('[data-role="trace"]').click();
    await page.locator('[data-role="status"]', { hasText: '9 layers kept' }).waitFor({ timeout: 120_000 });
    const n = await traced(page);
    expect(page.url()).toContain('model=custom');
    expect(n).toBe(9);
    // The residual sum reads the block's body and its input, three rows up: one arc.
    const edge = page.locator('nnx-tracer-column path[data-role="edge"]');
    expect(await edge.count()).toBe(1);
    expect([await edge.getAttribute('data-from'), await edge.getAttribute('data-to')]).toEqual(['relu', 'block']);
    for (let i = 1; i <= n + 2; i++) await page.locator('[data-role="step"]').click();
    expect(await phase(page)).toContain(`backward 2/${n}`);
    await page.locator('nnx-tracer-column li[data-name="bn1"]').click();
    const out = page.locator('[data-role="layer"] nnx-tensor-view[data-name="output"]');
    const at = await out.evaluate((el) => (el as NnxTensorView).cellCenter([0, 2, 10, 11]));
    await page.mouse.click(at.x, at.y);
    await page.locator('[data-role="explanation"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-role="explanation"]').innerText()).toMatch(/invstd/);
    await page.screenshot({ path: join(RESULTS, 'model-tracer-custom.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
