/**
 * <nnx-layer-inspector>: the embeddable one-op inspector. Set `spec` (the `nnx run` JSON:
 * `{op, attrs, inputs, grad_output?}`) and it runs the op on the page's WebGPU adapter —
 * forward, and backward when `grad_output` is given — then shows every output and gradient as
 * per-channel heatmaps (exact float32 values on hover), the traced intermediates, the kernels
 * with their GPU times and the ledger of every GPU buffer.
 *
 * Without WebGPU (no `navigator.gpu`, or no adapter) it runs the op on the float64 CPU
 * reference instead and says so on the element ("CPU reference, not the GPU"); `backend="cpu"`
 * forces that path and `backend="gpu"` forbids it (the run then fails, saying why WebGPU is
 * missing). The app itself keeps requiring WebGPU.
 *
 * In: `spec` (property, or a JSON `spec` attribute), `heading`, `backend` (auto | gpu | cpu;
 * attributes).
 * Out: `result` (the JSON `nnx run --trace` prints: op, outputs, grads, trace, adapter, memory,
 * timings; on the CPU path `backend: "cpu-reference"` and a `note` instead of adapter, memory
 * and GPU timings), `error` (one line), `data-state` (idle | running | done | error) and the
 * events `nnx-result` (detail: that JSON) and `nnx-error` (detail: `{message}`), both bubbling
 * and composed. The GPU device is acquired on the first run, reused for later specs and
 * destroyed when the element leaves the document. When the device is lost the element says so
 * in one line and the next run requests a new one. `runtime` (read-only) is the GpuRuntime in
 * use, or null: tests destroy its device to check that recovery. Themed through the `--nnx-*`
 * custom properties.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Tensor } from '../analysis/tensor.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { runSpec, type RunResult } from '../ops/run.ts';
import { runSpecOnReference, type ReferenceRunResult } from '../ops/run_reference.ts';
import type { JsonTensor } from '../ops/spec.ts';
import type { AdapterReport } from '../kernels/adapter.ts';
import { DeviceLostError, NoAdapterError } from '../kernels/errors.ts';
import { errorMessage, formatBytesLong, formatCount, formatMicros } from './format.ts';
import './kernel_timings.ts';
import './ledger_table.ts';
import './tensor_view.ts';
import { base, tokens } from './theme.ts';
import './webgpu_missing.ts';

export type InspectorState = 'idle' | 'running' | 'done' | 'error';
export type InspectorTab = 'kernels' | 'memory' | 'trace' | 'inputs';
/** Where the inspector runs ops: WebGPU when the page has it else the CPU reference (auto), or forced. */
export type InspectorBackend = 'auto' | 'gpu' | 'cpu';
/** What a finished run reports: the GPU run's JSON, or the CPU reference's. */
export type InspectorResult = RunResult | ReferenceRunResult;

/** Whether a result came from the CPU reference. */
export function isReferenceResult(r: InspectorResult): r is ReferenceRunResult {
  return (r as ReferenceRunResult).backend === 'cpu-reference';
}

/** Whether this page exposes WebGPU at all. */
function pageHasWebGpu(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && !!navigator.gpu;
}

/** A spec attribute that is not valid JSON: kept so the run reports it in one line. */
class BadSpecAttribute {
  constructor(readonly message: string) {}
}

/** A readable adapter name from what the browser reveals (as the app header shows it). */
function adapterName(a: AdapterReport): string {
  const parts = [a.vendor, a.architecture, a.device].filter((s) => s && s.trim());
  return a.description?.trim() || parts.join(' · ') || 'unnamed adapter';
}

function flatten(data: unknown): number[] {
  return Array.isArray(data) ? data.flatMap(flatten) : [Number(data)];
}

function toTensor(t: JsonTensor): Tensor {
  return { shape: t.shape, data: Float32Array.from(flatten(t.data)) };
}

/** Input tensors of a spec, for the inputs tab (shape checked by the run; nested data flattened). */
function specInputs(spec: unknown): [string, Tensor][] {
  const inputs = (spec as { inputs?: Record<string, JsonTensor> } | null)?.inputs;
  if (!inputs || typeof inputs !== 'object') return [];
  return Object.entries(inputs).flatMap(([name, t]) => {
    if (!t || !Array.isArray(t.shape) || !Array.isArray(t.data)) return [];
    return [[name, { shape: t.shape, data: Float32Array.from(flatten(t.data)) }] as [string, Tensor]];
  });
}

