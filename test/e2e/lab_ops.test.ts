/**
 * Every op family in the Layer Lab, in headless Chromium on SwiftShader's WebGPU: pooling,
 * linear, the three norms, the recurrent cells and the graph ops run on the GPU, and what the
 * page shows (outputs, traces, gradients, detail panels) matches the float64 references in
 * src/analysis/reference on the very inputs the page sent. Screenshots go to test-results/.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizePool2dAttrs } from '../../src/analysis/conv_shapes.ts';
import { gatForwardRef, gcnForwardRef, sageForwardRef } from '../../src/analysis/reference/graph.ts';
import { linearForwardRef } from '../../src/analysis/reference/linear.ts';
import { batchNormForwardRef, groupNormForwardRef, layerNormForwardRef } from '../../src/analysis/reference/norm.ts';
import { crossEntropyBackwardRef, crossEntropyForwardRef } from '../../src/analysis/reference/cross_entropy.ts';
import { avgPool2dForwardRef, maxPool2dBackwardRef, maxPool2dForwardRef } from '../../src/analysis/reference/pool2d.ts';
import { reluBackwardRef, reluForwardRef } from '../../src/analysis/reference/relu.ts';
import { recurrentBackwardRef } from '../../src/analysis/reference/recurrent.ts';
import type { Tensor, Tensor64 } from '../../src/analysis/tensor.ts';
import type { RunSpec } from '../../src/ops/spec.ts';
import type { NnxLayerLab } from '../../src/ui/layer_lab.ts';
import { clickCell, mismatches, openLab, readTensor, RESULTS, tolerance, useBrowser } from './harness.ts';

const browser = useBrowser('lab-ops');

/** The spec the lab sent and the trace it got back. */
async function lastRun(): Promise<{ spec: RunSpec; trace: Record<string, { shape: number[]; data: number[] }> }> {
  return browser().page.locator('nnx-layer-lab').evaluate((el) => {
    const run = (el as NnxLayerLab).lastRun!;
    return { spec: run.spec, trace: (run.result.trace ?? {}) as Record<string, { shape: number[]; data: number[] }> };
  });
}

const f64 = (t: { shape: number[]; data: ArrayLike<number> } | undefined): Tensor64 | null => (t ? { shape: [...t.shape], data: Float64Array.from(t.data) } : null);
const input = (spec: RunSpec, name: string) => f64(spec.inputs[name])!;

function expectClose(got: Tensor, expected: Tensor64, what: string): void {
  expect(got.shape, `${what} shape`).toEqual(expected.shape);
  expect(mismatches(got.data, expected.data), `${what} differs from the float64 reference`).toEqual([]);
}

async function role(role: string): Promise<number> {
  const v = await browser().page.locator(`[data-role="neuron"] [data-role="${role}"]`).first().getAttribute('data-value');
  return Number(v);
}

async function shot(name: string): Promise<void> {
  await browser().page.evaluate(() => window.scrollTo(0, 0));
  await browser().page.screenshot({ path: join(RESULTS, `layer-lab-${name}.png`), fullPage: true });
}

