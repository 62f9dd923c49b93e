/**
 * <nnx-gradient-lab>: the Gradient Lab page. Builds an MLP or recurrent net from a few
 * controls (depth, width, activation, init, norm, residual, optimizer, learning rate), trains it
 * for K steps with the GPU executor on the browser's WebGPU adapter, and shows the gradient flow:
 * ‖∂L/∂W‖ per layer (log axis) or ‖∂L/∂h_t‖ per time step, the loss per step, the verdicts with
 * their advice, the per-layer table and predicted vs measured peak memory. Presets reproduce
 * the classic failures; two of them run a pair of nets side by side.
 *
 * In: `runtime`, `gpuError`, `params` (URL). Out: `nnx-params-change`. Reflects `data-state`.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { analyzeModel } from '../analysis/graph.ts';
import { diagnose, type LayerFlow, type Verdict } from '../analysis/gradient_health.ts';
import { memoryPlan } from '../analysis/memory.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { modelTraits } from '../ops/executor/diagnose.ts';
import { Executor } from '../ops/executor/executor.ts';
import { compareMemory, type MemoryComparison } from '../ops/executor/memory_report.ts';
import './chart.ts';
import type { ChartData } from './chart.ts';
import { formatCount, formatShort } from './format.ts';
import './grad_flow_table.ts';
import {
  ACTIVATIONS, buildSpec, COMPARES, formatConfig, INIT_LABELS, INITS, isRecurrent, KINDS, LIMITS, matchingPreset, NORMS, OPTIMIZERS, parseConfig, PRESETS, runConfigs,
  type GradLabConfig,
} from './gradient_lab_config.ts';
import './memory_compare.ts';
import { base, tokens } from './theme.ts';
import './verdict_list.ts';
import './webgpu_missing.ts';

/** One trained net of a run (a run has one or two). */
export interface GradLabRun {
  label: string;
  config: GradLabConfig;
  model: string;
  params: number;
  losses: number[];
  stepMs: number[];
  /** The latest step's gradient flow. */
  layers: LayerFlow[];
  verdicts: Verdict[];
  memory: MemoryComparison | null;
}

export type LabState = 'idle' | 'running' | 'done' | 'error';

const SERIES_COLORS = ['#4f46e5', '#e8590c'];

function configKey(c: GradLabConfig): string {
  return JSON.stringify(c);
}

function positive(v: number | undefined | null): number | null {
  return v !== undefined && v !== null && Number.isFinite(v) && v > 0 ? v : null;
}

/** The layer name without its container path (`block3.fc3` → `fc3`). */
function short(name: string): string {
  return name.split('.').pop() ?? name;
}

