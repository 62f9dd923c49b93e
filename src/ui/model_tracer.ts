/**
 * <nnx-model-tracer>: the Model Tracer page. One sample (a Fashion-MNIST image from the shipped
 * subset, or the executor's seeded data) goes through a zoo model or a pasted ModelSpec: one
 * training step on the browser's GPU with every layer's output and ∂L/∂output kept
 * (src/ops/tracer.ts). A step control then walks through what the step computed, forward one
 * layer at a time and back: the layer's input, output and gradient as heatmaps with exact values
 * on hover, a clicked neuron's explanation with its contributing inputs outlined, the layer's
 * parameters with their gradient and the update the optimizer applied, and the ledger's live
 * buffers at that point of the step.
 *
 * In: `runtime`, `gpuError`, `params` (URL: model, spec, input, sample, seed). Out:
 * `nnx-params-change`. Reflects `data-state` (idle, running, done, error).
 */
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { parseModelSpec, type ModelSpec } from '../analysis/model_spec.ts';
import { importOnnx } from '../analysis/onnx/onnx_import.ts';
import { numel } from '../analysis/tensor.ts';
import { ZOO, zooModel } from '../analysis/zoo/index.ts';
import { NnxRoutedPage } from './routed_page.ts';
import type { SampleDataset } from '../data/dataset.ts';
import { loadShippedFashionMnist } from '../data/fashion_browser.ts';
import { FASHION_CLASSES } from '../data/fashion_mnist.ts';
import { Executor } from '../ops/executor/executor.ts';
import { parseTensor } from '../ops/spec.ts';
import { EXPLAINED_TYPES, explainTraceNeuron, liveBuffersAt, traceStep, type ModelTrace, type TraceExplanation, type TraceLayer, type TraceTensor } from '../ops/tracer.ts';
import { errorMessage, formatBytesLong, formatCount, formatFloat32, formatFloat64 } from './format.ts';
import './neuron_panel.ts';
import { RESIDUAL_CNN, setTrainingImage } from './step_inputs.ts';
import { base, tokens } from './theme.ts';
import './tensor_view.ts';
import './tracer_column.ts';
import './webgpu_missing.ts';

/** Zoo models small enough to trace in a browser tab, a custom spec, and an imported .onnx file with its weights. */
const MODELS = ['lenet5', 'fashion_cnn', 'fashion_vit', 'gcn_karate', 'custom', 'onnx'];

const DEFAULT_SPEC = JSON.stringify({ ...RESIDUAL_CNN, name: 'small_resnet' }, null, 1);

const DEFAULTS: Record<string, string> = { model: 'lenet5', spec: DEFAULT_SPEC, input: 'fashion', sample: '0', seed: '0' };

export type TracerState = 'idle' | 'running' | 'done' | 'error';

/** Fashion-MNIST fits a model reading [N, 1, 28, 28]. */
function takesImages(spec: ModelSpec): boolean {
  return spec.input.length === 4 && spec.input[1] === 1 && spec.input[2] === 28 && spec.input[3] === 28 && !spec.graph;
}

