/**
 * <nnx-museum-page>: the failure-case museum. Pick an exhibit and it runs on the browser's GPU
 * (src/ops/museum/): the broken model and its fix side by side, each with its verdicts and the
 * evidence as charts (‖∂L/∂W‖ per weight layer, loss per step, ‖∂L/∂h_t‖ through time, the
 * largest activation against float16's range) and tables. Below, the residual and normalization
 * studies run at small sizes on the shipped Fashion-MNIST subset.
 *
 * In: `runtime`, `gpuError`, `params` (URL: exhibit). Out: `nnx-params-change`.
 * Reflects `data-state` (idle, running, done, error) of the exhibit run.
 */
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { NnxRoutedPage } from './routed_page.ts';
import type { SampleDataset } from '../data/dataset.ts';
import { loadShippedFashionMnist } from '../data/fashion_browser.ts';
import type { FlowRow } from '../ops/museum/exhibit.ts';
import { EXHIBITS, findExhibit, type MuseumExhibit, type MuseumSide, type MuseumVerdictKind } from '../ops/museum/index.ts';
import { NORMS_DEFAULTS, runNormsStudy, type NormsStudyReport } from '../ops/studies/norms.ts';
import { RESIDUAL_DEFAULTS, runResidualStudy, type ResidualStudyReport } from '../ops/studies/residual.ts';
import './chart.ts';
import type { ChartData } from './chart.ts';
import { errorMessage, formatBytesLong, formatShort } from './format.ts';
import { base, tokens } from './theme.ts';
import './webgpu_missing.ts';

const DEFAULTS: Record<string, string> = { exhibit: 'saturated-init' };

/** Colors of the museum's verdict kinds (diagnose's, plus param_explosion and overflow). */
const KIND_COLOR: Record<MuseumVerdictKind, string> = {
  vanishing: '#1d4ed8', exploding: '#c0362c', nonfinite: '#7f1d1d', dead_relu: '#52525b',
  saturation: '#b45309', param_explosion: '#7c3aed', overflow: '#be123c',
};

/** Small study sizes for the browser's GPU. */
const PAGE_RESIDUAL = { ...RESIDUAL_DEFAULTS, depths: [10, 20], steps: 2 };
const PAGE_NORMS = { ...NORMS_DEFAULTS, batchSizes: [2, 8], steps: 3, test: 100 };

export type MuseumState = 'idle' | 'running' | 'done' | 'error';

/** A chart-ready positive value: zero, negative or non-finite values have no point on a log axis. */
function positive(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;
}

function rows(side: MuseumSide): FlowRow[] {
  return (side.evidence.layers as FlowRow[] | undefined) ?? [];
}

/** Two series over index 0…n−1 (the longer side sets n). */
function pairChart(broken: (number | null)[], fixed: (number | null)[]): ChartData {
  const n = Math.max(broken.length, fixed.length);
  const pad = (v: (number | null)[]) => Array.from({ length: n }, (_, i) => v[i] ?? null);
  return { x: Array.from({ length: n }, (_, i) => i), series: [{ label: 'broken', values: pad(broken), color: '#c0362c' }, { label: 'fixed', values: pad(fixed), color: '#0ca678' }] };
}

