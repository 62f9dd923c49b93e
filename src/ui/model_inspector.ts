/**
 * <nnx-model-inspector>: a zoo model or a pasted ModelSpec, with input size, batch, dtype,
 * optimizer and device → the torchinfo-style table (sortable, depth-collapsible), totals,
 * per-layer params and MACs charts, the training-memory breakdown and the roofline time.
 * Everything is computed by src/analysis (no GPU). In: `params` (URL parameters).
 * Out: `nnx-params-change` { params } on every edit.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { formatSeconds, formatSI } from '../analysis/format.ts';
import { DTYPES, OPTIMIZERS, parseModelSpec, type ModelSpec } from '../analysis/model_spec.ts';
import { DEVICE_PROFILES } from '../analysis/roofline.ts';
import { buildSummary, type SummaryReport } from '../analysis/summary.ts';
import { ZOO, zooModel } from '../analysis/zoo/index.ts';
import { parseTorchPrint } from '../analysis/torch_print.ts';
import { importOnnx } from '../analysis/onnx/onnx_import.ts';
import './chart.ts';
import { formatBytesLong, formatCount, formatShape } from './format.ts';
import './summary_table.ts';
import { rowValue, type SortKey } from './summary_table.ts';
import { base, tokens } from './theme.ts';

const DEFAULTS: Record<string, string> = { model: 'resnet18', input: '', batch: '', dtype: 'fp32', opt: 'adam', device: 'h100-sxm', depth: '2', sort: 'order', desc: '1' };

const MEMORY_PARTS: { key: 'parameter_bytes' | 'buffer_bytes' | 'gradient_bytes' | 'optimizer_state_bytes' | 'backward_peak_bytes'; label: string; color: string }[] = [
  { key: 'parameter_bytes', label: 'parameters', color: '#4f46e5' },
  { key: 'buffer_bytes', label: 'buffers', color: '#94a3b8' },
  { key: 'gradient_bytes', label: 'gradients', color: '#e8590c' },
  { key: 'optimizer_state_bytes', label: 'optimizer state', color: '#c2255c' },
  { key: 'backward_peak_bytes', label: 'saved activations + working set at the backward peak', color: '#0ca678' },
];

@customElement('nnx-model-inspector')
export class NnxModelInspector extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .page { display: grid; grid-template-columns: 330px minmax(0, 1fr); gap: 18px; align-items: start; }
    @media (max-width: 980px) { .page { grid-template-columns: 1fr; } }
    aside { position: sticky; top: var(--nnx-sticky-top, 16px); }
    label.row { display: grid; grid-template-columns: 100px 1fr; align-items: center; gap: 8px; font-size: 12.5px; margin: 5px 0; }
    .hint { display: block; font-size: 10.5px; color: var(--_muted); }
    input, select, textarea { font: 13px var(--_mono); padding: 3px 7px; border-radius: 7px; border: 1px solid var(--_border); background: var(--_surface); width: 100%; min-width: 0; }
    select { font-family: var(--_font); }
    textarea { min-height: 180px; font-size: 11.5px; resize: vertical; }
    .bad { border-color: var(--_danger); background: var(--_danger-soft); }
    .error { margin-top: 8px; border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: 8px; padding: 8px 10px; font-size: 12.5px; line-height: 1.45; font-family: var(--_mono); overflow-wrap: anywhere; }
    main { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
    .totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
    .totals div { display: flex; flex-direction: column; }
    .totals .k { font-size: 10.5px; color: var(--_muted); text-transform: uppercase; letter-spacing: 0.05em; }
    .totals .v { font: 600 16px var(--_mono); }
    .totals .sub { font: 11px var(--_mono); color: var(--_muted); }
    .bar-head { display: flex; gap: 10px; align-items: baseline; justify-content: space-between; flex-wrap: wrap; margin-bottom: 8px; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
    .stack { display: flex; height: 26px; border-radius: 6px; overflow: hidden; border: 1px solid var(--_border); margin: 10px 0; }
    .stack span { display: block; height: 100%; }
    .legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 12px; }
    .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
    .note { font-size: 11.5px; color: var(--_muted); line-height: 1.45; margin: 8px 0 0; }
    .depth { display: flex; gap: 6px; align-items: center; font-size: 12px; }
    .depth button { padding: 3px 9px; font-size: 12px; }
    .depth button[aria-pressed='true'] { background: var(--_accent); color: white; border-color: var(--_accent); }
  `];

  @property({ attribute: false }) params: Record<string, string> = {};
  @state() private p: Record<string, string> = { ...DEFAULTS };
  private cache: { key: string; report: SummaryReport | null; spec: ModelSpec | null; error: string | null } | null = null;
  @state() private printNote: { text: string; bad: boolean } | null = null;
  @state() private onnxNote: { text: string; bad: boolean } | null = null;

  /** Imports a picked .onnx file into the custom spec (its structure; the weights stay out of the page's URL). */
  private async loadOnnx(file: File | undefined): Promise<void> {
    if (!file) return;
    try {
      const imported = importOnnx(new Uint8Array(await file.arrayBuffer()), {}, file.name);
      const spec = { ...imported.spec };
      delete spec.weights;
      const summary = `${file.name}: ${spec.layers.length} layers from ONNX opset ${imported.opset}, input ${JSON.stringify(spec.input)}`;
      this.onnxNote = { text: [summary, ...imported.notes].join('; '), bad: false };
      this.set('spec', JSON.stringify(spec, null, 1));
    } catch (e) {
      this.onnxNote = { text: e instanceof Error ? e.message : String(e), bad: true };
    }
  }

  /** Converts pasted print(model) text into the custom spec (with what could not be placed when it cannot). */
  private loadPrint(text: string): void {
    try {
      const r = parseTorchPrint(text);
      const params = `${r.model}: ${r.params.toLocaleString('en-US')} parameters${r.params_exact ? ' (exact)' : ' (not exact)'}`;
      const issues = [...r.unknown_modules, ...r.unplaced].map((i) => `line ${i.line} ${i.path || i.className}: ${i.reason}`);
      const guessed = r.spec ? [`input ${JSON.stringify(r.spec.input)} guessed from the first layer (set "input size")`] : [];
      this.printNote = { text: [params, ...issues, ...guessed, ...r.notes].join('; '), bad: !r.spec };
      if (r.spec) this.set('spec', JSON.stringify(r.spec, null, 1));
    } catch (e) {
      this.printNote = { text: e instanceof Error ? e.message : String(e), bad: true };
    }
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('params')) this.p = { ...DEFAULTS, ...this.params };
  }

  private set(key: string, value: string): void {
    this.p = { ...this.p, [key]: value };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.p)) if (v !== DEFAULTS[k] && !(k === 'spec' && this.p.model !== 'custom')) params[k] = v;
    this.dispatchEvent(new CustomEvent('nnx-params-change', { detail: { params }, bubbles: true, composed: true }));
  }

  /** The report for the current settings, or the one-line error that prevents it. */
  analyze(): { report: SummaryReport | null; spec: ModelSpec | null; error: string | null } {
    const key = JSON.stringify(this.p);
    if (this.cache?.key === key) return this.cache;
    let result: { report: SummaryReport | null; spec: ModelSpec | null; error: string | null };
    try {
      const spec = this.p.model === 'custom' ? parseModelSpec(this.p.spec ?? '', 'pasted spec') : zooModel(this.p.model);
      const input = this.p.input.trim() ? this.p.input.split(/[\s,×x]+/).filter(Boolean).map(Number) : undefined;
      if (input && input.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`input size must be whole numbers >= 1 separated by commas, got "${this.p.input}"`);
      const batch = this.p.batch.trim() ? Number(this.p.batch) : undefined;
      const device = DEVICE_PROFILES[this.p.device];
      const report = buildSummary(spec, { input, batch, dtype: this.p.dtype, optimizer: this.p.opt, device });
      result = { report, spec, error: null };
    } catch (e) {
      result = { report: null, spec: null, error: e instanceof Error ? e.message : String(e) };
    }
    this.cache = { key, ...result };
    return result;
  }

  private renderSide(error: string | null) {
    const p = this.p;
    const select = (key: string, options: string[], labels?: Record<string, string>) => html`<select name=${key} @change=${(e: Event) => this.set(key, (e.target as HTMLSelectElement).value)}>
      ${options.map((o) => html`<option value=${o} ?selected=${p[key] === o}>${labels?.[o] ?? o}</option>`)}</select>`;
    return html`<aside class="card">
      <h2>Model</h2>
      <label class="row">model ${select('model', [...Object.keys(ZOO), 'custom'], { ...Object.fromEntries(Object.entries(ZOO).map(([k, z]) => [k, `${k} — ${z.description}`])), custom: 'custom ModelSpec (paste below)' })}</label>
      ${p.model === 'custom'
        ? html`<textarea name="spec" aria-label="ModelSpec JSON" class=${error ? 'bad' : ''} spellcheck="false" .value=${p.spec ?? ''}
            placeholder='{"name": "mlp", "input": [1, 784], "layers": [{"type": "Linear", "in_features": 784, "out_features": 10}]}'
            @change=${(e: Event) => this.set('spec', (e.target as HTMLTextAreaElement).value)}></textarea>
          <details data-role="print-paste"><summary class="note">or paste print(model)</summary>
            <textarea name="print" aria-label="print(model) text" spellcheck="false" placeholder="ResNet(&#10;  (conv1): Conv2d(3, 64, …)&#10;  …&#10;)"></textarea>
            <button data-role="load-print" @click=${(e: Event) => this.loadPrint(((e.target as HTMLElement).previousElementSibling as HTMLTextAreaElement).value)}>convert to ModelSpec</button>
            ${this.printNote ? html`<p class=${this.printNote.bad ? 'error' : 'note'} data-role="print-note">${this.printNote.text}</p>` : nothing}
          </details>
          <details data-role="onnx-import" ?open=${this.onnxNote !== null}><summary class="note">or import an .onnx file</summary>
            <input type="file" name="onnx" accept=".onnx" aria-label="ONNX file" @change=${(e: Event) => this.loadOnnx((e.target as HTMLInputElement).files?.[0])} />
            ${this.onnxNote ? html`<p class=${this.onnxNote.bad ? 'error' : 'note'} data-role="onnx-note">${this.onnxNote.text}</p>` : nothing}
          </details>`
        : html`<p class="note">Start your own from a zoo model: <button @click=${() => {
            const spec = this.analyze().spec;
            this.p = { ...this.p, spec: JSON.stringify(spec, null, 1) };
            this.set('model', 'custom');
          }}>edit as ModelSpec</button></p>`}
      <label class="row"><span>input size<span class="hint">N,C,H,W — blank: the spec’s</span></span><input name="input" .value=${p.input} placeholder=${this.cache?.spec?.input ? String(this.cache.spec.input) : ''} @change=${(e: Event) => this.set('input', (e.target as HTMLInputElement).value)} /></label>
      <label class="row"><span>batch<span class="hint">blank: the spec’s</span></span><input name="batch" type="number" min="1" .value=${p.batch} @change=${(e: Event) => this.set('batch', (e.target as HTMLInputElement).value)} /></label>
      <label class="row">dtype ${select('dtype', [...DTYPES])}</label>
      <label class="row">optimizer ${select('opt', [...OPTIMIZERS])}</label>
      <label class="row">device ${select('device', Object.keys(DEVICE_PROFILES), Object.fromEntries(Object.entries(DEVICE_PROFILES).map(([k, d]) => [k, d.name])))}</label>
      ${error ? html`<div class="error" role="alert" data-role="spec-error">${error}</div>` : nothing}
    </aside>`;
  }

  private renderMemory(r: SummaryReport) {
    const m = r.memory;
    const total = MEMORY_PARTS.reduce((s, part) => s + m[part.key], 0) || 1;
    return html`<div class="card" data-role="memory">
      <div class="bar-head"><h2>Training memory (${r.dtype}, ${r.optimizer})</h2><span class="mono" data-role="training-peak">peak ${formatBytesLong(m.peak_bytes)}</span></div>
      <div class="stack">${MEMORY_PARTS.map((part) => (m[part.key] > 0 ? html`<span title="${part.label}: ${formatBytesLong(m[part.key])}" style="width:${(m[part.key] / total) * 100}%;background:${part.color}"></span>` : nothing))}</div>
      <div class="legend">${MEMORY_PARTS.map((part) => html`<span><i style="background:${part.color}"></i>${part.label} <b class="mono">${formatBytesLong(m[part.key])}</b></span>`)}</div>
      <table style="margin-top:12px">
        <thead><tr><th>dtype</th><th class="num">params</th><th class="num">gradients</th><th class="num">optimizer</th><th class="num">saved activations</th><th class="num">training peak</th><th class="num">inference peak</th></tr></thead>
        <tbody>${r.memory_by_dtype.map((d) => html`<tr><td class="mono">${d.dtype}</td><td class="num">${formatCount(d.parameter_bytes)}</td><td class="num">${formatCount(d.gradient_bytes)}</td>
          <td class="num">${formatCount(d.optimizer_state_bytes)}</td><td class="num">${formatCount(d.saved_activation_bytes)}</td><td class="num"><b>${formatCount(d.peak_bytes)}</b></td><td class="num">${formatCount(d.inference_peak_bytes)}</td></tr>`)}</tbody>
      </table>
      <p class="note">Bytes. MB = 10⁶ bytes, MiB = 2²⁰ bytes. The backward peak is at ${m.backward_peak_layer ?? 'the start of backward'}: the activations still saved for earlier layers plus that layer's inputs, output and scratch.</p>
    </div>`;
  }

  render() {
    const { report: r, error } = this.analyze();
    const depth = this.p.depth === 'all' ? Infinity : Number(this.p.depth);
    const maxDepth = r ? Math.max(...r.layers.map((l) => l.depth)) : 0;
    const leaves = r ? r.layers.filter((l) => l.depth <= depth && (!l.is_container || l.depth === depth) && (l.params > 0 || l.macs > 0 || l.is_container)) : [];
    const t = r?.totals;
    return html`<div class="page">
      ${this.renderSide(error)}
      <main>
        ${r && t
          ? html`
            <div class="card">
              <div class="bar-head"><h2>${r.model} <span class="muted mono small">input ${formatShape(r.input_shape)} → ${formatShape(r.output_shape)}</span></h2></div>
              <div class="totals" data-role="totals">
                <div><span class="k">parameters</span><span class="v" data-role="total-params" data-value=${t.params}>${formatCount(t.params)}</span><span class="sub">${formatCount(t.trainable_params)} trainable</span></div>
                <div><span class="k">MACs</span><span class="v" data-role="total-macs" data-value=${t.macs}>${formatCount(t.macs)}</span><span class="sub">multiply-accumulates</span></div>
                <div><span class="k">FLOPs</span><span class="v">${formatCount(t.flops)}</span><span class="sub">all arithmetic, forward</span></div>
                <div><span class="k">weights</span><span class="v">${formatBytesLong(t.param_bytes + t.buffer_bytes).split(' (')[0]}</span><span class="sub">${(((t.param_bytes + t.buffer_bytes) / 2 ** 20)).toLocaleString('en-US', { maximumFractionDigits: 2 })} MiB</span></div>
                <div><span class="k">training peak</span><span class="v">${formatCount(t.training_peak_bytes)} B</span><span class="sub">${(t.training_peak_bytes / 2 ** 20).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB</span></div>
                ${r.roofline && r.device ? html`<div><span class="k">roofline time</span><span class="v" data-role="roofline">${formatSeconds(r.roofline.time_s)}</span><span class="sub">${r.device.name}: ${formatCount(r.roofline.compute_bound_layers)} compute-, ${formatCount(r.roofline.memory_bound_layers)} memory-bound</span></div>` : nothing}
              </div>
            </div>
            <div class="card">
              <div class="bar-head"><h2>Layers</h2>
                <div class="depth">depth ${[...Array.from({ length: maxDepth + 1 }, (_, d) => String(d)), 'all'].map((d) => html`<button data-depth=${d} aria-pressed=${this.p.depth === d ? 'true' : 'false'} @click=${() => this.set('depth', d)}>${d}</button>`)}</div>
              </div>
              <nnx-summary-table .report=${r} .depth=${depth} .sort=${this.p.sort as SortKey} .descending=${this.p.desc === '1'}
                @nnx-sort-change=${(e: CustomEvent<{ key: string; descending: boolean }>) => { this.p = { ...this.p, desc: e.detail.descending ? '1' : '0' }; this.set('sort', e.detail.key); }}></nnx-summary-table>
              <p class="note">Rows at the chosen depth that hold children are folded: their numbers include everything inside. Click a numeric header to sort. ${r.units.macs ? `MACs: ${r.units.macs}.` : ''}</p>
            </div>
            <div class="charts">
              <div class="card"><h2>Parameters per layer</h2>
                <nnx-chart data-role="params-chart" bars .data=${{ x: leaves.map((_, i) => i), series: [{ label: 'parameters', values: leaves.map((l) => rowValue(l, 'params', l.is_container)) }] }} .categories=${leaves.map((l) => l.name)} yLabel="parameters" .format=${(v: number) => formatSI(v)} .height=${260}></nnx-chart></div>
              <div class="card"><h2>MACs per layer</h2>
                <nnx-chart data-role="macs-chart" bars .data=${{ x: leaves.map((_, i) => i), series: [{ label: 'MACs', values: leaves.map((l) => rowValue(l, 'macs', l.is_container)), color: '#e8590c' }] }} .categories=${leaves.map((l) => l.name)} yLabel="MACs" .format=${(v: number) => formatSI(v)} .height=${260}></nnx-chart></div>
            </div>
            ${this.renderMemory(r)}`
          : error ? nothing : html`<div class="card">Choose a model.</div>`}
      </main>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-model-inspector': NnxModelInspector;
  }
}
