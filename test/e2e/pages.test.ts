/**
 * The Model Inspector and Kernel Timings pages in headless Chromium: the inspector's totals
 * equal src/analysis's buildSummary, sorting and depth folding work and stay in the URL, a bad
 * pasted ModelSpec shows its one-line error; the kernel page runs its cases on the browser's
 * WebGPU adapter and charts them. Screenshots go to test-results/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICE_PROFILES } from '../../src/analysis/roofline.ts';
import { buildSummary } from '../../src/analysis/summary.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';
import { RESULTS, useBrowser } from './harness.ts';

const browser = useBrowser('pages');

describe('Model Inspector and Kernel Timings in headless Chromium', () => {
  it('Model Inspector: totals equal buildSummary, sort and depth stay in the URL, charts and memory are drawn', async () => {
    const { page, baseUrl } = browser();
    await page.goto(`${baseUrl}#/model-inspector?model=resnet18&batch=4&dtype=bf16&opt=sgd&device=a100-sxm-80gb`);
    const params = page.locator('[data-role="total-params"]');
    await params.waitFor({ timeout: 10_000 });
    const ref = buildSummary(zooModel('resnet18'), { batch: 4, dtype: 'bf16', optimizer: 'sgd', device: DEVICE_PROFILES['a100-sxm-80gb'] });
    expect(Number(await params.getAttribute('data-value'))).toBe(ref.totals.params);
    expect(await params.innerText()).toBe(ref.totals.params.toLocaleString('en-US'));
    expect(Number(await page.locator('[data-role="total-macs"]').getAttribute('data-value'))).toBe(ref.totals.macs);
    expect(await page.locator('[data-role="training-peak"]').innerText()).toContain(ref.memory.peak_bytes.toLocaleString('en-US'));
    expect(await page.locator('[data-role="roofline"]').count()).toBe(1);
    await page.locator('nnx-chart[data-role="params-chart"] canvas').first().waitFor({ timeout: 5_000 });
    await page.locator('nnx-chart[data-role="macs-chart"] canvas').first().waitFor({ timeout: 5_000 });

    // Sort by MACs, descending: the first row has the most MACs among the shown rows.
    await page.locator('nnx-summary-table th[data-sort="macs"]').click();
    await page.waitForFunction(() => location.hash.includes('sort=macs'));
    const macs = await page.locator('nnx-summary-table td[data-col="macs"]').allInnerTexts();
    const values = macs.map((m) => Number(m.replace(/,/g, '')));
    expect(values).toEqual([...values].sort((a, c) => c - a));
    // Depth 1 folds every block: fewer rows, and the folded rows' params still add up to the total.
    await page.locator('button[data-depth="1"]').click();
    await page.waitForFunction(() => location.hash.includes('depth=1'));
    const rows = await page.locator('nnx-summary-table td[data-col="params"]').allInnerTexts();
    expect(rows.length).toBeLessThan(ref.layers.length);
    const depth1 = ref.layers.filter((l) => l.depth === 1).reduce((s, l) => s + l.inclusive.params, 0) + ref.layers.filter((l) => l.depth === 0).reduce((s, l) => s + l.params, 0);
    expect(rows.map((r) => Number(r.replace(/,/g, ''))).reduce((a, c) => a + c, 0)).toBe(depth1);
    await page.screenshot({ path: join(RESULTS, 'model-inspector.png'), fullPage: true });

    // A broken pasted spec: the one-line error from src/analysis/model_spec.ts, no table.
    const bad = encodeURIComponent(JSON.stringify({ name: 'bad', input: [1, 3, 8, 8], layers: [{ type: 'Conv2d', in_channels: 3, out_channels: 4 }] }));
    await page.goto(`${baseUrl}?fresh=1#/model-inspector?model=custom&spec=${bad}`);
    const error = page.locator('[data-role="spec-error"]');
    await error.waitFor({ timeout: 10_000 });
    const text = await error.innerText();
    expect(text.split('\n')).toHaveLength(1);
    expect(text).toMatch(/kernel_size/);
    expect(await page.locator('nnx-summary-table').count()).toBe(0);
    await page.screenshot({ path: join(RESULTS, 'model-inspector-error.png') });
  });

  it('Kernel Timings: runs the cases on the browser adapter, charts GPU time and reports GFLOP/s', async () => {
    const { page, baseUrl } = browser();
    await page.goto(`${baseUrl}?k=1#/kernel-timings`);
    await page.locator('nnx-kernel-bench[data-state="done"], nnx-kernel-bench[data-state="error"]').waitFor({ timeout: 60_000 });
    const failed = page.locator('[data-role="bench-error"]');
    if (await failed.count()) throw new Error(`the benchmark failed in the page: ${await failed.innerText()}`);
    const rows = page.locator('[data-role="bench-table"] tbody tr');
    expect(await rows.count()).toBe(9);
    const gpu = await page.locator('[data-role="bench-table"] td[data-col="gpu_ms"]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-value'))));
    expect(gpu.every((v) => v > 0)).toBe(true);
    // The conv2d case's FLOPs: forward 2·MACs + bias, where MACs = 16·8·9·16·16.
    const convFlops = Number(await page.locator('[data-role="bench-table"] tr').nth(1).locator('td[data-col="flops"]').getAttribute('data-value'));
    expect(convFlops).toBeGreaterThanOrEqual(2 * 16 * 8 * 9 * 16 * 16);
    await page.locator('nnx-chart[data-role="case-chart"] canvas').first().waitFor({ timeout: 5_000 });
    await page.locator('nnx-chart[data-role="kernel-chart"] canvas').first().waitFor({ timeout: 5_000 });
    await page.screenshot({ path: join(RESULTS, 'kernel-timings.png'), fullPage: true });
    expect(browser().consoleErrors, `console errors:\n${browser().consoleErrors.join('\n')}`).toEqual([]);
  });
});