@customElement('nnx-museum-page')
export class NnxMuseumPage extends NnxRoutedPage {
  static styles = [tokens, base, css`
    :host { display: block; }
    .page { display: flex; flex-direction: column; gap: 16px; }
    .top { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; }
    .top h2 { font-size: 17px; margin: 0 14px 0 0; align-self: center; }
    .top p { flex-basis: 100%; margin: 0; font-size: 12.5px; color: var(--_muted); line-height: 1.5; }
    label { display: flex; flex-direction: column; gap: 3px; font-size: 11.5px; color: var(--_muted); font-weight: 600; }
    select { font: 13px var(--_font); padding: 5px 7px; border: 1px solid var(--_border); border-radius: 7px; background: var(--_surface-2); color: var(--_text); }
    .status { font-size: 12px; color: var(--_muted); flex-basis: 100%; min-height: 1.3em; }
    .list { display: flex; flex-wrap: wrap; gap: 6px; flex-basis: 100%; }
    .list button { font-size: 12px; padding: 4px 9px; }
    .list button[aria-pressed='true'] { border-color: var(--_accent); color: var(--_accent); font-weight: 650; }
    .exhibit h3 { margin: 0 0 4px; font-size: 15px; }
    .exhibit > p { margin: 0 0 12px; font-size: 13px; line-height: 1.5; max-width: 110ch; }
    .sides { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
    @media (max-width: 1000px) { .sides { grid-template-columns: 1fr; } }
    .side { border: 1px solid var(--_border); border-radius: 10px; padding: 10px 12px; min-width: 0; }
    .side.broken { border-top: 4px solid #c0362c; }
    .side.fixed { border-top: 4px solid #0ca678; }
    .side h4 { margin: 0 0 8px; font-size: 13px; display: flex; gap: 8px; align-items: baseline; }
    .side h4 code { font: 600 12px var(--_mono); color: var(--_muted); }
    .v { border-left: 4px solid var(--k); background: var(--_surface-2); border-radius: 6px; padding: 6px 9px; margin-bottom: 6px; }
    .kind { font: 700 10.5px var(--_font); letter-spacing: 0.05em; text-transform: uppercase; color: var(--k); margin-right: 6px; }
    .layer { font: 600 12px var(--_mono); }
    .msg { font: 11.5px/1.5 var(--_mono); overflow-wrap: anywhere; margin-top: 3px; }
    .healthy { border-left: 4px solid var(--_ok); background: #f0faf3; color: #145c36; border-radius: 6px; padding: 6px 9px; font-size: 12.5px; margin-bottom: 6px; }
    table { font-size: 12px; border-collapse: collapse; margin-top: 6px; width: auto; min-width: 420px; }
    th { text-transform: none; letter-spacing: 0; }
    .side table { width: 100%; min-width: 0; }
    td, th { padding: 2px 8px 2px 0; text-align: left; vertical-align: top; }
    td.num, th.num { text-align: right; font-family: var(--_mono); }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 12px; margin-top: 12px; }
    .chart h5 { margin: 0 0 4px; font-size: 12px; color: var(--_muted); }
    .studies h3 { margin: 0 0 6px; font-size: 15px; }
    .studies p { font-size: 12.5px; color: var(--_muted); margin: 0 0 8px; line-height: 1.5; }
    .error { border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: var(--_radius); padding: 12px 16px; font-size: 13px; }
  `];

  @property({ reflect: true, attribute: 'data-state' }) museumState: MuseumState = 'idle';

  /** The last exhibit run (read by the e2e test). */
  @state() result: MuseumExhibit | null = null;
  @state() residual: ResidualStudyReport | null = null;
  @state() norms: NormsStudyReport | null = null;
  @state() private studyStatus = '';
  @state() private studyBusy = false;
  @state() private status = '';
  @state() private error: string | null = null;
  private fashion: Promise<SampleDataset> | null = null;

  protected readonly defaults = DEFAULTS;

