/**
 * Accessibility in headless Chromium: axe-core's WCAG 2.0/2.1 A and AA rules find no violation on
 * any page of the app (the Layer Lab with every op, the Gradient Lab, Compare, Model
 * Inspector with an imported ONNX file, Builder, Model Tracer, Kernel Timings, Landscape, Tape,
 * Parallel Planner, Museum), audited after each page has drawn its results (examples/embed.html
 * is audited in embed.test.ts). A heatmap takes the keyboard: arrow keys, Home and End move the
 * selected neuron (the neuron panel follows) and a live region announces the cell and its value.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { formatFloat32 } from '../../src/ui/format.ts';
import type { NnxHeatmap } from '../../src/ui/heatmap.ts';
import { expectNoAxeFindings } from './axe.ts';
import { openLab, RESULTS, ROOT, useBrowser, waitForRun } from './harness.ts';

const browser = useBrowser('a11y');
/** Fails with the page's own words when WebGPU is missing or the page's GPU run failed. */
async function expectNoRunError(page: Page): Promise<void> {
  if (await page.locator('nnx-webgpu-missing').count()) throw new Error('WebGPU is unavailable in Chromium');
  const failed = page.locator('[data-role="run-error"], [data-state="error"]');
  if (await failed.count()) throw new Error(`the page's GPU run failed: ${(await failed.first().innerText()).replace(/\s+/g, ' ').slice(0, 400)}`);
}

/** The colour map a tensor view's heatmap legend shows. */
function colormapOf(page: Page, tensor: string): Promise<string | null> {
  return page.locator(`nnx-tensor-view[data-name="${tensor}"] [data-role="legend"]`).getAttribute('data-colormap');
}

/**
 * Shows an app route. After the first page the hash changes in the same document, as a click on
 * the navigation does, so the GPU device and compiled kernels are reused.
 */
async function visit(page: Page, baseUrl: string, route: string): Promise<void> {
  if (page.url().startsWith(baseUrl)) await page.evaluate((h) => { location.hash = h; }, `#/${route}`);
  else await page.goto(`${baseUrl}#/${route}`);
}

/** Layer Lab pages whose run is another `nnx run` op (the ViT patch embedding is a strided conv2d). */
const RUN_OP: Record<string, string> = { vit_patch_embedding: 'conv2d' };

/** Shows a Layer Lab op with its default settings and waits for that op's run. */
async function showLabOp(page: Page, baseUrl: string, op: string): Promise<void> {
  await visit(page, baseUrl, `layer-lab?op=${op}`);
  await page.locator('nnx-layer-lab').waitFor({ timeout: 10_000 });
  await page.waitForFunction((name) => {
    const lab = document.querySelector('nnx-app')?.shadowRoot?.querySelector('nnx-layer-lab') as (HTMLElement & { lastRun: { spec: { op: string } } | null }) | null;
    return lab?.lastRun?.spec.op === name && ['done', 'error'].includes(lab.dataset.state ?? '');
  }, RUN_OP[op] ?? op, { timeout: 60_000 });
  await waitForRun(page);
}


/** Every Layer Lab op (src/ui/lab/registry.ts) past conv2d, which the keyboard test audits. */
const LAB_OPS = [
  'max_pool2d', 'avg_pool2d', 'linear', 'relu', 'cross_entropy', 'batch_norm', 'layer_norm', 'group_norm',
  'rnn', 'lstm', 'gru', 'gcn', 'gat', 'sage', 'softmax', 'embedding', 'scaled_dot_product_attention',
  'multi_head_attention', 'vit_patch_embedding', 'fake_quantize_per_tensor_affine', 'fake_quantize_per_channel_affine',
];

const CONV = { op: 'conv2d', n: 1, cin: 2, cout: 3, kh: 3, kw: 3, stride: 1, padding: 1, dilation: 1, groups: 1, bias: 1, h: 5, w: 6, input: 'image', grad: 'ones', seed: 2 };

