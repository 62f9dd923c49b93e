/**
 * The built app in headless Chromium (WebGPU on SwiftShader): the Layer Lab runs a conv2d on
 * the GPU, the output it shows matches an independent float64 computation on the input it
 * shows, and clicking an output neuron lists its terms and lights up its receptive field.
 *
 * This test fails (never skips) when Chromium or WebGPU is missing, saying which.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeConv2dAttrs } from '../../src/analysis/conv_shapes.ts';
import { conv2dForwardRef } from '../../src/analysis/reference/conv2d.ts';
import type { Tensor, Tensor64 } from '../../src/analysis/tensor.ts';
import type { NnxChart } from '../../src/ui/chart.ts';
import type { NnxHeatmap } from '../../src/ui/heatmap.ts';
import type { NnxMemoryTimeline } from '../../src/ui/memory_timeline.ts';
import type { NnxTensorView } from '../../src/ui/tensor_view.ts';
import { readTensor, RESULTS, tolerance, useBrowser, waitForRun } from './harness.ts';

/** The layer under test: batch 2, grouped, dilated, strided, padded, non-square everything. */
const LAYER = { n: 2, cin: 4, cout: 6, kh: 3, kw: 2, stride: 2, padding: 1, dilation: 2, groups: 2, h: 9, w: 11 };
const ATTRS = { stride: LAYER.stride, padding: LAYER.padding, dilation: LAYER.dilation, groups: LAYER.groups };
const HASH = `#/layer-lab?op=conv2d&${Object.entries(LAYER).map(([k, v]) => `${k}=${v}`).join('&')}&bias=1&input=image&grad=random&seed=7`;

const browser = useBrowser('app');

function toF64(t: Tensor): Tensor64 {
  return { shape: [...t.shape], data: Float64Array.from(t.data) };
}

