/**
 * <nnx-layer-inspector> from the small embed bundle (dist/lib/layer-inspector.js, built by
 * vite.lib.config.ts) on a blank page, served by
 * Playwright's request routing from 127.0.0.1 (a secure context), in two Chromiums:
 * - without the WebGPU flags (no adapter): it runs PyTorch holdout cases (conv2d, linear,
 *   max_pool2d, layer_norm, softmax, LSTM) on the float64 CPU reference, labelled "CPU reference,
 *   not the GPU", and its `nnx-result` outputs and gradients match PyTorch within
 *   2e-4 + 2e-3·|expected|; `backend="gpu"` fails in one line saying WebGPU is missing;
 * - with WebGPU (SwiftShader): destroying the device mid-run shows one line saying so, and the
 *   next run requests a new device and succeeds, with no reload; `backend="cpu"` forces the
 *   reference.
 * Screenshots go to test-results/.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonTensor } from '../../src/ops/spec.ts';
import type { InspectorResult } from '../../src/ui/layer_inspector.ts';
import { FLAGS, launchChromium, libraryBuild, mismatches, RESULTS, ROOT, useBrowser, type Browser } from './harness.ts';

interface FixtureCase {
  name: string;
  op: string;
  expected: { outputs: Record<string, JsonTensor>; grads?: Record<string, JsonTensor> };
  [key: string]: unknown;
}

const fixture = (file: string): FixtureCase[] => JSON.parse(readFileSync(join(ROOT, 'test/fixtures', file), 'utf8'));
const firstOf = (cases: FixtureCase[], ops: string[]) => ops.map((op) => cases.find((c) => c.op === op)!);

const CASES: FixtureCase[] = [
  ...firstOf(fixture('cnn_holdout.json'), ['conv2d', 'linear', 'max_pool2d']),
  ...firstOf(fixture('norm_rnn_holdout.json'), ['layer_norm', 'lstm']),
  ...firstOf(fixture('softmax_embedding_holdout.json'), ['softmax']),
];

const ORIGIN = 'http://127.0.0.1:9';
const BLANK = `<!doctype html><html><head><meta charset="utf-8"><title>blank</title><link rel="icon" href="data:,">
<script type="module" src="/lib/layer-inspector.js"></script></head>
<body style="margin:0;padding:16px;background:#f4f5f9"><nnx-layer-inspector heading="holdout case"></nnx-layer-inspector></body></html>`;
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];

let libDir = '';

/** Opens the blank page in `b`, answering /blank.html and /lib/* from memory and the build. */
async function openBlank(b: Browser): Promise<void> {
  await b.page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/blank.html') return route.fulfill({ status: 200, contentType: 'text/html', body: BLANK });
    const file = path.startsWith('/lib/') ? path.slice('/lib/'.length) : '';
    if (!readdirSync(libDir).includes(file)) return route.fulfill({ status: 404, body: `not found: ${path}` });
    return route.fulfill({ status: 200, contentType: extname(file) === '.js' ? 'text/javascript' : 'application/octet-stream', body: readFileSync(join(libDir, file)) });
  });
  await b.page.goto(`${ORIGIN}/blank.html`);
  await b.page.waitForFunction(() => customElements.get('nnx-layer-inspector') !== undefined, null, { timeout: 15_000 });
}

/** The blank page in a Chromium without WebGPU and in one with WebGPU on SwiftShader. */
const browsers = useBrowser('embed-robustness', async () => {
  libDir = await libraryBuild();
  const opened: Browser[] = [];
  try {
    opened.push(await launchChromium(ORIGIN, FLAGS.filter((f) => !WEBGPU_FLAGS.includes(f))));
    opened.push(await launchChromium(ORIGIN));
    for (const b of opened) await openBlank(b);
  } catch (e) {
    for (const b of opened) await b.close();
    throw e;
  }
  const [noGpu, gpu] = opened;
  return {
    noGpu, gpu,
    async close() {
      for (const b of opened) await b.close();
    },
  };
});

function browser(which: 'no-gpu' | 'gpu'): Browser {
  const { noGpu, gpu } = browsers();
  return which === 'gpu' ? gpu : noGpu;
}

