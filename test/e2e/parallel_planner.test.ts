/**
 * The Parallel Planner page in headless Chromium: one GPU's memory per data-parallel mode as
 * stacked bars, the ZeRO paper's per-parameter bytes worked by hand for Llama-2-7B, the smallest
 * GPU count that fits a chosen GPU (and "use" moving the plan there, kept in the URL), Mixtral's
 * active parameters, and a bad layout's one-line error. Screenshots go to test-results/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../../src/analysis/graph.ts';
import { activationBytes } from '../../src/analysis/parallel_plan.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';
import { RESULTS, useBrowser } from './harness.ts';

const browser = useBrowser('parallel-planner');
const LLAMA2_7B = 6_738_415_616;

describe('Parallel Planner in headless Chromium', () => {
  it('bars per mode with hand-computed model states, the smallest fit, and "use" moves the plan there', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}#/parallel?model=llama2_7b&gpus=64&gpu=80`);
    const params = page.locator('[data-role="params"]');
    await params.waitFor({ timeout: 20_000 });
    expect(Number(await params.getAttribute('data-value'))).toBe(LLAMA2_7B);
    expect(await page.locator('[data-role="bar"]').count()).toBe(4);
    // Mixed-precision Adam: 2 + 2 + 12 bytes per parameter; fp16 activations of one [1, 128] micro-batch.
    const act = activationBytes(analyzeModel(zooModel('llama2_7b')), 'fp16', false);
    const expected: Record<string, number> = {
      dp: 16 * LLAMA2_7B, zero1: 4 * LLAMA2_7B + (12 * LLAMA2_7B) / 64, zero2: 2 * LLAMA2_7B + (14 * LLAMA2_7B) / 64, zero3: (16 * LLAMA2_7B) / 64,
    };
    for (const [mode, states] of Object.entries(expected)) {
      const total = Number(await page.locator(`[data-role="bar"][data-mode="${mode}"]`).getAttribute('data-total'));
      expect(total).toBeCloseTo(states + act, 0);
    }
    // DP needs 107.8 GB for model states alone: over an 80 GiB GPU at any count.
    expect(await page.locator('[data-role="fit"][data-mode="dp"]').getAttribute('data-gpus')).toBe('');
    const fit = Number(await page.locator('[data-role="fit"][data-mode="zero3"]').getAttribute('data-gpus'));
    // ZeRO-3 fits once 16Ψ/N + activations <= 80 GiB.
    const limit = 80 * 2 ** 30;
    expect(16 * LLAMA2_7B / fit + act).toBeLessThanOrEqual(limit);
    expect(16 * LLAMA2_7B / (fit - 1) + act).toBeGreaterThan(limit);
    await page.screenshot({ path: join(RESULTS, 'parallel-planner.png'), fullPage: true });

    await page.locator('button[data-use="zero3"]').click();
    await page.waitForFunction((n) => location.hash.includes('mode=zero3') && location.hash.includes(`gpus=${n}`), fit);
    const chosen = Number(await page.locator('[data-role="bar"][data-mode="zero3"]').getAttribute('data-total'));
    expect(chosen).toBeLessThanOrEqual(limit);

    await page.goto(`${baseUrl}?fresh=1#/parallel?model=mixtral_8x7b&gpus=64&tp=8&pp=4&gpu=141`);
    const active = page.locator('[data-role="active-params"]');
    await active.waitFor({ timeout: 20_000 });
    expect(Number(await active.getAttribute('data-value'))).toBe(12_879_925_248);
    await page.screenshot({ path: join(RESULTS, 'parallel-planner-mixtral.png'), fullPage: true });

    await page.goto(`${baseUrl}?fresh=2#/parallel?model=llama2_7b&gpus=10&tp=4`);
    const error = page.locator('[data-role="plan-error"]');
    await error.waitFor({ timeout: 20_000 });
    expect(await error.innerText()).toBe('--gpus 10 is not divisible by tp 4 × pp 1 = 4 (data-parallel degree = gpus / (tp·pp))');
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('MoE router on the page: each token\'s top-k experts and the counts match a float64 router on the same tokens and weights', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}?fresh=3#/parallel?model=mixtral_8x7b`);
    const rows = page.locator('nnx-moe-router [data-role="router-row"]');
    await rows.first().waitFor({ timeout: 60_000 });
    const seen = await page.locator('nnx-moe-router').evaluate((el) => {
      const r = el as HTMLElement & { input: Float32Array; gateWeight: Float32Array };
      return { x: Array.from(r.input), w: Array.from(r.gateWeight) };
    });
    const [T, E, K, D] = [12, 4, 2, 8];
    const counts = new Array(E).fill(0);
    let probSum = new Array(E).fill(0);
    const expected: string[] = [];
    for (let t = 0; t < T; t++) {
      const logits = Array.from({ length: E }, (_, e) => seen.w.slice(e * D, (e + 1) * D).reduce((s, w, c) => s + w * seen.x[t * D + c], 0));
      const m = Math.max(...logits);
      const z = logits.reduce((s, l) => s + Math.exp(l - m), 0);
      const p = logits.map((l) => Math.exp(l - m) / z);
      probSum = probSum.map((v, e) => v + p[e]);
      const order = p.map((v, e) => [v, e]).sort((a, b) => b[0] - a[0]).slice(0, K).map(([, e]) => e);
      order.forEach((e) => counts[e]++);
      expected.push(order.join(','));
    }
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-experts')))).toEqual(expected);
    const shown = await page.locator('nnx-moe-router [data-role="expert-count"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    expect(shown).toEqual(counts);
    const aux = Number(await page.locator('nnx-moe-router [data-role="aux-loss"]').getAttribute('data-value'));
    expect(aux).toBeCloseTo(E * counts.reduce((s, c, e) => s + (c / T) * (probSum[e] / T), 0), 4);
    const card = page.locator('[data-role="moe-router"]');
    await card.scrollIntoViewIfNeeded();
    await card.screenshot({ path: join(RESULTS, 'parallel-planner-moe-router.png') });
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});