@customElement('nnx-model-tracer')
export class NnxModelTracer extends NnxRoutedPage {
  static styles = [tokens, base, css`
    :host { display: block; }
    .page { display: grid; grid-template-columns: 300px minmax(0, 1fr); gap: 18px; align-items: start; }
    @media (max-width: 980px) { .page { grid-template-columns: 1fr; } }
    aside { display: flex; flex-direction: column; gap: 10px; }
    aside h2 { font-size: 17px; }
    aside p { margin: 0; font-size: 12px; color: var(--_muted); line-height: 1.45; }
    label { display: flex; flex-direction: column; gap: 3px; font-size: 11.5px; color: var(--_muted); font-weight: 600; }
    input, select, textarea { font: 13px var(--_font); padding: 5px 7px; border: 1px solid var(--_border); border-radius: 7px; background: var(--_surface-2); color: var(--_text); min-width: 0; width: 100%; box-sizing: border-box; }
    textarea { font: 11.5px var(--_mono); min-height: 190px; resize: vertical; }
    .row2 { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
    .run { padding: 9px; font-size: 14px; }
    .status { font-size: 12px; color: var(--_muted); min-height: 1.4em; }
    main { display: flex; flex-direction: column; gap: 14px; min-width: 0; }
    .stepper { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; position: sticky; top: var(--nnx-sticky-top, 0); z-index: 4; }
    .stepper button { padding: 5px 11px; font-size: 13px; }
    .phase { font: 600 13px var(--_mono); }
    .phase .fwd { color: var(--_ok); }
    .phase .bwd { color: #b45309; }
    .live { margin-left: auto; font-size: 12.5px; color: var(--_muted); }
    .live b { font: 600 13px var(--_mono); color: var(--_text); }
    .body { display: grid; grid-template-columns: minmax(260px, 340px) minmax(0, 1fr); gap: 14px; align-items: start; }
    @media (max-width: 1200px) { .body { grid-template-columns: 1fr; } }
    .column { max-height: 78vh; overflow: auto; }
    .detail { display: flex; flex-direction: column; gap: 14px; min-width: 0; }
    .tensors { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-start; }
    .card h2 { font-size: 14px; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; margin-bottom: 8px; }
    .card h2 small { font-weight: 450; color: var(--_muted); font-size: 12px; }
    .note { font-size: 12px; color: var(--_muted); line-height: 1.45; }
    .error { border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: var(--_radius); padding: 12px 16px; font-size: 13px; }
    .figs { font: 12.5px var(--_mono); display: grid; grid-template-columns: max-content max-content; gap: 3px 18px; }
    .figs span:nth-child(odd) { color: var(--_muted); font-family: var(--_font); }
    table { font-size: 12px; }
    .summary { display: flex; gap: 22px; flex-wrap: wrap; font-size: 12px; color: var(--_muted); }
    .summary b { font: 600 13.5px var(--_mono); color: var(--_text); }
  `];

  @property({ reflect: true, attribute: 'data-state' }) tracerState: TracerState = 'idle';

  /** The latest trace (read by the e2e test). */
  @state() trace: ModelTrace | null = null;
  /** Position of the step control: 0 (nothing yet), 1..L (forward through layer p − 1), L+1..2L (backward down to layer 2L − p). */
  @state() position = 0;
  @state() private error: string | null = null;
  @state() private status = '';
  @state() private neuron: number[] | null = null;
  @state() private label: string | null = null;
  /** The picked .onnx file as a ModelSpec with its initializers as `weights` (kept in the page, not in the URL). */
  @state() private onnx: { file: string; spec: ModelSpec; note: string } | null = null;
  @state() private onnxError: string | null = null;
  private fashion: Promise<SampleDataset> | null = null;

  protected readonly defaults = DEFAULTS;

  /** The non-default settings, less the pasted spec unless the model is the custom one. */
  protected urlParams(): Record<string, string> {
    const params = super.urlParams();
    if (this.p.model !== 'custom') delete params.spec;
    return params;
  }

  /** Imports a picked .onnx file, weights included, as the model to trace. */
  async loadOnnx(file: File | undefined): Promise<void> {
    if (!file) return;
    try {
      const imported = importOnnx(new Uint8Array(await file.arrayBuffer()), {}, file.name);
      const weights = Object.values(imported.spec.weights ?? {}).reduce((s, t) => s + numel(t.shape), 0);
      const note = `${file.name}: ${imported.spec.layers.length} layers from ONNX opset ${imported.opset}, input ${JSON.stringify(imported.spec.input)}, ${formatCount(weights)} weights from its initializers`;
      this.onnx = { file: file.name, spec: imported.spec, note: [note, ...imported.notes].join('; ') };
      this.onnxError = null;
    } catch (e) {
      this.onnx = null;
      this.onnxError = errorMessage(e);
    }
  }

  /** The model the settings name: a zoo model, the pasted spec or the imported file. */
  private model(): ModelSpec {
    if (this.p.model === 'custom') return parseModelSpec(this.p.spec, 'pasted spec');
    if (this.p.model === 'onnx') {
      if (!this.onnx) throw new Error('Model Tracer: pick an .onnx file to trace (its weights come with it)');
      return this.onnx.spec;
    }
    return zooModel(this.p.model);
  }

