/**
 * <nnx-app>: the application shell. It owns the GPU runtime (created once, destroyed with the
 * element), keeps the navigation state in the URL hash (`#/layer-lab?op=conv2d&…`) so any view
 * can be shared, and shows the adapter in use. When the device is lost it says so in one line
 * and requests a new adapter and device at once, so the next Run works without a reload (pages
 * disable Run while they have no runtime). `runtime` (read-only) is the GpuRuntime the pages
 * use: tests destroy its device to check that recovery.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { AdapterReport } from '../kernels/adapter.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import './builder.ts';
import './compare_lab.ts';
import './gradient_lab.ts';
import './kernel_bench.ts';
import './landscape_page.ts';
import './layer_lab.ts';
import './model_inspector.ts';
import './model_tracer.ts';
import './museum_page.ts';
import './parallel_planner.ts';
import './tape_page.ts';
import { PAGES, formatRoute, parseRoute, type Route } from './route.ts';
import { base, tokens } from './theme.ts';

/** A readable adapter name from what the browser reveals. */
export function adapterName(a: AdapterReport): string {
  const parts = [a.vendor, a.architecture, a.device].filter((s) => s && s.trim());
  return a.description?.trim() || parts.join(' · ') || 'unnamed adapter (the browser hides its name)';
}

