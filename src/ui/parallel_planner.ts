/**
 * <nnx-parallel-planner>: how a zoo model's training memory splits over GPUs. One stacked bar
 * per data-parallel mode (plain DP, ZeRO-1, ZeRO-2, ZeRO-3) shows one GPU's parameters,
 * gradients, optimizer state and activations at the chosen GPU count, tensor/pipeline degrees,
 * precision and optimizer, against the chosen GPU's memory; a table gives, per mode, the
 * smallest GPU count at which the model fits that GPU. Computed by src/analysis/parallel_plan.ts
 * (no GPU). Below, <nnx-moe-router> routes tokens through a small MoE layer on the GPU.
 * In: `params` (URL parameters), `runtime`, `gpuError`. Out: `nnx-params-change` { params } on every edit.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { analyzeModel, type ModelGraph } from '../analysis/graph.ts';
import { OPTIMIZERS } from '../analysis/model_spec.ts';
import { parseStrategy, planParallel, smallestFit, type DataParallelMode, type ParallelOptions, type ParallelPlan, type Precision } from '../analysis/parallel_plan.ts';
import { buildSummary, type SummaryReport } from '../analysis/summary.ts';
import { ZOO, zooModel } from '../analysis/zoo/index.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { formatCount, formatShape } from './format.ts';
import './moe_router.ts';
import { base, tokens } from './theme.ts';

const DEFAULTS: Record<string, string> = { model: 'llama2_7b', input: '', gpus: '64', tp: '1', pp: '1', mode: 'zero1', precision: 'mixed', opt: 'adam', ckpt: '0', gpu: '80' };

/** GPU memory sizes to plan against, in GiB (as vendors size HBM). */
const GPU_MEMORY: { gib: string; label: string }[] = [
  { gib: '16', label: '16 GiB (V100 16 GB)' },
  { gib: '24', label: '24 GiB (RTX 4090, A10)' },
  { gib: '32', label: '32 GiB (V100 32 GB)' },
  { gib: '40', label: '40 GiB (A100 40 GB)' },
  { gib: '80', label: '80 GiB (A100 / H100 80 GB)' },
  { gib: '141', label: '141 GB (H200)' },
];

/** Bytes of a GPU memory choice (H200's 141 is decimal GB, the others GiB). */
const gpuBytes = (gib: string): number => (gib === '141' ? 141e9 : Number(gib) * 2 ** 30);

const MODES: { mode: DataParallelMode; label: string }[] = [
  { mode: 'dp', label: 'DP' }, { mode: 'zero1', label: 'ZeRO-1' }, { mode: 'zero2', label: 'ZeRO-2' }, { mode: 'zero3', label: 'ZeRO-3' },
];

const PARTS: { key: 'params_bytes' | 'grads_bytes' | 'optimizer_bytes' | 'activation_bytes'; label: string; color: string }[] = [
  { key: 'params_bytes', label: 'parameters', color: '#4f46e5' },
  { key: 'grads_bytes', label: 'gradients', color: '#e8590c' },
  { key: 'optimizer_bytes', label: 'optimizer state', color: '#c2255c' },
  { key: 'activation_bytes', label: 'activations', color: '#0ca678' },
];

const gb = (bytes: number): string => `${(bytes / 1e9).toLocaleString('en-US', { maximumFractionDigits: bytes < 1e10 ? 2 : 1 })} GB`;

interface Analysis {
  report: SummaryReport | null;
  graph: ModelGraph | null;
  plans: ParallelPlan[];
  fits: (ParallelPlan | null)[];
  error: string | null;
}

