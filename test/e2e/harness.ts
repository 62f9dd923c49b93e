/**
 * Shared set-up of the browser tests: build the app with vite, serve it on 127.0.0.1, start
 * /usr/bin/chromium (WebGPU on SwiftShader) through playwright-core, collect console errors.
 * Each test file builds into its own folder, so files can run in parallel. `launchChromium`
 * alone serves pages that are not the app (the embed test's static server).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import type { Tensor } from '../../src/analysis/tensor.ts';
import type { NnxTensorView } from '../../src/ui/tensor_view.ts';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const RESULTS = join(ROOT, 'test-results');
export const CHROMIUM = process.env.NNX_CHROMIUM ?? '/usr/bin/chromium';
export const FLAGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Browser {
  page: Page;
  baseUrl: string;
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function openBrowser(name: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: the browser test needs it (apt-get install -y chromium, or set NNX_CHROMIUM)`);
  }
  mkdirSync(RESULTS, { recursive: true });
  const outDir = join(RESULTS, `e2e-dist-${name}`);
  await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server: PreviewServer = await preview({
    root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn',
    build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const baseUrl = server.resolvedUrls?.local[0] ?? '';
  if (!baseUrl.startsWith('http://127.0.0.1')) throw new Error(`vite preview did not report a 127.0.0.1 address (got "${baseUrl}")`);
  let launched: Browser;
  try {
    launched = await launchChromium(baseUrl);
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    ...launched,
    async close() {
      await launched.close();
      await server.close();
    },
  };
}

/** Starts headless Chromium (WebGPU on SwiftShader) for a page served at `baseUrl`, collecting console errors. */
/**
 * Opens the app in Chromium once for the calling test file and closes it afterwards. The
 * returned getter throws the set-up error in every test when there is no browser or WebGPU, so
 * a missing Chromium fails the suite instead of skipping it.
 */
export function useBrowser(name: string): () => Browser {
  let opened: Browser | null = null;
  let setupError: Error | null = null;
  beforeAll(async () => {
    try {
      opened = await openBrowser(name);
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  });
  afterAll(async () => {
    await opened?.close();
  });
  return () => {
    if (setupError) throw setupError;
    return opened!;
  };
}

/** `flags`: Chromium's command line (default: WebGPU on SwiftShader; without the WebGPU ones the page gets no adapter). */
export async function launchChromium(baseUrl: string, flags: string[] = FLAGS): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: the browser test needs it (apt-get install -y chromium, or set NNX_CHROMIUM)`);
  }
  mkdirSync(RESULTS, { recursive: true });
  const userDataDir = mkdtempSync(join(tmpdir(), 'nnx-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: flags, viewport: { width: 1500, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}${process.env.NNX_STACK ? e.stack : ''}`));
  return {
    page, baseUrl, consoleErrors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Waits for the Layer Lab to finish a run, failing with the page's own words when it cannot. */
export async function waitForRun(page: Page, timeout = 30_000): Promise<void> {
  const outcome = page.locator('nnx-layer-lab[data-state="done"], nnx-layer-lab[data-state="error"], nnx-webgpu-missing').first();
  try {
    await outcome.waitFor({ timeout });
  } catch {
    const status = await page.locator('[data-role="status"]').innerText().catch(() => '(no status)');
    throw new Error(`the Layer Lab showed no result within ${timeout / 1000} s; its status line says: "${status.trim()}"`);
  }
  const missing = page.locator('nnx-webgpu-missing');
  if (await missing.count()) throw new Error(`WebGPU is unavailable in Chromium (${CHROMIUM}): ${(await missing.innerText()).slice(0, 300)}`);
  const failed = page.locator('[data-role="run-error"]');
  if (await failed.count()) throw new Error(`the GPU run failed in the page: ${(await failed.innerText()).replace(/\s+/g, ' ')}`);
}

/** The values a tensor view shows (exactly what it draws). */
export async function readTensor(page: Page, name: string): Promise<Tensor> {
  const t = await page.locator(`nnx-tensor-view[data-name="${name}"]`).first().evaluate((el) => {
    const tensor = (el as NnxTensorView).tensor;
    return tensor ? { shape: [...tensor.shape], data: Array.from(tensor.data) } : null;
  });
  if (!t) throw new Error(`the page shows no values for tensor "${name}"`);
  return { shape: t.shape, data: Float32Array.from(t.data) };
}

/** Opens a Layer Lab configuration in a fresh document and waits for its automatic run. */
export async function openLab(b: Browser, params: Record<string, string | number>): Promise<void> {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  await b.page.goto(`${b.baseUrl}?t=${Date.now()}#/layer-lab?${query}`);
  await b.page.locator('nnx-layer-lab[data-state="done"], nnx-layer-lab[data-state="error"], nnx-webgpu-missing').first().waitFor({ timeout: 30_000 });
  await waitForRun(b.page);
}

/** Clicks an output cell of a tensor view. */
export async function clickCell(page: Page, name: string, index: number[]): Promise<void> {
  const view = page.locator(`nnx-tensor-view[data-name="${name}"]`).first();
  await view.scrollIntoViewIfNeeded();
  const at = await view.evaluate((el, i) => (el as NnxTensorView).cellCenter(i), index);
  await page.mouse.click(at.x, at.y);
}

export const tolerance = (expected: number) => 2e-4 + 2e-3 * Math.abs(expected);

/** Indices where `got` and a float64 reference differ beyond tolerance (first ten, as text). */
export function mismatches(got: ArrayLike<number>, expected: ArrayLike<number>): string[] {
  const bad: string[] = [];
  if (got.length !== expected.length) return [`length ${got.length} vs ${expected.length}`];
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(got[i] - expected[i]) <= tolerance(expected[i]))) bad.push(`#${i}: page ${got[i]} vs float64 ${expected[i]}`);
    if (bad.length >= 10) break;
  }
  return bad;
}