describe('Layer Lab op families in headless Chromium (WebGPU on SwiftShader)', () => {
  it('max_pool2d: output, argmax from the indices trace and ∂L/∂x match the float64 reference', async () => {
    const { page } = browser();
    await openLab(browser(), { op: 'max_pool2d', kh: 3, kw: 3, stride: 2, padding: 1, n: 2, c: 3, h: 9, w: 11, input: 'image', grad: 'random', seed: 4 });
    const { spec } = await lastRun();
    const attrs = normalizePool2dAttrs('max_pool2d', spec.attrs ?? {});
    const ref = maxPool2dForwardRef(input(spec, 'x'), attrs);
    expectClose(await readTensor(page, 'output'), ref.output, 'output');
    const indices = await readTensor(page, 'indices');
    expect(Array.from(indices.data)).toEqual(Array.from(ref.indices.data));
    expectClose(await readTensor(page, 'grad.x'), maxPool2dBackwardRef(input(spec, 'x'), attrs, f64((spec.grad_output as Record<string, { shape: number[]; data: number[] }>).output)!), 'grad.x');

    const index = [1, 2, 0, 3];
    await clickCell(page, 'output', index);
    await page.locator('[data-role="neuron"] [data-role="argmax"]').waitFor({ timeout: 5_000 });
    const flatOut = ((index[0] * 3 + index[1]) * ref.output.shape[2] + index[2]) * ref.output.shape[3] + index[3];
    expect(await role('argmax')).toBe(ref.indices.data[flatOut]);
    expect(Math.abs((await role('output')) - ref.output.data[flatOut])).toBeLessThanOrEqual(tolerance(ref.output.data[flatOut]));
    expect(await page.locator('[data-role="neuron"] tr.tap').count()).toBe(9);
    expect(await page.locator('[data-role="neuron"] tr.tap[data-argmax="true"]').count()).toBe(1);
    await shot('max-pool2d');
  });

  it('avg_pool2d with ceil_mode and count_include_pad=False matches the reference, divisor included', async () => {
    const { page } = browser();
    await openLab(browser(), { op: 'avg_pool2d', kh: 3, kw: 2, stride: 2, padding: 1, ceil: 1, include_pad: 0, n: 1, c: 2, h: 7, w: 8, input: 'random', grad: 'ones', seed: 2 });
    const { spec } = await lastRun();
    const ref = avgPool2dForwardRef(input(spec, 'x'), normalizePool2dAttrs('avg_pool2d', spec.attrs ?? {}));
    expectClose(await readTensor(page, 'output'), ref, 'output');
    await clickCell(page, 'output', [0, 1, 0, 0]);
    await page.locator('[data-role="neuron"] [data-role="divisor"]').waitFor({ timeout: 5_000 });
    expect(await role('divisor')).toBe(2); // the corner window holds 2 × 1 real inputs
    expect(Math.abs((await role('recomputed')) - (await role('output')))).toBeLessThanOrEqual(tolerance(await role('output')));
  });

  it('relu: output and ∂L/∂x match the reference; a clicked value shows max(0, x) and its gradient mask', async () => {
    const { page } = browser();
    await openLab(browser(), { op: 'relu', n: 2, c: 3, h: 6, w: 7, input: 'random', grad: 'random', seed: 9 });
    const { spec } = await lastRun();
    const x = input(spec, 'x');
    expectClose(await readTensor(page, 'output'), reluForwardRef(x), 'output');
    const g = f64((spec.grad_output as Record<string, { shape: number[]; data: number[] }>).output)!;
    expectClose(await readTensor(page, 'grad.x'), reluBackwardRef(x, g), 'grad.x');
    // One cut and one passed position, found in the data the page sent.
    const cut = x.data.findIndex((v) => v < 0);
    const passed = x.data.findIndex((v) => v > 0);
    for (const flatIndex of [cut, passed]) {
      const index = [Math.floor(flatIndex / 126), Math.floor(flatIndex / 42) % 3, Math.floor(flatIndex / 7) % 6, flatIndex % 7];
      await clickCell(page, 'output', index);
      await page.waitForFunction((i) => document.querySelector('nnx-app')?.shadowRoot?.querySelector('nnx-layer-lab')?.shadowRoot
        ?.querySelector('[data-role="neuron"] h2')?.textContent?.includes(`output[${i.join(', ')}]`), index, { timeout: 5_000 });
      expect(await role('x')).toBe(Math.fround(x.data[flatIndex]));
      expect(await role('mask')).toBe(x.data[flatIndex] > 0 ? 1 : 0);
      expect(await role('output')).toBe(Math.max(0, Math.fround(x.data[flatIndex])));
      expect(await role('grad-x')).toBe(x.data[flatIndex] > 0 ? Math.fround(g.data[flatIndex]) : 0);
    }
    await shot('relu');
  });

  it('cross_entropy: loss, softmax, per-sample losses and ∂L/∂logits match the reference; a clicked row shows its log-sum-exp', async () => {
    const { page } = browser();
    for (const reduction of ['mean', 'none'] as const) {
      await openLab(browser(), { op: 'cross_entropy', reduction, ignore_first: 1, n: 7, classes: 6, input: 'random', grad: 'random', seed: 5 });
      const { spec, trace } = await lastRun();
      const logits = input(spec, 'logits');
      const target = { shape: [...spec.inputs.target.shape], data: Int32Array.from(spec.inputs.target.data as number[]) };
      expect(target.data[0]).toBe(-100);
      const ref = crossEntropyForwardRef(logits, target, reduction, -100);
      expectClose(await readTensor(page, 'loss'), ref.loss, 'loss');
      expectClose(await readTensor(page, 'probs'), ref.probs, 'softmax');
      if (reduction === 'mean') expectClose({ shape: trace.loss_per_sample.shape, data: Float32Array.from(trace.loss_per_sample.data) }, ref.perSample, 'loss per sample');
      const gradLoss = f64((spec.grad_output as Record<string, { shape: number[]; data: number[] }>).loss)!;
      const gradRef = crossEntropyBackwardRef(logits, target, reduction, gradLoss, -100);
      expectClose(await readTensor(page, 'grad.logits'), gradRef, 'grad.logits');
      expect(Array.from((await readTensor(page, 'grad.logits')).data.slice(0, 6))).toEqual([0, 0, 0, 0, 0, 0]); // ignored sample

      await clickCell(page, 'probs', [3, 2]);
      await page.locator('[data-role="neuron"] [data-role="lse"]').waitFor({ timeout: 5_000 });
      expect(Math.abs((await role('recomputed')) - ref.perSample.data[3])).toBeLessThanOrEqual(1e-9);
      expect(Math.abs((await role('output')) - ref.perSample.data[3])).toBeLessThanOrEqual(tolerance(ref.perSample.data[3]));
      const rows = page.locator('[data-role="neuron"] tbody tr');
      expect(await rows.count()).toBe(6);
      for (let j = 0; j < 6; j++) {
        const want = Number(await rows.nth(j).locator('[data-role="grad-recomputed"]').getAttribute('data-value'));
        const got = Number(await rows.nth(j).locator('[data-role="grad-gpu"]').getAttribute('data-value'));
        expect(Math.abs(want - gradRef.data[3 * 6 + j])).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(got - want)).toBeLessThanOrEqual(tolerance(want));
      }
      if (reduction === 'mean') await shot('cross-entropy');
    }
  });

  it('linear: typed input numbers, the neuron’s dot product, and the update preview W − lr·dW', async () => {
    const { page } = browser();
    const xtext = '1, -2, 0.5, 3, 0, 1.5, -1, 2';
    await openLab(browser(), { op: 'linear', fin: 4, fout: 3, n: 2, bias: 1, input: 'typed', xtext, grad: 'random', seed: 5 });
    const x = await readTensor(page, 'x');
    expect(Array.from(x.data)).toEqual([1, -2, 0.5, 3, 0, 1.5, -1, 2]);
    const { spec } = await lastRun();
    expectClose(await readTensor(page, 'output'), linearForwardRef(input(spec, 'x'), input(spec, 'weight'), input(spec, 'bias')), 'output');
    await clickCell(page, 'output', [1, 2]);
    const panel = page.locator('nnx-neuron-panel');
    await panel.locator('h2').waitFor({ timeout: 5_000 });
    expect(await panel.locator('tr.term').count()).toBe(4);
    const v = async (r: string) => Number(await panel.locator(`[data-role="${r}"]`).getAttribute('data-value'));
    expect(Math.abs((await v('sum')) + (await v('bias')) - (await v('output')))).toBeLessThanOrEqual(tolerance(await v('output')));

    // The update preview follows the learning rate typed into it (and the URL keeps it).
    const lr = page.locator('nnx-update-preview input[name="lr"]');
    await lr.scrollIntoViewIfNeeded();
    await lr.fill('0.5');
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('lr=0.5'));
    const [w, dw, next] = await Promise.all(['weight', 'grad.weight', 'update.next'].map((n) => readTensor(page, n)));
    expect(mismatches(next.data, Float64Array.from(w.data, (wi, i) => wi - 0.5 * dw.data[i]))).toEqual([]);
    await shot('linear');
  });

  it('batch_norm (training), layer_norm and group_norm: outputs and mean/invstd/x̂ traces match the reference', async () => {
    const { page } = browser();
    await openLab(browser(), { op: 'batch_norm', training: 1, affine: 1, n: 2, c: 3, h: 4, w: 5, input: 'random', grad: 'random', seed: 3 });
    let { spec, trace } = await lastRun();
    const bn = batchNormForwardRef(input(spec, 'x'), input(spec, 'weight'), input(spec, 'bias'), input(spec, 'running_mean'), input(spec, 'running_var'), { training: true, momentum: 0.1, eps: 1e-5 });
    expectClose(await readTensor(page, 'output'), bn.output, 'batch_norm output');
    expectClose(await readTensor(page, 'mean'), bn.mean, 'batch_norm mean');
    expectClose(await readTensor(page, 'invstd'), bn.invstd, 'batch_norm invstd');
    expectClose(await readTensor(page, 'xhat'), bn.xhat, 'batch_norm xhat');
    expectClose(await readTensor(page, 'running_var.new'), bn.runningVar!, 'batch_norm running_var');
    await clickCell(page, 'output', [1, 2, 3, 1]);
    await page.locator('[data-role="neuron"] [data-role="mean-ref"]').waitFor({ timeout: 5_000 });
    expect(Math.abs((await role('mean-ref')) - bn.mean.data[2])).toBeLessThan(1e-9);
    expect(Math.abs((await role('recomputed')) - (await role('output')))).toBeLessThanOrEqual(tolerance(await role('output')));
    await shot('batch-norm');

    await openLab(browser(), { op: 'layer_norm', over: '2', affine: 1, n: 2, c: 3, h: 4, w: 5, input: 'random', grad: 'random', seed: 3 });
    ({ spec, trace } = await lastRun());
    const ln = layerNormForwardRef(input(spec, 'x'), [4, 5], input(spec, 'weight'), input(spec, 'bias'), 1e-5);
    expectClose(await readTensor(page, 'output'), ln.output, 'layer_norm output');
    expect(trace.mean.shape).toEqual([2, 3]);
    expectClose(await readTensor(page, 'invstd'), ln.invstd, 'layer_norm invstd');

    await openLab(browser(), { op: 'group_norm', groups: 2, affine: 1, n: 2, c: 4, h: 3, w: 3, input: 'random', grad: 'random', seed: 3 });
    ({ spec } = await lastRun());
    const gn = groupNormForwardRef(input(spec, 'x'), 2, input(spec, 'weight'), input(spec, 'bias'), 1e-5);
    expectClose(await readTensor(page, 'output'), gn.output, 'group_norm output');
    expectClose(await readTensor(page, 'mean'), gn.mean, 'group_norm mean');
  });

  it('lstm and gru: gates, c, h and ‖∂L/∂h_t‖ per step match the reference; the BPTT chart is drawn on a log axis', async () => {
    const { page } = browser();
    for (const cell of ['lstm', 'gru'] as const) {
      await openLab(browser(), { op: cell, i: 3, h: 5, t: 12, n: 2, gain: '1', input: 'random', grad: 'last', seed: 6 });
      const { spec, trace } = await lastRun();
      const p = {
        x: input(spec, 'x'), h0: input(spec, 'h0'), c0: cell === 'lstm' ? input(spec, 'c0') : null,
        weightIh: input(spec, 'weight_ih'), weightHh: input(spec, 'weight_hh'), biasIh: input(spec, 'bias_ih'), biasHh: input(spec, 'bias_hh'),
      };
      const gradY = f64((spec.grad_output as Record<string, { shape: number[]; data: number[] }>).y)!;
      const g = recurrentBackwardRef(cell, p, 'tanh', gradY, null, null);
      const { recurrentForwardRef } = await import('../../src/analysis/reference/recurrent.ts');
      const fwd = recurrentForwardRef(cell, p, 'tanh');
      expectClose(await readTensor(page, 'y'), fwd.y, `${cell} y`);
      for (const [name, t] of Object.entries(fwd.gates)) expectClose(await readTensor(page, `gates.${name}`), t, `${cell} gates.${name}`);
      if (cell === 'lstm') expectClose(await readTensor(page, 'c'), fwd.c!, 'lstm c');
      expect(mismatches(trace.grad_h_norm.data, g.gradHNorm.data), `${cell} grad_h_norm`).toEqual([]);
      const chart = page.locator('[data-role="neuron"] nnx-chart[data-role="grad-norm-chart"]');
      await chart.waitFor({ timeout: 5_000 });
      expect(await chart.evaluate((el) => (el as unknown as { logY: boolean }).logY)).toBe(true);
      expect(await page.locator('[data-role="neuron"] tr.step').count()).toBe(12);
      // Click step 4 of unit 2, sequence 1: the recomputed h equals the GPU's.
      await clickCell(page, 'y', [4, 1, 2]);
      await page.locator('[data-role="neuron"] tr.step.sel[data-step="4"]').waitFor({ timeout: 5_000 });
      const href = await role('h-ref');
      expect(Math.abs(href - fwd.y.data[(4 * 2 + 1) * 5 + 2])).toBeLessThanOrEqual(tolerance(href));
      if (cell === 'lstm') await shot('lstm');
    }
  });

  it('gcn, gat and sage: outputs match the reference; clicking a node lists its messages and coefficients', async () => {
    const { page } = browser();
    for (const kind of ['gcn', 'gat', 'sage'] as const) {
      await openLab(browser(), { op: kind, graph: 'karate', fin: 4, fout: 3, ...(kind === 'gat' ? { heads: 2 } : {}), input: 'random', grad: 'random', seed: 8 });
      const { spec } = await lastRun();
      const x = input(spec, 'x');
      const ei = spec.inputs.edge_index.data;
      const ref = kind === 'gcn'
        ? gcnForwardRef(x, ei, input(spec, 'weight'), input(spec, 'bias'))
        : kind === 'gat'
          ? gatForwardRef(x, ei, input(spec, 'weight'), input(spec, 'att_src'), input(spec, 'att_dst'), input(spec, 'bias'), { heads: 2 })
          : sageForwardRef(x, ei, input(spec, 'weight_l'), input(spec, 'bias_l'), input(spec, 'weight_r'));
      expectClose(await readTensor(page, 'output'), ref, `${kind} output`);
      // Node 0 of the karate club has 16 friends (+ a self loop for gcn and gat).
      const node = page.locator('[data-role="neuron"] nnx-graph-view circle[data-node="0"]');
      await node.scrollIntoViewIfNeeded();
      await node.click();
      await page.locator('[data-role="neuron"] tr.msg').first().waitFor({ timeout: 5_000 });
      expect(await page.locator('[data-role="neuron"] tr.msg').count()).toBe(kind === 'sage' ? 16 : 17);
      expect(decodeURIComponent(page.url())).toContain('neuron=0,');
      const out = await role('output');
      expect(Math.abs((await role('recomputed')) - out)).toBeLessThanOrEqual(tolerance(out));
      // GAT's attention over a node's incoming edges is a softmax: it sums to 1 per head.
      if (kind === 'gat') expect(Math.abs((await role('coef-sum')) - 1)).toBeLessThan(1e-5);
      if (kind === 'gat') await shot('gat');
    }
    expect(browser().consoleErrors, `console errors:\n${browser().consoleErrors.join('\n')}`).toEqual([]);
  });
});