@customElement('nnx-app')
export class NnxApp extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; min-height: 100vh; background: var(--_bg); --nnx-sticky-top: 68px; }
    header {
      display: flex; align-items: center; gap: 22px; padding: 0 22px; height: 52px;
      background: var(--nnx-header-bg, #141a2e); color: #e8ebf5; position: sticky; top: 0; z-index: 10;
    }
    .brand { display: flex; align-items: center; gap: 9px; font-weight: 700; letter-spacing: -0.01em; font-size: 15px; white-space: nowrap; }
    .logo { width: 22px; height: 22px; border-radius: 6px; background: conic-gradient(from 200deg, #2166ac, #f7f7f7, #b2182b, #2166ac); box-shadow: inset 0 0 0 2px rgba(255,255,255,0.25); }
    .brand small { font-weight: 500; color: #99a1bd; font-size: 12px; }
    nav { display: flex; gap: 4px; height: 100%; }
    nav a {
      display: flex; align-items: center; padding: 0 12px; color: #b8bfd6; text-decoration: none; font-size: 13.5px; font-weight: 550;
      border-bottom: 2px solid transparent;
    }
    nav a:hover { color: #fff; }
    nav a[aria-current='page'] { color: #fff; border-bottom-color: #8b93ff; }
    .adapter { margin-left: auto; display: flex; align-items: center; gap: 8px; font-size: 12px; color: #b8bfd6; min-width: 0; }
    .adapter b { color: #fff; font-weight: 600; font-family: var(--_mono); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .led { width: 8px; height: 8px; border-radius: 50%; background: #7c849c; flex: none; }
    .led.ok { background: #34d399; box-shadow: 0 0 6px #34d399; }
    .led.bad { background: #f87171; }
    .content { padding: 18px 22px 40px; max-width: 1680px; margin: 0 auto; }
    .missing-page { padding: 30px; }
    .device-lost { margin: 0 0 14px; border: 1px solid #fcd34d; background: #fffbeb; color: #78350f; border-radius: 8px; padding: 8px 12px; font-size: 13px; }
    .missing-page a { color: var(--_accent); }
  `];

  @state() private route: Route = parseRoute(typeof location === 'undefined' ? '' : location.hash);
  /** The GpuRuntime the pages get, or null while none is ready. */
  @state() runtime: GpuRuntime | null = null;
  /** "GPU device lost (reason)" after a loss, shown until a page reports a finished run (`nnx-result`). */
  @state() private deviceLost: string | null = null;
  @state() private gpuError: string | null = null;
  private disposed = false;

  private readonly onHash = () => {
    this.route = parseRoute(location.hash);
  };

  connectedCallback(): void {
    super.connectedCallback();
    this.disposed = false;
    window.addEventListener('hashchange', this.onHash);
    if (!this.runtime && !this.gpuError) void this.acquire();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHash);
    this.disposed = true;
    this.runtime?.destroy();
    this.runtime = null;
  }

  private async acquire(): Promise<void> {
    try {
      const rt = await GpuRuntime.create();
      if (this.disposed) {
        rt.destroy();
        return;
      }
      rt.device.lost.then((info) => {
        if (this.runtime !== rt || this.disposed) return;
        this.runtime = null;
        this.deviceLost = `GPU device lost (${info.reason}${info.message ? `: ${info.message}` : ''})`;
        void this.acquire();
      });
      this.runtime = rt;
    } catch (e) {
      this.gpuError = e instanceof Error ? e.message : String(e);
    }
  }

  private onParams(e: CustomEvent<{ params: Record<string, string> }>): void {
    const route = { page: this.route.page, params: e.detail.params };
    history.replaceState(null, '', formatRoute(route));
    this.route = route;
  }

  private renderPage() {
    if (this.route.page === 'layer-lab') {
      return html`<nnx-layer-lab .runtime=${this.runtime} .gpuError=${this.gpuError} .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-layer-lab>`;
    }
    if (this.route.page === 'model-inspector') {
      return html`<nnx-model-inspector .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-model-inspector>`;
    }
    if (this.route.page === 'gradient-lab') {
      return html`<nnx-gradient-lab .runtime=${this.runtime} .gpuError=${this.gpuError} .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-gradient-lab>`;
    }
    if (this.route.page === 'model-tracer') {
      return html`<nnx-model-tracer .runtime=${this.runtime} .gpuError=${this.gpuError} .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-model-tracer>`;
    }
    if (this.route.page === 'compare') {
      return html`<nnx-compare-lab .runtime=${this.runtime} .gpuError=${this.gpuError} .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-compare-lab>`;
    }
    if (this.route.page === 'kernel-timings') {
      return html`<nnx-kernel-bench .runtime=${this.runtime} .gpuError=${this.gpuError} .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-kernel-bench>`;
    }
    if (this.route.page === 'landscape') {
      return html`<nnx-landscape-page .runtime=${this.runtime} .gpuError=${this.gpuError} .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-landscape-page>`;
    }
    if (this.route.page === 'tape') {
      return html`<nnx-tape-page .runtime=${this.runtime} .gpuError=${this.gpuError} .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-tape-page>`;
    }
    if (this.route.page === 'parallel') {
      return html`<nnx-parallel-planner .runtime=${this.runtime} .gpuError=${this.gpuError} .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-parallel-planner>`;
    }
    if (this.route.page === 'museum') {
      return html`<nnx-museum-page .runtime=${this.runtime} .gpuError=${this.gpuError} .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-museum-page>`;
    }
    if (this.route.page === 'builder') {
      return html`<nnx-builder .params=${this.route.params} @nnx-params-change=${this.onParams}></nnx-builder>`;
    }
    return html`<div class="card missing-page">
      <h2>No page named “${this.route.page}”</h2>
      <p>Pages: ${PAGES.map((p) => html`<a href="#/${p.id}">${p.title}</a> `)}</p>
    </div>`;
  }

  render() {
    const rt = this.runtime;
    return html`
      <header>
        <div class="brand"><span class="logo"></span>nn-math explorer <small>layers, computed on your GPU</small></div>
        <nav>
          ${PAGES.map((p) => html`<a href="#/${p.id}" aria-current=${this.route.page === p.id ? 'page' : nothing}>${p.title}</a>`)}
        </nav>
        <div class="adapter" data-role="adapter" title=${rt ? `features: ${rt.adapter.features.join(', ') || 'none'}` : this.gpuError ?? ''}>
          <span class="led ${rt ? 'ok' : this.gpuError ? 'bad' : ''}"></span>
          ${rt ? html`WebGPU <b>${adapterName(rt.adapter)}</b>` : this.gpuError ? html`<b>WebGPU unavailable</b>` : 'looking for a WebGPU adapter…'}
        </div>
      </header>
      <div class="content" @nnx-result=${() => (this.deviceLost = null)}>
        ${this.deviceLost
          ? html`<div class="device-lost" role="status" data-role="device-lost">${this.deviceLost}: ${rt ? 'a new GPU device is ready; run again.' : this.gpuError ? `no new device: ${this.gpuError}` : 'requesting a new GPU device…'}</div>`
          : nothing}
        ${this.renderPage()}
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-app': NnxApp;
  }
}
