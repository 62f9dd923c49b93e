/**
 * The Layer Lab's fake-quantization pages in headless Chromium (WebGPU on SwiftShader): the
 * output, codes and mask the page shows equal the reference bit for bit on the inputs and
 * parameters the page sent, the error map is x_q − x, the detail panel's steps agree with the GPU,
 * and nothing is logged as an error. Screenshots go to test-results/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeQuantizePerChannelRef, fakeQuantizePerTensorRef } from '../../src/analysis/reference/quantize.ts';
import type { RunSpec } from '../../src/ops/spec.ts';
import type { NnxLayerLab } from '../../src/ui/layer_lab.ts';
import { clickCell, openLab, readTensor, RESULTS, useBrowser } from './harness.ts';

const browser = useBrowser('lab-quantize');

async function sentSpec(): Promise<RunSpec> {
  return browser().page.locator('nnx-layer-lab').evaluate((el) => (el as NnxLayerLab).lastRun!.spec);
}

async function role(name: string): Promise<number> {
  return Number(await browser().page.locator(`[data-role="${name}"]`).first().getAttribute('data-value'));
}

describe('Layer Lab fake quantization in headless Chromium', () => {
  it.each([
    ['per tensor', 'fake_quantize_per_tensor_affine', { dtype: 'quint8', qscheme: 'affine', range: 60 }],
    ['per channel', 'fake_quantize_per_channel_affine', { dtype: 'qint8', qscheme: 'symmetric', range: 80 }],
  ] as const)('%s: output, codes, mask and error match the reference exactly', async (label, op, params) => {
    const { page, consoleErrors } = browser();
    await openLab(browser(), { op, ...params, n: 2, c: 3, h: 5, w: 7, input: 'image', grad: 'random', seed: 3 });
    const spec = await sentSpec();
    const x = { shape: spec.inputs.x.shape, data: Float64Array.from(spec.inputs.x.data) };
    const a = spec.attrs as Record<string, number>;
    const ref = op === 'fake_quantize_per_tensor_affine'
      ? fakeQuantizePerTensorRef(x, a.scale, a.zero_point, a.quant_min, a.quant_max)
      : fakeQuantizePerChannelRef(x, spec.inputs.scale.data, spec.inputs.zero_point.data, 1, a.quant_min, a.quant_max);
    const output = await readTensor(page, 'output');
    expect(Array.from(output.data)).toEqual(Array.from(ref.output.data));
    expect(Array.from((await readTensor(page, 'q')).data)).toEqual(Array.from(ref.q.data));
    const mask = (await readTensor(page, 'mask')).data;
    expect(Array.from(mask)).toEqual(Array.from(ref.mask.data));
    expect(Array.from(mask).some((m) => m === 0), 'the shrunk observed range clips some values').toBe(true);
    const error = (await readTensor(page, 'error')).data;
    expect(Array.from(error)).toEqual(Array.from(ref.output.data, (v, i) => Math.fround(v - x.data[i])));
    await clickCell(page, 'output', [1, 2, 3, 4]);
    const flatIndex = ((1 * 3 + 2) * 5 + 3) * 7 + 4;
    expect(await role('recomputed')).toBe(ref.output.data[flatIndex]);
    expect(await role('output')).toBe(ref.output.data[flatIndex]);
    expect(await role('q')).toBe(ref.q.data[flatIndex]);
    expect(await page.locator('[data-role="histogram"] rect').count()).toBe(48);
    expect(await page.locator('[data-role="histogram"] line').count()).toBe(op === 'fake_quantize_per_tensor_affine' ? 2 : 6);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(RESULTS, `layer-lab-fake-quantize-${label.replace(' ', '-')}.png`), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