describe('Layer Lab in headless Chromium (WebGPU on SwiftShader)', () => {
  it('runs conv2d on the GPU and shows outputs equal to a float64 reference on the shown input', async () => {
    const { page, baseUrl } = browser();
    await page.goto(baseUrl + HASH);
    await waitForRun(page);
    const adapter = (await page.locator('[data-role="adapter"]').innerText()).trim();
    expect(adapter).toMatch(/^WebGPU\s+\S/);

    // Press Run (the page already ran once on load) and wait for the new result event.
    await page.evaluate(() => {
      const w = window as unknown as { nnxRuns: number };
      w.nnxRuns = 0;
      document.addEventListener('nnx-result', () => w.nnxRuns++);
    });
    await page.getByRole('button', { name: /run forward/i }).click();
    await page.waitForFunction(() => (window as unknown as { nnxRuns: number }).nnxRuns >= 1, null, { timeout: 30_000 });
    await waitForRun(page);

    const [x, weight, bias, output] = await Promise.all(['x', 'weight', 'bias', 'output'].map((name) => readTensor(page, name)));
    expect(x.shape).toEqual([LAYER.n, LAYER.cin, LAYER.h, LAYER.w]);
    expect(weight.shape).toEqual([LAYER.cout, LAYER.cin / LAYER.groups, LAYER.kh, LAYER.kw]);
    expect(bias.shape).toEqual([LAYER.cout]);
    const attrs = normalizeConv2dAttrs(ATTRS, LAYER.kh, LAYER.kw);
    const expected = conv2dForwardRef(toF64(x), toF64(weight), toF64(bias), attrs);
    expect(output.shape).toEqual(expected.shape);
    expect(expected.shape).toEqual([2, 6, 4, 6]);
    const bad: string[] = [];
    expected.data.forEach((e, i) => {
      if (!(Math.abs(output.data[i] - e) <= tolerance(e))) bad.push(`#${i}: page ${output.data[i]} vs float64 ${e}`);
    });
    expect(bad, `outputs that differ from the float64 reference:\n${bad.slice(0, 10).join('\n')}`).toEqual([]);
    // The input is not trivial (a blank image would make the check meaningless).
    expect(Math.max(...x.data) - Math.min(...x.data)).toBeGreaterThan(0.5);

    // Hovering shows the exact value of a cell.
    const outputView = page.locator('nnx-tensor-view[data-name="output"]');
    await outputView.scrollIntoViewIfNeeded();
    for (const index of [[0, 0, 0, 0], [1, 5, 3, 5], [1, 2, 1, 3]]) {
      const at = await outputView.evaluate((el, i) => (el as NnxTensorView).cellCenter(i), index);
      await page.mouse.move(at.x, at.y);
      const tip = page.locator('nnx-tensor-view[data-name="output"] nnx-heatmap .tip');
      await tip.waitFor({ timeout: 5_000 });
      expect(await tip.innerText()).toContain(`output[${index.join(', ')}]`);
      const shown = Number((await tip.locator('.v').innerText()).trim());
      const flat = index.reduce((f, v, d) => f * expected.shape[d] + v, 0);
      expect(Math.abs(shown - expected.data[flat])).toBeLessThanOrEqual(tolerance(expected.data[flat]));
    }

    // The memory timeline draws live bytes after every ledger event through <nnx-chart>.
    const timeline = page.locator('nnx-memory-timeline');
    await timeline.scrollIntoViewIfNeeded();
    const drawn = await timeline.evaluate((el) => {
      const chart = el.shadowRoot!.querySelector('nnx-chart') as NnxChart;
      const plot = chart.uplot!;
      return { memory: (el as NnxMemoryTimeline).memory!, x: Array.from(plot.data[0]), y: Array.from(plot.data[1] as number[]), width: plot.width };
    });
    const events = drawn.memory.buffers.flatMap((b) => (b.destroyed === null ? [[b.created, b.bytes]] : [[b.created, b.bytes], [b.destroyed, -b.bytes]])).sort((a, b) => a[0] - b[0]);
    const before = drawn.memory.live_bytes_after - drawn.memory.buffers.reduce((sum, b) => sum + (b.destroyed === null ? b.bytes : 0), 0);
    expect(drawn.x).toEqual([0, ...events.map(([clock]) => clock - events[0][0] + 1)]);
    expect(drawn.y).toEqual(events.reduce((ys, [, delta]) => [...ys, ys[ys.length - 1] + delta], [before]));
    expect(drawn.y[drawn.y.length - 1]).toBe(drawn.memory.live_bytes_after);
    expect(drawn.width).toBeGreaterThan(200);
    await timeline.screenshot({ path: join(RESULTS, 'memory-timeline.png') });

    // Zoomed to 4×, the canvas scrolls inside its frame and hover still shows the exact value.
    await outputView.locator('select[data-role="zoom"]').selectOption('4');
    await outputView.scrollIntoViewIfNeeded();
    const zoomedIndex = [1, 4, 2, 4];
    const at = await outputView.evaluate((el, i) => (el as NnxTensorView).cellCenter(i), zoomedIndex);
    await page.mouse.move(at.x, at.y);
    const zoomedTip = page.locator('nnx-tensor-view[data-name="output"] nnx-heatmap .tip', { hasText: `output[${zoomedIndex.join(', ')}]` });
    await zoomedTip.waitFor({ timeout: 5_000 });
    const frame = await outputView.locator('nnx-heatmap .scroll').evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(frame.scroll).toBeGreaterThan(frame.client);
    const zoomedShown = Number((await zoomedTip.locator('.v').innerText()).trim());
    const zoomedFlat = zoomedIndex.reduce((f, v, d) => f * expected.shape[d] + v, 0);
    expect(Math.abs(zoomedShown - expected.data[zoomedFlat])).toBeLessThanOrEqual(tolerance(expected.data[zoomedFlat]));
    await page.screenshot({ path: join(RESULTS, 'layer-lab-zoom.png') });
    await outputView.locator('select[data-role="zoom"]').selectOption('1');
  });

  it('clicking an output neuron lists its terms, sum, bias and output and lights up its receptive field', async () => {
    const { page } = browser();
    const index = [1, 3, 0, 5];
    const outputView = page.locator('nnx-tensor-view[data-name="output"]');
    await outputView.scrollIntoViewIfNeeded();
    const at = await outputView.evaluate((el, i) => (el as NnxTensorView).cellCenter(i), index);
    await page.mouse.click(at.x, at.y);
    const panel = page.locator('nnx-neuron-panel');
    await panel.locator('h2').waitFor({ timeout: 10_000 });
    expect(await panel.locator('h2').innerText()).toBe(`output[${index.join(', ')}]`);

    // Every term: (in/groups)·kh·kw rows, the padded ones marked, as the geometry says.
    const perGroup = LAYER.cin / LAYER.groups;
    let padded = 0;
    for (let ky = 0; ky < LAYER.kh; ky++) {
      for (let kx = 0; kx < LAYER.kw; kx++) {
        const iy = index[2] * LAYER.stride - LAYER.padding + ky * LAYER.dilation;
        const ix = index[3] * LAYER.stride - LAYER.padding + kx * LAYER.dilation;
        if (iy < 0 || iy >= LAYER.h || ix < 0 || ix >= LAYER.w) padded += perGroup;
      }
    }
    expect(padded).toBeGreaterThan(0);
    expect(await panel.locator('tr.term').count()).toBe(perGroup * LAYER.kh * LAYER.kw);
    expect(await panel.locator('tr.term[data-padded="true"]').count()).toBe(padded);
    expect(await panel.locator('tr.term[data-padded="true"]').first().textContent()).toContain('padding');

    // Σ x·w + bias equals the GPU output shown, which equals the float64 reference.
    const value = async (role: string) => Number(await panel.locator(`[data-role="${role}"]`).getAttribute('data-value'));
    const [sum, biasValue, shownOutput] = [await value('sum'), await value('bias'), await value('output')];
    const products = (await panel.locator('tr.term td[data-value]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-value')))));
    expect(Math.abs(products.reduce((s, p) => s + p, 0) - sum)).toBeLessThan(1e-9);
    expect(Math.abs(sum + biasValue - shownOutput)).toBeLessThanOrEqual(tolerance(shownOutput));
    const [x, weight, bias] = await Promise.all(['x', 'weight', 'bias'].map((name) => readTensor(page, name)));
    const ref = conv2dForwardRef(toF64(x), toF64(weight), toF64(bias), normalizeConv2dAttrs(ATTRS, LAYER.kh, LAYER.kw));
    const expected = ref.data[index.reduce((f, v, d) => f * ref.shape[d] + v, 0)];
    expect(Math.abs(shownOutput - expected)).toBeLessThanOrEqual(tolerance(expected));

    // The receptive field is outlined on the input: one cell per term, in the neuron's group.
    const highlight = await page.locator('nnx-tensor-view[data-name="x"] nnx-heatmap').evaluate((el) => (el as NnxHeatmap).highlight);
    expect(highlight).toHaveLength(perGroup * LAYER.kh * LAYER.kw);
    const group = Math.floor(index[1] / (LAYER.cout / LAYER.groups));
    expect(new Set(highlight!.map((i) => i[1]))).toEqual(new Set([group * perGroup, group * perGroup + 1]));
    expect(highlight!.every((i) => i[0] === index[0])).toBe(true);
    expect(decodeURIComponent(page.url())).toContain(`neuron=${index.join(',')}`);

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(RESULTS, 'layer-lab.png'), fullPage: true });
  });

  it('runs a conv2d wide enough for the implicit-GEMM kernels (16 channels in and out)', async () => {
    const { page, baseUrl } = browser();
    const wide = { n: 1, cin: 16, cout: 16, kh: 3, kw: 3, stride: 1, padding: 1, dilation: 1, groups: 1, h: 10, w: 10 };
    await page.goto(`${baseUrl}#/layer-lab?op=conv2d&${Object.entries(wide).map(([k, v]) => `${k}=${v}`).join('&')}&bias=1&input=random&grad=ones&seed=3`);
    await page.evaluate(() => ((window as unknown as { nnxRuns: number }).nnxRuns = 0));
    await page.getByRole('button', { name: /run forward/i }).click();
    // Its first run compiles the GEMM pipelines for these tile shapes, which takes SwiftShader tens of seconds on a busy machine.
    await waitForRun(page, 90_000);
    const [x, weight, bias, output] = await Promise.all(['x', 'weight', 'bias', 'output'].map((name) => readTensor(page, name)));
    expect(x.shape).toEqual([1, 16, 10, 10]);
    // SwiftShader (this machine's adapter) runs the register-blocked kernels instead of the GEMM.
    expect(await page.getByText(/^conv2d_(gemm|blocked)_forward$/).count()).toBeGreaterThan(0);
    const expected = conv2dForwardRef(toF64(x), toF64(weight), toF64(bias), normalizeConv2dAttrs({ stride: 1, padding: 1, dilation: 1, groups: 1 }, 3, 3));
    expect(output.shape).toEqual(expected.shape);
    const worst = expected.data.reduce((m, e, i) => Math.max(m, Math.abs(output.data[i] - e) - tolerance(e)), -Infinity);
    expect(worst).toBeLessThanOrEqual(0);
  });

  it('explains an impossible configuration with the output-size formula and its numbers', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    // A fresh document (the query string differs), so an earlier stuck run cannot leak in.
    await page.goto(`${baseUrl}?fresh#/layer-lab?op=conv2d&n=1&cin=3&cout=4&kh=5&kw=5&stride=1&padding=0&dilation=1&groups=1&bias=1&h=3&w=4&input=image&grad=ones&seed=1`);
    const error = page.locator('[data-role="validation-error"]');
    await error.waitFor({ timeout: 10_000 });
    expect(await error.innerText()).toContain('larger than the padded input 3×4');
    expect(await page.locator('[data-role="formula"]').innerText()).toContain('⌊(3 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1');
    expect(await page.getByRole('button', { name: /run forward/i }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(RESULTS, 'layer-lab-invalid.png') });
    expect(consoleErrors, `console errors:\n${consoleErrors.join('\n')}`).toEqual([]);
  });

  it('a GPU device destroyed mid-run is reported in one line, and the next click runs on a new device without a reload', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}?lost#/layer-lab?op=relu`);
    await waitForRun(page);
    const lost = await page.evaluate(async () => {
      const app = document.querySelector('nnx-app') as HTMLElement & { runtime: { device: GPUDevice } | null };
      const lab = app.shadowRoot!.querySelector('nnx-layer-lab')!;
      const rt = app.runtime!;
      // The test hook: destroy the app's device as soon as the lab reports the run started.
      const state = new Promise<string | null>((resolve) => {
        const watch = new MutationObserver(() => {
          watch.disconnect();
          rt.device.destroy();
          resolve(lab.getAttribute('data-state'));
        });
        watch.observe(lab, { attributes: true, attributeFilter: ['data-state'] });
      });
      [...lab.shadowRoot!.querySelectorAll('button')].find((b) => /run forward/i.test(b.textContent ?? ''))!.click();
      const destroyedWhile = await state;
      const deadline = Date.now() + 20_000;
      while ((app.runtime === null || app.runtime === rt || lab.getAttribute('data-state') === 'running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return { destroyedWhile, after: lab.getAttribute('data-state'), newRuntime: app.runtime !== null && app.runtime !== rt };
    });
    expect(lost).toEqual({ destroyedWhile: 'running', after: 'error', newRuntime: true });
    expect(await page.locator('[data-role="run-error"]').innerText()).toMatch(/GPU device lost \(destroyed/);
    expect(await page.locator('nnx-app [data-role="device-lost"]').innerText()).toMatch(/^GPU device lost \(destroyed.*\): a new GPU device is ready; run again\.$/);
    await page.screenshot({ path: join(RESULTS, 'app-device-lost.png') });
    await page.getByRole('button', { name: /run forward/i }).click();
    await waitForRun(page);
    const [x, output] = await Promise.all(['x', 'output'].map((name) => readTensor(page, name)));
    expect(Array.from(output.data)).toEqual(Array.from(x.data, (v) => Math.max(v, 0)));
    expect(await page.locator('nnx-app [data-role="device-lost"]').count()).toBe(0);
    expect(consoleErrors, `console errors:\n${consoleErrors.join('\n')}`).toEqual([]);
  });
});