@customElement('nnx-layer-inspector')
export class NnxLayerInspector extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .frame { background: var(--_surface); border: 1px solid var(--_border); border-radius: var(--_radius); box-shadow: var(--_shadow); overflow: hidden; }
    .head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; padding: 10px 14px; border-bottom: 1px solid var(--_border); background: var(--_surface-2); }
    .head h2 { font-size: 14px; }
    .op { font: 600 12.5px var(--_mono); color: var(--_accent); background: var(--_accent-soft); border-radius: 6px; padding: 2px 8px; }
    .status { margin-left: auto; font-size: 12px; color: var(--_muted); display: flex; align-items: center; gap: 6px; }
    .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--_muted); }
    .dot.running { background: var(--_focus); animation: pulse 1s infinite alternate; }
    .dot.done { background: var(--_ok); }
    .dot.error { background: var(--_danger); }
    @keyframes pulse { from { opacity: 0.35; } to { opacity: 1; } }
    .body { padding: 12px 14px 14px; display: flex; flex-direction: column; gap: 12px; }
    .stats { display: flex; gap: 20px; flex-wrap: wrap; font-size: 11.5px; color: var(--_muted); }
    .stats div { display: flex; flex-direction: column; gap: 1px; }
    .stats .k { text-transform: uppercase; letter-spacing: 0.05em; font-size: 10.5px; }
    .stats .v { font: 600 13px var(--_mono); color: var(--_text); }
    .section-title { display: flex; align-items: baseline; gap: 8px; margin: 0 0 6px; }
    .section-title span { font-size: 11.5px; color: var(--_muted); }
    .tensors { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
    .tensors nnx-tensor-view { flex: 0 1 auto; max-width: 100%; }
    .tabs { display: flex; gap: 2px; border-bottom: 1px solid var(--_border); }
    .tabs button { border: none; border-bottom: 2px solid transparent; border-radius: 0; background: none; padding: 6px 10px; font-size: 12.5px; color: var(--_muted); }
    .tabs button[aria-selected='true'] { color: var(--_text); border-bottom-color: var(--_accent); }
    .tab { padding-top: 8px; }
    .run-error { border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: 8px; padding: 10px 12px; font-size: 13px; }
    .run-error code { font: 12px var(--_mono); white-space: pre-wrap; word-break: break-word; }
    .empty { font-size: 12.5px; color: var(--_muted); padding: 6px 0; }
    .cpu-badge { font-size: 11.5px; font-weight: 600; color: #7c2d12; background: #ffedd5; border: 1px solid #fdba74; border-radius: 6px; padding: 2px 8px; }
    .device-lost { border: 1px solid #fcd34d; background: #fffbeb; color: #78350f; border-radius: 8px; padding: 8px 12px; font-size: 13px; }
  `];

  /** The `nnx run` spec to run; also accepted as a JSON attribute. */
  @property({
    attribute: 'spec',
    converter: {
      fromAttribute: (value: string | null) => {
        if (value === null) return null;
        try {
          return JSON.parse(value);
        } catch (e) {
          return new BadSpecAttribute(`the spec attribute is not JSON: ${e instanceof Error ? e.message : String(e)}`);
        }
      },
    },
  })
  spec: unknown = null;
  /** Title shown above the result (defaults to the op name). */
  @property() heading = '';
  /** Which detail tab is open. */
  @property() tab: InspectorTab = 'kernels';
  /** auto (WebGPU when the page has it, else the CPU reference), gpu or cpu. */
  @property({ reflect: true }) backend: InspectorBackend = 'auto';
  /** idle | running | done | error, reflected as `data-state` for styling and tests. */
  @property({ reflect: true, attribute: 'data-state' }) state: InspectorState = 'idle';

  /** The JSON of the latest finished run (null before the first one, or after an error). */
  @state() result: InspectorResult | null = null;
  /** The one-line message of the latest failure. */
  @state() error: string | null = null;
  @state() private noGpu = false;
  /** "GPU device lost (reason)" after a loss, until a run on a new device succeeds. */
  @state() private deviceLost: string | null = null;

  /** The GpuRuntime in use, or null (before the first GPU run, after a device loss). */
  runtime: GpuRuntime | null = null;
  private acquiring: Promise<GpuRuntime> | null = null;
  private queue: Promise<void> = Promise.resolve();
  private generation = 0;
  private connected = false;

  connectedCallback(): void {
    super.connectedCallback();
    this.connected = true;
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.connected = false;
    this.generation++;
    // Free the device once any run in flight has finished with it.
    const rt = this.runtime;
    const pending = this.acquiring;
    this.runtime = null;
    this.acquiring = null;
    void this.queue.finally(async () => {
      rt?.destroy();
      if (pending && !rt) (await pending.catch(() => null))?.destroy();
    });
  }

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has('spec') && this.connected && this.spec !== null && this.spec !== undefined) void this.run();
  }

  /** Runs the current spec again (it runs by itself whenever `spec` is set). Resolves with the result, or null on failure. */
  run(): Promise<InspectorResult | null> {
    const generation = ++this.generation;
    const spec = this.spec;
    this.state = 'running';
    const done = this.queue.then(() => this.runOnce(spec, generation));
    this.queue = done.then(() => undefined);
    return done;
  }

  private async gpu(): Promise<GpuRuntime> {
    if (this.runtime) return this.runtime;
    if (!this.acquiring) {
      this.acquiring = GpuRuntime.create().then((rt) => {
        if (!this.connected) {
          rt.destroy();
          throw new Error('the element was removed from the page before the GPU was ready');
        }
        this.runtime = rt;
        this.acquiring = null;
        rt.device.lost.then((info) => {
          if (this.runtime !== rt) return;
          this.runtime = null;
          if (this.connected) this.deviceLost = `GPU device lost (${info.reason}${info.message ? `: ${info.message}` : ''})`;
        });
        return rt;
      });
      this.acquiring.catch(() => {
        this.acquiring = null;
      });
    }
    return this.acquiring;
  }

  /**
   * The GPU runtime for the next run, or null when the CPU reference should run instead (auto
   * on a page without WebGPU or without an adapter). A runtime whose device was lost is dropped
   * here, so the next run after a loss requests a new device.
   */
  private async backendForRun(): Promise<GpuRuntime | null> {
    if (this.runtime?.lost) this.runtime = null;
    if (this.backend === 'cpu' || (this.backend !== 'gpu' && !pageHasWebGpu())) return null;
    try {
      return await this.gpu();
    } catch (e) {
      if (this.backend === 'auto' && e instanceof NoAdapterError) return null;
      this.noGpu = true;
      throw e;
    }
  }

  private async runOnce(spec: unknown, generation: number): Promise<InspectorResult | null> {
    if (generation !== this.generation) return null;
    let rt: GpuRuntime | null = null;
    try {
      if (spec instanceof BadSpecAttribute) throw new Error(spec.message);
      rt = await this.backendForRun();
      this.noGpu = false;
      const result: InspectorResult = rt ? (await runSpec(rt, spec, { trace: true })).result : runSpecOnReference(spec);
      if (generation !== this.generation) return null;
      if (rt) this.deviceLost = null;
      this.result = result;
      this.error = null;
      this.state = 'done';
      this.dispatchEvent(new CustomEvent<InspectorResult>('nnx-result', { detail: result, bubbles: true, composed: true }));
      return result;
    } catch (e) {
      if (generation !== this.generation) return null;
      this.result = null;
      const lost = rt?.lost || e instanceof DeviceLostError;
      if (lost && this.runtime === rt) this.runtime = null;
      // Work on a lost device fails in several ways; all of them are reported as the loss, in one line.
      this.error = lost ? errorMessage(e instanceof DeviceLostError ? e : new DeviceLostError('GPU device lost')) : errorMessage(e);
      if (lost) this.deviceLost = this.error;
      this.state = 'error';
      this.dispatchEvent(new CustomEvent<{ message: string }>('nnx-error', { detail: { message: this.error }, bubbles: true, composed: true }));
      return null;
    }
  }

  private tensors(group: Record<string, JsonTensor> | undefined, prefix: string, help: (name: string) => string) {
    const entries = Object.entries(group ?? {});
    if (!entries.length) return html`<div class="empty">none</div>`;
    return html`<div class="tensors">
      ${entries.map(([name, t]) => html`<nnx-tensor-view
        data-name=${`${prefix}${name}`}
        .name=${`${prefix}${name}`}
        .heading=${`${prefix}${name}`}
        .help=${help(name)}
        .tensor=${toTensor(t)}
        .maxWidth=${460}
      ></nnx-tensor-view>`)}
    </div>`;
  }

  private renderTab(r: InspectorResult, tab: InspectorTab) {
    if (tab === 'trace') return this.tensors(r.trace, 'trace.', () => '');
    if (isReferenceResult(r)) return this.renderInputs();
    if (tab === 'memory') return html`<nnx-ledger-table .memory=${r.memory}></nnx-ledger-table>`;
    if (tab === 'inputs') return this.renderInputs();
    return html`<nnx-kernel-timings .timings=${r.timings}></nnx-kernel-timings>`;
  }

  private renderInputs() {
      const inputs = specInputs(this.spec);
      if (!inputs.length) return html`<div class="empty">none</div>`;
    return html`<div class="tensors">${inputs.map(([name, t]) => html`<nnx-tensor-view data-name=${`input.${name}`} .name=${name} .tensor=${t} .maxWidth=${460}></nnx-tensor-view>`)}</div>`;
  }

  private renderGpuStats(r: RunResult) {
    const gpu = r.timings.total_gpu_ns;
    return html`
      <div class="stats">
        <div><span class="k">adapter</span><span class="v" data-role="adapter">${adapterName(r.adapter)}</span></div>
        <div><span class="k">GPU time</span><span class="v">${gpu === null ? r.timings.timestamps : `${formatMicros(gpu)} µs`}</span></div>
        <div><span class="k">wall clock</span><span class="v">${r.timings.wall_ms.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms</span></div>
        <div><span class="k">peak GPU memory</span><span class="v" data-role="peak" title=${formatBytesLong(r.memory.peak_bytes)}>${formatCount(r.memory.peak_bytes)} B</span></div>
        <div><span class="k">dispatches</span><span class="v">${formatCount(r.timings.dispatches.length)}</span></div>
      </div>`;
  }

  private renderResult(r: InspectorResult) {
    const cpu = isReferenceResult(r);
    const tabs: [InspectorTab, string][] = [
      ...(cpu ? [] : [['kernels', `Kernels (${r.timings.dispatches.length})`], ['memory', `GPU memory (${r.memory.buffers_created} buffers)`]] as [InspectorTab, string][]),
      ['trace', `Trace (${Object.keys(r.trace ?? {}).length})`],
      ['inputs', 'Inputs'],
    ];
    const tab = tabs.some(([id]) => id === this.tab) ? this.tab : 'trace';
    return html`
      ${cpu
        ? html`<div class="stats">
            <div><span class="k">computed by</span><span class="v" data-role="backend">float64 CPU reference</span></div>
            <div><span class="k">wall clock</span><span class="v">${r.timings.wall_ms.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms</span></div>
            <div><span class="k">GPU</span><span class="v">none: no timings or memory ledger</span></div>
          </div>`
        : this.renderGpuStats(r)}
      <section data-role="outputs">
        <div class="section-title"><h3>Outputs</h3><span>${cpu ? 'forward pass, float64 CPU reference' : 'forward pass, read back from the GPU'}</span></div>
        ${this.tensors(r.outputs, '', () => '')}
      </section>
      ${r.grads
        ? html`<section data-role="grads">
            <div class="section-title"><h3>Gradients</h3><span>∂L/∂input for the given grad_output</span></div>
            ${this.tensors(r.grads, 'grad.', () => '')}
          </section>`
        : nothing}
      <div>
        <div class="tabs" role="tablist">
          ${tabs.map(([id, label]) => html`<button role="tab" data-tab=${id} aria-selected=${tab === id ? 'true' : 'false'} @click=${() => (this.tab = id)}>${label}</button>`)}
        </div>
        <div class="tab" role="tabpanel">${this.renderTab(r, tab)}</div>
      </div>
    `;
  }

  render() {
    const op = (this.result?.op ?? (this.spec as { op?: unknown } | null)?.op);
    const cpu = this.result ? isReferenceResult(this.result) : this.backend === 'cpu' || (this.backend === 'auto' && !pageHasWebGpu());
    const running = cpu ? 'running on the CPU reference…' : 'running on the GPU…';
    const label = this.state === 'running' ? running : this.state === 'done' ? 'done' : this.state === 'error' ? 'failed' : 'waiting for a spec';
    const lostRun = this.deviceLost !== null && this.error === this.deviceLost;
    return html`<div class="frame" part="frame">
      <div class="head">
        <h2>${this.heading || 'Layer inspector'}</h2>
        ${typeof op === 'string' ? html`<span class="op">${op}</span>` : nothing}
        ${cpu ? html`<span class="cpu-badge" data-role="cpu-reference" title="This page has no WebGPU (or backend=&quot;cpu&quot;): the op ran on the float64 CPU reference">CPU reference, not the GPU</span>` : nothing}
        <span class="status" data-role="status"><span class="dot ${this.state}"></span>${label}</span>
      </div>
      <div class="body">
        ${this.deviceLost ? html`<div class="device-lost" role="status" data-role="device-lost">${this.deviceLost}: the next run requests a new GPU device.</div>` : nothing}
        ${this.noGpu && this.error ? html`<nnx-webgpu-missing .reason=${this.error}></nnx-webgpu-missing>` : nothing}
        ${this.error && !this.noGpu && !lostRun ? html`<div class="run-error" role="alert" data-role="error"><b>The run failed.</b> <code>${this.error}</code></div>` : nothing}
        ${this.result ? this.renderResult(this.result) : this.state === 'idle' ? html`<div class="empty">Set the <code>spec</code> property to an <code>nnx run</code> spec.</div>` : nothing}
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-layer-inspector': NnxLayerInspector;
  }
  interface HTMLElementEventMap {
    'nnx-result': CustomEvent<InspectorResult>;
    'nnx-error': CustomEvent<{ message: string }>;
  }
}
