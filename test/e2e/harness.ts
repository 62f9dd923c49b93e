/**
 * Shared set-up of the browser tests: build the app with vite, serve it on 127.0.0.1, start
 * /usr/bin/chromium (WebGPU on SwiftShader) through playwright-core, collect console errors.
 * The app (and the embeddable library) is built once per test run: the first test file that
 * needs it builds into test-results/e2e-dist-<run>/ while the others wait, and each file starts
 * only its own `vite preview` and Chromium. The run id comes from test/e2e/global_setup.ts,
 * which also removes the folder when the run ends. `launchChromium` alone serves pages that are
 * not the app (the embed tests).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Tensor } from '../../src/analysis/tensor.ts';
import type { NnxTensorView } from '../../src/ui/tensor_view.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Names this test run's build folder (see global_setup.ts). */
    e2eRunId: string;
  }
}

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

/** What a test file opens in `beforeAll` and closes in `afterAll`. */
export interface Closable {
  close(): Promise<void>;
}

/** How long a test file waits for another one's build before giving up. */
const BUILD_WAIT_MS = 240_000;

/**
 * The output folder of a vite build (`vite.config.ts` for the app, `vite.lib.config.ts` for the
 * library) made once per test run: the first caller builds, callers in other test files wait
 * for its stamp file (or its error file) and reuse the folder.
 */
async function buildOnce(config: 'vite.config.ts' | 'vite.lib.config.ts'): Promise<string> {
  const run = inject('e2eRunId') ?? `process-${process.pid}`;
  const outDir = join(RESULTS, `e2e-dist-${run}`, config === 'vite.config.ts' ? 'app' : 'lib');
  const done = `${outDir}.built`;
  const failed = `${outDir}.failed`;
  mkdirSync(join(RESULTS, `e2e-dist-${run}`), { recursive: true });
  try {
    mkdirSync(`${outDir}.lock`);
  } catch {
    const deadline = Date.now() + BUILD_WAIT_MS;
    while (!existsSync(done)) {
      if (existsSync(failed)) throw new Error(`the shared ${config} build failed in another test file: ${readFileSync(failed, 'utf8')}`);
      if (Date.now() > deadline) throw new Error(`the shared ${config} build did not finish within ${BUILD_WAIT_MS / 1000} s (no ${done})`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return outDir;
  }
  try {
    await build({ root: ROOT, configFile: join(ROOT, config), mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } catch (e) {
    writeFileSync(failed, e instanceof Error ? e.message : String(e));
    throw e;
  }
  writeFileSync(done, run);
  return outDir;
}

/** The library build (dist/lib/nnx.js as `npm run build` makes it), shared by the embed tests. */
export function libraryBuild(): Promise<string> {
  return buildOnce('vite.lib.config.ts');
}

/** Serves this run's app build with `vite preview` on 127.0.0.1 and opens it in Chromium. */
export async function openBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: the browser test needs it (apt-get install -y chromium, or set NNX_CHROMIUM)`);
  }
  const outDir = await buildOnce('vite.config.ts');
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

/**
 * Opens the app in Chromium once for the calling test file (or what `open` opens: the embed
 * tests' blank pages) and closes it afterwards. The returned getter throws the set-up error,
 * prefixed with `name`, in every test when there is no browser or WebGPU, so a missing Chromium
 * fails the suite instead of skipping it.
 */
export function useBrowser(name: string): () => Browser;
export function useBrowser<T extends Closable>(name: string, open: () => Promise<T>): () => T;
export function useBrowser<T extends Closable>(name: string, open?: () => Promise<T>): () => T | Browser {
  let opened: T | Browser | null = null;
  let setupError: Error | null = null;
  beforeAll(async () => {
    try {
      opened = await (open ?? openBrowser)();
    } catch (e) {
      setupError = new Error(`${name}: the browser set-up failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }, BUILD_WAIT_MS + 60_000);
  afterAll(async () => {
    await opened?.close();
  });
  return () => {
    if (setupError) throw setupError;
    return opened!;
  };
}

/**
 * Starts headless Chromium for a page served at `baseUrl`, collecting console errors. `flags`:
 * Chromium's command line (default: WebGPU on SwiftShader; without the WebGPU ones the page gets no adapter).
 */
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