  /** Runs the chosen exhibit (broken, then fixed) on the GPU. */
  async run(): Promise<void> {
    const rt = this.runtime;
    if (!rt || this.museumState === 'running') return;
    this.museumState = 'running';
    this.error = null;
    try {
      const def = findExhibit(this.p.exhibit);
      this.status = `Running “${def.title}” on the GPU: the broken model, then the fixed one…`;
      const started = performance.now();
      this.result = await def.run(rt);
      this.status = `Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
      this.museumState = 'done';
    } catch (e) {
      this.error = errorMessage(e);
      this.status = '';
      this.museumState = 'error';
    }
  }

  private async runStudy(which: 'residual' | 'norms'): Promise<void> {
    const rt = this.runtime;
    if (!rt || this.studyBusy) return;
    this.studyBusy = true;
    try {
      this.fashion ??= loadShippedFashionMnist();
      const ds = await this.fashion;
      if (which === 'residual') {
        this.studyStatus = `Residual study: plain vs residual at depths ${PAGE_RESIDUAL.depths.join(', ')}…`;
        this.residual = await runResidualStudy(rt, ds, PAGE_RESIDUAL, (row) => (this.studyStatus = `Residual study: depth ${row.depth} done…`));
      } else {
        this.studyStatus = `Normalization study: batch sizes ${PAGE_NORMS.batchSizes.join(', ')}…`;
        this.norms = await runNormsStudy(rt, ds, PAGE_NORMS, (r) => (this.studyStatus = `Normalization study: ${r.norm} at batch ${r.batch} done…`));
      }
      this.studyStatus = '';
    } catch (e) {
      this.studyStatus = `The study failed: ${errorMessage(e)}`;
    } finally {
      this.studyBusy = false;
    }
  }

  private renderTop() {
    return html`<section class="card top">
      <h2>Failure-case museum</h2>
      <label>exhibit <select name="exhibit" @change=${(e: Event) => this.set('exhibit', (e.target as HTMLSelectElement).value)}>
        ${EXHIBITS.map((x) => html`<option value=${x.name} ?selected=${this.p.exhibit === x.name}>${x.title}</option>`)}
      </select></label>
      <button class="primary" data-role="run" ?disabled=${!this.runtime || this.museumState === 'running'} @click=${() => this.run()}>Run on the GPU</button>
      <p>Each exhibit is a classic mistake, run for real: the broken model and its fix train (or compute) on this GPU, the gradient-health rules of the Gradient Lab judge both,
        and the numbers that prove each verdict are shown beside it. The 100-layer exhibits take a while on a software GPU.</p>
      <div class="list">${EXHIBITS.map((x) => html`<button data-exhibit=${x.name} aria-pressed=${this.p.exhibit === x.name ? 'true' : 'false'} @click=${() => this.set('exhibit', x.name)}>${x.title}</button>`)}</div>
      <div class="status" data-role="status">${this.status}</div>
    </section>`;
  }

  private renderVerdicts(side: MuseumSide) {
    if (side.verdicts.length === 0) return html`<div class="healthy" data-role="healthy"><b>No verdict:</b> healthy by every rule.</div>`;
    return side.verdicts.map((v) => html`<div class="v" data-role="verdict" data-kind=${v.kind} data-layer=${v.layer} style="--k:${KIND_COLOR[v.kind]}">
      <span class="kind">${v.kind.replace('_', ' ')}</span><span class="layer">${v.layer}</span>
      <div class="msg">${v.message}</div></div>`);
  }

  /** Scalar evidence (numbers, short lists of numbers) as a two-column table. */
  private renderScalars(side: MuseumSide) {
    const entries = Object.entries(side.evidence).filter(([, v]) => typeof v === 'number' || typeof v === 'string' || (Array.isArray(v) && v.length <= 8 && v.every((x) => typeof x !== 'object')));
    const show = (k: string, v: unknown) => (typeof v === 'number' && /bytes/.test(k) ? formatBytesLong(v) : Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? formatShort(x) : String(x))).join(', ') : typeof v === 'number' ? formatShort(v) : String(v));
    return html`<table data-role="evidence">${entries.map(([k, v]) => html`<tr><td>${k.replaceAll('_', ' ')}</td><td class="num">${show(k, v)}</td></tr>`)}</table>`;
  }

  private renderSide(label: 'broken' | 'fixed', side: MuseumSide) {
    const spec = side.spec as { name?: string; op?: string };
    return html`<div class="side ${label}" data-side=${label}>
      <h4>${label} <code>${spec.name ?? spec.op ?? ''}</code></h4>
      ${this.renderVerdicts(side)}
      ${this.renderScalars(side)}
    </div>`;
  }

  /** The charts an exhibit's evidence supports, broken and fixed on the same axes. */
  private renderCharts(e: MuseumExhibit) {
    const charts: { title: string; data: ChartData; logY: boolean; xLabel: string }[] = [];
    const b = rows(e.broken);
    const f = rows(e.fixed);
    const weightNorms = (r: FlowRow[]) => r.filter((l) => l.weight_grad_norm !== undefined).map((l) => positive(l.weight_grad_norm));
    if (weightNorms(b).length > 1) charts.push({ title: '‖∂L/∂W‖ per weight layer, first to last (log; a gap is exactly 0)', data: pairChart(weightNorms(b), weightNorms(f)), logY: true, xLabel: 'weight layer' });
    const loss = (s: MuseumSide) => ((s.evidence.loss as unknown[] | undefined) ?? []).map(positive);
    if (loss(e.broken).length > 1) charts.push({ title: 'loss per step (log; a gap is inf or NaN)', data: pairChart(loss(e.broken), loss(e.fixed)), logY: true, xLabel: 'step' });
    const timeNorms = (r: FlowRow[]) => (r.find((l) => l.grad_h_norm)?.grad_h_norm ?? []).map(positive);
    if (timeNorms(b).length) charts.push({ title: '‖∂L/∂h_t‖ through time (log)', data: pairChart(timeNorms(b), timeNorms(f)), logY: true, xLabel: 't' });
    const maxAbs = (r: unknown[]) => (r as { max_abs?: number }[]).map((l) => positive(l.max_abs));
    if (e.broken.evidence.float16_max !== undefined) {
      const data = pairChart(maxAbs(b), maxAbs(f));
      data.series.push({ label: 'float16 max', values: data.x.map(() => e.broken.evidence.float16_max as number), color: '#7c3aed' });
      charts.push({ title: 'largest |activation| per layer (log)', data, logY: true, xLabel: 'layer' });
    }
    const saturated = (r: FlowRow[]) => r.filter((l) => l.saturated_fraction !== undefined).map((l) => l.saturated_fraction!);
    if (saturated(b).length) charts.push({ title: 'saturated fraction per activation', data: pairChart(saturated(b), saturated(f)), logY: false, xLabel: 'activation layer' });
    const dead = (r: FlowRow[]) => r.filter((l) => l.dead_fraction !== undefined).map((l) => l.dead_fraction!);
    if (dead(b).length) charts.push({ title: 'dead ReLU fraction per activation', data: pairChart(dead(b), dead(f)), logY: false, xLabel: 'activation layer' });
    if (!charts.length) return nothing;
    return html`<div class="charts">${charts.map((c) => html`<div class="chart" data-role="chart"><h5>${c.title}</h5>
      <nnx-chart .data=${c.data} ?logY=${c.logY} xLabel=${c.xLabel} .height=${190}></nnx-chart></div>`)}</div>`;
  }

  /** Exhibit-specific tables: per-row losses of the softmax exhibit, the analysed classifiers of fc-after-conv. */
  private renderTables(e: MuseumExhibit) {
    if (e.exhibit === 'naive-softmax') {
      const naive = e.broken.evidence.loss_per_row as (number | string)[];
      const stable = e.fixed.evidence.loss_per_row as number[];
      const ref = e.fixed.evidence.reference_loss_per_row as number[];
      return html`<table data-role="softmax-rows"><tr><th>row</th><th class="num">naive float32</th><th class="num">log-sum-exp float32</th><th class="num">float64</th></tr>
        ${ref.map((r, i) => html`<tr><td>${i}</td><td class="num">${typeof naive[i] === 'number' ? formatShort(naive[i] as number) : naive[i]}</td><td class="num">${formatShort(stable[i])}</td><td class="num">${formatShort(r)}</td></tr>`)}</table>`;
    }
    if (e.exhibit === 'fc-after-conv') {
      type Analysed = { model: string; params: number; largest_layer: string; share: number; parameter_bytes: number };
      const list = [...(e.broken.evidence.analysed as Analysed[]).map((a) => ['flatten', a] as const), ...(e.fixed.evidence.analysed as Analysed[]).map((a) => ['global pool', a] as const)];
      return html`<table data-role="analysed"><tr><th>analysed (not allocated)</th><th>head</th><th class="num">params</th><th>largest layer</th><th class="num">share</th><th class="num">fp32 weights</th></tr>
        ${list.map(([head, a]) => html`<tr><td>${a.model}</td><td>${head}</td><td class="num">${a.params.toLocaleString('en-US')}</td><td>${a.largest_layer}</td><td class="num">${(100 * a.share).toFixed(1)}%</td><td class="num">${formatBytesLong(a.parameter_bytes)}</td></tr>`)}</table>`;
    }
    return nothing;
  }

  private renderExhibit(e: MuseumExhibit) {
    return html`<section class="card exhibit" data-role="exhibit" data-exhibit=${e.exhibit}>
      <h3>${e.title}</h3>
      <p>${e.description}</p>
      <div class="sides">${this.renderSide('broken', e.broken)}${this.renderSide('fixed', e.fixed)}</div>
      ${this.renderCharts(e)}
      ${this.renderTables(e)}
    </section>`;
  }

  private renderStudies() {
    const r = this.residual;
    const n = this.norms;
    return html`<section class="card studies" data-role="studies">
      <h3>Studies</h3>
      <p>Small versions of <code>nnx study residual</code> (plain vs residual sigmoid MLPs, width ${PAGE_RESIDUAL.width}, depths ${PAGE_RESIDUAL.depths.join(', ')}, ${PAGE_RESIDUAL.steps} steps)
        and <code>nnx study norms</code> (a small CNN with each normalization, batch ${PAGE_NORMS.batchSizes.join(' and ')}, ${PAGE_NORMS.steps} steps) on the shipped Fashion-MNIST subset.</p>
      <button data-role="run-residual" ?disabled=${!this.runtime || this.studyBusy} @click=${() => this.runStudy('residual')}>Run the residual study</button>
      <button data-role="run-norms" ?disabled=${!this.runtime || this.studyBusy} @click=${() => this.runStudy('norms')}>Run the normalization study</button>
      <div class="status" data-role="study-status">${this.studyStatus}</div>
      ${r ? html`<div class="charts" data-role="residual-study">${r.depths.map((d) => html`<div class="chart" data-role="chart">
        <h5>depth ${d.depth}: ‖∂L/∂W‖ per weight layer (log) — first/last plain ${formatShort(d.plain.first_to_last)}, residual ${formatShort(d.residual.first_to_last)}</h5>
        <nnx-chart .data=${{ x: d.plain.layers.map((_, i) => i), series: [
          { label: 'plain', values: d.plain.layers.map((l) => positive(l.grad_norm)), color: '#c0362c' },
          { label: 'residual', values: d.residual.layers.map((l) => positive(l.grad_norm)), color: '#0ca678' }] }} logY xLabel="weight layer" .height=${180}></nnx-chart></div>`)}</div>
        <table data-role="jacobian"><tr><th>depth</th><th>block</th><th class="num">‖∂L/∂y·I‖</th><th class="num">‖∂L/∂y·∂F/∂x‖</th><th class="num">‖∂L/∂x‖</th></tr>
          ${r.depths.flatMap((d) => (d.residual.jacobian ?? []).map((j) => html`<tr><td>${d.depth}</td><td>${j.block}</td><td class="num">${formatShort(j.identity_norm)}</td><td class="num">${formatShort(j.branch_norm)}</td><td class="num">${formatShort(j.input_grad_norm)}</td></tr>`))}</table>` : nothing}
      ${n ? html`<table data-role="norms-study"><tr><th>batch</th><th>norm</th><th class="num">test acc</th><th class="num">final loss</th><th class="num">ms/step</th><th class="num">peak</th><th class="num">BN eval − train loss</th></tr>
          ${n.runs.map((x) => html`<tr><td>${x.batch}</td><td>${x.norm}</td><td class="num">${x.test_accuracy.toFixed(3)}</td><td class="num">${formatShort(x.final_loss)}</td><td class="num">${x.step_ms.toFixed(1)}</td><td class="num">${formatBytesLong(x.peak_bytes)}</td><td class="num">${x.train_eval_gap ? formatShort(x.train_eval_gap.gap) : '–'}</td></tr>`)}</table>
        <table data-role="variance-error"><tr><th>kernel</th><th class="num">mean</th><th class="num">variance rel. error (float32 vs float64)</th><th class="num">output max error</th></tr>
          ${n.variance_error.map((v) => html`<tr><td>${v.op}</td><td class="num">${v.offset.toLocaleString('en-US')}</td><td class="num">${v.variance_relative_error.toExponential(2)}</td><td class="num">${v.output_max_abs_error.toExponential(2)}</td></tr>`)}</table>` : nothing}
    </section>`;
  }

  render() {
    return html`<div class="page">
      ${this.renderTop()}
      ${this.gpuError ? html`<nnx-webgpu-missing .reason=${this.gpuError}></nnx-webgpu-missing>` : nothing}
      ${this.error ? html`<div class="error" role="alert" data-role="run-error"><b>The exhibit failed.</b> ${this.error}</div>` : nothing}
      ${this.result ? this.renderExhibit(this.result) : nothing}
      ${this.renderStudies()}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-museum-page': NnxMuseumPage;
  }
}