/** Sets `spec` (and `backend`) on the inspector and waits for its nnx-result or nnx-error. */
async function inspect(b: Browser, spec: unknown, backend = 'auto'): Promise<{ result?: InspectorResult; error?: string; state: string }> {
  return b.page.evaluate(async ([s, backendName]) => {
    const el = document.querySelector('nnx-layer-inspector') as HTMLElement & { spec: unknown; backend: string; updateComplete: Promise<unknown> };
    const outcome = new Promise<{ result?: InspectorResult; error?: string }>((resolve) => {
      el.addEventListener('nnx-result', (e) => resolve({ result: (e as CustomEvent<InspectorResult>).detail }), { once: true });
      el.addEventListener('nnx-error', (e) => resolve({ error: (e as CustomEvent<{ message: string }>).detail.message }), { once: true });
    });
    el.backend = backendName as string;
    el.spec = s;
    const v = await outcome;
    await el.updateComplete;
    return { ...v, state: el.getAttribute('data-state') ?? '' };
  }, [spec, backend] as const);
}

function specOf(c: FixtureCase): Record<string, unknown> {
  const { expected: _e, name: _n, ...spec } = c;
  return spec;
}

function expectMatches(r: InspectorResult, c: FixtureCase): void {
  expect(Object.keys(r.outputs).sort()).toEqual(Object.keys(c.expected.outputs).sort());
  expect(Object.keys(r.grads ?? {}).sort()).toEqual(Object.keys(c.expected.grads ?? {}).sort());
  for (const [group, expected] of [['outputs', c.expected.outputs], ['grads', c.expected.grads ?? {}]] as const) {
    for (const [name, want] of Object.entries(expected)) {
      const got = (r[group] ?? {})[name];
      expect(got?.shape, `${group} ${name} shape`).toEqual(want.shape);
      expect(mismatches(got!.data as number[], want.data as number[]), `${group} ${name} differs from PyTorch`).toEqual([]);
    }
  }
}

