/**
 * The embeddable library in headless Chromium: the library build (vite.lib.config.ts, as
 * `npm run build` runs it) is served as /dist/lib/nnx.js next to /examples/ by a plain static
 * server on 127.0.0.1, with no Vite in between. A blank page imports it, sets `spec` on
 * <nnx-layer-inspector> for PyTorch holdout cases (conv2d, pooling, LSTM, BatchNorm, GCN) and
 * the `nnx-result` outputs, gradients and traced intermediates must match PyTorch within
 * 2e-4 + 2e-3·|expected|. examples/embed.html must load and run with no console error and no
 * axe-core WCAG 2 A/AA finding.
 * Screenshots go to test-results/.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/ops/run.ts';
import type { JsonTensor } from '../../src/ops/spec.ts';
import { expectNoAxeFindings } from './axe.ts';
import { launchChromium, libraryBuild, mismatches, RESULTS, ROOT, useBrowser, type Browser } from './harness.ts';

interface FixtureCase {
  name: string;
  op: string;
  expected: { outputs: Record<string, JsonTensor>; grads?: Record<string, JsonTensor>; trace?: Record<string, JsonTensor> };
  [key: string]: unknown;
}

function fixture(file: string): FixtureCase[] {
  return JSON.parse(readFileSync(join(ROOT, 'test/fixtures', file), 'utf8'));
}

/** Holdout cases (never seen by the element's own code paths or other browser tests). */
const CASES: FixtureCase[] = [
  ...fixture('cnn_holdout.json').filter((c) => ['conv2d', 'max_pool2d', 'avg_pool2d'].includes(c.op)),
  ...fixture('norm_rnn_holdout.json').filter((c) => ['lstm_t9_n4_i6_h7', 'lstm_h0_only_no_c0', 'batch_norm_train_n2c5hw3x2', 'batch_norm_eval_ncl_bias_only'].includes(c.name)),
  ...fixture('graph_holdout.json').filter((c) => c.op === 'gcn'),
];

const BLANK = `<!doctype html><html><head><meta charset="utf-8"><title>blank</title><link rel="icon" href="data:,">
<script type="module" src="/dist/lib/nnx.js"></script></head>
<body style="margin:0;padding:16px;background:#f4f5f9"><nnx-layer-inspector id="inspector" heading="holdout case"></nnx-layer-inspector></body></html>`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json', '.css': 'text/css', '.json': 'application/json' };

/** A static server: /dist/lib/* from the fresh library build, /examples/* from the repository, /blank.html. */
function serve(libDir: string): Promise<{ server: Server; url: string }> {
  const roots: [string, string][] = [['/dist/lib/', libDir], ['/examples/', join(ROOT, 'examples')]];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/blank.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(BLANK);
      return;
    }
    for (const [prefix, dir] of roots) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(dir + sep)) break;
      try {
        const body = readFileSync(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
      } catch {
        break;
      }
      return;
    }
    notFound.push(path);
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
  }));
}

/** Paths the static server could not serve (a 404 is also a console error in the page). */
const notFound: string[] = [];
let libDir = '';

const browser = useBrowser('embed', async (): Promise<Browser> => {
  libDir = await libraryBuild();
  const { server, url } = await serve(libDir);
  const closeServer = () => new Promise((resolve) => server.close(resolve));
  try {
    const launched = await launchChromium(url);
    return {
      ...launched,
      async close() {
        await launched.close();
        await closeServer();
      },
    };
  } catch (e) {
    await closeServer();
    throw e;
  }
});