describe('heatmap keyboard navigation and axe-core WCAG 2 A/AA audit of every page', () => {
  it('Layer Lab conv2d: arrow keys, Home/End and Page Down move the selected neuron; the live region announces it; no axe finding', async () => {
    const { page } = browser();
    await openLab(browser(), CONV);
    const heatmap = page.locator('nnx-tensor-view[data-name="output"] nnx-heatmap');
    const frame = heatmap.locator('[role="application"]');
    expect(await frame.getAttribute('aria-label')).toMatch(/^output, shape \[1, 3, 5, 6\]: heatmap/);
    const output = await heatmap.evaluate((el) => Array.from((el as NnxHeatmap).tensor!.data));
    const announce = heatmap.locator('[data-role="announce"]');
    const panelTitle = page.locator('nnx-neuron-panel h2');
    await frame.focus();
    const expectCell = async (key: string, index: number[]) => {
      await page.keyboard.press(key);
      const [, c, y, x] = index;
      await page.waitForFunction((n) => location.hash.includes(`neuron=${n}`), index.join('%2C'));
      expect(await panelTitle.innerText()).toBe(`output[${index.join(', ')}]`);
      expect(await announce.innerText()).toBe(`output[${index.join(', ')}], row ${y}, column ${x}: ${formatFloat32(output[(c * 5 + y) * 6 + x])}`);
    };
    await expectCell('ArrowRight', [0, 0, 0, 1]);
    await expectCell('ArrowDown', [0, 0, 1, 1]);
    await expectCell('End', [0, 0, 1, 5]);
    await expectCell('ArrowRight', [0, 0, 1, 5]);
    await expectCell('PageDown', [0, 1, 1, 5]);
    await expectCell('Home', [0, 1, 1, 0]);
    await expectCell('ArrowUp', [0, 1, 0, 0]);
    await expectCell('Control+End', [0, 1, 4, 5]);
    // The selection re-rendered the page around the heatmap; the keyboard focus stayed on it.
    expect(await heatmap.evaluate((el) => el.shadowRoot!.activeElement?.getAttribute('role'))).toBe('application');
    // A heatmap that selects nothing (the weight) still walks and announces its values, and leaves the selection alone.
    const weight = page.locator('nnx-tensor-view[data-name="weight"] nnx-heatmap');
    await weight.locator('[role="application"]').focus();
    await page.keyboard.press('ArrowDown');
    const w = await weight.evaluate((el) => Array.from((el as NnxHeatmap).tensor!.data));
    expect(await weight.locator('[data-role="announce"]').innerText()).toBe(`weight[0, 0, 1, 0], row 1, column 0: ${formatFloat32(w[3])}`);
    expect(await panelTitle.innerText()).toBe('output[0, 1, 4, 5]');
    // Signed tensors get the diverging map, the all-ones ∂L/∂output the sequential one.
    expect(await colormapOf(page, 'weight')).toBe('diverging');
    expect(await colormapOf(page, 'grad_output')).toBe('sequential');
    await page.locator('nnx-tensor-view[data-name="output"]').screenshot({ path: join(RESULTS, 'a11y-heatmap-keyboard.png') });
    await expectNoAxeFindings(page, 'Layer Lab conv2d with a selected neuron');
  });

  it.each(LAB_OPS)('Layer Lab %s', async (op) => {
    const { page, baseUrl } = browser();
    await showLabOp(page, baseUrl, op);
    if (op === 'relu') {
      expect(await colormapOf(page, 'output')).toBe('sequential');
      await page.locator('nnx-tensor-view[data-name="output"]').screenshot({ path: join(RESULTS, 'a11y-heatmap-sequential.png') });
    }
    // Select a neuron from the keyboard so that the op's detail panel is audited too.
    await page.locator('nnx-heatmap:has(canvas.clickable) [role="application"]').first().focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => location.hash.includes('neuron='));
    await page.locator('[data-role="neuron"] h2, [data-role="neuron"] h3, [data-role="neuron"] table').first().waitFor({ timeout: 10_000 });
    await expectNoAxeFindings(page, `Layer Lab ${op} with a selected neuron`);
  });

  const finished = (tag: string) => `${tag}[data-state="done"], ${tag}[data-state="error"], nnx-webgpu-missing`;
  it.each([
    ['Gradient Lab', 'gradient-lab?preset=vanishing&steps=2', finished('nnx-gradient-lab')],
    ['Model Tracer', 'model-tracer?model=gcn_karate', finished('nnx-model-tracer')],
    ['Landscape', 'landscape?depth=3&grid=5&steps=3&span=0.5', finished('nnx-landscape-page')],
    ['Tape', 'tape', finished('nnx-tape-page')],
    ['Museum', 'museum', finished('nnx-museum-page')],
    ['Model Inspector', 'model-inspector?model=resnet18', '[data-role="total-params"]'],
    ['Builder', 'builder', '[data-role="total-params"]'],
    ['Parallel Planner', 'parallel?model=llama2_7b&gpus=64&gpu=80', '[data-role="params"]'],
  ])('%s', async (label, route, ready) => {
    const { page, baseUrl } = browser();
    await visit(page, baseUrl, route);
    await page.locator(ready).first().waitFor({ timeout: 240_000 });
    await expectNoRunError(page);
    if (label === 'Gradient Lab') await page.locator('nnx-grad-flow-table').screenshot({ path: join(RESULTS, 'a11y-grad-flow-table.png') });
    if (label === 'Model Inspector') {
      // The summary table sorts from the keyboard: Enter on a focused column header.
      const macs = page.locator('nnx-summary-table th[data-sort="macs"]');
      await macs.focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.hash.includes('sort=macs'));
      expect(await macs.getAttribute('aria-sort')).toMatch(/^(ascending|descending)$/);
    }
    await expectNoAxeFindings(page, label);
  });

  it('Compare after a short run', async () => {
    const { page, baseUrl } = browser();
    await visit(page, baseUrl, 'compare?task=graph&archs=gcn,sage&steps=4&every=2');
    await page.locator('[data-role="run"]:not([disabled])').click({ timeout: 30_000 });
    await page.locator('nnx-compare-lab[data-state="done"], nnx-compare-lab[data-state="error"]').waitFor({ timeout: 60_000 });
    await expectNoRunError(page);
    await expectNoAxeFindings(page, 'Compare');
  });

  it('Model Inspector with an imported ONNX file', async () => {
    const { page, baseUrl } = browser();
    await visit(page, baseUrl, 'model-inspector?model=custom');
    await page.locator('details[data-role="onnx-import"] summary').click();
    await page.locator('input[name="onnx"]').setInputFiles(join(ROOT, 'test/fixtures/onnx_import/encoder_post_op11.onnx'));
    await page.locator('[data-role="onnx-note"]').waitFor({ timeout: 10_000 });
    await expectNoAxeFindings(page, 'Model Inspector (ONNX import)');
  });

  // Last, because the remaining benchmark cases keep the GPU busy after the audit.
  it('Kernel Timings (first case done)', async () => {
    const { page, baseUrl } = browser();
    await visit(page, baseUrl, 'kernel-timings');
    await page.locator('[data-role="bench-table"] tbody tr').first().waitFor({ timeout: 60_000 });
    await expectNoAxeFindings(page, 'Kernel Timings');
    expect(browser().consoleErrors, `console errors:\n${browser().consoleErrors.join('\n')}`).toEqual([]);
  });
});
