/**
 * <nnx-builder>: build a network by dragging layers from a palette (every ModelSpec type) into
 * a nested list (Sequential and Residual blocks), reorder by dragging (SortableJS), and edit each
 * layer's arguments with PyTorch's names and defaults. After every edit each layer shows its
 * output shape, parameters, MACs, memory and roofline time (src/analysis), an impossible layer
 * shows the analysis error with its numbers, and design smells appear beside their layer.
 * A `print(model)` text can be pasted in; the model exports as ModelSpec JSON, PyTorch code and
 * ONNX, and opens in the Model Inspector or Model Tracer. The model lives in the URL.
 * In: `params` (URL parameters: spec, device). Out: `nnx-params-change` { params } on every edit.
 */
import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import Sortable from 'sortablejs';
import { designSmells, type DesignSmell } from '../analysis/design_smells.ts';
import { formatSeconds } from '../analysis/format.ts';
import { LayerInputError } from '../analysis/graph.ts';
import { newLayer, paletteTypes } from '../analysis/layer_defaults.ts';
import { parseModelSpec, type LayerSpec, type ModelSpec } from '../analysis/model_spec.ts';
import { DEVICE_PROFILES } from '../analysis/roofline.ts';
import { buildSummary, type SummaryReport, type SummaryRow } from '../analysis/summary.ts';
import { torchCode } from '../analysis/torch_code.ts';
import { parseTorchPrint, type TorchPrintResult } from '../analysis/torch_print.ts';
import './builder_layer_form.ts';
import { insertLayer, moveLayer, removeLayer, replaceLayer, rowNames } from './builder_tree.ts';
import { downloadBlob } from './download.ts';
import { errorMessage, formatBytesLong, formatCount, formatShape } from './format.ts';
import { base, tokens } from './theme.ts';

/** The model a fresh builder starts from: a small CNN for 32×32 RGB images. */
export const STARTER_SPEC: ModelSpec = {
  name: 'my_model',
  input: [1, 3, 32, 32],
  layers: [
    { type: 'Conv2d', in_channels: 3, out_channels: 16, kernel_size: 3, padding: 1 },
    { type: 'BatchNorm2d', num_features: 16 },
    { type: 'ReLU' },
    { type: 'MaxPool2d', kernel_size: 2 },
    { type: 'Flatten' },
    { type: 'Linear', in_features: 4096, out_features: 10 },
  ],
};

/** Palette groups, by the first matching pattern (types a later change adds land in "other"). */
const GROUPS: [string, RegExp][] = [
  ['blocks', /^(Sequential|Residual|TransformerEncoderLayer|PatchEmbedding)$/],
  ['conv & linear', /^(Conv|ConvTranspose|Linear|Embedding)/],
  ['normalization', /Norm/],
  ['activation', /^(ReLU|ReLU6|LeakyReLU|ELU|GELU|SiLU|Sigmoid|Tanh|Softmax|LogSoftmax|Identity|Dropout|Dropout2d)$/],
  ['pooling & shape', /Pool|^(Flatten|Select|Reshape|Mean|PatchTokens)$/],
  ['merge (named inputs)', /^(Add|Mul|Concat|MatMul)$/],
  ['recurrent & attention', /^(RNN|LSTM|GRU|MultiheadAttention)$/],
  ['graph', /^(GCNConv|GATConv|SAGEConv)$/],
];

function groupOf(type: string): string {
  return GROUPS.find(([, re]) => re.test(type))?.[0] ?? 'other';
}