describe('a blank page without WebGPU', () => {
  it('has no WebGPU adapter', async () => {
    const { page } = browser('no-gpu');
    const adapter = await page.evaluate(async () => (navigator.gpu ? String(await navigator.gpu.requestAdapter()) : 'navigator.gpu missing'));
    expect(['null', 'navigator.gpu missing']).toContain(adapter);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('runs %s on the CPU reference, matching PyTorch', async (_name, c) => {
    const b = browser('no-gpu');
    const out = await inspect(b, specOf(c));
    expect(out.error, 'the inspector fired nnx-error').toBeUndefined();
    expect(out.state).toBe('done');
    const r = out.result!;
    expect(r.op).toBe(c.op);
    expect('backend' in r && r.backend).toBe('cpu-reference');
    expect('adapter' in r || 'memory' in r).toBe(false);
    expectMatches(r, c);
    const badge = b.page.locator('nnx-layer-inspector [data-role="cpu-reference"]');
    expect(await badge.innerText()).toBe('CPU reference, not the GPU');
    const views = await b.page.locator('nnx-layer-inspector section nnx-tensor-view').count();
    expect(views).toBe(Object.keys(c.expected.outputs).length + Object.keys(c.expected.grads ?? {}).length);
    if (c.op === 'conv2d') await b.page.screenshot({ path: join(RESULTS, `embed-cpu-reference-${c.op}.png`), fullPage: true });
  });

  it('backend="gpu" refuses in one line, saying WebGPU is missing; a bad spec fails as on the GPU', async () => {
    const b = browser('no-gpu');
    const forced = await inspect(b, specOf(CASES[0]), 'gpu');
    expect(forced.state).toBe('error');
    expect(forced.error!.split('\n')).toHaveLength(1);
    expect(forced.error).toMatch(/WebGPU/);
    expect(await b.page.locator('nnx-layer-inspector nnx-webgpu-missing').count()).toBe(1);
    const bad = await inspect(b, { op: 'conv2d', attrs: {}, inputs: { x: { shape: [1, 1, 4, 4], data: new Array(16).fill(1) }, weight: { shape: [1, 2, 3, 3], data: new Array(18).fill(1) } } });
    expect(bad.error).toMatch(/^conv2d: weight \[1, 2, 3, 3\] expects .*input channels/);
    expect(b.consoleErrors).toEqual([]);
  });
});

describe('a blank page with WebGPU', () => {
  const relu = { op: 'relu', attrs: {}, inputs: { x: { shape: [2, 3, 5], data: Array.from({ length: 30 }, (_, i) => i - 14.5) } }, grad_output: { output: { shape: [2, 3, 5], data: Array.from({ length: 30 }, (_, i) => i % 3) } } };
  const expected = { outputs: { output: relu.inputs.x.data.map((v) => Math.max(v, 0)) }, grads: { x: relu.inputs.x.data.map((v, i) => (v > 0 ? i % 3 : 0)) } };

  it('a device destroyed mid-run is reported in one line; the next run gets a new device, with no reload', async () => {
    const b = browser('gpu');
    const first = await inspect(b, relu);
    expect(first.error).toBeUndefined();
    const lost = await b.page.evaluate(async (s) => {
      const el = document.querySelector('nnx-layer-inspector') as HTMLElement & { spec: unknown; runtime: { device: GPUDevice; ledger: { liveBytes: number } } | null; updateComplete: Promise<unknown> };
      const rt = el.runtime!;
      const outcome = new Promise<{ result?: unknown; error?: string }>((resolve) => {
        el.addEventListener('nnx-result', () => resolve({ result: true }), { once: true });
        el.addEventListener('nnx-error', (e) => resolve({ error: (e as CustomEvent<{ message: string }>).detail.message }), { once: true });
      });
      // Destroyed as soon as the element reports the run started, before its GPU work can finish.
      const started = new Promise<string | null>((resolve) => {
        const watch = new MutationObserver(() => {
          watch.disconnect();
          const state = el.getAttribute('data-state');
          rt.device.destroy();
          resolve(state);
        });
        watch.observe(el, { attributes: true, attributeFilter: ['data-state'] });
      });
      el.spec = { ...s };
      const state = await started;
      const v = await outcome;
      await el.updateComplete;
      return { ...v, stateWhenDestroyed: state, liveBytes: rt.ledger.liveBytes, runtimeCleared: el.runtime === null };
    }, relu);
    expect(lost.stateWhenDestroyed).toBe('running');
    expect(lost.error).toMatch(/^GPU device lost \(destroyed/);
    expect(lost.liveBytes).toBe(0);
    expect(lost.runtimeCleared).toBe(true);
    const line = b.page.locator('nnx-layer-inspector [data-role="device-lost"]');
    expect(await line.innerText()).toMatch(/^GPU device lost \(destroyed.*\): the next run requests a new GPU device\.$/);
    expect(await b.page.locator('nnx-layer-inspector [data-role="error"]').count()).toBe(0);
    await b.page.screenshot({ path: join(RESULTS, 'embed-device-lost.png') });

    const again = await b.page.evaluate(async () => {
      const el = document.querySelector('nnx-layer-inspector') as HTMLElement & { run(): Promise<InspectorResult | null>; runtime: { ledger: { liveBytes: number } } | null };
      const r = await el.run();
      return { result: r, liveBytes: el.runtime?.ledger.liveBytes ?? -1 };
    });
    expect(again.result?.outputs.output.data).toEqual(expected.outputs.output);
    expect(again.result?.grads?.x.data).toEqual(expected.grads.x);
    expect(again.liveBytes).toBe(0);
    expect(await line.count()).toBe(0);
    expect(b.consoleErrors).toEqual([]);
  });

  it('backend="cpu" runs the CPU reference even where WebGPU is present', async () => {
    const b = browser('gpu');
    const c = CASES.find((x) => x.op === 'lstm')!;
    const out = await inspect(b, specOf(c), 'cpu');
    expect(out.result && 'backend' in out.result && out.result.backend).toBe('cpu-reference');
    expectMatches(out.result!, c);
    expect(await b.page.locator('nnx-layer-inspector[backend="cpu"] [data-role="cpu-reference"]').count()).toBe(1);
  });
});