  /** Runs the traced training step on the GPU for the current model and input. */
  async run(): Promise<void> {
    const rt = this.runtime;
    if (!rt || this.tracerState === 'running') return;
    this.tracerState = 'running';
    this.error = null;
    this.status = 'Running one training step on the GPU…';
    try {
      const spec = this.model();
      const seed = Number(this.p.seed) || 0;
      const ex = await Executor.create(rt, spec, { seed, batch: spec.batch_dim === null || spec.graph ? undefined : 1, flowStats: false });
      try {
        ex.loadWeights(Object.fromEntries(Object.entries(spec.weights ?? {}).map(([name, t]) => [name, parseTensor(`weights: ${name}`, t, 'float32')])));
        this.label = null;
        if (this.p.input === 'fashion' && takesImages(spec)) {
          this.fashion ??= loadShippedFashionMnist();
          const ds = await this.fashion;
          const { index, target } = setTrainingImage(ex, ds, this.p.sample);
          this.label = `Fashion-MNIST training image ${index}: ${FASHION_CLASSES[target]} (class ${target})`;
        }
        this.trace = await traceStep(rt, ex);
      } finally {
        ex.dispose();
      }
      this.position = 0;
      this.neuron = null;
      this.status = `Step done in ${formatCount(Math.round(this.trace.timings.wall_ms))} ms (the first one compiles every kernel): loss ${this.trace.loss.toPrecision(6)}, ${this.trace.layers.length} layers kept.`;
      this.tracerState = 'done';
    } catch (e) {
      this.error = errorMessage(e);
      this.status = '';
      this.tracerState = 'error';
    }
  }

  /** Moves the step control to `position` (clamped). */
  go(position: number): void {
    const total = 2 * (this.trace?.layers.length ?? 0);
    this.position = Math.max(0, Math.min(total, position));
    this.neuron = null;
  }

  private current(): { index: number; backward: boolean } {
    const n = this.trace?.layers.length ?? 0;
    if (this.position === 0) return { index: -1, backward: false };
    return this.position <= n ? { index: this.position - 1, backward: false } : { index: 2 * n - this.position, backward: true };
  }

  /** The ledger clock at the step control's position. */
  private clock(): number {
    const t = this.trace!;
    const { index, backward } = this.current();
    if (index < 0) {
      const input = t.memory.buffers.find((b) => b.owner === 'forward input');
      return input ? input.created + 1 : t.layers[0].clock[0];
    }
    return t.layers[index].clock[backward ? 1 : 0];
  }

  private tensorOf(name: string): TraceTensor {
    const t = this.trace!;
    return name === 'input' ? t.input : t.layers.find((l) => l.name === name)!.output;
  }

  private onLayerSelect(e: CustomEvent<{ index: number }>): void {
    const n = this.trace!.layers.length;
    const { backward } = this.current();
    this.go(backward ? 2 * n - e.detail.index : e.detail.index + 1);
  }

  private onCellClick(e: CustomEvent<{ index: number[] }>): void {
    this.neuron = e.detail.index;
  }

