/**
 * The Landscape and Tape pages in headless Chromium (WebGPU on SwiftShader). Landscape: a small
 * plain/residual pair trains a few steps and maps a 5 × 5 grid; both surfaces are drawn by the
 * render pipeline (a canvas whose pixels are not all the clear colour), the grid's centre equals
 * the trained loss, a drag orbits the camera, the wheel zooms, hovering the contour names α, β and
 * the loss. Tape: the residual CNN's tape is drawn with its fan-out sum, backward steps outline the
 * current op and shrink the saved bytes still held, a clicked op shows its output and gradient.
 * Screenshots go to test-results/; the console stays clean.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { NnxLandscapePage } from '../../src/ui/landscape_page.ts';
import type { NnxLandscapeSurface } from '../../src/ui/landscape_surface.ts';
import type { NnxTapePage } from '../../src/ui/tape_page.ts';
import { RESULTS, useBrowser } from './harness.ts';

const browser = useBrowser('landscape-tape');

async function settled(page: Page, tag: string): Promise<void> {
  await page.locator(`${tag}[data-state="done"], ${tag}[data-state="error"], nnx-webgpu-missing`).first().waitFor({ timeout: 180_000 });
  if (await page.locator('nnx-webgpu-missing').count()) throw new Error('WebGPU is unavailable in Chromium');
  const failed = page.locator('[data-role="run-error"]');
  if (await failed.count()) throw new Error(`the page failed: ${await failed.innerText()}`);
}

describe('Landscape and Tape pages in headless Chromium', () => {
  it('Landscape: plain and residual surfaces drawn by WebGPU, centre = trained loss, orbit, zoom, hover', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}?t=${Date.now()}#/landscape?depth=3&grid=5&steps=3&span=0.5`);
    await settled(page, 'nnx-landscape-page');
    const runs = await page.locator('nnx-landscape-page').evaluate((el) => (el as NnxLandscapePage).runs.map((r) => ({ arch: r.arch, center: r.center_loss, mid: r.loss[2][2], alphas: r.alphas })));
    expect(runs.map((r) => r.arch)).toEqual(['plain', 'residual']);
    for (const r of runs) {
      expect(r.alphas).toEqual([-0.5, -0.25, 0, 0.25, 0.5]);
      expect(r.mid).toBe(r.center);
    }
    const surfaces = page.locator('nnx-landscape-surface[data-state="drawn"]');
    await surfaces.nth(1).waitFor({ timeout: 10_000 });
    expect(await surfaces.count()).toBe(2);
    // The canvas shows the surface: many pixels differ from the clear colour.
    const painted = async () => page.locator('nnx-landscape-surface').first().evaluate(async (el) => {
      const canvas = el.shadowRoot!.querySelector('canvas')!;
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const ctx = copy.getContext('2d')!;
      ctx.drawImage(canvas, 0, 0);
      const px = ctx.getImageData(0, 0, copy.width, copy.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - 244) + Math.abs(px[i + 1] - 246) + Math.abs(px[i + 2] - 251) > 30) n++;
      return n / (px.length / 4);
    });
    expect(await painted()).toBeGreaterThan(0.05);
    const surface = page.locator('nnx-landscape-surface').first();
    const box = (await surface.locator('canvas').boundingBox())!;
    const camera = () => surface.evaluate((el) => ({ yaw: (el as NnxLandscapeSurface).yaw, distance: (el as NnxLandscapeSurface).distance }));
    const before = await camera();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.mouse.wheel(0, 300);
    const after = await camera();
    expect(after.yaw).not.toBeCloseTo(before.yaw, 2);
    expect(after.distance).toBeGreaterThan(before.distance);
    const contour = page.locator('nnx-landscape-contour').first().locator('canvas');
    const cbox = (await contour.boundingBox())!;
    await page.mouse.move(cbox.x + cbox.width / 2, cbox.y + cbox.height / 2);
    await expect.poll(() => page.locator('[data-role="contour-hover"]').first().innerText()).toContain(`α 0.000, β 0.000: loss ${runs[0].center.toPrecision(5)}`);
    await page.screenshot({ path: join(RESULTS, 'landscape.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  it('Tape: the DAG with its fan-out sum, backward one op at a time, saved bytes freed, an op clicked', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}?t=${Date.now()}#/tape`);
    await settled(page, 'nnx-tape-page');
    const tape = await page.locator('nnx-tape-page').evaluate((el) => (el as NnxTapePage).tape!);
    expect(tape.nodes.map((n) => n.id)).toEqual(['conv1', 'bn1', 'relu', 'block.0', 'block.1', 'block', 'pool', 'flatten', 'fc']);
    expect(tape.fan_out_sums).toEqual([{ tensor: 'relu', consumers: ['block', 'block.0'] }]);
    expect(await page.locator('nnx-tape-dag [data-role="node"]').count()).toBe(9);
    expect(await page.locator('nnx-tape-dag [data-role="node"][data-id="relu"] [data-role="sum"]').count()).toBe(1);
    const held = async () => Number(await page.locator('[data-role="held-bytes"]').getAttribute('data-value'));
    expect(await held()).toBe(tape.saved_bytes);
    const seen: number[] = [];
    for (let k = 1; k <= 4; k++) {
      await page.locator('[data-role="step"]').click();
      expect(await page.locator('[data-role="phase"]').innerText()).toContain(`backward ${k}/9 · ${tape.backward_order[k - 1]}`);
      expect(await page.locator('nnx-tape-dag .node.current').getAttribute('data-id')).toBe(tape.backward_order[k - 1]);
      seen.push(await held());
    }
    // fc, flatten, pool, block: fc frees its input; pool frees the block's output and the pooling indices.
    expect(seen[0]).toBeLessThan(tape.saved_bytes);
    expect(seen[2]).toBeLessThan(seen[1]);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    await page.locator('nnx-tape-dag [data-role="node"][data-id="block.1"]').click();
    const detail = page.locator('[data-role="node-detail"][data-id="block.1"]');
    await detail.waitFor({ timeout: 5_000 });
    expect(await detail.locator('nnx-tensor-view[data-name="output"]').count()).toBe(1);
    expect(await detail.locator('nnx-tensor-view[data-name="grad_output"]').count()).toBe(0);
    await page.locator('[data-role="step"]').click();
    await page.locator('nnx-tape-dag [data-role="node"][data-id="relu"]').click();
    expect(await page.locator('[data-role="fan-out"]').innerText()).toContain('block + block.0');
    await page.locator('[data-role="run-to-end"]').click();
    expect(await held()).toBe(0);
    await page.locator('nnx-tape-dag [data-role="node"][data-id="block.1"]').click();
    await page.locator('[data-role="node-detail"] nnx-tensor-view[data-name="grad_output"]').waitFor({ timeout: 5_000 });
    await page.locator('[data-role="step-back"]').click();
    await page.locator('[data-role="step-back"]').click();
    await page.locator('nnx-tape-dag [data-role="node"][data-id="block"]').click();
    await page.screenshot({ path: join(RESULTS, 'tape.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