@customElement('nnx-gradient-lab')
export class NnxGradientLab extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .page { display: grid; grid-template-columns: 320px minmax(0, 1fr); gap: 18px; align-items: start; }
    @media (max-width: 980px) { .page { grid-template-columns: 1fr; } }
    aside { position: sticky; top: var(--nnx-sticky-top, 16px); max-height: calc(100vh - var(--nnx-sticky-top, 16px) - 16px); overflow: auto; }
    aside h2 { font-size: 17px; margin-bottom: 2px; }
    aside > p { margin: 0 0 10px; font-size: 12px; color: var(--_muted); line-height: 1.45; }
    .k { font-size: 10.5px; text-transform: uppercase; letter-spacing: 0.07em; color: var(--_muted); font-weight: 650; margin: 12px 0 6px; }
    .presets { display: flex; flex-direction: column; gap: 5px; }
    .preset { text-align: left; padding: 6px 10px; font-weight: 600; font-size: 12.5px; display: flex; flex-direction: column; gap: 1px; border-radius: 8px; }
    .preset small { font-weight: 450; color: var(--_muted); font-size: 11px; }
    .preset[aria-pressed='true'] { border-color: var(--_accent); background: var(--_accent-soft); color: var(--_accent); }
    .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 10px; }
    label { display: flex; flex-direction: column; gap: 3px; font-size: 11.5px; color: var(--_muted); font-weight: 600; min-width: 0; }
    label.wide { grid-column: 1 / -1; }
    label.check { flex-direction: row; align-items: center; gap: 6px; color: var(--_text); font-size: 12.5px; }
    input, select { font: 13px var(--_font); padding: 5px 7px; border: 1px solid var(--_border); border-radius: 7px; background: var(--_surface-2); color: var(--_text); min-width: 0; width: 100%; }
    input[type='checkbox'] { width: auto; flex: none; }
    input[type='number'] { font-family: var(--_mono); }
    input:disabled, select:disabled { opacity: 0.45; }
    .actions { position: sticky; bottom: -14px; background: var(--_surface); padding: 10px 0 12px; margin: 12px 0 -14px; border-top: 1px solid var(--_border); }
    .run { width: 100%; padding: 10px; font-size: 14px; }
    .status { margin-top: 8px; font-size: 12px; color: var(--_muted); min-height: 1.4em; }
    main { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
    .strip { display: flex; gap: 10px; flex-wrap: wrap; }
    .run-card { flex: 1 1 300px; display: flex; gap: 18px; align-items: center; flex-wrap: wrap; }
    .run-card .title { font-weight: 700; font-size: 14px; }
    .run-card .title small { display: block; font: 11.5px var(--_mono); color: var(--_muted); font-weight: 400; }
    .fig { display: flex; flex-direction: column; }
    .fig .k2 { font-size: 10px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--_muted); }
    .fig .v { font: 600 14px var(--_mono); }
    .swatch { width: 10px; height: 10px; border-radius: 3px; display: inline-block; margin-right: 6px; }
    .badges { display: flex; gap: 4px; flex-wrap: wrap; margin-left: auto; }
    .badge { font: 700 10.5px var(--_font); letter-spacing: 0.05em; text-transform: uppercase; padding: 3px 8px; border-radius: 999px; }
    .badge.bad { background: var(--_danger-soft); color: var(--_danger); }
    .badge.warn { background: #fff6e5; color: #b45309; }
    .badge.good { background: #e9f7ef; color: var(--_ok); }
    .charts { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
    @media (max-width: 1200px) { .charts { grid-template-columns: 1fr; } }
    .card h2 { display: flex; align-items: baseline; gap: 8px; margin-bottom: 6px; }
    .card h2 span { font-size: 11.5px; font-weight: 450; color: var(--_muted); }
    .tabs { display: flex; gap: 4px; margin-left: auto; }
    .tabs button { padding: 3px 10px; font-size: 12px; }
    .tabs button[aria-pressed='true'] { background: var(--_accent); border-color: var(--_accent); color: white; }
    .head { display: flex; align-items: center; gap: 10px; margin-bottom: 8px; }
    .head h2 { margin: 0; }
    .error { border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: var(--_radius); padding: 12px 16px; font-size: 13px; }
    .hint { color: var(--_muted); font-size: 13px; }
    .stale { opacity: 0.55; transition: opacity 0.2s; }
    .banner { border: 1px solid var(--_border); background: var(--_accent-soft); color: var(--_accent); border-radius: 8px; padding: 8px 12px; font-size: 12.5px; }
  `];

  @property({ attribute: false }) runtime: GpuRuntime | null = null;
  @property({ attribute: false }) gpuError: string | null = null;
  @property({ attribute: false }) params: Record<string, string> = {};
  @property({ reflect: true, attribute: 'data-state' }) labState: LabState = 'idle';

  @state() config: GradLabConfig = parseConfig({});
  /** The runs of the latest (or current) training. */
  @state() runs: GradLabRun[] = [];
  @state() private runKey = '';
  @state() private error: string | null = null;
  @state() private progress = '';
  @state() private active = 0;
  @state() private focusLayer: string | null = null;
  private autoRan = false;
  private pending = false;

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('params')) {
      const next = parseConfig(this.params);
      if (configKey(next) !== configKey(this.config)) this.config = next;
    }
  }

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has('runtime') && this.runtime && !this.autoRan) {
      this.autoRan = true;
      void Promise.resolve().then(() => this.run());
    }
  }

  private emit(): void {
    this.dispatchEvent(new CustomEvent('nnx-params-change', { detail: { params: formatConfig(this.config) }, bubbles: true, composed: true }));
  }

  private set<K extends keyof GradLabConfig>(key: K, value: GradLabConfig[K]): void {
    this.config = { ...this.config, [key]: value };
    this.emit();
  }

  private applyPreset(id: string): void {
    // A preset sets the architecture; the step count, learning rate and seed stay.
    const { steps, lr, seed, optimizer } = this.config;
    this.config = { ...parseConfig({ preset: id }), steps, lr, seed, optimizer };
    this.emit();
    void this.run();
  }

  /** Trains the configured net(s) for `steps` steps on the GPU. */
  async run(): Promise<void> {
    const rt = this.runtime;
    if (!rt) return;
    if (this.labState === 'running') {
      this.pending = true;
      return;
    }
    this.labState = 'running';
    this.error = null;
    const config = this.config;
    const pairs = runConfigs(config);
    this.runKey = configKey(config);
    this.runs = [];
    this.active = 0;
    this.focusLayer = null;
    try {
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      for (const [i, pair] of pairs.entries()) {
        const spec = buildSpec(pair.config);
        const ex = await Executor.create(rt, spec);
        try {
          const traits = modelTraits(spec, ex);
          const run: GradLabRun = {
            label: pair.label, config: pair.config, model: spec.name ?? 'model',
            params: ex.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0),
            losses: [], stepMs: [], layers: [], verdicts: [], memory: null,
          };
          for (let k = 0; k < config.steps; k++) {
            this.progress = `${pairs.length > 1 ? `${pair.label}: ` : ''}step ${k + 1} of ${config.steps}…`;
            const r = await ex.step();
            run.losses.push(r.loss);
            run.stepMs.push(r.wall_ms);
            run.layers = r.layers;
            for (const v of diagnose(r.layers, traits, r.loss)) {
              if (!run.verdicts.some((w) => w.kind === v.kind && w.layer === v.layer)) run.verdicts.push(v);
            }
            if (k === 0) {
              const plan = memoryPlan(analyzeModel(spec), 'fp32', ex.optimizer.type);
              run.memory = compareMemory(plan, rt.ledger.entries, r.clock, r.peak_bytes);
            }
            const runs = [...this.runs];
            runs[i] = { ...run, losses: [...run.losses], stepMs: [...run.stepMs], verdicts: [...run.verdicts] };
            this.runs = runs;
          }
        } finally {
          ex.dispose();
        }
      }
      this.progress = '';
      this.labState = 'done';
      this.dispatchEvent(new CustomEvent('nnx-gradient-run', { detail: this.runs, bubbles: true, composed: true }));
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      this.progress = '';
      this.labState = 'error';
    }
    if (this.pending) {
      this.pending = false;
      if (configKey(this.config) !== this.runKey) void this.run();
    }
  }

  private select<T extends string>(label: string, key: keyof GradLabConfig, options: readonly T[], names: (o: T) => string = (o) => o, disabled = false, wide = false) {
    return html`<label class=${wide ? 'wide' : ''}>${label}
      <select data-field=${key} ?disabled=${disabled} @change=${(e: Event) => this.set(key, (e.target as HTMLSelectElement).value as never)}>
        ${options.map((o) => html`<option value=${o} ?selected=${this.config[key] === o}>${names(o)}</option>`)}
      </select></label>`;
  }

  private number(label: string, key: 'depth' | 'width' | 'steps' | 'batch' | 'seq', disabled = false) {
    const [min, max] = LIMITS[key];
    return html`<label>${label}
      <input type="number" data-field=${key} min=${min} max=${max} step="1" .value=${String(this.config[key])} ?disabled=${disabled}
        @change=${(e: Event) => {
          const v = Math.round(Number((e.target as HTMLInputElement).value));
          if (Number.isFinite(v)) this.set(key, Math.min(max, Math.max(min, v)));
        }}></label>`;
  }

  private renderSide() {
    const c = this.config;
    const mlp = c.kind === 'mlp';
    const custom = c.kind === 'custom';
    const running = this.labState === 'running';
    const preset = matchingPreset(c);
    let status: unknown = '';
    if (!this.runtime) status = this.gpuError ? 'no WebGPU adapter' : 'starting WebGPU…';
    else if (running) status = this.progress || 'running on the GPU…';
    else if (this.labState === 'error') status = 'the run failed (see the message on the right)';
    else if (this.runs.length) {
      const ms = this.runs.flatMap((r) => r.stepMs);
      status = `${this.runs.length * c.steps} training steps, ${(ms.reduce((a, b) => a + b, 0) / Math.max(ms.length, 1)).toFixed(0)} ms per step on the GPU`;
    }
    return html`<aside class="card">
      <h2>Gradient Lab</h2>
      <p>Train a small net for a few steps on your GPU and watch the gradient flow back through its layers: where it shrinks, where it blows up, and what to change.</p>
      <div class="k">classic failures</div>
      <div class="presets">${PRESETS.map((p) => html`<button class="preset" data-preset=${p.id} aria-pressed=${preset?.id === p.id ? 'true' : 'false'} ?disabled=${running || !this.runtime} @click=${() => this.applyPreset(p.id)}>${p.title}<small>${p.expect}</small></button>`)}</div>
      <div class="k">model</div>
      <div class="fields">
        ${this.select('kind', 'kind', KINDS, (o) => ({ mlp: 'MLP', rnn: 'RNN (tanh)', lstm: 'LSTM', gru: 'GRU', custom: 'custom ModelSpec' })[o])}
        ${custom
          ? html`<label class="wide">ModelSpec JSON (its own layers, input and init; the builder sends one here)
              <textarea data-field="spec" spellcheck="false" rows="8" .value=${c.spec} @change=${(e: Event) => this.set('spec', (e.target as HTMLTextAreaElement).value)}></textarea></label>`
          : html`${this.select('compare with', 'compare', COMPARES, (o) => ({ none: 'nothing', residual: 'residual twin', cell: mlp ? 'RNN ↔ LSTM (recurrent only)' : c.kind === 'rnn' ? 'LSTM' : 'plain RNN' })[o])}
        ${this.number('depth', 'depth', !mlp)}
        ${this.number(mlp ? 'width' : 'hidden size', 'width')}
        ${this.select('activation', 'activation', ACTIVATIONS, undefined, !mlp)}
        ${this.select('norm', 'norm', NORMS, (o) => ({ none: 'none', batch: 'BatchNorm1d', layer: 'LayerNorm' })[o], !mlp)}
        ${this.select('init', 'init', INITS, (o) => INIT_LABELS[o], false, true)}`}
        <label class="check wide" ?hidden=${custom}><input type="checkbox" data-field="residual" .checked=${c.residual} ?disabled=${!mlp || c.compare === 'residual'} @change=${(e: Event) => this.set('residual', (e.target as HTMLInputElement).checked)}> residual (skip) connections around each block</label>
        ${isRecurrent(c) ? this.number('sequence length T', 'seq') : nothing}
      </div>
      <div class="k">training</div>
      <div class="fields">
        ${this.select('optimizer', 'optimizer', OPTIMIZERS)}
        <label>learning rate
          <input type="number" data-field="lr" min="0" step="any" .value=${String(c.lr)} @change=${(e: Event) => {
            const v = Number((e.target as HTMLInputElement).value);
            if (Number.isFinite(v) && v > 0) this.set('lr', v);
          }}></label>
        ${this.number('steps K', 'steps')}
        ${this.number('batch', 'batch', custom)}
      </div>
      <div class="actions">
        <button class="primary run" data-role="run" ?disabled=${!this.runtime || running} @click=${() => this.run()}>${running ? 'Training…' : `Train ${c.steps} step${c.steps === 1 ? '' : 's'}`}</button>
        <div class="status" data-role="status">${status}</div>
      </div>
    </aside>`;
  }

  private renderStrip() {
    return html`<div class="strip">${this.runs.map((r, i) => {
      const kinds = [...new Set(r.verdicts.map((v) => v.kind))];
      const first = r.losses[0];
      const last = r.losses[r.losses.length - 1];
      return html`<div class="card run-card" data-run=${r.label}>
        <div class="title"><span class="swatch" style="background:${SERIES_COLORS[i]}"></span>${this.runs.length > 1 ? `${r.label}: ` : ''}${r.model}<small>${r.config.kind === 'custom' ? 'the ModelSpec’s own init' : INIT_LABELS[r.config.init]} · ${r.config.optimizer} lr ${r.config.lr}</small></div>
        <div class="fig"><span class="k2">parameters</span><span class="v">${formatCount(r.params)}</span></div>
        <div class="fig"><span class="k2">loss</span><span class="v" data-role="loss">${formatShort(first)}${r.losses.length > 1 ? html` → ${formatShort(last)}` : nothing}</span></div>
        <div class="fig"><span class="k2">step</span><span class="v">${(r.stepMs.reduce((a, b) => a + b, 0) / Math.max(1, r.stepMs.length)).toFixed(0)} ms</span></div>
        <div class="badges">${kinds.length
          ? kinds.map((k) => html`<span class="badge ${k === 'dead_relu' || k === 'saturation' ? 'warn' : 'bad'}">${k.replace('_', ' ')}</span>`)
          : html`<span class="badge good">healthy</span>`}</div>
      </div>`;
    })}</div>`;
  }

  private flowChart(): { data: ChartData; categories: string[] | null; xLabel: string; title: string; note: string } {
    const runs = this.runs;
    const recurrent = isRecurrent(runs[0].config);
    if (recurrent) {
      const steps = runs.map((r) => r.layers.find((l) => l.grad_h_norm)?.grad_h_norm ?? []);
      const T = Math.max(...steps.map((s) => s.length));
      return {
        data: { x: Array.from({ length: T }, (_, t) => t), series: runs.map((r, i) => ({ label: `${r.label} ‖∂L/∂h_t‖`, values: Array.from({ length: T }, (_, t) => positive(steps[i][t])), color: SERIES_COLORS[i] })) },
        categories: null, xLabel: 'time step t', title: '‖∂L/∂h_t‖ per time step',
        note: 'the loss reads h at the last step; the gradient reaching earlier steps passes through the recurrence once per step',
      };
    }
    const weighted = runs.map((r) => r.layers.filter((l) => l.params.some((p) => p.shape.length >= 2)));
    const n = Math.max(...weighted.map((w) => w.length));
    const longest = weighted.find((w) => w.length === n)!;
    const series = runs.flatMap((r, i) => {
      const w = weighted[i];
      const color = SERIES_COLORS[i];
      const grad = { label: `${runs.length > 1 ? `${r.label} ` : ''}‖∂L/∂W‖`, values: Array.from({ length: n }, (_, k) => positive(w[k]?.params.find((p) => p.shape.length >= 2)?.grad_norm)), color };
      if (runs.length > 1) return [grad];
      return [grad, { label: '‖∂L/∂output‖', values: Array.from({ length: n }, (_, k) => positive(w[k]?.grad?.norm)), color: '#0ca678' }];
    });
    return {
      data: { x: Array.from({ length: n }, (_, k) => k), series }, categories: longest.map((l) => short(l.name)), xLabel: 'layer (input → output)',
      title: 'Gradient norm per layer', note: 'log scale, last step; a straight downward slope towards the input is vanishing, upward is exploding',
    };
  }

  private renderCharts(stale: boolean) {
    const runs = this.runs.filter((r) => r.layers.length);
    if (!runs.length) return nothing;
    const flow = this.flowChart();
    const steps = Math.max(...this.runs.map((r) => r.losses.length));
    const loss: ChartData = { x: Array.from({ length: steps }, (_, k) => k + 1), series: this.runs.map((r, i) => ({ label: `${this.runs.length > 1 ? `${r.label} ` : ''}loss`, values: Array.from({ length: steps }, (_, k) => (Number.isFinite(r.losses[k]) ? r.losses[k] : null)), color: SERIES_COLORS[i] })) };
    return html`<div class="charts ${stale ? 'stale' : ''}">
      <div class="card"><h2>${flow.title}<span>${flow.note}</span></h2>
        <nnx-chart data-role="flow-chart" .data=${flow.data} .categories=${flow.categories} logY xLabel=${flow.xLabel} yLabel="L2 norm" .height=${250}></nnx-chart></div>
      <div class="card"><h2>Loss<span>${this.runs[0].config.kind === 'custom' ? 'the ModelSpec’s loss on seeded data' : this.runs[0].config.kind === 'mlp' ? 'cross entropy' : 'cross entropy on the last step’s output'}, per training step</span></h2>
        <nnx-chart data-role="loss-chart" .data=${loss} xLabel="step" yLabel="loss" .height=${250}></nnx-chart></div>
    </div>`;
  }

  private renderTabs() {
    if (this.runs.length < 2) return nothing;
    return html`<div class="tabs">${this.runs.map((r, i) => html`<button aria-pressed=${this.active === i ? 'true' : 'false'} @click=${() => { this.active = i; }}>${r.label}</button>`)}</div>`;
  }

  private onFocus(e: CustomEvent<{ run: number; layer: string }>): void {
    this.active = e.detail.run;
    this.focusLayer = e.detail.layer;
  }

  private renderResults() {
    const stale = this.runKey !== configKey(this.config) && this.labState !== 'running';
    const run = this.runs[Math.min(this.active, this.runs.length - 1)];
    return html`
      ${stale ? html`<div class="banner">Settings changed since this run: press <b>Train</b> to recompute. Showing the previous result.</div>` : nothing}
      ${this.renderStrip()}
      ${this.renderCharts(stale)}
      <section class="card ${stale ? 'stale' : ''}">
        <div class="head"><h2>Diagnosis</h2><span class="muted small">rules in src/analysis/gradient_health.ts, over every step; click a layer name to find it in the table</span></div>
        <nnx-verdict-list data-role="verdicts" .groups=${this.runs.map((r) => ({ label: r.label, verdicts: r.verdicts }))} @nnx-layer-focus=${this.onFocus}></nnx-verdict-list>
      </section>
      ${run?.layers.length
        ? html`<section class="card ${stale ? 'stale' : ''}">
            <div class="head"><h2>Per-layer gradient flow</h2><span class="muted small">${run.label}, step ${run.losses.length}</span>${this.renderTabs()}</div>
            <nnx-grad-flow-table .layers=${run.layers} .verdicts=${run.verdicts} .focusLayer=${this.focusLayer}></nnx-grad-flow-table>
          </section>`
        : nothing}
      ${run?.memory
        ? html`<section class="card ${stale ? 'stale' : ''}">
            <div class="head"><h2>Peak memory of a training step</h2><span class="muted small">${run.label}, first step: predicted by the analysis plan vs measured by the GPU ledger</span>${this.renderTabs()}</div>
            <nnx-memory-compare data-role="memory" .memory=${run.memory}></nnx-memory-compare>
          </section>`
        : nothing}`;
  }

  render() {
    return html`<div class="page">
      ${this.renderSide()}
      <main>
        ${this.gpuError ? html`<nnx-webgpu-missing .reason=${this.gpuError}></nnx-webgpu-missing>` : nothing}
        ${this.error ? html`<div class="error" role="alert" data-role="run-error"><b>The training run failed.</b> ${this.error}</div>` : nothing}
        ${this.runs.length ? this.renderResults() : this.gpuError ? nothing : html`<section class="card"><div class="hint">${this.runtime ? 'Training on the GPU…' : 'Waiting for the WebGPU adapter…'}</div></section>`}
      </main>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-gradient-lab': NnxGradientLab;
  }
}
