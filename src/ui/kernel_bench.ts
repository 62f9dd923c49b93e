/**
 * <nnx-kernel-bench>: the Kernel Timings page. Runs a small built-in set of op cases on the
 * browser's own WebGPU adapter (src/ops/bench.ts, the same code as `nnx bench`), charts GPU time
 * per case and per kernel with uPlot, and reports GFLOP/s and GB/s; optionally measures the
 * adapter's FMA and copy peaks (src/kernels/roofline.ts) to place each case against them.
 *
 * In: `runtime`, `gpuError`, `params` (URL: `peak=1`). Out: `nnx-params-change`, `nnx-bench-done`.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { measureRoofline, type MeasuredRoofline } from '../kernels/roofline.ts';
import { runBenchCase, type BenchCase, type BenchResult } from '../ops/bench.ts';
import './chart.ts';
import { formatCount, formatShort } from './format.ts';
import { base, tokens } from './theme.ts';
import './webgpu_missing.ts';

/** Small enough for SwiftShader (a few seconds in all), big enough to exercise every kernel family. */
export const BROWSER_CASES: BenchCase[] = [
  { name: 'conv2d 3×3 8→16 @16 +bwd', op: 'conv2d', attrs: { padding: 1 }, shapes: { x: [1, 8, 16, 16], weight: [16, 8, 3, 3], bias: [16] }, backward: true },
  { name: 'max_pool2d 2×2 [1,16,16,16] +bwd', op: 'max_pool2d', attrs: { kernel_size: 2 }, shapes: { x: [1, 16, 16, 16] }, backward: true },
  { name: 'avg_pool2d 2×2 [1,16,16,16]', op: 'avg_pool2d', attrs: { kernel_size: 2 }, shapes: { x: [1, 16, 16, 16] }, backward: false },
  { name: 'linear 64×64×64 +bwd', op: 'linear', attrs: {}, shapes: { x: [64, 64], weight: [64, 64], bias: [64] }, backward: true },
  { name: 'relu [1,16,16,16]', op: 'relu', attrs: {}, shapes: { x: [1, 16, 16, 16] }, backward: false },
  { name: 'batch_norm [4,8,8,8] +bwd', op: 'batch_norm', attrs: { training: true }, shapes: { x: [4, 8, 8, 8], weight: [8], bias: [8] }, backward: true },
  { name: 'layer_norm [4,64] +bwd', op: 'layer_norm', attrs: { normalized_shape: [64] }, shapes: { x: [4, 64], weight: [64], bias: [64] }, backward: true },
  { name: 'lstm T=4 N=2 I=8 H=8', op: 'lstm', attrs: {}, shapes: { x: [4, 2, 8], weight_ih: [32, 8], weight_hh: [32, 8], bias_ih: [32], bias_hh: [32] }, backward: false },
  { name: 'gcn V=64 E=256 16→16', op: 'gcn', attrs: {}, shapes: { x: [64, 16], edge_index: [2, 256], weight: [16, 16], bias: [16] }, backward: false },
];

