/**
 * The Model Tracer in headless Chromium (WebGPU on SwiftShader): a zoo model (the GCN on the
 * karate club) and the page's custom ModelSpec (a residual block, BatchNorm) on a Fashion-MNIST
 * image are traced on the browser's GPU; the step control walks forward one layer at a time and
 * back, gradients and updates appear during the backward pass, a conv neuron's explanation adds up
 * to the GPU's output, a BatchNorm neuron shows its statistics, the residual edge is drawn, and
 * the console stays clean. Screenshots go to test-results/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { NnxModelTracer } from '../../src/ui/model_tracer.ts';
import type { NnxTensorView } from '../../src/ui/tensor_view.ts';
import { importOnnx } from '../../src/analysis/onnx/onnx_import.ts';
import { RESULTS, ROOT, useBrowser } from './harness.ts';

const browser = useBrowser('model-tracer');

/** Waits for the page's trace (a first one compiles every kernel: tens of seconds on SwiftShader) and returns its layer count. */
async function traced(page: Page): Promise<number> {
  await page.locator('nnx-model-tracer[data-state="done"], nnx-model-tracer[data-state="error"], nnx-webgpu-missing').first().waitFor({ timeout: 120_000 });
  if (await page.locator('nnx-webgpu-missing').count()) throw new Error('WebGPU is unavailable in Chromium');
  const failed = page.locator('[data-role="run-error"]');
  if (await failed.count()) throw new Error(`the trace failed in the page: ${await failed.innerText()}`);
  return page.locator('nnx-model-tracer').evaluate((el) => (el as NnxModelTracer).trace!.layers.length);
}

/** Clicks an output neuron of the current layer: its float64 recomputation must match the GPU's output. */
async function expectExplainedNeuron(page: Page, index: number[]): Promise<void> {
  const output = page.locator('[data-role="layer"] nnx-tensor-view[data-name="output"]');
  const at = await output.evaluate((el, i) => (el as NnxTensorView).cellCenter(i), index);
  await page.mouse.click(at.x, at.y);
  const panel = page.locator('[data-role="explanation"] nnx-neuron-panel');
  await panel.waitFor({ timeout: 10_000 });
  const recomputed = Number(await panel.locator('[data-role="recomputed"]').getAttribute('data-value'));
  const gpu = Number(await panel.locator('[data-role="output"]').getAttribute('data-value'));
  expect(Math.abs(recomputed - gpu)).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(gpu));
}

const phase = (page: Page) => page.locator('[data-role="phase"]').innerText();
const liveBytes = async (page: Page) => Number(await page.locator('[data-role="live-bytes"]').getAttribute('data-value'));