/** Sets `spec` on the page's inspector and waits for its nnx-result (or nnx-error). */
async function inspect(spec: unknown): Promise<{ result?: RunResult; error?: string; state: string }> {
  const { page } = browser();
  return page.evaluate(async (s) => {
    const el = document.querySelector('nnx-layer-inspector') as HTMLElement & { spec: unknown };
    const outcome = new Promise<{ result?: RunResult; error?: string }>((resolve) => {
      const onResult = (e: Event) => finish({ result: (e as CustomEvent<RunResult>).detail });
      const onError = (e: Event) => finish({ error: (e as CustomEvent<{ message: string }>).detail.message });
      // Listen on document: the events bubble out of the element.
      document.addEventListener('nnx-result', onResult);
      document.addEventListener('nnx-error', onError);
      function finish(v: { result?: RunResult; error?: string }) {
        document.removeEventListener('nnx-result', onResult);
        document.removeEventListener('nnx-error', onError);
        resolve(v);
      }
    });
    el.spec = s;
    const v = await outcome;
    await (el as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    return { ...v, state: el.getAttribute('data-state') ?? '' };
  }, spec);
}

function expectClose(got: JsonTensor | undefined, want: JsonTensor, what: string): void {
  expect(got, `${what} is missing`).toBeDefined();
  expect(got!.shape, `${what} shape`).toEqual(want.shape);
  expect(mismatches(got!.data as number[], want.data as number[]), `${what} differs from PyTorch`).toEqual([]);
}

/** Every custom element name under src/ui. */
function sourceElements(): string[] {
  const dir = join(ROOT, 'src/ui');
  const names = new Set<string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/@customElement\('(nnx-[a-z0-9-]+)'\)/g)) names.add(m[1]);
    }
  };
  walk(dir);
  return [...names].sort();
}

