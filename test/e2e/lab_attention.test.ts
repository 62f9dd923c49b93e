/**
 * The Layer Lab's "Attention & embeddings" pages in headless Chromium on SwiftShader's WebGPU:
 * softmax (stable beside naive), embedding, scaled dot-product and multi-head attention, and
 * the ViT patch embedding run on the GPU, and what each page shows (outputs, traces, gradients,
 * the clicked row's probabilities, the patch's projection sum) matches float64 references on
 * the very inputs the page sent. Screenshots go to test-results/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeConv2dAttrs } from '../../src/analysis/conv_shapes.ts';
import { conv2dForwardRef } from '../../src/analysis/reference/conv2d.ts';
import { embeddingBackwardRef, embeddingForwardRef } from '../../src/analysis/reference/embedding.ts';
import { logSumExpPartsRef, softmaxBackwardRef, softmaxForwardRef } from '../../src/analysis/reference/softmax.ts';
import type { Tensor, Tensor64 } from '../../src/analysis/tensor.ts';
import type { JsonTensor, RunSpec } from '../../src/ops/spec.ts';
import type { NnxLayerLab } from '../../src/ui/layer_lab.ts';
import type { NnxPatchImage } from '../../src/ui/patch_image.ts';
import { clickCell, mismatches, openLab, readTensor, RESULTS, tolerance, useBrowser } from './harness.ts';

const browser = useBrowser('lab-attention');

/** The spec the lab sent and the trace it got back. */
async function lastRun(): Promise<{ spec: RunSpec; trace: Record<string, JsonTensor> }> {
  return browser().page.locator('nnx-layer-lab').evaluate((el) => {
    const run = (el as NnxLayerLab).lastRun!;
    return { spec: run.spec, trace: (run.result.trace ?? {}) as Record<string, JsonTensor> };
  });
}

const f64 = (t: { shape: number[]; data: ArrayLike<number> }): Tensor64 => ({ shape: [...t.shape], data: Float64Array.from(t.data) });
const gradOf = (spec: RunSpec) => f64((spec.grad_output as Record<string, JsonTensor>).output);

function expectClose(got: Tensor | JsonTensor, expected: Tensor64, what: string): void {
  expect(got.shape, `${what} shape`).toEqual(expected.shape);
  expect(mismatches(got.data, expected.data), `${what} differs from the float64 reference`).toEqual([]);
}

/** data-value of every element with this data-role inside the detail panel, in document order. */
async function values(role: string): Promise<number[]> {
  return browser().page.locator(`[data-role="neuron"] [data-role="${role}"]`).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
}

/** Opens a configuration the lab refuses and returns the refusal it shows. */
async function refusal(params: Record<string, string | number>): Promise<string> {
  const { page, baseUrl } = browser();
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  await page.goto(`${baseUrl}?t=${Date.now()}#/layer-lab?${query}`);
  const message = page.locator('[data-role="validation-error"]');
  await message.waitFor({ timeout: 30_000 });
  return message.innerText();
}

async function shot(name: string): Promise<void> {
  await browser().page.evaluate(() => window.scrollTo(0, 0));
  await browser().page.screenshot({ path: join(RESULTS, `layer-lab-${name}.png`), fullPage: true });
}

/**
 * Float64 attention for [..., L, E] / [..., S, E] / [..., S, Ev] with an additive [L, S] mask
 * (−∞ = masked), written here from the definition: softmax(scale·Q·Kᵀ + mask)·V.
 */
function attentionRef(q: Tensor64, k: Tensor64, v: Tensor64, scale: number, add: number[]): { out: Tensor64; probs: Tensor64 } {
  const [L, E] = q.shape.slice(-2);
  const [S, Ev] = v.shape.slice(-2);
  const batches = q.data.length / (L * E);
  const out = new Float64Array(batches * L * Ev);
  const probs = new Float64Array(batches * L * S);
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < L; i++) {
      const sc = Array.from({ length: S }, (_, j) => {
        let d = 0;
        for (let e = 0; e < E; e++) d += q.data[(b * L + i) * E + e] * k.data[(b * S + j) * E + e];
        return scale * d + add[i * S + j];
      });
      const m = Math.max(...sc);
      const ex = sc.map((s) => Math.exp(s - m));
      const z = ex.reduce((a, c) => a + c, 0);
      for (let j = 0; j < S; j++) {
        const p = ex[j] / z;
        probs[(b * L + i) * S + j] = p;
        for (let e = 0; e < Ev; e++) out[(b * L + i) * Ev + e] += p * v.data[(b * S + j) * Ev + e];
      }
    }
  }
  return { out: { shape: [...q.shape.slice(0, -1), Ev], data: out }, probs: { shape: [...q.shape.slice(0, -1), S], data: probs } };
}