@customElement('nnx-kernel-bench')
export class NnxKernelBench extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    main { display: flex; flex-direction: column; gap: 16px; }
    .top { display: flex; gap: 14px; align-items: center; flex-wrap: wrap; }
    .top p { margin: 0; font-size: 12.5px; color: var(--_muted); flex: 1 1 400px; line-height: 1.45; }
    .status { font-size: 12.5px; color: var(--_muted); }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; }
    .error { border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: 8px; padding: 10px 12px; font-size: 13px; }
    .peak { display: flex; gap: 24px; font-size: 12.5px; color: var(--_muted); margin-top: 8px; }
    .peak b { font: 600 14px var(--_mono); color: var(--_text); }
    label { font-size: 12.5px; display: flex; gap: 6px; align-items: center; }
    .note { font-size: 11.5px; color: var(--_muted); line-height: 1.45; margin: 8px 0 0; }
  `];

  @property({ attribute: false }) runtime: GpuRuntime | null = null;
  @property({ attribute: false }) gpuError: string | null = null;
  @property({ attribute: false }) params: Record<string, string> = {};
  @property({ reflect: true, attribute: 'data-state' }) benchState: 'idle' | 'running' | 'done' | 'error' = 'idle';
  @state() results: BenchResult[] = [];
  @state() peak: MeasuredRoofline | null = null;
  @state() private progress = '';
  @state() private error: string | null = null;
  private started = false;

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has('runtime') && this.runtime && !this.started) {
      this.started = true;
      void Promise.resolve().then(() => this.run());
    }
  }

  /** Runs every case (and the peak measurement when asked) on the adapter. */
  async run(): Promise<void> {
    const rt = this.runtime;
    if (!rt || this.benchState === 'running') return;
    this.benchState = 'running';
    this.error = null;
    const results: BenchResult[] = [];
    try {
      if (this.params.peak === '1') {
        this.progress = 'measuring the FMA and copy peaks…';
        this.peak = await measureRoofline(rt);
      }
      for (const [i, c] of BROWSER_CASES.entries()) {
        this.progress = `${i + 1} / ${BROWSER_CASES.length}: ${c.name}`;
        results.push(await runBenchCase(rt, c, this.peak ? { gflops: this.peak.gflops, gbps: this.peak.gbps } : null, 3, 1));
        this.results = [...results];
      }
      this.benchState = 'done';
      this.dispatchEvent(new CustomEvent('nnx-bench-done', { detail: { results }, bubbles: true, composed: true }));
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      this.benchState = 'error';
    }
    this.progress = '';
  }

  private togglePeak(on: boolean): void {
    this.dispatchEvent(new CustomEvent('nnx-params-change', { detail: { params: on ? { peak: '1' } : {} }, bubbles: true, composed: true }));
  }

  render() {
    const r = this.results;
    const kernels = new Map<string, number>();
    for (const b of r) for (const k of b.kernels) kernels.set(k.kernel, (kernels.get(k.kernel) ?? 0) + (k.gpu_ms ?? 0));
    const kernelList = [...kernels].sort((a, b) => b[1] - a[1]);
    const timestamps = r.length === 0 || r.some((b) => b.gpu_ms !== null);
    return html`<main>
      ${this.gpuError ? html`<nnx-webgpu-missing .reason=${this.gpuError}></nnx-webgpu-missing>` : nothing}
      <div class="card top">
        <button class="primary" data-role="run-bench" ?disabled=${!this.runtime || this.benchState === 'running'} @click=${() => this.run()}>${this.benchState === 'running' ? 'Running…' : 'Run the kernels again'}</button>
        <label><input type="checkbox" .checked=${this.params.peak === '1'} @change=${(e: Event) => this.togglePeak((e.target as HTMLInputElement).checked)} /> measure the adapter’s peaks first</label>
        <span class="status" data-role="bench-status">${this.progress || (this.benchState === 'done' ? `${formatCount(r.length)} cases, median of 3 runs each` : '')}</span>
        <p>Each case runs forward (and backward when marked) on this browser’s WebGPU adapter with seeded inputs; GPU time comes from timestamp queries around each dispatch. The sizes are small so a CPU implementation (SwiftShader) finishes in seconds; <code>npx nnx bench</code> runs the full ResNet-scale set.</p>
        ${this.peak ? html`<div class="peak">FMA peak <b data-role="peak-gflops">${formatShort(this.peak.gflops)} GFLOP/s</b> copy bandwidth <b>${formatShort(this.peak.gbps)} GB/s</b></div>` : nothing}
      </div>
      ${this.error ? html`<div class="error" role="alert" data-role="bench-error">${this.error}</div>` : nothing}
      ${!timestamps ? html`<div class="error">This adapter has no timestamp queries, so no GPU times can be shown (only wall-clock times below).</div>` : nothing}
      ${r.length
        ? html`<div class="charts">
            <div class="card"><h2>GPU time per case</h2>
              <nnx-chart data-role="case-chart" bars .data=${{ x: r.map((_, i) => i), series: [{ label: 'GPU ms', values: r.map((b) => b.gpu_ms) }] }} .categories=${r.map((b) => b.name.split(' ')[0] + (b.backward ? ' +bwd' : ''))} yLabel="GPU ms (median)" .height=${260}></nnx-chart></div>
            <div class="card"><h2>GPU time per kernel</h2>
              <nnx-chart data-role="kernel-chart" bars .data=${{ x: kernelList.map((_, i) => i), series: [{ label: 'GPU ms', values: kernelList.map(([, ms]) => ms), color: '#0ca678' }] }} .categories=${kernelList.map(([k]) => k)} yLabel="GPU ms, all cases" .height=${260}></nnx-chart></div>
          </div>
          <div class="card"><h2>Cases</h2>
            <table data-role="bench-table">
              <thead><tr><th>case</th><th class="num">GPU ms</th><th class="num">min–max</th><th class="num">wall ms</th><th class="num">FLOPs</th><th class="num">bytes</th><th class="num">GFLOP/s</th><th class="num">GB/s</th>${this.peak ? html`<th class="num">of peak</th>` : nothing}<th>kernels</th></tr></thead>
              <tbody>${r.map((b) => html`<tr data-case=${b.name}>
                <td class="mono">${b.name}</td>
                <td class="num" data-col="gpu_ms" data-value=${b.gpu_ms ?? ''}>${b.gpu_ms === null ? '—' : b.gpu_ms.toLocaleString('en-US', { maximumFractionDigits: 3 })}</td>
                <td class="num">${b.gpu_ms_min === null ? '—' : `${formatShort(b.gpu_ms_min)}–${formatShort(b.gpu_ms_max!)}`}</td>
                <td class="num">${b.wall_ms.toLocaleString('en-US', { maximumFractionDigits: 2 })}</td>
                <td class="num" data-col="flops" data-value=${b.flops}>${formatCount(b.flops)}</td>
                <td class="num">${formatCount(b.bytes)}</td>
                <td class="num" data-col="gflops" data-value=${b.gflops ?? ''}>${b.gflops === null ? '—' : formatShort(b.gflops)}</td>
                <td class="num" data-col="gbps">${b.gbps === null ? '—' : formatShort(b.gbps)}</td>
                ${this.peak ? html`<td class="num">${b.fraction_of_peak === null ? '—' : `${(b.fraction_of_peak * 100).toFixed(1)}%`}</td>` : nothing}
                <td class="small muted" style="white-space:normal;min-width:220px">${b.kernels.map((k) => k.kernel).join(', ')}</td>
              </tr>`)}</tbody>
            </table>
            <p class="note">GFLOP/s = FLOPs the kernels report / GPU time; GB/s = bytes read + written / GPU time. Chromium rounds timestamps to 100 µs unless started with --enable-webgpu-developer-features, so sub-millisecond cases are coarse.</p>
          </div>`
        : this.benchState === 'running' ? html`<div class="card muted">Running the first case…</div>` : nothing}
    </main>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-kernel-bench': NnxKernelBench;
  }
}