describe('Model Tracer in headless Chromium', () => {
  it('a zoo model (gcn_karate): forward layer by layer, then backward with gradients and parameter updates', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}?t=${Date.now()}#/model-tracer?model=gcn_karate`);
    const n = await traced(page);
    expect(n).toBe(3);
    expect(await page.locator('[data-role="status"]').innerText()).toMatch(/loss \d/);
    for (let i = 1; i <= n; i++) {
      await page.locator('[data-role="step"]').click();
      expect(await phase(page)).toContain(`forward ${i}/${n}`);
      expect(await page.locator('[data-role="layer"] nnx-tensor-view[data-name="grad_output"]').count()).toBe(0);
    }
    expect(await phase(page)).toContain('conv2 (GCNConv)');
    const forwardLive = await liveBytes(page);
    expect(forwardLive).toBeGreaterThan(0);
    await page.locator('[data-role="step"]').click();
    expect(await phase(page)).toContain(`backward 1/${n}`);
    await page.locator('[data-role="layer"] nnx-tensor-view[data-name="grad_output"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-role="params"] nnx-tensor-view[data-name="update"]').count()).toBe(2);
    await page.locator('[data-role="run-to-end"]').click();
    expect(await phase(page)).toContain(`backward ${n}/${n} · conv1 (GCNConv)`);
    await page.locator('[data-role="step-back"]').click();
    expect(await phase(page)).toContain(`backward ${n - 1}/${n} · relu (ReLU)`);
    expect(await liveBytes(page)).not.toBe(forwardLive);
    await page.screenshot({ path: join(RESULTS, 'model-tracer-gcn.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  it('a custom ModelSpec with a residual block on a Fashion-MNIST image: edge drawn, a conv neuron explained, backward to BatchNorm', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    // Chosen with the page's own controls when the page is open (kernels compiled for the first model are reused).
    if (!page.url().includes('#/model-tracer')) await page.goto(`${baseUrl}?t=${Date.now()}#/model-tracer`);
    await page.locator('select[name="model"]').selectOption('custom');
    await page.locator('input[name="sample"]').fill('7');
    await page.locator('input[name="sample"]').dispatchEvent('change');
    await page.locator('[data-role="trace"]').click();
    await page.locator('[data-role="status"]', { hasText: '9 layers kept' }).waitFor({ timeout: 120_000 });
    const n = await traced(page);
    expect(n).toBe(9);
    expect(page.url()).toContain('model=custom');
    // Before the first step the page shows the model input: the chosen image and its class.
    expect(await page.locator('nnx-model-tracer h2', { hasText: 'Fashion-MNIST training image 7' }).count()).toBe(1);
    // The residual sum reads the block's body and its input, three rows up: one arc.
    const edge = page.locator('nnx-tracer-column path[data-role="edge"]');
    expect(await edge.count()).toBe(1);
    expect([await edge.getAttribute('data-from'), await edge.getAttribute('data-to')]).toEqual(['relu', 'block']);
    for (let i = 1; i <= 4; i++) await page.locator('[data-role="step"]').click();
    expect(await phase(page)).toContain(`forward 4/${n} · block.0 (Conv2d)`);
    await expectExplainedNeuron(page, [0, 1, 13, 9]);
    await page.screenshot({ path: join(RESULTS, 'model-tracer-forward.png'), fullPage: true });

    await page.locator('[data-role="run-to-end"]').click();
    await page.locator('nnx-tracer-column li[data-name="bn1"]').click();
    expect(await phase(page)).toContain(`backward ${n - 1}/${n} · bn1 (BatchNorm2d)`);
    const out = page.locator('[data-role="layer"] nnx-tensor-view[data-name="output"]');
    const cell = await out.evaluate((el) => (el as NnxTensorView).cellCenter([0, 2, 10, 11]));
    await page.mouse.click(cell.x, cell.y);
    await page.locator('[data-role="explanation"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-role="explanation"]').innerText()).toMatch(/statistics of channel 2 over the batch \(784 values\)[\s\S]*invstd/);
    await page.screenshot({ path: join(RESULTS, 'model-tracer-custom.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  it('an imported .onnx file traces with its own weights, and a conv neuron explains itself', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    if (!page.url().includes('#/model-tracer')) await page.goto(`${baseUrl}?t=${Date.now()}#/model-tracer`);
    await page.locator('select[name="model"]').selectOption('onnx');
    expect(await page.locator('[data-role="trace"]').isDisabled()).toBe(true);
    const file = join(ROOT, 'examples/fashion_small_cnn.onnx');
    await page.locator('input[name="onnx"]').setInputFiles(file);
    await page.locator('[data-role="onnx-note"]', { hasText: '9 layers from ONNX opset 17' }).waitFor({ timeout: 10_000 });
    await page.locator('[data-role="trace"]').click();
    await page.locator('[data-role="status"]', { hasText: '9 layers kept' }).waitFor({ timeout: 120_000 });
    expect(await traced(page)).toBe(9);
    const expected = importOnnx(new Uint8Array(readFileSync(file))).spec.weights!['conv1.weight'].data as number[];
    const traced1 = await page.locator('nnx-model-tracer').evaluate((el) => Array.from((el as NnxModelTracer).trace!.params['conv1.weight'].value.data));
    expect(traced1).toEqual(expected.map(Math.fround));
    await page.locator('[data-role="step"]').click();
    expect(await phase(page)).toContain('forward 1/9 · conv1 (Conv2d)');
    await expectExplainedNeuron(page, [0, 5, 14, 3]);
    await page.screenshot({ path: join(RESULTS, 'model-tracer-onnx.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
