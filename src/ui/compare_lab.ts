/**
 * <nnx-compare-lab>: the Compare page. Pick a task (image, sequence, graph), architectures and
 * a budget; Run trains each architecture in turn on the browser's GPU through the same runner
 * as `nnx compare` (src/ops/compare.ts) while the loss and test-metric curves grow live. Then:
 * the side-by-side table, gradient-flow bars per layer, and each run's test predictions
 * (confusion matrix, predicted vs target values, or the graph coloured by predicted class).
 * Stop pauses before the next step and Resume goes on; the set-up lives in the URL. The studies
 * section below runs the three studies of `nnx study`.
 *
 * In: `runtime`, `gpuError`, `params` (URL). Out: `nnx-params-change`, `nnx-compare-run`
 * (detail: the finished runs). Reflects `data-state` (idle, running, paused, done, error).
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { parseModelSpec } from '../analysis/model_spec.ts';
import { lineup, LINEUPS } from '../analysis/zoo/compare_lineups.ts';
import type { Dataset, SampleDataset } from '../data/dataset.ts';
import { loadPickedFashionMnist, loadShippedFashionMnist } from '../data/fashion_browser.ts';
import { karateTask, stochasticBlockModel } from '../data/graph_tasks.ts';
import { addingProblem } from '../data/sequence_tasks.ts';
import type { EvalRow } from '../data/training.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { baselineLoss, runArchitecture, taskShape, type CompareRun, type CompareSettings } from '../ops/compare.ts';
import { lineupEntries, subsetSamples } from '../ops/studies/common.ts';
import './chart.ts';
import type { ChartData } from './chart.ts';
import { archOrder, COMPARE_LIMITS, formatCompareConfig, parseCompareConfig, TASK_DEFAULTS, TASKS, type CompareConfig, type CompareTask } from './compare_config.ts';
import { collectPredictions, type Predictions } from './compare_predictions.ts';
import './compare_studies.ts';
import './compare_table.ts';
import { errorMessage, formatShort } from './format.ts';
import { base, tokens } from './theme.ts';
import './webgpu_missing.ts';

/** One architecture's run as the page shows it while it grows. */
export interface LiveRun {
  arch: string;
  color: string;
  curve: CompareRun['curve'];
  evals: EvalRow[];
  result: CompareRun | null;
  predictions: Predictions | null;
}

export type CompareState = 'idle' | 'running' | 'paused' | 'done' | 'error';

/** One colour per architecture of a line-up, by its place in the line-up. */
const ARCH_COLORS = ['#4f46e5', '#e8590c', '#0ca678', '#c2255c'];

const TASK_TITLES: Record<CompareTask, string> = { image: 'Image: Fashion-MNIST', sequence: 'Sequence: adding problem', graph: 'Graph: node classification' };

class RunCancelled extends Error {}