  private renderSide() {
    const p = this.p;
    let images = true;
    try {
      images = takesImages(this.model());
    } catch {
      images = false;
    }
    return html`<aside class="card">
      <h2>Model Tracer</h2>
      <p>One sample through every layer: one training step on your GPU keeps each layer's output and gradient; step through it forward, then backward.</p>
      <label>model <select name="model" @change=${(e: Event) => this.set('model', (e.target as HTMLSelectElement).value)}>
        ${MODELS.map((m) => html`<option value=${m} ?selected=${p.model === m}>${m === 'custom' ? 'custom ModelSpec (paste below)' : m === 'onnx' ? 'an .onnx file with its weights (pick below)' : `${m} — ${ZOO[m]?.description ?? ''}`}</option>`)}
      </select></label>
      ${p.model === 'onnx' ? html`<label>ONNX file (as torch.onnx.export or nnx export writes it)
          <input type="file" name="onnx" accept=".onnx" @change=${(e: Event) => this.loadOnnx((e.target as HTMLInputElement).files?.[0])} /></label>
        ${this.onnx ? html`<p data-role="onnx-note">${this.onnx.note}</p>` : nothing}
        ${this.onnxError ? html`<p class="error" data-role="onnx-error">${this.onnxError}</p>` : nothing}` : nothing}
      ${p.model === 'custom' ? html`<label>ModelSpec JSON <textarea name="spec" spellcheck="false" .value=${p.spec} @change=${(e: Event) => this.set('spec', (e.target as HTMLTextAreaElement).value)}></textarea></label>` : nothing}
      <div class="row2">
        <label>input <select name="input" @change=${(e: Event) => this.set('input', (e.target as HTMLSelectElement).value)}>
          <option value="fashion" ?selected=${p.input === 'fashion'} ?disabled=${!images}>Fashion-MNIST image</option>
          <option value="seeded" ?selected=${p.input === 'seeded' || !images}>seeded data</option>
        </select></label>
        ${images && p.input === 'fashion'
          ? html`<label>image <input name="sample" type="number" min="0" max="3999" .value=${p.sample} @change=${(e: Event) => this.set('sample', (e.target as HTMLInputElement).value)}></label>`
          : html`<label>seed <input name="seed" type="number" min="0" .value=${p.seed} @change=${(e: Event) => this.set('seed', (e.target as HTMLInputElement).value)}></label>`}
      </div>
      ${images ? nothing : html`<p>Fashion-MNIST needs a model reading [N, 1, 28, 28]; this one takes the executor's seeded data.</p>`}
      <button class="run primary" data-role="trace" ?disabled=${!this.runtime || this.tracerState === 'running' || (p.model === 'onnx' && !this.onnx)} @click=${() => this.run()}>Trace one step</button>
      <div class="status" data-role="status">${this.status}</div>
    </aside>`;
  }

  private renderStepper() {
    const t = this.trace!;
    const n = t.layers.length;
    const { index, backward } = this.current();
    const layer = index >= 0 ? t.layers[index] : null;
    const live = liveBuffersAt(t, this.clock());
    const phase = !layer
      ? html`before the forward pass`
      : backward
        ? html`<span class="bwd">backward ${this.position - n}/${n}</span> · ${layer.name} (${layer.type})`
        : html`<span class="fwd">forward ${this.position}/${n}</span> · ${layer.name} (${layer.type})`;
    return html`<section class="card stepper">
      <button data-role="reset" ?disabled=${this.position === 0} @click=${() => this.go(0)} title="back to the start">« start</button>
      <button data-role="step-back" ?disabled=${this.position === 0} @click=${() => this.go(this.position - 1)}>◀ back</button>
      <button class="primary" data-role="step" ?disabled=${this.position === 2 * n} @click=${() => this.go(this.position + 1)}>step ▶</button>
      <button data-role="run-to-end" ?disabled=${this.position === 2 * n} @click=${() => this.go(2 * n)}>run to end »</button>
      <span class="phase" data-role="phase">${phase}</span>
      <span class="live">live <b data-role="live-bytes" data-value=${live.reduce((s, b) => s + b.bytes, 0)}>${formatBytesLong(live.reduce((s, b) => s + b.bytes, 0))}</b> in ${formatCount(live.length)} buffers</span>
    </section>`;
  }

  private explanation(layer: TraceLayer): { value: TraceExplanation | null; error: string | null } {
    if (!this.neuron) return { value: null, error: null };
    try {
      return { value: explainTraceNeuron(this.trace!, layer.name, this.neuron), error: null };
    } catch (e) {
      return { value: null, error: errorMessage(e) };
    }
  }

  private renderExplanation(layer: TraceLayer, ex: { value: TraceExplanation | null; error: string | null }) {
    if (ex.error) return html`<section class="card"><div class="error">${ex.error}</div></section>`;
    const e = ex.value;
    if (!e) return nothing;
    const grad = layer.grad_output && this.current().backward ? layer.grad_output.data[flat(layer.output.shape, e.output_index)] : null;
    if (e.kind === 'dot') return html`<section class="card" data-role="explanation"><nnx-neuron-panel .explanation=${e.dot} .gradOutput=${grad} .name=${layer.name}></nnx-neuron-panel></section>`;
    if (e.kind === 'max_pool') {
      return html`<section class="card" data-role="explanation"><h2>${layer.name}[${e.output_index.join(', ')}] <small>max over the window; the winner alone receives the gradient</small></h2>
        <table><thead><tr><th>input</th><th class="num">x</th><th></th></tr></thead><tbody>
          ${e.window.map((w) => html`<tr><td class="mono">${w.input_index ? `[${w.input_index.join(', ')}]` : 'padding'}</td><td class="num">${w.input_index ? formatFloat32(w.x) : '−∞'}</td><td>${w.winner ? html`<b>winner</b>` : nothing}</td></tr>`)}
        </tbody></table><p class="note">GPU output ${formatFloat32(e.output)}</p></section>`;
    }
    if (e.kind === 'recurrent') {
      const r = e.recurrent;
      return html`<section class="card" data-role="explanation"><h2>${layer.name}[${e.output_index.join(', ')}] <small>step ${r.step}, sample ${r.batch}, unit ${r.unit}, recomputed in float64 from the read-back input and weights</small></h2>
        <div class="figs">
          ${Object.entries(r.gates).map(([g, v]) => html`<span>gate ${g}</span><span>${formatFloat64(v)}</span>`)}
          ${r.c === null ? nothing : html`<span>c_{t−1} → c_t</span><span>${formatFloat64(r.c_prev!)} → ${formatFloat64(r.c)}</span>`}
          <span>h_{t−1}</span><span>${formatFloat64(r.h_prev)}</span><span>h_t (float64)</span><span>${formatFloat64(r.recomputed)}</span>
          <span>GPU output</span><span>${formatFloat32(r.output)}</span>
        </div></section>`;
    }
    const m = e.norm;
    return html`<section class="card" data-role="explanation"><h2>${layer.name}[${e.output_index.join(', ')}] <small>statistics of ${m.group}</small></h2>
      <div class="figs">
        <span>mean</span><span>${formatFloat64(m.mean)}</span>
        <span>invstd = 1/√(var + eps)</span><span>${formatFloat64(m.invstd)}</span><span>x</span><span>${formatFloat32(m.x)}</span>
        <span>x̂ = (x − mean)·invstd</span><span>${formatFloat64(m.xhat)}</span><span>γ·x̂ + β</span><span>${formatFloat32(m.weight)}·x̂ + ${formatFloat32(m.bias)} = ${formatFloat64(m.recomputed)}</span>
        <span>GPU output</span><span>${formatFloat32(m.output)}</span>
      </div></section>`;
  }

  private renderLayer() {
    const t = this.trace!;
    const { index, backward } = this.current();
    if (index < 0) {
      return html`<section class="card"><h2>Model input <small>${this.label ?? 'seeded data'}</small></h2>
        <nnx-tensor-view data-name="input" name="input" heading="input" .tensor=${t.input}></nnx-tensor-view>
        <p class="note">Press step to run the first layer's forward. The whole training step already ran once on the GPU; the control walks through what it kept.</p></section>`;
    }
    const layer = t.layers[index];
    const explainable = EXPLAINED_TYPES.includes(layer.type);
    const ex = this.explanation(layer);
    const contributing = ex.value ? highlights(ex.value) : null;
    const gradReady = backward;
    const params = Object.entries(t.params).filter(([, p]) => p.layer === layer.name);
    return html`
      <section class="card" data-role="layer" data-name=${layer.name}>
        <h2>${layer.name} <small>${layer.type} · reads ${layer.inputs.join(', ')}${explainable ? ' · click an output neuron for its explanation' : ''}</small></h2>
        <div class="tensors">
          ${layer.inputs.map((name, i) => html`<nnx-tensor-view data-name=${`input.${i}`} .name=${name} .heading=${`input: ${name}`} .tensor=${this.tensorOf(name)} .highlight=${i === 0 ? contributing : null} .maxWidth=${420}></nnx-tensor-view>`)}
          <nnx-tensor-view data-name="output" .name=${layer.name} heading="output" .tensor=${layer.output} ?clickable=${explainable} .selected=${this.neuron} .maxWidth=${420} @nnx-cell-click=${this.onCellClick}></nnx-tensor-view>
          ${gradReady && layer.grad_output
            ? html`<nnx-tensor-view data-name="grad_output" .name=${`∂L/∂${layer.name}`} heading="∂L/∂output" .tensor=${layer.grad_output} .selected=${this.neuron} .maxWidth=${420}></nnx-tensor-view>`
            : html`<p class="note" style="max-width: 200px">${gradReady ? 'The loss does not depend on this output.' : '∂L/∂output arrives during the backward pass.'}</p>`}
        </div>
      </section>
      ${this.renderExplanation(layer, ex)}
      ${params.length ? html`<section class="card" data-role="params"><h2>Parameters <small>${gradReady ? 'value before the step, ∂L/∂p and the update Δp the optimizer applied' : 'values before the step (gradients and updates come with the backward pass)'}</small></h2>
        ${params.map(([name, p]) => html`<div class="tensors">
          <nnx-tensor-view .name=${name} .heading=${name} .tensor=${p.value} .maxWidth=${300}></nnx-tensor-view>
          ${gradReady && p.grad ? html`<nnx-tensor-view .name=${`∂L/∂${name}`} heading="∂L/∂p" .tensor=${p.grad} .maxWidth=${300}></nnx-tensor-view>` : nothing}
          ${gradReady && p.update ? html`<nnx-tensor-view data-name="update" .name=${`Δ${name}`} heading="update Δp" .tensor=${p.update} .maxWidth=${300}></nnx-tensor-view>` : nothing}
        </div>`)}
      </section>` : nothing}`;
  }

  private renderLedger() {
    const t = this.trace!;
    const live = liveBuffersAt(t, this.clock()).sort((a, b) => b.bytes - a.bytes);
    const shown = live.slice(0, 12);
    return html`<section class="card" data-role="ledger"><h2>Live GPU buffers at this point <small>owner says why each is alive (parameters, gradients, optimizer state, the forward that made an activation kept for backward); the tracer's own copies are left out</small></h2>
      <table><thead><tr><th>buffer</th><th>owner</th><th class="num">bytes</th></tr></thead><tbody>
        ${shown.map((b) => html`<tr><td class="mono">${b.label}</td><td>${b.owner}</td><td class="num">${formatCount(b.bytes)}</td></tr>`)}
      </tbody></table>
      ${live.length > shown.length ? html`<p class="note">and ${formatCount(live.length - shown.length)} smaller buffers (${formatCount(live.slice(12).reduce((s, b) => s + b.bytes, 0))} bytes)</p>` : nothing}
    </section>`;
  }

  render() {
    const t = this.trace;
    const { index } = this.current();
    const n = t?.layers.length ?? 0;
    return html`<div class="page">
      ${this.renderSide()}
      <main>
        ${this.gpuError ? html`<nnx-webgpu-missing .reason=${this.gpuError}></nnx-webgpu-missing>` : nothing}
        ${this.error ? html`<div class="error" role="alert" data-role="run-error"><b>The trace failed.</b> ${this.error}</div>` : nothing}
        ${t ? html`
          <section class="card summary"><span>model <b>${t.model}</b></span><span>loss <b data-role="loss">${t.loss.toPrecision(6)}</b></span>
            <span>layers <b>${n}</b></span><span>parameters <b>${formatCount(Object.values(t.params).reduce((s, p) => s + numel(p.value.shape), 0))}</b></span>
            <span>peak <b>${formatBytesLong(t.memory.peak_bytes)}</b> (kept copies included)</span></section>
          ${this.renderStepper()}
          <div class="body">
            <section class="card column"><nnx-tracer-column .layers=${t.layers.map((l) => ({ name: l.name, type: l.type, inputs: l.inputs, shape: l.output.shape }))}
              .current=${index} .forwardDone=${Math.min(this.position, n)} .backwardFrom=${this.position > n ? 2 * n - this.position : n}
              @nnx-layer-select=${this.onLayerSelect}></nnx-tracer-column></section>
            <div class="detail">${this.renderLayer()}${this.renderLedger()}</div>
          </div>` : this.gpuError ? nothing : html`<section class="card"><div class="note">${this.runtime ? 'Tracing on the GPU…' : 'Waiting for the WebGPU adapter…'}</div></section>`}
      </main>
    </div>`;
  }
}

function flat(shape: number[], index: number[]): number {
  return index.reduce((f, v, i) => f * shape[i] + v, 0);
}

/** Input cells that made the explained neuron: the dot product's terms or the pooling window. */
function highlights(e: TraceExplanation): number[][] | null {
  if (e.kind === 'dot') return e.dot.terms.filter((t) => t.input_index).map((t) => t.input_index!);
  if (e.kind === 'max_pool') return e.window.filter((w) => w.input_index).map((w) => w.input_index!);
  return null;
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-model-tracer': NnxModelTracer;
  }
}