@customElement('nnx-parallel-planner')
export class NnxParallelPlanner extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .page { display: grid; grid-template-columns: 320px minmax(0, 1fr); gap: 18px; align-items: start; }
    @media (max-width: 980px) { .page { grid-template-columns: 1fr; } }
    label.row { display: grid; grid-template-columns: 110px 1fr; align-items: center; gap: 8px; font-size: 12.5px; margin: 5px 0; }
    .hint { display: block; font-size: 10.5px; color: var(--_muted); }
    input, select { font: 13px var(--_mono); padding: 3px 7px; border-radius: 7px; border: 1px solid var(--_border); background: var(--_surface); width: 100%; min-width: 0; }
    input[type='checkbox'] { width: auto; }
    select { font-family: var(--_font); }
    .error { margin-top: 8px; border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: 8px; padding: 8px 10px; font-size: 12.5px; font-family: var(--_mono); overflow-wrap: anywhere; }
    main { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
    .totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
    .totals div { display: flex; flex-direction: column; }
    .totals .k { font-size: 10.5px; color: var(--_muted); text-transform: uppercase; letter-spacing: 0.05em; }
    .totals .v { font: 600 16px var(--_mono); }
    .bars { display: flex; flex-direction: column; gap: 10px; margin: 12px 0; }
    .bar { display: grid; grid-template-columns: 70px minmax(0, 1fr) 110px; gap: 10px; align-items: center; font-size: 12.5px; }
    .bar.chosen .name { font-weight: 700; }
    .track { position: relative; height: 26px; border: 1px solid var(--_border); border-radius: 6px; overflow: hidden; display: flex; }
    .track span { display: block; height: 100%; }
    .limit { position: absolute; top: -4px; bottom: -4px; width: 0; border-left: 2px dashed var(--_danger); }
    .total { font: 12px var(--_mono); text-align: right; }
    .over { color: var(--_danger); }
    .legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 12px; }
    .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
    .note { font-size: 11.5px; color: var(--_muted); line-height: 1.45; margin: 8px 0 0; }
    td button { padding: 2px 8px; font-size: 12px; }
  `];

  @property({ attribute: false }) params: Record<string, string> = {};
  @property({ attribute: false }) runtime: GpuRuntime | null = null;
  @property({ attribute: false }) gpuError: string | null = null;
  @state() private p: Record<string, string> = { ...DEFAULTS };
  private cache: { key: string; result: Analysis } | null = null;

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('params')) this.p = { ...DEFAULTS, ...this.params };
  }

  private set(changes: Record<string, string>): void {
    this.p = { ...this.p, ...changes };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.p)) if (v !== DEFAULTS[k]) params[k] = v;
    this.dispatchEvent(new CustomEvent('nnx-params-change', { detail: { params }, bubbles: true, composed: true }));
  }

  /** The plans of the four data-parallel modes at the current settings, and each mode's smallest fit. */
  analyze(): Analysis {
    const key = JSON.stringify(this.p);
    if (this.cache?.key === key) return this.cache.result;
    let result: Analysis;
    try {
      const p = this.p;
      const spec = zooModel(p.model);
      const input = p.input.trim() ? p.input.split(/[\s,×x]+/).filter(Boolean).map(Number) : undefined;
      if (input && input.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`input size must be whole numbers >= 1 separated by commas, got "${p.input}"`);
      const report = buildSummary(spec, { input });
      const graph = analyzeModel(spec, { input });
      const base = parseStrategy(`tp:${p.tp},pp:${p.pp}`);
      const optimizer = OPTIMIZERS.find((o) => o === p.opt) ?? 'adam';
      const common: Omit<ParallelOptions, 'gpus' | 'strategy'> = { precision: p.precision as Precision, optimizer, checkpointing: p.ckpt === '1' };
      const plans = MODES.map(({ mode }) => planParallel(report.totals.params, graph, { ...common, strategy: { ...base, mode }, gpus: Number(p.gpus) }));
      const fits = MODES.map(({ mode }) => smallestFit(report.totals.params, graph, { ...common, strategy: { ...base, mode } }, gpuBytes(p.gpu)));
      result = { report, graph, plans, fits, error: null };
    } catch (e) {
      result = { report: null, graph: null, plans: [], fits: [], error: e instanceof Error ? e.message : String(e) };
    }
    this.cache = { key, result };
    return result;
  }

  private renderSide(error: string | null) {
    const p = this.p;
    const select = (key: string, options: string[], labels?: Record<string, string>) => html`<select name=${key} @change=${(e: Event) => this.set({ [key]: (e.target as HTMLSelectElement).value })}>
      ${options.map((o) => html`<option value=${o} ?selected=${p[key] === o}>${labels?.[o] ?? o}</option>`)}</select>`;
    const number = (key: string) => html`<input name=${key} type="number" min="1" .value=${p[key]} @change=${(e: Event) => this.set({ [key]: (e.target as HTMLInputElement).value })} />`;
    return html`<aside class="card">
      <h2>Model and cluster</h2>
      <label class="row">model ${select('model', Object.keys(ZOO), Object.fromEntries(Object.entries(ZOO).map(([k, z]) => [k, `${k} — ${z.description}`])))}</label>
      <label class="row"><span>input size<span class="hint">one micro-batch per data-parallel rank; blank: the spec’s</span></span><input name="input" .value=${p.input} @change=${(e: Event) => this.set({ input: (e.target as HTMLInputElement).value })} /></label>
      <label class="row">GPUs ${number('gpus')}</label>
      <label class="row"><span>data parallel<span class="hint">how model states are held</span></span>${select('mode', MODES.map((m) => m.mode), Object.fromEntries(MODES.map((m) => [m.mode, m.label])))}</label>
      <label class="row"><span>tensor parallel<span class="hint">tp degree</span></span>${number('tp')}</label>
      <label class="row"><span>pipeline parallel<span class="hint">pp stages</span></span>${number('pp')}</label>
      <label class="row">precision ${select('precision', ['mixed', 'fp32'], { mixed: 'mixed (fp16 + fp32 master)', fp32: 'fp32' })}</label>
      <label class="row">optimizer ${select('opt', [...OPTIMIZERS])}</label>
      <label class="row">checkpointing <input name="ckpt" type="checkbox" .checked=${p.ckpt === '1'} @change=${(e: Event) => this.set({ ckpt: (e.target as HTMLInputElement).checked ? '1' : '0' })} /></label>
      <label class="row">GPU memory ${select('gpu', GPU_MEMORY.map((g) => g.gib), Object.fromEntries(GPU_MEMORY.map((g) => [g.gib, g.label])))}</label>
      ${error ? html`<div class="error" role="alert" data-role="plan-error">${error}</div>` : nothing}
    </aside>`;
  }

  private renderBars(plans: ParallelPlan[]) {
    const limit = gpuBytes(this.p.gpu);
    const scale = Math.max(limit, ...plans.map((pl) => pl.per_gpu.total_bytes)) * 1.05;
    return html`<div class="bars">${plans.map((pl, i) => {
      const g = pl.per_gpu;
      const over = g.total_bytes > limit;
      return html`<div class="bar ${MODES[i].mode === this.p.mode ? 'chosen' : ''}" data-role="bar" data-mode=${MODES[i].mode} data-total=${g.total_bytes}>
        <span class="name">${MODES[i].label}</span>
        <div class="track">
          ${PARTS.map((part) => (g[part.key] > 0 ? html`<span data-part=${part.key} title="${part.label}: ${formatCount(Math.round(g[part.key]))} bytes" style="width:${(g[part.key] / scale) * 100}%;background:${part.color}"></span>` : nothing))}
          <i class="limit" style="left:${(limit / scale) * 100}%" title="GPU memory"></i>
        </div>
        <span class="total ${over ? 'over' : ''}">${gb(g.total_bytes)}${over ? ' ✗' : ' ✓'}</span>
      </div>`;
    })}</div>`;
  }

  render() {
    const { report: r, plans, fits, error } = this.analyze();
    const chosen = plans[MODES.findIndex((m) => m.mode === this.p.mode)] ?? plans[0];
    return html`<div class="page">
      ${this.renderSide(error)}
      <main>
        ${r && chosen
          ? html`
            <div class="card">
              <h2>${r.model} <span class="muted mono small">input ${formatShape(r.input_shape)}</span></h2>
              <div class="totals">
                <div><span class="k">parameters</span><span class="v" data-role="params" data-value=${r.totals.params}>${formatCount(r.totals.params)}</span></div>
                <div><span class="k">active per token</span><span class="v" data-role="active-params" data-value=${r.totals.active_params}>${formatCount(r.totals.active_params)}</span></div>
                <div><span class="k">layout</span><span class="v">${chosen.degrees.data} × ${chosen.degrees.tensor} × ${chosen.degrees.pipeline}</span><span class="muted small">data × tensor × pipeline</span></div>
                <div><span class="k">bytes / parameter</span><span class="v">${chosen.bytes_per_param.params} + ${chosen.bytes_per_param.grads} + ${chosen.bytes_per_param.optimizer}</span><span class="muted small">params + grads + optimizer</span></div>
              </div>
            </div>
            <div class="card" data-role="bars">
              <h2>One GPU’s memory on ${chosen.gpus} GPUs</h2>
              ${this.renderBars(plans)}
              <div class="legend">${PARTS.map((part) => html`<span><i style="background:${part.color}"></i>${part.label}</span>`)}<span><i style="background:none;border-left:2px dashed var(--_danger)"></i>GPU memory ${gb(gpuBytes(this.p.gpu))}</span></div>
              <p class="note">GB = 10⁹ bytes. ZeRO-1 partitions the optimizer state over the data-parallel ranks, ZeRO-2 the gradients too, ZeRO-3 the parameters too (Rajbhandari et al., 2020). Tensor and pipeline parallelism split the parameters evenly; activations split over tp (with sequence parallelism); a 1F1B pipeline’s first stage holds one micro-batch’s activations.</p>
            </div>
            <div class="card" data-role="fits">
              <h2>Smallest GPU count that fits ${GPU_MEMORY.find((g) => g.gib === this.p.gpu)?.label ?? ''}</h2>
              <table>
                <thead><tr><th>mode</th><th class="num">GPUs</th><th class="num">per GPU</th><th class="num">communication / step / GPU</th><th></th></tr></thead>
                <tbody>${fits.map((f, i) => html`<tr data-role="fit" data-mode=${MODES[i].mode} data-gpus=${f?.gpus ?? ''}>
                  <td>${MODES[i].label}</td>
                  <td class="num">${f ? formatCount(f.gpus) : 'none up to 4,096'}</td>
                  <td class="num">${f ? gb(f.per_gpu.total_bytes) : ''}</td>
                  <td class="num">${f ? gb(f.communication_bytes_per_step) : ''}</td>
                  <td>${f ? html`<button data-use=${MODES[i].mode} @click=${() => this.set({ mode: MODES[i].mode, gpus: String(f.gpus) })}>use</button>` : nothing}</td>
                </tr>`)}</tbody>
              </table>
            </div>
            <div class="card" data-role="collectives">
              <h2>${MODES.find((m) => m.mode === this.p.mode)?.label}: communication per step, ${gb(chosen.communication_bytes_per_step)} per GPU</h2>
              <table>
                <thead><tr><th>collective</th><th>group</th><th class="num">calls</th><th class="num">bytes per GPU</th><th>moves</th></tr></thead>
                <tbody>${chosen.collectives.map((c) => html`<tr><td class="mono">${c.collective}</td><td>${c.group} (${c.group_size})</td><td class="num">${c.count}</td><td class="num">${formatCount(Math.round(c.bytes_per_gpu))}</td><td>${c.what}</td></tr>`)}</tbody>
              </table>
              ${chosen.notes.map((n) => html`<p class="note">${n}</p>`)}
            </div>`
          : nothing}
        <div class="card" data-role="moe-router">
          <h2>MoE router on your GPU: which experts each token picks</h2>
          <nnx-moe-router .runtime=${this.runtime} .gpuError=${this.gpuError}></nnx-moe-router>
        </div>
      </main>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-parallel-planner': NnxParallelPlanner;
  }
}