describe('dist/lib/nnx.js on a blank page', () => {
  it('is one ES module that defines every nnx-* element', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    expect(readdirSync(libDir).filter((f) => f.endsWith('.js')).sort()).toEqual(['layer-inspector.js', 'nnx.js']);
    await page.goto(`${baseUrl}/blank.html`);
    await page.waitForFunction(() => customElements.get('nnx-layer-inspector') !== undefined, null, { timeout: 10_000 });
    const expected = sourceElements();
    expect(expected).toContain('nnx-layer-inspector');
    const undefinedNames = await page.evaluate((names) => names.filter((n) => !customElements.get(n)), expected);
    expect(undefinedNames).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('nnx-result matches PyTorch: %s', async (_name, c) => {
    const { expected, name: _n, ...spec } = c;
    const out = await inspect(spec);
    expect(out.error, 'the inspector fired nnx-error').toBeUndefined();
    expect(out.state).toBe('done');
    const r = out.result!;
    expect(r.op).toBe(c.op);
    expect(Object.keys(r.outputs).sort()).toEqual(Object.keys(expected.outputs).sort());
    for (const [name, t] of Object.entries(expected.outputs)) expectClose(r.outputs[name], t, `output ${name}`);
    expect(Object.keys(r.grads ?? {}).sort()).toEqual(Object.keys(expected.grads ?? {}).sort());
    for (const [name, t] of Object.entries(expected.grads ?? {})) expectClose(r.grads?.[name], t, `grad ${name}`);
    for (const [name, t] of Object.entries(expected.trace ?? {})) expectClose(r.trace?.[name], t, `trace ${name}`);
    // The rest of the `nnx run` JSON: adapter, ledger, timings.
    expect(r.memory.peak_bytes).toBeGreaterThan(0);
    expect(r.memory.buffers.length).toBe(r.memory.buffers_created);
    expect(r.timings.dispatches.length).toBeGreaterThan(0);
    expect(typeof r.adapter.description).toBe('string');
    // `result` on the element is the same JSON, and every output and gradient is drawn.
    const { page } = browser();
    const shown = await page.evaluate(() => {
      const el = document.querySelector('nnx-layer-inspector') as HTMLElement & { result: RunResult | null };
      const views = [...(el.shadowRoot?.querySelectorAll('nnx-tensor-view') ?? [])].map((v) => v.getAttribute('data-name'));
      return { op: el.result?.op, outputs: Object.keys(el.result?.outputs ?? {}), views };
    });
    expect(shown.op).toBe(c.op);
    expect(shown.views.sort()).toEqual([...Object.keys(expected.outputs), ...Object.keys(expected.grads ?? {}).map((g) => `grad.${g}`)].sort());
    if (c === CASES[0] || c.op === 'lstm' || c.op === 'gcn') {
      await page.screenshot({ path: join(RESULTS, `embed-inspector-${c.op}.png`), fullPage: true });
    }
  });

  it('a bad spec fires nnx-error with one line and shows it in the element; the next good spec recovers', async () => {
    const { page } = browser();
    const bad = await inspect({ op: 'conv2d', attrs: {}, inputs: { x: { shape: [1, 1, 4, 4], data: new Array(16).fill(1) }, weight: { shape: [1, 2, 3, 3], data: new Array(18).fill(1) } } });
    expect(bad.result).toBeUndefined();
    expect(bad.state).toBe('error');
    expect(bad.error!.split('\n')).toHaveLength(1);
    expect(bad.error).toMatch(/^conv2d: weight \[1, 2, 3, 3\] expects .*input channels/);
    const shownError = await page.locator('nnx-layer-inspector [data-role="error"]').innerText();
    expect(shownError).toContain(bad.error!.slice(0, 40));
    await page.screenshot({ path: join(RESULTS, 'embed-inspector-error.png') });
    const unknown = await inspect({ op: 'conv3d', inputs: {} });
    expect(unknown.error).toMatch(/unknown op "conv3d"/);
    const { expected: _e, name: _n, ...good } = CASES[0];
    const ok = await inspect(good);
    expect(ok.state).toBe('done');
    expect(await page.locator('nnx-layer-inspector [data-role="error"]').count()).toBe(0);
  });

  it('removing the element destroys its GPU device; a new one runs again', async () => {
    const { page, consoleErrors } = browser();
    const { expected: _e, name: _n, ...spec } = CASES[0];
    const lost = await page.evaluate(async () => {
      const el = document.querySelector('nnx-layer-inspector') as unknown as HTMLElement & { runtime: { device: GPUDevice } | null };
      const device = el.runtime?.device;
      if (!device) return 'no device';
      el.remove();
      const info = await Promise.race([device.lost, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
      return info ? info.reason : 'still alive';
    });
    expect(lost).toBe('destroyed');
    await page.evaluate(() => document.body.append(Object.assign(document.createElement('nnx-layer-inspector'), { id: 'inspector' })));
    const again = await inspect(spec);
    expect(again.state).toBe('done');
    expect(consoleErrors).toEqual([]);
  });
  it('takes the spec as a JSON attribute too; an attribute that is not JSON is reported', async () => {
    const { page, baseUrl } = browser();
    // A fresh page: this test does not build on the element the previous test made after destroying a device.
    await page.goto(`${baseUrl}/blank.html`);
    await page.waitForFunction(() => customElements.get('nnx-layer-inspector') !== undefined, null, { timeout: 10_000 });
    const { expected, name: _n, ...spec } = CASES.find((c) => c.op === 'max_pool2d')!;
    const viaAttribute = (text: string) => page.evaluate(async (t) => {
      const el = document.querySelector('nnx-layer-inspector')!;
      // Held by the page, so the element and its listeners outlive any garbage collection until the event comes.
      (window as unknown as { inspectorUnderTest: Element }).inspectorUnderTest = el;
      const outcome = new Promise<{ result?: RunResult; error?: string }>((resolve) => {
        el.addEventListener('nnx-result', (e) => resolve({ result: (e as CustomEvent<RunResult>).detail }), { once: true });
        el.addEventListener('nnx-error', (e) => resolve({ error: (e as CustomEvent<{ message: string }>).detail.message }), { once: true });
      });
      el.setAttribute('spec', t);
      return outcome;
    }, text);
    const ok = await viaAttribute(JSON.stringify(spec));
    expect(ok.error).toBeUndefined();
    expectClose(ok.result!.outputs.output, expected.outputs.output, 'output');
    const bad = await viaAttribute('{"op": conv2d}');
    expect(bad.error).toMatch(/^the spec attribute is not JSON: /);
  });

  it('hostile attributes (fuzz): markup and unicode stay text, huge shapes, NaN and past-float32 data end in one shown line', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    await page.goto(`${baseUrl}/blank.html`);
    await page.waitForFunction(() => customElements.get('nnx-layer-inspector') !== undefined, null, { timeout: 10_000 });
    consoleErrors.length = 0;
    const markup = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const specs = [
      JSON.stringify({ op: markup, inputs: {} }),
      JSON.stringify({ op: 'relu', inputs: { [`${markup}конв🙂`]: { shape: [1], data: [1] } } }),
      JSON.stringify({ op: 'relu', inputs: { x: { shape: [65536, 65536, 65536], data: [] } } }),
      JSON.stringify({ op: 'relu', inputs: { x: { shape: [2 ** 31, 2], data: [1] } } }),
      '{"op": "relu",\n "inputs": {"x": {"shape": [2], "data": [1, NaN]}}}',
      JSON.stringify({ op: 'relu', inputs: { x: { shape: [2], data: [1, 'NaN'] } } }),
      JSON.stringify({ op: 'relu', inputs: { x: { shape: [2], data: [1e39, 1] } } }),
    ];
    const seen = await page.evaluate(async ({ markup, specs }) => {
      const el = document.createElement('nnx-layer-inspector');
      el.setAttribute('heading', `${markup} конв🙂`);
      document.body.append(el);
      const runs: { error?: string; shown: string; elements: number }[] = [];
      for (const text of specs) {
        const error = await new Promise<string | undefined>((resolve) => {
          el.addEventListener('nnx-result', () => resolve(undefined), { once: true });
          el.addEventListener('nnx-error', (e) => resolve((e as CustomEvent<{ message: string }>).detail.message), { once: true });
          el.setAttribute('spec', text);
          setTimeout(() => resolve('no nnx-result or nnx-error within 20 s'), 20_000);
        });
        await (el as unknown as { updateComplete: Promise<unknown> }).updateComplete;
        const root = el.shadowRoot!;
        runs.push({ error, shown: (root.querySelector('[data-role="error"]') as HTMLElement | null)?.innerText ?? '', elements: root.querySelectorAll('img, script').length });
      }
      const heading = el.shadowRoot!.querySelector('h2')?.textContent ?? '';
      return { runs, heading, pwned: (window as unknown as { __pwned?: number }).__pwned ?? null };
    }, { markup, specs });
    await page.screenshot({ path: join(RESULTS, 'embed-inspector-hostile.png'), fullPage: true });
    expect(seen.pwned).toBeNull();
    expect(seen.heading).toContain(markup);
    const expected = [/^unknown op "<img src=x onerror=/, /^relu: unknown input "<img .*конв🙂"/, /x: 0 values for shape \[65536, 65536, 65536\]/, /x: 1 values for shape \[2147483648, 2\]/, /^the spec attribute is not JSON: .*NaN/, /x: value at flat index 1 is "NaN", not a finite number/, /x: value at flat index 0 is 1e\+39, outside the float32 range/];
    seen.runs.forEach((r, i) => {
      expect(r.error, specs[i]).toMatch(expected[i]);
      expect(r.error!.split('\n'), `one line: ${r.error}`).toHaveLength(1);
      expect(r.shown, 'the error is shown as text').toContain(r.error!.slice(0, 30));
      expect(r.elements, 'no element made from the spec text').toBe(0);
    });
    expect(consoleErrors).toEqual([]);
  });
});

describe('examples/embed.html', () => {
  it('loads only dist/lib/layer-inspector.js (no app page), with no console error, runs the conv2d and prints the nnx-result summary', async () => {
    const { page, baseUrl, consoleErrors } = browser();
    consoleErrors.length = 0;
    const scripts: string[] = [];
    const onResponse = (r: { url(): string }) => {
      if (r.url().endsWith('.js')) scripts.push(new URL(r.url()).pathname);
    };
    page.on('response', onResponse);
    await page.goto(`${baseUrl}/examples/embed.html`);
    const summary = page.locator('[data-role="summary"]');
    await page.waitForFunction(() => /^nnx-(result|error):/.test(document.querySelector('[data-role="summary"]')?.textContent ?? ''), null, { timeout: 30_000 });
    const text = await summary.innerText();
    expect(text).toMatch(/^nnx-result: conv2d/);
    expect(text).toContain('output output   [1, 2, 6, 6]');
    expect(text).toContain('grad   weight   [2, 1, 3, 3]');
    expect(await page.locator('nnx-layer-inspector[data-state="done"] nnx-tensor-view[data-name="output"]').count()).toBe(1);
    page.off('response', onResponse);
    expect(scripts).toEqual(['/dist/lib/layer-inspector.js']);
    const pages = await page.evaluate(() => ['nnx-app', 'nnx-layer-lab', 'nnx-model-inspector', 'nnx-gradient-lab', 'nnx-builder'].filter((n) => customElements.get(n)));
    expect(pages).toEqual([]);
    await page.screenshot({ path: join(RESULTS, 'embed-example.png'), fullPage: true });
    await expectNoAxeFindings(page, 'examples/embed.html');
    expect(notFound).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