describe('Layer Lab attention & embedding pages in headless Chromium (WebGPU on SwiftShader)', () => {
  it('softmax: the stable GPU result matches float64 while the naive GPU softmax overflows to NaN on logits of 100 and ±1000', async () => {
    const { page } = browser();
    await openLab(browser(), { op: 'softmax', n: 5, c: 7, input: 'overflow', grad: 'random', seed: 3 });
    const { spec, trace } = await lastRun();
    const x = f64(spec.inputs.x);
    expect(Math.max(...x.data)).toBeGreaterThan(900);
    expect(Math.min(...x.data)).toBeLessThan(-900);
    expect(x.data).toContain(100);
    const stable = await readTensor(page, 'output');
    expectClose(stable, softmaxForwardRef(x, -1), 'stable softmax');
    expect(stable.data.every(Number.isFinite)).toBe(true);
    const parts = logSumExpPartsRef(x, -1);
    expectClose(trace.max, { shape: trace.max.shape, data: parts.max }, 'trace max');
    expectClose(trace.sum_exp, { shape: trace.sum_exp.shape, data: parts.sumExp }, 'trace sum_exp');
    expectClose(await readTensor(page, 'grad.x'), softmaxBackwardRef(x, gradOf(spec), -1), '∂L/∂x');

    // Naive: rows 0 and 4 (logits within ±3) agree with the stable result; row 1 (one logit of 100),
    // row 2 (all near 1000) and row 3 (all near −1000) become NaN in float32.
    const naive = await readTensor(page, 'naive');
    const row = (r: number) => Array.from(naive.data.subarray(r * 7, (r + 1) * 7));
    expect(mismatches([...row(0), ...row(4)], [...stable.data.subarray(0, 7), ...stable.data.subarray(28, 35)])).toEqual([]);
    const big = Array.from(x.data.subarray(7, 14)).indexOf(100);
    expect(Number.isNaN(row(1)[big])).toBe(true);
    expect(row(2).every(Number.isNaN)).toBe(true);
    expect(row(3).every(Number.isNaN)).toBe(true);

    await clickCell(page, 'output', [2, 3]);
    await page.locator('[data-role="neuron"] [data-role="sum-exp"]').waitFor({ timeout: 5_000 });
    const want = softmaxForwardRef(x, -1).data.subarray(14, 21);
    expect(mismatches(await values('recomputed'), want)).toEqual([]);
    expect(mismatches(await values('stable'), want)).toEqual([]);
    expect((await values('naive')).every(Number.isNaN)).toBe(true);
    expect(await values('naive-sum32')).toEqual([Infinity]);
    expect(Math.abs((await values('gpu-sum-exp'))[0] - parts.sumExp[2])).toBeLessThanOrEqual(tolerance(parts.sumExp[2]));
    await shot('softmax');
  });

  it('log_softmax on typed logits: stable finite, naive −∞ where Σ exp overflows; dim 0 follows the columns', async () => {
    const { page } = browser();
    await openLab(browser(), { op: 'softmax', fn: 'log_softmax', dim: '0', n: 3, c: 2, input: 'typed', xtext: '1 500, 2 501, 3 502', grad: 'ones', seed: 1 });
    const { spec } = await lastRun();
    const x = f64(spec.inputs.x);
    expectClose(await readTensor(page, 'output'), softmaxForwardRef(x, 0, true), 'stable log_softmax');
    expectClose(await readTensor(page, 'grad.x'), softmaxBackwardRef(x, gradOf(spec), 0, true), '∂L/∂x');
    const naive = await readTensor(page, 'naive');
    // Column 0 (1, 2, 3) is fine naively; column 1 (500..502) overflows.
    expect(mismatches([naive.data[0], naive.data[2], naive.data[4]], softmaxForwardRef(x, 0, true).data.filter((_, i) => i % 2 === 0))).toEqual([]);
    expect([naive.data[1], naive.data[3], naive.data[5]].every((v) => !Number.isFinite(v))).toBe(true);
  });

  it('softmax on the default typed logits: the naive row 85 … 95 is 0 below the float32 limit exp(88.72) and NaN above it', async () => {
    const { page } = browser();
    await openLab(browser(), { op: 'softmax', input: 'typed', seed: 1 });
    const { spec } = await lastRun();
    const x = f64(spec.inputs.x);
    expect(Array.from(x.data.subarray(12, 18))).toEqual([85, 87, 89, 91, 93, 95]);
    const stable = await readTensor(page, 'output');
    expectClose(stable, softmaxForwardRef(x, -1), 'stable softmax');
    const naive = Array.from((await readTensor(page, 'naive')).data.subarray(12, 18));
    expect(naive.slice(0, 2)).toEqual([0, 0]); // finite / ∞
    expect(naive.slice(2).every(Number.isNaN)).toBe(true); // ∞ / ∞
  });

  it('embedding: gathered rows and the scatter-added gradient (duplicates summed, padding row none) match float64', async () => {
    const { page } = browser();
    const itext = '3 1 4 1 0 5 0 2 6 3 1 9';
    await openLab(browser(), { op: 'embedding', num: 10, dim: 5, n: 3, t: 4, use_pad: 1, padding_idx: 0, indices: 'typed', itext, grad: 'random', seed: 2 });
    const { spec } = await lastRun();
    const weight = f64(spec.inputs.weight);
    const ids = spec.inputs.indices.data;
    expect(ids).toEqual(itext.split(' ').map(Number));
    expect(Array.from(weight.data.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]); // nn.Embedding zeroes the padding row
    expectClose(await readTensor(page, 'output'), embeddingForwardRef(weight, ids, [3, 4]), 'output');
    const gradRef = embeddingBackwardRef(weight, ids, gradOf(spec), 0);
    expectClose(await readTensor(page, 'grad.weight'), gradRef, '∂L/∂weight');

    // Id 1 is read at three positions: the panel sums their gradient rows.
    await clickCell(page, 'output', [0, 1, 2]);
    await page.locator('[data-role="neuron"] [data-role="scatter"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-role="neuron"] [data-role="scatter"] tbody tr').count()).toBe(3 + 2);
    const want = gradRef.data.subarray(5, 10);
    expect(mismatches(await values('grad-recomputed'), want)).toEqual([]);
    expect(mismatches(await values('grad-gpu'), want)).toEqual([]);
    expect(await values('output')).toEqual(Array.from(weight.data.subarray(5, 10), Math.fround));
    await shot('embedding');

    // The padding id: read twice, no gradient.
    await clickCell(page, 'output', [1, 0, 0]);
    await page.locator('[data-role="neuron"] [data-role="embedding-detail"][data-row="0"]').waitFor({ timeout: 5_000 });
    expect(await values('grad-gpu')).toEqual([0, 0, 0, 0, 0]);
    expect(await values('grad-recomputed')).toEqual([0, 0, 0, 0, 0]);
  });

  it('embedding: an out-of-range typed id is refused with the index and the range', async () => {
    const message = await refusal({ op: 'embedding', num: 4, dim: 3, n: 1, t: 3, indices: 'typed', itext: '1 7 2', seed: 1 });
    expect(message).toContain('7');
    expect(message).toContain('[0, 3]');
  });

  for (const mask of ['causal', 'bool', 'float'] as const) {
    it(`scaled_dot_product_attention (${mask} mask, L ≠ S, batch 2): output, probabilities and the clicked row match float64`, async () => {
      const { page } = browser();
      const [L, S, E, Ev] = [5, 7, 4, 3];
      await openLab(browser(), { op: 'scaled_dot_product_attention', mask, n: 2, heads: 2, l: L, s: S, e: E, ev: Ev, grad: 'random', seed: 4 });
      const { spec, trace } = await lastRun();
      const add = new Array<number>(L * S).fill(0);
      if (mask === 'causal') for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) add[i * S + j] = -Infinity;
      else {
        const m = spec.inputs.attn_mask.data;
        for (let k = 0; k < L * S; k++) add[k] = mask === 'bool' ? (m[k] ? 0 : -Infinity) : m[k];
        if (mask === 'bool') expect(add.some((a) => a === -Infinity)).toBe(true);
      }
      const ref = attentionRef(f64(spec.inputs.q), f64(spec.inputs.k), f64(spec.inputs.v), 1 / Math.sqrt(E), add);
      expectClose(await readTensor(page, 'output'), ref.out, 'output');
      expectClose(await readTensor(page, 'attn'), ref.probs, 'attention probabilities');
      expect(trace.scores.shape).toEqual([2, 2, L, S]);

      const [n, h, l] = [1, 1, 3];
      await clickCell(page, 'attn', [n, h, l, 0]);
      await page.locator('[data-role="neuron"] [data-role="attention-detail"]').waitFor({ timeout: 5_000 });
      const at = ((n * 2 + h) * L + l) * S;
      const want = ref.probs.data.subarray(at, at + S);
      expect(mismatches(await values('p'), want)).toEqual([]);
      expect(mismatches(await values('gpu-p'), want)).toEqual([]);
      const o = ((n * 2 + h) * L + l) * Ev;
      expect(mismatches(await values('out'), ref.out.data.subarray(o, o + Ev))).toEqual([]);
      expect(mismatches(await values('gpu-out'), ref.out.data.subarray(o, o + Ev))).toEqual([]);
      const maskedHere = add.slice(l * S, (l + 1) * S).filter((a) => a === -Infinity).length;
      expect(await page.locator('[data-role="neuron"] tr[data-masked="true"]').count()).toBe(maskedHere);
      expect(await page.locator('[data-role="neuron"] nnx-attention-matrix td.masked').count()).toBe(add.filter((a) => a === -Infinity).length);
      // Masked scores come back from the GPU as −∞, and get probability 0.
      const gpuScores = await values('gpu-score');
      add.slice(l * S, (l + 1) * S).forEach((a, j) => {
        if (a === -Infinity) expect(gpuScores[j]).toBe(-Infinity);
      });
      if (mask === 'causal') {
        // Another head, then another query row from the per-head matrix.
        await page.locator('[data-role="neuron"] [data-role="heads"] button[data-head="0"]').click();
        await page.locator('[data-role="neuron"] h2', { hasText: 'head 0, query 3' }).waitFor({ timeout: 5_000 });
        const at0 = ((n * 2) * L + l) * S;
        expect(mismatches(await values('gpu-p'), ref.probs.data.subarray(at0, at0 + S))).toEqual([]);
        await page.locator('[data-role="neuron"] nnx-attention-matrix tr[data-row="1"] td').first().click();
        await page.locator('[data-role="neuron"] h2', { hasText: 'head 0, query 1' }).waitFor({ timeout: 5_000 });
        const at1 = ((n * 2) * L + 1) * S;
        expect(mismatches(await values('p'), ref.probs.data.subarray(at1, at1 + S))).toEqual([]);
        expect(await page.locator('[data-role="neuron"] tr[data-masked="true"]').count()).toBe(S - 2);
        await shot('sdpa');
      }
    });
  }

  it('multi_head_attention: per-head weights, output and the clicked token’s recomputation match float64; E not divisible by heads is explained', async () => {
    const { page } = browser();
    const [N, L, E, H] = [2, 5, 6, 2];
    await openLab(browser(), { op: 'multi_head_attention', n: N, l: L, e: E, heads: H, causal: 1, bias: 1, grad: 'random', seed: 6 });
    const { spec, trace } = await lastRun();
    const D = E / H;
    const x = spec.inputs.x.data;
    const w = spec.inputs.in_proj_weight.data;
    const b = spec.inputs.in_proj_bias.data;
    // q, k, v per head [N, H, L, D] from x·Wᵀ + b.
    const proj = (part: number) => {
      const data = new Float64Array(N * H * L * D);
      for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let l = 0; l < L; l++) for (let j = 0; j < D; j++) {
        const o = part * E + h * D + j;
        let s = b[o];
        for (let i = 0; i < E; i++) s += x[(n * L + l) * E + i] * w[o * E + i];
        data[((n * H + h) * L + l) * D + j] = s;
      }
      return { shape: [N, H, L, D], data };
    };
    const add = Array.from({ length: L * L }, (_, k) => (k % L > Math.floor(k / L) ? -Infinity : 0));
    const ref = attentionRef(proj(0), proj(1), proj(2), 1 / Math.sqrt(D), add);
    expectClose(trace.attn_weights, ref.probs, 'attn_weights');
    expectClose(trace.q, proj(0), 'trace q');
    const wo = spec.inputs.out_proj_weight.data;
    const bo = spec.inputs.out_proj_bias.data;
    const out = new Float64Array(N * L * E);
    for (let n = 0; n < N; n++) for (let l = 0; l < L; l++) for (let o = 0; o < E; o++) {
      let s = bo[o];
      for (let h = 0; h < H; h++) for (let j = 0; j < D; j++) s += ref.out.data[((n * H + h) * L + l) * D + j] * wo[o * E + h * D + j];
      out[(n * L + l) * E + o] = s;
    }
    expectClose(await readTensor(page, 'output'), { shape: [N, L, E], data: out }, 'output');

    await clickCell(page, 'attn_weights', [1, 0, 4, 1]);
    await page.locator('[data-role="neuron"] [data-role="mha-out"]').first().waitFor({ timeout: 5_000 });
    const at = ((1 * H + 0) * L + 4) * L;
    expect(mismatches(await values('p'), ref.probs.data.subarray(at, at + L))).toEqual([]);
    expect(mismatches(await values('gpu-p'), ref.probs.data.subarray(at, at + L))).toEqual([]);
    expect(mismatches(await values('mha-out'), out.subarray((1 * L + 4) * E, (1 * L + 5) * E))).toEqual([]);
    expect(mismatches(await values('mha-gpu-out'), out.subarray((1 * L + 4) * E, (1 * L + 5) * E))).toEqual([]);
    expect((await values('qkv-diff'))[0]).toBeLessThan(1e-4);
    const head = ((1 * H + 0) * L + 4) * D;
    expect(mismatches(await values('gpu-out'), ref.out.data.subarray(head, head + D))).toEqual([]);
    await shot('mha');

    expect(await refusal({ op: 'multi_head_attention', n: 1, l: 4, e: 6, heads: 4, seed: 1 })).toContain('embed_dim 6 is not divisible by num_heads 4');
  });

  it('ViT patch embedding: patch features match conv2d in float64; a clicked patch shows its flattened pixels, the projection sum and its token', async () => {
    const { page } = browser();
    const [H, W, P, D] = [24, 32, 8, 6];
    await openLab(browser(), { op: 'vit_patch_embedding', h: H, w: W, patch: P, dim: D, input: 'image', grad: 'random', seed: 5 });
    const { spec } = await lastRun();
    const x = f64(spec.inputs.x);
    const weight = f64(spec.inputs.weight);
    const bias = f64(spec.inputs.bias);
    const ref = conv2dForwardRef(x, weight, bias, normalizeConv2dAttrs({ stride: P }, P, P));
    expect(ref.shape).toEqual([1, D, H / P, W / P]);
    expectClose(await readTensor(page, 'output'), ref, 'patch features');

    await shot('vit-patch-embedding-unselected');
    // Click patch (py 2, px 1) on the picture.
    const image = page.locator('[data-role="neuron"] nnx-patch-image');
    await image.scrollIntoViewIfNeeded();
    const centre = await image.evaluate((el) => (el as NnxPatchImage).patchCenter(2, 1));
    await page.mouse.click(centre.x, centre.y);
    await page.locator('[data-role="neuron"] [data-role="vit-detail"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-role="neuron"] nnx-neuron-panel tr.term').count()).toBe(3 * P * P);
    const flatOut = (2 * (W / P)) + 1; // feature 0 of patch (2, 1)
    const sum = (await values('recomputed'))[0];
    expect(Math.abs(sum - ref.data[flatOut])).toBeLessThanOrEqual(1e-9);
    expect(Math.abs((await values('output'))[0] - ref.data[flatOut])).toBeLessThanOrEqual(tolerance(ref.data[flatOut]));
    // Token 1 + 2·4 + 1 = 10: GPU add of the patch features and the position embedding.
    const tokenCells = page.locator('[data-role="neuron"] tr[data-token="10"] td[data-role="token"]');
    expect(await tokenCells.count()).toBe(D);
    for (let d = 0; d < D; d++) {
      const cell = tokenCells.nth(d);
      const gpu = Number(await cell.getAttribute('data-value'));
      const want = Number(await cell.getAttribute('data-sum'));
      expect(Math.abs(gpu - want)).toBeLessThanOrEqual(tolerance(want));
    }
    const before = await page.locator('nnx-layer-lab').evaluate((el) => Array.from((el as NnxLayerLab).lastRun!.tensors['tokens.before'].data.subarray(10 * 6, 11 * 6)));
    expect(mismatches(before, Array.from({ length: D }, (_, d) => ref.data[d * (H / P) * (W / P) + flatOut]))).toEqual([]);
    // Parameter counts from src/analysis: conv_proj 3·P·P·D + D, class token D, pos_embedding (patches + 1)·D; stem 3·3·3·D + D.
    const patches = (H / P) * (W / P);
    expect(await values('vit-params')).toEqual([3 * P * P * D + D + D + (patches + 1) * D]);
    expect(await values('cnn-params')).toEqual([27 * D + D]);
    await shot('vit-patch-embedding');

    expect(await refusal({ op: 'vit_patch_embedding', h: 30, w: 32, patch: 8, dim: 4, seed: 1 })).toContain('30 / 8 = 3.75');
  });

  it('the pages above logged no console error', () => {
    const { consoleErrors } = browser();
    expect(consoleErrors, `console errors:\n${consoleErrors.join('\n')}`).toEqual([]);
  });
});
