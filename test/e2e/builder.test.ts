/**
 * The Builder page in headless Chromium: drag layers from the palette into the model and into a
 * Residual block, reorder by dragging, edit arguments; after every edit the totals equal
 * src/analysis's buildSummary of the model in the URL, an impossible layer shows its error,
 * PyTorch code is exported, and a pasted print(model) loads. Screenshots go to test-results/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { buildSummary } from '../../src/analysis/summary.ts';
import { RESULTS, useBrowser } from './harness.ts';

const browser = useBrowser('builder');

const START: ModelSpec = {
  name: 'e2e', input: [2, 3, 16, 12],
  layers: [
    { type: 'Conv2d', in_channels: 3, out_channels: 8, kernel_size: 3, padding: 1 },
    { type: 'ReLU' },
    { type: 'Flatten' },
    { type: 'Linear', in_features: 1536, out_features: 10 },
  ],
};

/** Drags `source` by the pointer (SortableJS runs in fallback mode) onto a point of `target`. */
async function drag(page: Page, source: Locator, target: Locator, where: 'top' | 'middle'): Promise<void> {
  const s = (await source.boundingBox())!;
  const t = (await target.boundingBox())!;
  await page.mouse.move(s.x + s.width / 2, s.y + s.height / 2);
  await page.mouse.down();
  await page.mouse.move(s.x + s.width / 2 + 8, s.y + s.height / 2 + 8, { steps: 4 });
  const y = where === 'top' ? t.y + Math.min(6, t.height / 4) : t.y + t.height / 2;
  // Level with the target first, then straight across to it, so the pointer crosses no other row of its list.
  await page.mouse.move(Math.min(s.x + s.width / 2, t.x - 12), y, { steps: 10 });
  await page.mouse.move(t.x + 40, y, { steps: 10 });
  await page.waitForTimeout(150);
  await page.mouse.move(t.x + 42, y + 1, { steps: 2 });
  await page.mouse.up();
}

/** The ModelSpec in the page's URL. */
async function urlSpec(page: Page): Promise<ModelSpec> {
  const hash = await page.evaluate(() => location.hash);
  return JSON.parse(new URLSearchParams(hash.slice(hash.indexOf('?') + 1)).get('spec')!) as ModelSpec;
}

async function shownTotals(page: Page): Promise<{ params: number; macs: number }> {
  return {
    params: Number(await page.locator('[data-role="total-params"]').getAttribute('data-value')),
    macs: Number(await page.locator('[data-role="total-macs"]').getAttribute('data-value')),
  };
}