describe('Layer Lab exports: .npy / CSV downloads, chart PNG / SVG, Copy as PyTorch', () => {
  it('a downloaded .npy and CSV load in numpy with the shown values; the chart downloads as PNG and vector SVG; the PyTorch snippet holds the exact inputs', async () => {
    const { page } = browser();
    await openLab(browser(), { op: 'lstm', i: 3, h: 5, t: 6, n: 2, gain: '1', input: 'random', grad: 'last', seed: 6 });
    const { spec } = await lastRun();
    const save = async (locator: string, file: string): Promise<string> => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(locator).click()]);
      const path = join(RESULTS, file);
      await download.saveAs(path);
      expect(download.suggestedFilename()).toBe(file);
      return path;
    };
    const npy = await save('nnx-tensor-view[data-name="y"] button[data-format="npy"]', 'y.npy');
    const csv = await save('nnx-tensor-view[data-name="y"] button[data-format="csv"]', 'y.csv');
    const shown = await readTensor(page, 'y');
    const shownPath = join(RESULTS, 'y.shown.json');
    writeFileSync(shownPath, JSON.stringify({ shape: shown.shape, data: Array.from(shown.data) }));
    const check = execFileSync('python3', ['-c', `
import json, sys
import numpy as np
a = np.load(sys.argv[1])
shown = json.load(open(sys.argv[3]))
want = np.array(shown["data"], dtype=np.float32).reshape(shown["shape"])
header = open(sys.argv[2]).readline()
shape = tuple(int(s) for s in header[header.index("(") + 1:header.index(")")].split(",") if s.strip())
b = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float32).reshape(shape)
print(json.dumps({"dtype": str(a.dtype), "shape": list(a.shape), "npy_equal": bool(np.array_equal(a, want)), "csv_equal": bool(np.array_equal(b, want))}))
`, npy, csv, shownPath], { encoding: 'utf8' });
    expect(JSON.parse(check)).toEqual({ dtype: 'float32', shape: [6, 2, 5], npy_equal: true, csv_equal: true });

    const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    const heatmapPng = readFileSync(await save('nnx-tensor-view[data-name="y"] button[data-format="png"]', 'y.png'));
    expect([...heatmapPng.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    // IHDR width and height: the heatmap canvas's size in device pixels.
    const canvasSize = await page.locator('nnx-tensor-view[data-name="y"] nnx-heatmap').evaluate((el) => {
      const c = el.shadowRoot!.querySelector('canvas')!;
      return [c.width, c.height];
    });
    expect([heatmapPng.readUInt32BE(16), heatmapPng.readUInt32BE(20)]).toEqual(canvasSize);

    const chart = 'nnx-chart[data-role="grad-norm-chart"]';
    await page.locator(chart).waitFor({ timeout: 5_000 });
    const png = readFileSync(await save(`${chart} button[data-format="png"]`, 'dL_dh_t.png'));
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const svg = readFileSync(await save(`${chart} button[data-format="svg"]`, 'dL_dh_t.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).not.toContain('<image');
    const points = [...svg.matchAll(/<polyline points="([^"]*)"/g)].flatMap((m) => m[1].split(' '));
    const plotted = await page.locator(chart).evaluate((el) => (el as unknown as { data: { series: { values: (number | null)[] }[] } }).data.series[0].values.filter((v) => v !== null && v > 0).length);
    expect(points.length).toBe(plotted);
    expect(plotted).toBe(6);

    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: browser().baseUrl });
    const copy = page.locator('nnx-copy-pytorch');
    await copy.locator('button[data-role="copy-pytorch"]').click();
    await copy.locator('[role="status"]').filter({ hasText: 'copied' }).waitFor({ timeout: 5_000 });
    const snippet = await copy.evaluate((el) => (el as unknown as { snippet: string }).snippet);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);
    expect(snippet).toContain('lstm = torch.nn.LSTM(input_size=3, hidden_size=5)');
    expect(snippet).toContain('y, (h_n, c_n) = lstm(x, (h0, c0))\nprint(y)');
    const xValues = snippet.match(/^x = torch\.tensor\(\[([^\]]*)\]/m)![1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    expect(xValues.map(Math.fround)).toEqual(spec.inputs.x.data.map(Math.fround));
    await copy.locator('summary').click();
    await page.locator('[data-role="pytorch-snippet"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(RESULTS, 'layer-lab-exports-snippet.png') });
    await page.locator('nnx-tensor-view[data-name="y"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(RESULTS, 'layer-lab-exports-buttons.png') });
    expect(browser().consoleErrors, `console errors:\n${browser().consoleErrors.join('\n')}`).toEqual([]);
  });
});