/** Short argument summary of a layer: `3 → 16, k3, p1`-style text from its own keys. */
function argSummary(layer: LayerSpec): string {
  return Object.entries(layer)
    .filter(([k]) => !['type', 'name', 'id', 'layers', 'body', 'shortcut', 'init', 'trainable', 'encoder_layer'].includes(k))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `(${v.join(', ')})` : String(v)}`)
    .join(', ');
}

function download(name: string, data: BlobPart, type: string): void {
  downloadBlob(new Blob([data], { type }), name);
}

interface Analysis {
  report: SummaryReport | null;
  rows: Map<string, SummaryRow>;
  /** Error of the whole spec (no layer to pin it on). */
  error: string | null;
  /** Error pinned on a layer, by row name. */
  layerError: { row: string; message: string } | null;
  /** The report of the layers before a failing top-level layer (for their rows' numbers). */
  partial: SummaryReport | null;
  smells: DesignSmell[];
}

@customElement('nnx-builder')
export class NnxBuilder extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .page { display: grid; grid-template-columns: 210px minmax(0, 1fr) 330px; gap: 16px; align-items: start; }
    @media (max-width: 1200px) { .page { grid-template-columns: 190px minmax(0, 1fr); } .side { grid-column: 1 / -1; } }
    .palette { position: sticky; top: var(--nnx-sticky-top, 16px); max-height: calc(100vh - 90px); overflow: auto; padding: 10px 12px; }
    .palette h3 { font-size: 10.5px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--_muted); margin: 10px 0 4px; }
    .palette ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px; }
    .palette li { font: 11.5px var(--_mono); padding: 3px 7px; border-radius: 6px; border: 1px solid var(--_border); background: var(--_surface-2); cursor: grab; user-select: none; }
    .palette li:hover { border-color: var(--_accent); color: var(--_accent); }
    main { display: flex; flex-direction: column; gap: 14px; min-width: 0; }
    .top { display: flex; flex-wrap: wrap; gap: 10px 18px; align-items: end; }
    .top label { display: flex; flex-direction: column; font-size: 11px; color: var(--_muted); gap: 2px; }
    input, select, textarea { font: 12.5px var(--_mono); padding: 3px 7px; border-radius: 7px; border: 1px solid var(--_border); background: var(--_surface); min-width: 0; }
    .totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 10px; margin-top: 12px; }
    .totals div { display: flex; flex-direction: column; }
    .totals .k { font-size: 10.5px; color: var(--_muted); text-transform: uppercase; letter-spacing: 0.05em; }
    .totals .v { font: 600 15px var(--_mono); }
    .totals .sub { font: 11px var(--_mono); color: var(--_muted); }
    ol.layers { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 5px; min-height: 30px; }
    ol.layers ol.layers { margin: 5px 0 2px 8px; padding: 4px; border: 1px dashed var(--_border); border-radius: 8px; background: var(--_surface-2); }
    li.layer { border: 1px solid var(--_border); border-radius: 8px; background: var(--_surface); padding: 5px 8px; }
    li.layer.container { border-left: 3px solid var(--_accent); }
    li.layer.bad { border-color: var(--_danger); background: var(--_danger-soft); }
    .head { display: grid; grid-template-columns: 16px minmax(60px, 1fr) 140px 86px 106px 90px 64px auto; gap: 8px; align-items: center; font-size: 12.5px; }
    .head .grip { cursor: grab; color: var(--_muted); user-select: none; }
    .head .type { font-weight: 650; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .head .type small { font: 11px var(--_mono); color: var(--_muted); font-weight: 400; margin-left: 6px; }
    .head .n { font: 11.5px var(--_mono); text-align: right; white-space: nowrap; }
    .head .shape { font: 11.5px var(--_mono); color: var(--_ok); }
    .head .tools { display: flex; gap: 3px; }
    .head .tools button { padding: 1px 7px; font-size: 11.5px; }
    .colhead { font-size: 10.5px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--_muted); padding: 0 9px 3px; }
    .sub-label { font-size: 10.5px; color: var(--_muted); margin: 6px 0 0 14px; }
    .error { margin-top: 5px; border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: 7px; padding: 5px 8px; font: 12px/1.45 var(--_mono); overflow-wrap: anywhere; }
    .smell { margin-top: 4px; border: 1px solid #f5d08a; background: #fff8e6; color: #7a4b00; border-radius: 7px; padding: 4px 8px; font-size: 12px; line-height: 1.4; }
    nnx-layer-form { margin-top: 6px; padding-top: 6px; border-top: 1px dashed var(--_border); }
    .side { display: flex; flex-direction: column; gap: 14px; }
    .side textarea { width: 100%; min-height: 130px; font-size: 11px; resize: vertical; }
    .side .row { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
    .side button { padding: 4px 10px; font-size: 12px; }
    .side a { color: var(--_accent); font-size: 12.5px; font-weight: 600; }
    pre { font: 11px/1.4 var(--_mono); background: var(--_surface-2); border: 1px solid var(--_border); border-radius: 8px; padding: 8px; max-height: 360px; overflow: auto; white-space: pre; }
    .note { font-size: 11.5px; color: var(--_muted); line-height: 1.45; margin: 6px 0 0; }
    .issues { font: 11.5px/1.45 var(--_mono); margin: 6px 0 0; padding-left: 16px; }
    .sortable-ghost { opacity: 0.4; }
  `];

  @property({ attribute: false }) params: Record<string, string> = {};
  @state() private spec: ModelSpec = STARTER_SPEC;
  @state() private device = 'h100-sxm';
  @state() private open = new Set<string>();
  @state() private urlError: string | null = null;
  @state() private printText = '';
  @state() private printResult: TorchPrintResult | null = null;
  @state() private printError: string | null = null;
  @state() private exportView: 'json' | 'torch' | null = null;
  @state() private exportError: string | null = null;
  private lastSpecParam: string | undefined = undefined;
  private sortables = new Map<HTMLElement, Sortable>();
  private dragOrigin: { parent: Node; next: Node | null } | null = null;
  private cache: { key: string; analysis: Analysis } | null = null;

  protected willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('params')) return;
    this.device = this.params.device && DEVICE_PROFILES[this.params.device] ? this.params.device : 'h100-sxm';
    if (this.params.spec === this.lastSpecParam) return;
    this.lastSpecParam = this.params.spec;
    if (this.params.spec === undefined) {
      this.spec = STARTER_SPEC;
      return;
    }
    try {
      this.spec = parseModelSpec(this.params.spec, 'spec in the URL');
      this.urlError = null;
    } catch (e) {
      this.urlError = errorMessage(e);
    }
  }

  /** Applies an edit that adds, moves or removes layers (argument forms close: their addresses shift). */
  private restructure(spec: ModelSpec): void {
    this.open = new Set();
    this.commit(spec);
  }

  /** Applies an edit: the new spec, into the URL. */
  private commit(spec: ModelSpec): void {
    this.spec = spec;
    const params: Record<string, string> = { spec: JSON.stringify(spec) };
    if (this.device !== 'h100-sxm') params.device = this.device;
    this.lastSpecParam = params.spec;
    this.dispatchEvent(new CustomEvent('nnx-params-change', { detail: { params }, bubbles: true, composed: true }));
  }

  /** Shapes, costs, the pinned error and the design smells of the current spec. */
  analyze(): Analysis {
    const key = `${JSON.stringify(this.spec)}|${this.device}`;
    if (this.cache?.key === key) return this.cache.analysis;
    const analysis: Analysis = { report: null, rows: new Map(), error: null, layerError: null, partial: null, smells: [] };
    try {
      analysis.report = buildSummary(this.spec, { device: DEVICE_PROFILES[this.device] });
      for (const row of analysis.report.layers) analysis.rows.set(row.name, row);
      analysis.smells = designSmells(this.spec);
    } catch (e) {
      if (e instanceof LayerInputError) {
        analysis.layerError = { row: e.layerPath, message: e.message };
        this.prefixRows(e.layerPath, analysis);
      } else {
        analysis.error = errorMessage(e);
      }
    }
    this.cache = { key, analysis };
    return analysis;
  }

  /** Rows of the top-level layers before the one holding a failing layer, so they keep their numbers. */
  private prefixRows(failingRow: string, analysis: Analysis): void {
    const names = rowNames(this.spec);
    const top = this.spec.layers.findIndex((_, i) => {
      const row = names.get(String(i))!;
      return failingRow === row || failingRow.startsWith(`${row}.`);
    });
    if (top < 1) return;
    try {
      const partial = buildSummary({ ...this.spec, layers: this.spec.layers.slice(0, top) }, { device: DEVICE_PROFILES[this.device] });
      for (const row of partial.layers) analysis.rows.set(row.name, row);
      analysis.partial = partial;
    } catch {
      // The prefix fails on its own (a DAG reference to a later layer): no numbers to show.
    }
  }

  protected updated(): void {
    const root = this.renderRoot as ShadowRoot;
    for (const [el, s] of this.sortables) {
      if (!el.isConnected) {
        s.destroy();
        this.sortables.delete(el);
      }
    }
    const palette = root.querySelector<HTMLElement>('[data-role="palette"]');
    for (const ul of root.querySelectorAll<HTMLElement>('[data-role="palette"] ul')) {
      if (this.sortables.has(ul)) continue;
      this.sortables.set(ul, Sortable.create(ul, {
        group: { name: 'layers', pull: 'clone', put: false }, sort: false, forceFallback: true, fallbackOnBody: true,
        onEnd: (evt) => {
          if (evt.to === evt.from || !palette) return;
          const type = evt.item.dataset.type ?? 'Identity';
          const to = (evt.to as HTMLElement).dataset.list ?? '';
          // Put the dragged palette entry back where it was; the model gets a new layer instead.
          evt.clone.replaceWith(evt.item);
          this.restructure(insertLayer(this.spec, to, evt.newIndex ?? 0, newLayer(type)));
        },
      }));
    }
    for (const ol of root.querySelectorAll<HTMLElement>('ol[data-list]')) {
      if (this.sortables.has(ol)) continue;
      this.sortables.set(ol, Sortable.create(ol, {
        group: { name: 'layers', pull: true, put: true }, handle: '.grip', animation: 120, forceFallback: true, fallbackOnBody: true,
        swapThreshold: 0.6, invertSwap: true,
        onStart: (evt) => {
          this.dragOrigin = { parent: evt.item.parentNode!, next: evt.item.nextSibling };
        },
        onEnd: (evt) => {
          const origin = this.dragOrigin;
          this.dragOrigin = null;
          // Lit owns the DOM: undo Sortable's move, then re-render from the edited spec.
          if (origin) origin.parent.insertBefore(evt.item, origin.next);
          const from = (evt.from as HTMLElement).dataset.list ?? '';
          const to = (evt.to as HTMLElement).dataset.list ?? '';
          if (from === to && evt.oldIndex === evt.newIndex) return;
          this.restructure(moveLayer(this.spec, from, evt.oldIndex ?? 0, to, evt.newIndex ?? 0));
        },
      }));
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const s of this.sortables.values()) s.destroy();
    this.sortables.clear();
  }

  private addToTop(type: string): void {
    this.restructure(insertLayer(this.spec, '', this.spec.layers.length, newLayer(type)));
  }

  private loadPrint(): void {
    try {
      const result = parseTorchPrint(this.printText);
      this.printResult = result;
      this.printError = null;
      if (result.spec) {
        this.restructure({ ...result.spec, name: result.model });
      }
    } catch (e) {
      this.printResult = null;
      this.printError = errorMessage(e);
    }
  }

  private async exportOnnxFile(): Promise<void> {
    try {
      const { exportOnnx } = await import('../analysis/onnx/onnx_export.ts');
      download(`${this.spec.name ?? 'model'}.onnx`, exportOnnx(this.spec) as BlobPart, 'application/octet-stream');
      this.exportError = null;
    } catch (e) {
      this.exportError = errorMessage(e);
    }
  }

  private torchCodeText(): { code: string | null; error: string | null } {
    try {
      return { code: torchCode(this.spec), error: null };
    } catch (e) {
      return { code: null, error: errorMessage(e) };
    }
  }

  private renderPalette() {
    const groups = new Map<string, string[]>();
    for (const t of paletteTypes()) {
      const g = groupOf(t);
      groups.set(g, [...(groups.get(g) ?? []), t]);
    }
    const order = [...GROUPS.map(([g]) => g), 'other'].filter((g) => groups.has(g));
    return html`<aside class="card palette" data-role="palette" tabindex="0" aria-label="layer palette" @dblclick=${(e: Event) => {
      const type = (e.target as HTMLElement).closest<HTMLElement>('li[data-type]')?.dataset.type;
      if (type) this.addToTop(type);
    }}>
      <h2>Layers</h2>
      <p class="note">Drag into the model; double-click appends.</p>
      ${order.map((g) => html`<h3>${g}</h3><ul>${groups.get(g)!.map((t) => html`<li data-type=${t} title="nn.${t}">${t}</li>`)}</ul>`)}
    </aside>`;
  }

  private renderList(layers: LayerSpec[], address: string, names: Map<string, string>, a: Analysis): TemplateResult {
    return html`<ol class="layers" data-list=${address}>${layers.map((l, i) => this.renderItem(l, address, i, names, a))}</ol>`;
  }

  private renderItem(layer: LayerSpec, address: string, index: number, names: Map<string, string>, a: Analysis): TemplateResult {
    const item = address === '' ? String(index) : `${address}.${index}`;
    const rowName = names.get(item) ?? item;
    const row = a.rows.get(rowName);
    const container = layer.type === 'Sequential' || layer.type === 'Residual';
    const pinned = a.layerError && (a.layerError.row === rowName || (!container && a.layerError.row.startsWith(`${rowName}.`))) ? a.layerError.message : null;
    const smells = a.smells.filter((s) => s.layer === rowName);
    const isOpen = this.open.has(item);
    const report = a.report ?? a.partial;
    const time = row && report ? this.rowTime(row, report) : null;
    const toggle = () => {
      const next = new Set(this.open);
      if (isOpen) next.delete(item);
      else next.add(item);
      this.open = next;
    };
    return html`<li class="layer ${container ? 'container' : ''} ${pinned ? 'bad' : ''}" data-type=${layer.type} data-row=${rowName}>
      <div class="head">
        <span class="grip" title="drag to move">⠿</span>
        <span class="type" title=${argSummary(layer)}>${layer.name ? html`${layer.name}: ` : nothing}${layer.type}<small>${argSummary(layer)}</small></span>
        <span class="shape" data-role="shape">${row ? formatShape(row.output_shape) : '—'}</span>
        <span class="n" data-role="params" title="parameters">${row ? formatCount(row.is_container ? row.inclusive.params : row.params) : '—'}</span>
        <span class="n" data-role="macs" title="multiply-accumulates">${row ? formatCount(row.is_container ? row.inclusive.macs : row.macs) : '—'}</span>
        <span class="n" title="output memory (new bytes) + weights">${row && report ? formatBytesLong(this.rowMemory(row, report)).split(' (')[0] : '—'}</span>
        <span class="n" title="roofline time">${time !== null ? formatSeconds(time) : '—'}</span>
        <span class="tools">
          ${container ? nothing : html`<button data-role="edit" aria-pressed=${isOpen ? 'true' : 'false'} @click=${toggle} title="arguments">args</button>`}
          <button data-role="remove" title="remove" @click=${() => this.restructure(removeLayer(this.spec, address, index))}>×</button>
        </span>
      </div>
      ${pinned ? html`<div class="error" role="alert" data-role="layer-error">${pinned}</div>` : nothing}
      ${smells.map((s) => html`<div class="smell" data-role="smell" data-kind=${s.kind}>⚠ ${s.message}</div>`)}
      ${isOpen && !container ? html`<nnx-layer-form .layer=${layer} @nnx-layer-change=${(e: CustomEvent<{ layer: LayerSpec }>) => this.commit(replaceLayer(this.spec, address, index, e.detail.layer))}></nnx-layer-form>` : nothing}
      ${layer.type === 'Sequential' ? this.renderList((layer.layers as LayerSpec[]) ?? [], `${item}.layers`, names, a) : nothing}
      ${layer.type === 'Residual' ? html`
        <div class="sub-label">body</div>${this.renderList((layer.body as LayerSpec[]) ?? [], `${item}.body`, names, a)}
        <div class="sub-label">shortcut ${Array.isArray(layer.shortcut) ? '' : '(identity: drop a layer here for a projection)'}</div>${this.renderList(Array.isArray(layer.shortcut) ? (layer.shortcut as LayerSpec[]) : [], `${item}.shortcut`, names, a)}` : nothing}
    </li>`;
  }

  /** A row's roofline time, a container's summed over the rows inside it. */
  private rowTime(row: SummaryRow, r: SummaryReport): number {
    if (!row.is_container) return row.roofline?.time_s ?? 0;
    return r.layers.filter((l) => l.name.startsWith(`${row.name}.`)).reduce((s, l) => s + (l.roofline?.time_s ?? 0), row.roofline?.time_s ?? 0);
  }

  /** A row's new output bytes plus its weights (a container's: everything inside it). */
  private rowMemory(row: SummaryRow, r: SummaryReport): number {
    const own = (l: SummaryRow) => l.output_bytes + l.weight_bytes;
    if (!row.is_container) return own(row);
    return r.layers.filter((l) => l.name.startsWith(`${row.name}.`)).reduce((s, l) => s + own(l), own(row));
  }

  private renderTotals(a: Analysis) {
    const r = a.report;
    const t = r?.totals;
    const setInput = (text: string) => {
      const shape = text.split(/[\s,×x]+/).filter(Boolean).map(Number);
      if (shape.length && shape.every((v) => Number.isInteger(v) && v >= 1)) this.commit({ ...this.spec, input: shape });
    };
    return html`<div class="card">
      <div class="top">
        <label>model name<input name="model-name" .value=${this.spec.name ?? ''} @change=${(e: Event) => this.commit({ ...this.spec, name: (e.target as HTMLInputElement).value.trim() || undefined })} /></label>
        <label>input shape<input name="input" .value=${this.spec.input.join(', ')} @change=${(e: Event) => setInput((e.target as HTMLInputElement).value)} /></label>
        <label>roofline device<select name="device" @change=${(e: Event) => {
          this.device = (e.target as HTMLSelectElement).value;
          this.commit(this.spec);
        }}>${Object.entries(DEVICE_PROFILES).map(([k, d]) => html`<option value=${k} ?selected=${k === this.device}>${d.name}</option>`)}</select></label>
        <span class="mono small">${r ? html`output <b data-role="output-shape">${formatShape(r.output_shape)}</b>` : nothing}</span>
      </div>
      <div class="totals" data-role="totals">
        <div><span class="k">parameters</span><span class="v" data-role="total-params" data-value=${t?.params ?? ''}>${t ? formatCount(t.params) : '—'}</span><span class="sub">${t ? `${formatCount(t.buffers)} buffer elements` : ''}</span></div>
        <div><span class="k">MACs</span><span class="v" data-role="total-macs" data-value=${t?.macs ?? ''}>${t ? formatCount(t.macs) : '—'}</span><span class="sub">multiply-accumulates</span></div>
        <div><span class="k">FLOPs</span><span class="v">${t ? formatCount(t.flops) : '—'}</span><span class="sub">forward, all arithmetic</span></div>
        <div><span class="k">training peak</span><span class="v" data-role="training-peak">${t ? formatBytesLong(t.training_peak_bytes).split(' (')[0] : '—'}</span><span class="sub">${r ? `${r.dtype}, ${r.optimizer}; ${(r.totals.training_peak_bytes / 2 ** 20).toFixed(2)} MiB` : ''}</span></div>
        <div><span class="k">roofline time</span><span class="v" data-role="roofline">${r?.roofline ? formatSeconds(r.roofline.time_s) : '—'}</span><span class="sub">${r?.device ? `forward on ${r.device.name}` : ''}</span></div>
      </div>
      ${a.error ? html`<div class="error" role="alert" data-role="spec-error">${a.error}</div>` : nothing}
      ${a.layerError ? html`<p class="note">Totals wait for the flagged layer to be fixed; the layers before its block keep their numbers.</p>` : nothing}
    </div>`;
  }

  private renderSide() {
    const pr = this.printResult;
    const code = this.exportView === 'torch' ? this.torchCodeText() : null;
    const specParam = encodeURIComponent(JSON.stringify(this.spec));
    return html`<div class="side">
      <div class="card">
        <h2>Paste print(model)</h2>
        <textarea name="print" aria-label="print(model) text" spellcheck="false" .value=${this.printText} placeholder="ResNet(&#10;  (conv1): Conv2d(3, 64, kernel_size=(7, 7), …)&#10;  …&#10;)"
          @input=${(e: Event) => { this.printText = (e.target as HTMLTextAreaElement).value; }}></textarea>
        <div class="row"><button class="primary" data-role="load-print" @click=${() => this.loadPrint()}>Load into the builder</button></div>
        ${this.printError ? html`<div class="error" role="alert" data-role="print-error">${this.printError}</div>` : nothing}
        ${pr ? html`<div data-role="print-result">
          <p class="note"><b>${pr.model}</b>: <span class="mono" data-role="print-params">${formatCount(pr.params)}</span> parameters${pr.params_exact ? ' (exact)' : ' (not exact: unknown classes below are not counted)'}${pr.spec ? ', loaded.' : '.'}</p>
          ${pr.unknown_modules.length ? html`<p class="note">Unknown module classes:</p><ul class="issues">${pr.unknown_modules.map((i) => html`<li>line ${i.line}: ${i.path} (${i.className})</li>`)}</ul>` : nothing}
          ${pr.unplaced.length ? html`<p class="note">Could not place:</p><ul class="issues">${pr.unplaced.map((i) => html`<li>line ${i.line}: ${i.path} — ${i.reason}</li>`)}</ul>` : nothing}
          ${pr.notes.length ? html`<p class="note">Assumed: ${pr.notes.join('; ')}. Input shape guessed from the first layer: set it above.</p>` : nothing}
        </div>` : nothing}
      </div>
      <div class="card">
        <h2>Export</h2>
        <div class="row">
          <button data-role="export-json" aria-pressed=${this.exportView === 'json' ? 'true' : 'false'} @click=${() => { this.exportView = this.exportView === 'json' ? null : 'json'; }}>ModelSpec JSON</button>
          <button data-role="export-torch" aria-pressed=${this.exportView === 'torch' ? 'true' : 'false'} @click=${() => { this.exportView = this.exportView === 'torch' ? null : 'torch'; }}>PyTorch code</button>
          <button data-role="export-onnx" @click=${() => this.exportOnnxFile()}>ONNX file</button>
        </div>
        ${this.exportError ? html`<div class="error" role="alert">${this.exportError}</div>` : nothing}
        ${this.exportView === 'json' ? html`<pre data-role="export-text" tabindex="0" aria-label="exported model">${JSON.stringify(this.spec, null, 1)}</pre>
          <div class="row"><button @click=${() => download(`${this.spec.name ?? 'model'}.json`, JSON.stringify(this.spec, null, 2), 'application/json')}>download .json</button></div>` : nothing}
        ${code?.error ? html`<div class="error" role="alert" data-role="export-error">${code.error}</div>` : nothing}
        ${code?.code ? html`<pre data-role="export-text" tabindex="0" aria-label="exported model">${code.code}</pre>
          <div class="row"><button @click=${() => download(`${this.spec.name ?? 'model'}.py`, code.code!, 'text/x-python')}>download .py</button></div>` : nothing}
        <h3 style="margin-top:12px">Open in</h3>
        <div class="row">
          <a data-role="send-inspector" href="#/model-inspector?model=custom&spec=${specParam}">Model Inspector</a>
          <a data-role="send-tracer" href="#/model-tracer?model=custom&spec=${specParam}">Model Tracer</a>
          <a data-role="send-gradient-lab" href="#/gradient-lab?kind=custom&spec=${specParam}">Gradient Lab</a>
          <a data-role="send-compare" href="#/compare?task=image&spec=${specParam}">Compare (image task)</a>
        </div>
        <p class="note">The Gradient Lab trains it on seeded data with its gradient flow per layer; Compare trains it beside the CNN and ViT on Fashion-MNIST (it must read [N, 1, 28, 28] and give 10 classes).</p>
      </div>
    </div>`;
  }

  render() {
    const a = this.analyze();
    const names = rowNames(this.spec);
    return html`<div class="page">
      ${this.renderPalette()}
      <main>
        ${this.urlError ? html`<div class="card error" role="alert">${this.urlError}</div>` : nothing}
        ${this.renderTotals(a)}
        <div class="card" data-role="model">
          <div class="head colhead"><span></span><span>layer</span><span>output shape</span><span class="n">params</span><span class="n">MACs</span><span class="n">memory</span><span class="n">time</span><span></span></div>
          ${this.renderList(this.spec.layers, '', names, a)}
          <p class="note">Memory: the layer's new output plus its weights (${this.analyze().report?.dtype ?? 'fp32'}). Time: roofline lower bound of the forward pass. Numbers update after every edit.</p>
        </div>
      </main>
      ${this.renderSide()}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-builder': NnxBuilder;
  }
}