const topTypes = (page: Page) => page.locator('ol[data-list=""] > li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.type));

describe('Builder page in headless Chromium', () => {
  it('add, reorder and nest layers by dragging; totals follow every edit; errors sit on their layer', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}#/builder?spec=${encodeURIComponent(JSON.stringify(START))}`);
    await page.locator('[data-role="total-params"]').waitFor({ timeout: 15_000 });
    expect(await shownTotals(page)).toEqual({ params: buildSummary(START).totals.params, macs: buildSummary(START).totals.macs });

    // Add: BatchNorm2d from the palette onto the ReLU row lands before it; its default 16 features do not fit the conv's 8.
    await drag(page, page.locator('[data-role="palette"] li[data-type="BatchNorm2d"]'), page.locator('ol[data-list=""] > li').nth(1), 'top');
    await page.waitForFunction(() => location.hash.includes('BatchNorm2d'));
    expect(await topTypes(page)).toEqual(['Conv2d', 'BatchNorm2d', 'ReLU', 'Flatten', 'Linear']);
    const error = page.locator('li.layer[data-type="BatchNorm2d"] [data-role="layer-error"]');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/16.*8|8.*16/);
    await page.screenshot({ path: join(RESULTS, 'builder-error.png') });

    // Fix it in the argument form: totals now include the BatchNorm's 2·8 parameters.
    await page.locator('li.layer[data-type="BatchNorm2d"] button[data-role="edit"]').click();
    await page.locator('li.layer[data-type="BatchNorm2d"] nnx-layer-form input[name="num_features"]').fill('8');
    await page.locator('li.layer[data-type="BatchNorm2d"] nnx-layer-form input[name="num_features"]').press('Enter');
    await page.locator('li.layer[data-type="BatchNorm2d"] nnx-layer-form input[name="num_features"]').blur();
    await page.waitForFunction(() => !document.querySelector('nnx-app')?.shadowRoot?.querySelector('nnx-builder')?.shadowRoot?.querySelector('[data-role="layer-error"]'));
    let spec = await urlSpec(page);
    expect((await shownTotals(page)).params).toBe(buildSummary(START).totals.params + 16);
    expect(await shownTotals(page)).toEqual({ params: buildSummary(spec).totals.params, macs: buildSummary(spec).totals.macs });

    // Reorder: drag ReLU (by its grip) above the BatchNorm.
    await drag(page, page.locator('li.layer[data-type="ReLU"] .grip'), page.locator('li.layer[data-type="BatchNorm2d"]'), 'top');
    await page.waitForFunction(() => /"ReLU"\}?,\{?"type":"BatchNorm2d"|ReLU.*BatchNorm2d/.test(decodeURIComponent(location.hash)));
    expect(await topTypes(page)).toEqual(['Conv2d', 'ReLU', 'BatchNorm2d', 'Flatten', 'Linear']);

    // Nest: a Residual before Flatten, then a Conv2d into its body.
    await drag(page, page.locator('[data-role="palette"] li[data-type="Residual"]'), page.locator('ol[data-list=""] > li.layer[data-type="Flatten"]'), 'top');
    await page.waitForFunction(() => location.hash.includes('Residual'));
    expect(await topTypes(page)).toEqual(['Conv2d', 'ReLU', 'BatchNorm2d', 'Residual', 'Flatten', 'Linear']);
    const body = page.locator('ol[data-list="3.body"]');
    await drag(page, page.locator('[data-role="palette"] li[data-type="Conv2d"]'), body.locator('> li').first(), 'top');
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"body":[{"type":"Conv2d"'));
    // The new Conv2d(3, 16, 3) reads 8 channels: flagged on that layer.
    await page.locator('li[data-row="3.0"] [data-role="layer-error"]').waitFor();
    await page.locator('li[data-row="3.0"] button[data-role="edit"]').click();
    for (const [name, value] of [['in_channels', '8'], ['out_channels', '8'], ['padding', '1']]) {
      const input = page.locator(`li[data-row="3.0"] nnx-layer-form input[name="${name}"]`);
      await input.fill(value);
      await input.press('Tab');
    }
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"padding":1}'));
    await page.locator('li[data-row="3.0"] [data-role="params"]').filter({ hasText: '584' }).waitFor();
    spec = await urlSpec(page);
    const body0 = (spec.layers[3].body as ModelSpec['layers'])[0];
    expect(body0).toMatchObject({ type: 'Conv2d', in_channels: 8, out_channels: 8, padding: 1 });
    const ref = buildSummary(spec);
    expect(ref.totals.params).toBe(buildSummary(START).totals.params + 16 + 8 * 8 * 9 + 8);
    expect(await shownTotals(page)).toEqual({ params: ref.totals.params, macs: ref.totals.macs });
    // The built model is the builder_e2e spec whose exported code PyTorch ran (generate_torch_code.py): same code, same count.
    const built = JSON.parse(readFileSync(new URL('../fixtures/torch_code_specs.json', import.meta.url), 'utf8')).builder_e2e as ModelSpec;
    const torchRun = JSON.parse(readFileSync(new URL('../fixtures/torch_code_cases.json', import.meta.url), 'utf8')).cases.builder_e2e as { code: string; params: number };
    expect(spec).toEqual(built);
    await page.locator('[data-role="export-torch"]').click();
    const code = await page.locator('[data-role="export-text"]').innerText();
    expect(code.trim()).toBe(torchRun.code.trim());
    expect(torchRun.params).toBe(ref.totals.params);
    await page.screenshot({ path: join(RESULTS, 'builder.png'), fullPage: true });
    // ONNX export (src/analysis/onnx/onnx_export.ts): a file holding at least every parameter as float32.
    const [file] = await Promise.all([page.waitForEvent('download'), page.locator('[data-role="export-onnx"]').click()]);
    expect(file.suggestedFilename()).toBe('e2e.onnx');
    expect(readFileSync((await file.path())!).length).toBeGreaterThan(4 * ref.totals.params);
    // Sent to the Gradient Lab: the same model trains there (seeded data) with its gradient flow per layer.
    await page.locator('[data-role="send-gradient-lab"]').click();
    await page.locator('nnx-gradient-lab[data-state="done"], nnx-gradient-lab[data-state="error"]').first().waitFor({ timeout: 120_000 });
    const failed = page.locator('nnx-gradient-lab [data-role="run-error"]');
    if (await failed.count()) throw new Error(`the Gradient Lab run failed: ${await failed.innerText()}`);
    const lab = await page.locator('nnx-gradient-lab').evaluate((el) => {
      const r = (el as unknown as { runs: { params: number; losses: number[]; layers: { name: string }[] }[] }).runs[0];
      return { params: r.params, losses: r.losses.length, layers: r.layers.map((l) => l.name) };
    });
    expect(lab.params).toBe(ref.totals.params);
    expect(lab.losses).toBe(5);
    expect(lab.layers).toContain('3.0');
    expect(consoleErrors).toEqual([]);
  });

  it('a pasted print(model) loads with its exact parameter count: ResNet-18 in the builder, a custom module in the Model Inspector', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}?fresh=1#/builder`);
    const text = readFileSync(new URL('../fixtures/torch_print/resnet18.txt', import.meta.url), 'utf8');
    await page.locator('textarea[name="print"]').fill(text);
    await page.locator('[data-role="load-print"]').click();
    await page.locator('[data-role="print-params"]').waitFor();
    expect(await page.locator('[data-role="print-params"]').innerText()).toBe('11,689,512');
    await page.locator('[data-role="total-params"][data-value="11689512"]').waitFor();
    await page.screenshot({ path: join(RESULTS, 'builder-print.png') });

    // The Model Inspector's paste box turns a printout into its custom spec.
    const chain = readFileSync(new URL('../fixtures/torch_print/custom_chain.txt', import.meta.url), 'utf8');
    await page.goto(`${baseUrl}?fresh=2#/model-inspector?model=custom&input=3,1,20,36`);
    await page.locator('[data-role="print-paste"] summary').click();
    await page.locator('[data-role="print-paste"] textarea').fill(chain);
    await page.locator('[data-role="print-paste"] [data-role="load-print"]').click();
    await page.locator('[data-role="total-params"][data-value="23690"]').waitFor();
    expect(await page.locator('[data-role="print-note"]').innerText()).toMatch(/CustomChain: 23,690 parameters \(exact\)/);
    await page.screenshot({ path: join(RESULTS, 'model-inspector-print.png') });
    expect(consoleErrors).toEqual([]);
  });
});