function seconds(ms: number): string {
  const s = ms / 1000;
  return s < 90 ? `${s.toFixed(s < 10 ? 1 : 0)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

@customElement('nnx-compare-lab')
export class NnxCompareLab extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .page { display: grid; grid-template-columns: 300px minmax(0, 1fr); gap: 18px; align-items: start; }
    @media (max-width: 980px) { .page { grid-template-columns: 1fr; } }
    aside { position: sticky; top: var(--nnx-sticky-top, 16px); }
    aside h2 { font-size: 17px; margin-bottom: 2px; }
    aside > p { margin: 0 0 10px; font-size: 12px; color: var(--_muted); line-height: 1.45; }
    .k { font-size: 10.5px; text-transform: uppercase; letter-spacing: 0.07em; color: var(--_muted); font-weight: 650; margin: 12px 0 6px; }
    .tasks { display: flex; flex-direction: column; gap: 5px; }
    .tasks button { text-align: left; padding: 6px 10px; font-size: 12.5px; border-radius: 8px; }
    .tasks button[aria-pressed='true'] { border-color: var(--_accent); background: var(--_accent-soft); color: var(--_accent); }
    .archs { display: flex; flex-wrap: wrap; gap: 6px 12px; }
    .archs label { flex-direction: row; align-items: center; gap: 5px; color: var(--_text); font-size: 12.5px; }
    .swatch { width: 10px; height: 10px; border-radius: 3px; display: inline-block; }
    .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 10px; }
    label { display: flex; flex-direction: column; gap: 3px; font-size: 11.5px; color: var(--_muted); font-weight: 600; min-width: 0; }
    label.wide { grid-column: 1 / -1; }
    input, select { font: 13px var(--_font); padding: 5px 7px; border: 1px solid var(--_border); border-radius: 7px; background: var(--_surface-2); color: var(--_text); min-width: 0; width: 100%; }
    input[type='checkbox'] { width: auto; }
    input[type='number'] { font-family: var(--_mono); }
    input[type='file'] { font-size: 11.5px; padding: 4px; }
    .data-note { font-size: 11.5px; color: var(--_muted); margin-top: 4px; line-height: 1.4; }
    .actions { display: flex; gap: 8px; margin-top: 14px; }
    .actions .run { flex: 1; padding: 10px; font-size: 14px; }
    main { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
    .progress { display: flex; flex-direction: column; gap: 6px; }
    .bar { height: 8px; border-radius: 999px; background: var(--_surface-2); border: 1px solid var(--_border); overflow: hidden; }
    .bar > div { height: 100%; background: var(--_accent); transition: width 0.2s; }
    .progress .line { display: flex; justify-content: space-between; font-size: 12.5px; gap: 12px; }
    .charts { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
    @media (max-width: 1200px) { .charts { grid-template-columns: 1fr; } }
    .card h2 { display: flex; align-items: baseline; gap: 8px; margin-bottom: 6px; }
    .card h2 span { font-size: 11.5px; font-weight: 450; color: var(--_muted); }
    .head { display: flex; align-items: center; gap: 10px; margin-bottom: 8px; }
    .head h2 { margin: 0; }
    .xswitch { margin-left: auto; display: flex; gap: 4px; }
    .xswitch button { padding: 3px 10px; font-size: 12px; }
    .xswitch button[aria-pressed='true'] { background: var(--_accent); border-color: var(--_accent); color: white; }
    .runs { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
    .run-card h3 { display: flex; align-items: center; gap: 8px; margin-bottom: 6px; font-size: 14px; }
    .run-card h3 small { font: 11.5px var(--_mono); color: var(--_muted); font-weight: 400; }
    .error { border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: var(--_radius); padding: 12px 16px; font-size: 13px; }
    .hint { color: var(--_muted); font-size: 13px; line-height: 1.5; }
  `];

  @property({ attribute: false }) runtime: GpuRuntime | null = null;
  @property({ attribute: false }) gpuError: string | null = null;
  @property({ attribute: false }) params: Record<string, string> = {};
  @property({ reflect: true, attribute: 'data-state' }) labState: CompareState = 'idle';

  @state() config: CompareConfig = parseCompareConfig({});
  /** The runs of the latest (or current) line-up, in training order. */
  @state() live: LiveRun[] = [];
  @state() private runTask: CompareTask = 'graph';
  @state() private baseline: number | null = null;
  @state() private dataDescription = '';
  @state() private error: string | null = null;
  @state() private xAxis: 'step' | 'time' = 'step';
  @state() private picked: SampleDataset | null = null;
  @state() private pickError: string | null = null;
  /** A study of the section below is training (the GPU runs one thing at a time). */
  @state() private studyBusy = false;
  @state() private progress = { done: 0, total: 0, arch: '', step: 0 };
  /** When the run started and how long it has been paused, for the time left. */
  private started = 0;
  private pausedMs = 0;

  private shipped: Promise<SampleDataset> | null = null;
  private paused = false;
  private cancelled = false;
  private resume: (() => void) | null = null;
  private current: Promise<void> | null = null;
  private frame = 0;

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('params')) {
      const next = parseCompareConfig(this.params);
      if (JSON.stringify(next) !== JSON.stringify(this.config)) this.config = next;
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.cancel();
    cancelAnimationFrame(this.frame);
  }

  private emit(): void {
    this.dispatchEvent(new CustomEvent('nnx-params-change', { detail: { params: formatCompareConfig(this.config) }, bubbles: true, composed: true }));
  }

  private set(patch: Partial<CompareConfig>): void {
    this.config = { ...this.config, ...patch };
    this.emit();
  }

  private setTask(task: CompareTask): void {
    const spec = this.config.spec;
    this.config = { task, ...TASK_DEFAULTS[task], archs: [...TASK_DEFAULTS[task].archs, ...(spec ? ['custom'] : [])], spec };
    this.emit();
  }

  /** Re-renders at most once per animation frame while steps stream in. */
  private touch(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.live = [...this.live];
    });
  }

  private async loadDataset(c: CompareConfig): Promise<Dataset> {
    if (c.task === 'graph') return c.dataset === 'karate' ? karateTask({ seed: c.seed }) : stochasticBlockModel(Number(c.dataset.slice(4)), { seed: c.seed });
    if (c.task === 'sequence') return addingProblem(c.length, { seed: c.seed, test: c.test });
    this.shipped ??= loadShippedFashionMnist();
    const ds = this.picked ?? (await this.shipped);
    return subsetSamples(ds, undefined, Math.min(c.test, ds.test.count));
  }

  /** Waits while paused; a cancelled run stops here. */
  private async gate(): Promise<void> {
    const pausedAt = performance.now();
    if (this.paused && !this.cancelled) this.labState = 'paused';
    while (this.paused && !this.cancelled) await new Promise<void>((r) => (this.resume = r));
    this.pausedMs += performance.now() - pausedAt;
    if (this.cancelled) throw new RunCancelled();
  }

  private cancel(): void {
    this.cancelled = true;
    this.paused = false;
    this.resume?.();
  }

  /** Pauses before the next step (the state turns `paused` once the current step is over). */
  private stop(): void {
    this.paused = true;
    this.requestUpdate();
  }

  private continueRun(): void {
    this.paused = false;
    this.labState = 'running';
    this.resume?.();
  }

  /** Trains the configured line-up, one architecture after another; a run in progress is cancelled first. */
  async run(): Promise<void> {
    const rt = this.runtime;
    if (!rt) return;
    if (this.current) {
      this.cancel();
      await this.current;
    }
    this.current = this.train(rt, this.config);
    await this.current;
    this.current = null;
  }

  private async train(rt: GpuRuntime, c: CompareConfig): Promise<void> {
    this.cancelled = false;
    this.paused = false;
    this.labState = 'running';
    this.error = null;
    this.live = [];
    const l = lineup(c.task);
    try {
      const ds = await this.loadDataset(c);
      const entries = lineupEntries('compare', c.task, c.archs.filter((a) => a !== 'custom'), taskShape(ds));
      if (c.archs.includes('custom')) entries.push({ arch: 'custom', spec: parseModelSpec(c.spec, 'custom ModelSpec') });
      const settings: CompareSettings = { steps: c.steps, ...(l.batch !== undefined ? { batch: c.batch } : {}), seed: c.seed, evalEvery: c.evalEvery, optimizer: l.optimizer };
      const order = archOrder(c.task, c.spec);
      this.runTask = c.task;
      this.baseline = baselineLoss(ds);
      this.dataDescription = ds.description;
      this.live = entries.map((e) => ({ arch: e.arch, color: ARCH_COLORS[order.indexOf(e.arch) % ARCH_COLORS.length], curve: [], evals: [], result: null, predictions: null }));
      this.started = performance.now();
      this.pausedMs = 0;
      this.progress = { done: 0, total: entries.length * c.steps, arch: entries[0].arch, step: 0 };
      for (const [i, entry] of entries.entries()) {
        const run = this.live[i];
        run.result = await runArchitecture(rt, entry, ds, settings, {
          beforeStep: async (arch, step) => {
            await this.gate();
            this.progress = { ...this.progress, arch, step };
          },
          onStep: (_arch, point) => {
            run.curve.push(point);
            this.progress = { ...this.progress, done: this.progress.done + 1 };
            this.touch();
          },
          onEval: (_arch, row) => {
            run.evals.push(row);
            this.touch();
          },
          onTrained: async (_arch, ex, layout) => {
            run.predictions = await collectPredictions(ex, ds, layout, settings.batch);
          },
        });
        this.live = [...this.live];
      }
      this.labState = 'done';
      this.dispatchEvent(new CustomEvent('nnx-compare-run', { detail: this.live.map((r) => r.result), bubbles: true, composed: true }));
    } catch (e) {
      if (e instanceof RunCancelled) {
        this.labState = 'idle';
        return;
      }
      this.error = errorMessage(e);
      this.labState = 'error';
    }
  }

  private async pick(e: Event): Promise<void> {
    const files = (e.target as HTMLInputElement).files;
    if (!files?.length) return;
    try {
      this.picked = await loadPickedFashionMnist(files);
      this.pickError = null;
    } catch (err) {
      this.pickError = errorMessage(err);
    }
  }

  private number(label: string, key: 'steps' | 'batch' | 'seed' | 'evalEvery' | 'length' | 'test', title = '') {
    const [min, max] = COMPARE_LIMITS[key];
    return html`<label title=${title}>${label}
      <input type="number" data-field=${key} min=${min} max=${max} step="1" .value=${String(this.config[key])}
        @change=${(e: Event) => {
          const v = Math.round(Number((e.target as HTMLInputElement).value));
          if (Number.isFinite(v)) this.set({ [key]: Math.min(max, Math.max(min, v)) });
        }}></label>`;
  }

  /** The custom ModelSpec's name, or why it does not parse. */
  private customName(): string {
    try {
      return parseModelSpec(this.config.spec, 'custom ModelSpec').name ?? 'your ModelSpec';
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  private renderSide() {
    const c = this.config;
    const busy = this.labState === 'running' || this.labState === 'paused';
    const order = archOrder(c.task, c.spec);
    const sbm = c.dataset.startsWith('sbm:');
    return html`<aside class="card">
      <h2>Compare</h2>
      <p>One task, several architectures, the same data, seed, optimizer and step budget, trained one after another on your GPU. Every number below comes from that run.</p>
      <div class="k">task</div>
      <div class="tasks">${TASKS.map((t) => html`<button data-task=${t} aria-pressed=${c.task === t ? 'true' : 'false'} @click=${() => this.setTask(t)}>${TASK_TITLES[t]}</button>`)}</div>
      <div class="k">architectures</div>
      <div class="archs">${order.map((a, i) => html`<label><input type="checkbox" data-arch=${a} .checked=${c.archs.includes(a)}
        @change=${(e: Event) => this.set({ archs: order.filter((x) => (x === a ? (e.target as HTMLInputElement).checked : c.archs.includes(x))) })}>
        <span class="swatch" style="background:${ARCH_COLORS[i % ARCH_COLORS.length]}"></span>${a === 'custom' ? html`custom <small data-role="custom-name">(${this.customName()})</small>` : a}</label>`)}</div>
      <div class="k">budget and data</div>
      <div class="fields">
        ${this.number('steps', 'steps')}
        ${c.task === 'graph' ? nothing : this.number('batch', 'batch')}
        ${this.number('eval every', 'evalEvery', 'steps between test evaluations; the last step is always evaluated')}
        ${this.number('seed', 'seed')}
        ${c.task === 'sequence' ? this.number('length T', 'length') : nothing}
        ${c.task === 'graph' ? nothing : this.number(c.task === 'image' ? 'test images' : 'test sequences', 'test', 'the first N test samples are scored')}
        ${c.task === 'graph'
          ? html`<label>graph<select data-field="dataset" @change=${(e: Event) => this.set({ dataset: (e.target as HTMLSelectElement).value === 'sbm' ? 'sbm:1000' : 'karate' })}>
                <option value="karate" ?selected=${!sbm}>karate club</option><option value="sbm" ?selected=${sbm}>block model</option></select></label>
              ${sbm ? html`<label>nodes V<input type="number" data-field="sbm" min=${COMPARE_LIMITS.sbm[0]} max=${COMPARE_LIMITS.sbm[1]} .value=${c.dataset.slice(4)}
                @change=${(e: Event) => this.set({ dataset: `sbm:${Math.min(COMPARE_LIMITS.sbm[1], Math.max(COMPARE_LIMITS.sbm[0], Math.round(Number((e.target as HTMLInputElement).value)) || 1000))}` })}></label>` : nothing}`
          : nothing}
        ${c.task === 'image'
          ? html`<label class="wide">full Fashion-MNIST (the four IDX files)<input type="file" data-role="fashion-files" multiple accept=".gz,application/gzip,application/octet-stream" @change=${this.pick}></label>
              <div class="data-note wide" data-role="data-source">${this.pickError ?? (this.picked ? `using the picked files: ${this.picked.train.count.toLocaleString('en-US')} training, ${this.picked.test.count.toLocaleString('en-US')} test images` : 'using the shipped subset: 4,000 training and 1,000 test images')}</div>`
          : nothing}
      </div>
      <div class="actions">
        <button class="primary run" data-role="run" ?disabled=${!this.runtime || !c.archs.length || this.studyBusy} @click=${() => this.run()}>${busy ? 'Restart' : `Train ${c.archs.length} × ${c.steps} steps`}</button>
        ${this.labState === 'running' ? html`<button data-role="stop" ?disabled=${this.paused} @click=${this.stop}>${this.paused ? 'Stopping…' : 'Stop'}</button>` : nothing}
        ${this.labState === 'paused' ? html`<button data-role="resume" @click=${this.continueRun}>Resume</button>` : nothing}
      </div>
    </aside>`;
  }

  private renderProgress() {
    const p = this.progress;
    if (!p.total || this.labState === 'done' || this.labState === 'error') return nothing;
    // Time so far (pauses excluded, evaluations included) per step done, times the steps left.
    const left = p.done ? ((performance.now() - this.started - this.pausedMs) / p.done) * (p.total - p.done) : null;
    const text = this.labState === 'paused' ? `stopped before ${p.arch} step ${p.step}: press Resume` : this.labState === 'running' ? `${p.arch}: step ${p.step} of ${this.config.steps}` : 'cancelled';
    return html`<section class="card progress" data-role="progress">
      <div class="bar"><div style="width:${(100 * p.done) / p.total}%"></div></div>
      <div class="line"><span>${text}</span><span class="mono" data-role="time-left">${p.done} of ${p.total} steps${left !== null ? ` · about ${seconds(left)} left` : ''}</span></div>
    </section>`;
  }

  /** x of a run's k-th point: its step, or its cumulative wall time in seconds. */
  private xs(run: LiveRun): number[] {
    let t = 0;
    return run.curve.map((p) => (this.xAxis === 'step' ? p.step : (t += p.wall_ms) / 1000));
  }

  private lossChart(): ChartData {
    const xsets = this.live.map((r) => this.xs(r));
    const x = [...new Set(xsets.flat())].sort((a, b) => a - b);
    return {
      x,
      series: this.live.map((r, i) => {
        const at = new Map(xsets[i].map((v, k) => [v, r.curve[k].loss]));
        return { label: r.arch, color: r.color, values: x.map((v) => at.get(v) ?? null) };
      }),
    };
  }

  private metricChart(regression: boolean): ChartData {
    const xsets = this.live.map((r) => {
      const xs = this.xs(r);
      return r.evals.map((e) => xs[e.step - 1]);
    });
    const x = [...new Set(xsets.flat())].sort((a, b) => a - b);
    return {
      x,
      series: this.live.map((r, i) => {
        const at = new Map(xsets[i].map((v, k) => [v, regression ? r.evals[k].test_loss : r.evals[k].test_accuracy]));
        return { label: r.arch, color: r.color, values: x.map((v) => at.get(v) ?? null) };
      }),
    };
  }

  private renderCharts() {
    if (!this.live.some((r) => r.curve.length)) return nothing;
    const regression = this.runTask === 'sequence';
    const xLabel = this.xAxis === 'step' ? 'step' : 'wall time of the run (s)';
    const gaps = this.xAxis === 'time';
    return html`<section class="card">
        <div class="head"><h2>Training loss<span>${regression ? 'MSE' : 'cross entropy'} per step; trivial test loss ${this.baseline !== null ? formatShort(this.baseline) : ''}</span></h2>
          <div class="xswitch">${(['step', 'time'] as const).map((a) => html`<button data-x=${a} aria-pressed=${this.xAxis === a ? 'true' : 'false'} @click=${() => (this.xAxis = a)}>${a === 'step' ? 'by step' : 'by wall time'}</button>`)}</div></div>
        <div class="charts">
          <nnx-chart data-role="loss-chart" .data=${this.lossChart()} ?spanGaps=${gaps} xLabel=${xLabel} yLabel="training loss" .height=${240}></nnx-chart>
          <nnx-chart data-role="metric-chart" .data=${this.metricChart(regression)} ?spanGaps=${gaps} xLabel=${xLabel} yLabel=${regression ? 'test MSE' : 'test accuracy'} .height=${240}></nnx-chart>
        </div>
      </section>`;
  }

  private renderRun(r: LiveRun) {
    const res = r.result!;
    const layers = res.gradient_flow.layers;
    const bars: ChartData = {
      x: layers.map((_, k) => k),
      series: [
        { label: '‖∂L/∂W‖ step 1', values: layers.map((l) => l.grad_norm[0] || null), color: `${r.color}88` },
        { label: `‖∂L/∂W‖ step ${res.gradient_flow.steps[1]}`, values: layers.map((l) => l.grad_norm[1] || null), color: r.color },
      ],
    };
    const h = layers.find((l) => l.grad_h_norm)?.grad_h_norm;
    const hChart: ChartData | null = h ? { x: h.last.map((_, t) => t + 1), series: [{ label: `‖∂L/∂h_t‖ step ${res.gradient_flow.steps[1]}`, values: h.last.map((v) => v || null), color: r.color }] } : null;
    return html`<section class="card run-card" data-run=${r.arch}>
      <h3><span class="swatch" style="background:${r.color}"></span>${r.arch}<small>${res.spec.name} · ${res.params.toLocaleString('en-US')} params · test ${res.final.test_accuracy === null ? `MSE ${formatShort(res.final.test_loss)}` : `accuracy ${res.final.test_accuracy.toFixed(3)}`}</small></h3>
      <div class="muted small">Gradient flow per layer: ‖∂L/∂W‖ of each layer's parameters at the first and the last step (log scale)</div>
      <nnx-chart data-role="grad-bars" bars logY .data=${bars} .categories=${layers.map((l) => l.layer)} yLabel="L2 norm" .height=${200}></nnx-chart>
      ${hChart ? html`<div class="muted small">‖∂L/∂h_t‖ across time steps t at the last step: how much of the loss gradient reaches each step</div>
        <nnx-chart data-role="grad-h" logY .data=${hChart} xLabel="time step t" yLabel="L2 norm" .height=${170}></nnx-chart>` : nothing}
      <div class="muted small" style="margin-top:8px">Test predictions after the last step</div>
      <nnx-compare-predictions data-role="predictions" .predictions=${r.predictions} color=${r.color}></nnx-compare-predictions>
    </section>`;
  }

  private renderResults() {
    const done = this.live.filter((r) => r.result);
    return html`
      ${this.dataDescription ? html`<div class="hint" data-role="data">${this.dataDescription}</div>` : nothing}
      ${this.renderCharts()}
      ${done.length ? html`<section class="card"><div class="head"><h2>Side by side<span>params, MACs, FLOPs and the predicted peak from the analysis of the spec each run trained; the rest measured</span></h2></div>
        <nnx-compare-table .runs=${done.map((r) => ({ run: r.result!, color: r.color }))} ?regression=${this.runTask === 'sequence'}></nnx-compare-table></section>` : nothing}
      ${done.length ? html`<div class="runs">${done.map((r) => this.renderRun(r))}</div>` : nothing}`;
  }

  render() {
    return html`<div class="page">
      ${this.renderSide()}
      <main>
        ${this.gpuError ? html`<nnx-webgpu-missing .reason=${this.gpuError}></nnx-webgpu-missing>` : nothing}
        ${this.error ? html`<div class="error" role="alert" data-role="run-error"><b>The run failed.</b> ${this.error}</div>` : nothing}
        ${this.renderProgress()}
        ${this.live.length ? this.renderResults() : html`<section class="card"><div class="hint">${this.runtime
          ? html`Choose a task and architectures, then press <b>Train</b>. The default budget is a short run; raise the steps (the line-ups of <code>nnx compare</code> use ${LINEUPS[this.config.task].steps}) for a real comparison.`
          : this.gpuError ? 'WebGPU is needed to train.' : 'Waiting for the WebGPU adapter…'}</div></section>`}
        <nnx-compare-studies .runtime=${this.runtime} ?blocked=${this.labState === 'running' || this.labState === 'paused'}
          .loadFashion=${() => this.picked ?? (this.shipped ??= loadShippedFashionMnist())} @nnx-study-busy=${(e: CustomEvent<{ busy: boolean }>) => (this.studyBusy = e.detail.busy)}></nnx-compare-studies>
      </main>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-compare-lab': NnxCompareLab;
  }
}
