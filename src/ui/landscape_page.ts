/**
 * <nnx-landscape-page>: the Landscape page. A plain MLP and a residual MLP of the same depth and
 * width train on the shipped Fashion-MNIST subset in the browser's GPU, then each one's loss is
 * evaluated on a grid around its trained weights along two filter-normalized random directions
 * (src/ops/loss_landscape.ts). The two surfaces stand side by side on one log-loss scale, each as a
 * lit 3-D surface (WebGPU render pipeline) and as a contour map, with the numbers on hover.
 *
 * In: `runtime`, `gpuError`, `params` (URL: depth, grid, span, steps). Out: `nnx-params-change`.
 * Reflects `data-state` (idle, running, done, error).
 */
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { landscapePair } from '../analysis/landscape.ts';
import type { SampleDataset } from '../data/dataset.ts';
import { loadShippedFashionMnist } from '../data/fashion_browser.ts';
import { trainAndMap, type LandscapeRun } from '../ops/loss_landscape.ts';
import { errorMessage, formatCount } from './format.ts';
import './landscape_contour.ts';
import { levelLoss, lossRange, lossRgb } from './landscape_scale.ts';
import './landscape_surface.ts';
import { NnxRoutedPage } from './routed_page.ts';
import { base, tokens } from './theme.ts';
import './webgpu_missing.ts';

const DEFAULTS: Record<string, string> = { depth: '8', grid: '15', span: '1', steps: '40' };
/** Hidden units of the compared MLPs and the batch of training and evaluation. */
const WIDTH = 32;
const BATCH = 64;

export type LandscapeState = 'idle' | 'running' | 'done' | 'error';

@customElement('nnx-landscape-page')
export class NnxLandscapePage extends NnxRoutedPage {
  static styles = [tokens, base, css`
    :host { display: block; }
    .page { display: flex; flex-direction: column; gap: 14px; }
    .controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; }
    .controls h2 { font-size: 17px; margin: 0 18px 0 0; align-self: center; }
    label { display: flex; flex-direction: column; gap: 3px; font-size: 11.5px; color: var(--_muted); font-weight: 600; }
    input { font: 13px var(--_font); padding: 5px 7px; border: 1px solid var(--_border); border-radius: 7px; background: var(--_surface-2); color: var(--_text); width: 78px; }
    .run { padding: 7px 14px; font-size: 14px; }
    .status { font-size: 12px; color: var(--_muted); flex-basis: 100%; min-height: 1.3em; }
    .intro { font-size: 12.5px; color: var(--_muted); line-height: 1.5; margin: 0; flex-basis: 100%; }
    .pair { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
    @media (max-width: 1100px) { .pair { grid-template-columns: 1fr; } }
    .card h3 { margin: 0 0 8px; font-size: 15px; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
    .card h3 small { font-weight: 450; color: var(--_muted); font-size: 12px; }
    .views { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 12px; align-items: start; }
    .figs { display: flex; gap: 18px; flex-wrap: wrap; font-size: 12px; color: var(--_muted); margin-top: 8px; }
    .figs b { font: 600 13px var(--_mono); color: var(--_text); }
    .legend { display: flex; align-items: center; gap: 8px; font-size: 11.5px; color: var(--_muted); }
    .legend .bar { width: 220px; height: 10px; border-radius: 3px; }
    .error { border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: var(--_radius); padding: 12px 16px; font-size: 13px; }
  `];

  @property({ reflect: true, attribute: 'data-state' }) landscapeState: LandscapeState = 'idle';

  /** The plain and the residual run (read by the e2e test). */
  @state() runs: LandscapeRun[] = [];
  protected readonly defaults = DEFAULTS;
  @state() private status = '';
  @state() private error: string | null = null;
  private fashion: Promise<SampleDataset> | null = null;

  private number(key: string, min: number, max: number, integer: boolean): number {
    const v = Number(this.p[key]);
    if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) throw new Error(`${key} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${this.p[key]}"`);
    return v;
  }

  /** Trains both models and maps both landscapes on the GPU. */
  async run(): Promise<void> {
    const rt = this.runtime;
    if (!rt || this.landscapeState === 'running') return;
    this.landscapeState = 'running';
    this.error = null;
    this.runs = [];
    try {
      const depth = this.number('depth', 1, 32, true);
      const settings = {
        grid: this.number('grid', 3, 41, true), span: this.number('span', 0.01, 10, false), steps: this.number('steps', 0, 2000, true),
        seed: 0, batch: BATCH, optimizer: { type: 'adam' as const, lr: 1e-3 },
      };
      this.status = 'Loading Fashion-MNIST…';
      this.fashion ??= loadShippedFashionMnist();
      const ds = await this.fashion;
      const pair = landscapePair(depth, WIDTH, BATCH);
      const runs: LandscapeRun[] = [];
      for (const [arch, spec] of Object.entries(pair)) {
        runs.push(await trainAndMap(rt, arch, spec, ds, settings, (what) => (this.status = `${what}…`)));
        this.runs = [...runs];
      }
      this.status = `Done: ${formatCount(runs[0].points)} grid points per model, ${runs.map((r) => `${r.arch} ${r.ms_per_point.toFixed(1)} ms`).join(', ')} per point on this GPU.`;
      this.landscapeState = 'done';
    } catch (e) {
      this.error = errorMessage(e);
      this.status = '';
      this.landscapeState = 'error';
    }
  }

  private renderRun(run: LandscapeRun, range: ReturnType<typeof lossRange>) {
    const finite = run.loss.flat().filter((v): v is number => v !== null);
    const mid = (run.alphas.length - 1) / 2;
    return html`<section class="card" data-role="run" data-arch=${run.arch}>
      <h3>${run.arch === 'plain' ? 'Plain MLP' : 'Residual MLP'} <small>${run.spec.name}: ${run.arch === 'plain' ? 'Linear + ReLU blocks' : 'x + ReLU(Linear(x)) blocks'}, width ${WIDTH}</small></h3>
      <div class="views">
        <nnx-landscape-surface .device=${this.runtime?.device ?? null} .grid=${run} .range=${range}></nnx-landscape-surface>
        <nnx-landscape-contour .grid=${run} .range=${range}></nnx-landscape-contour>
      </div>
      <div class="figs">
        <span>centre loss <b data-role="center-loss">${run.center_loss.toPrecision(5)}</b></span>
        <span>grid centre <b>${Number.isInteger(mid) ? (run.loss[mid][mid]?.toPrecision(5) ?? 'not finite') : '—'}</b></span>
        <span>lowest <b>${Math.min(...finite).toPrecision(5)}</b></span>
        <span>highest <b>${finite.length ? Math.max(...finite).toPrecision(5) : '—'}</b>${finite.length < run.points ? ` (${run.points - finite.length} not finite)` : ''}</span>
        <span>last training loss <b>${run.train_loss.at(-1)?.toPrecision(5) ?? '—'}</b></span>
        <span><b>${run.ms_per_point.toFixed(1)}</b> ms per grid point</span>
      </div>
    </section>`;
  }

  render() {
    const p = this.p;
    const range = lossRange(this.runs.map((r) => r.loss));
    const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `rgb(${lossRgb(t).map(Math.round).join(', ')}) ${t * 100}%`).join(', ');
    return html`<div class="page">
      <section class="card controls">
        <h2>Loss landscape</h2>
        <label>depth <input name="depth" type="number" min="1" max="32" .value=${p.depth} @change=${(e: Event) => this.set('depth', (e.target as HTMLInputElement).value)}></label>
        <label>grid points per axis <input name="grid" type="number" min="3" max="41" .value=${p.grid} @change=${(e: Event) => this.set('grid', (e.target as HTMLInputElement).value)}></label>
        <label>span <input name="span" type="number" min="0.01" step="0.25" .value=${p.span} @change=${(e: Event) => this.set('span', (e.target as HTMLInputElement).value)}></label>
        <label>training steps <input name="steps" type="number" min="0" .value=${p.steps} @change=${(e: Event) => this.set('steps', (e.target as HTMLInputElement).value)}></label>
        <button class="run primary" data-role="compute" ?disabled=${!this.runtime || this.landscapeState === 'running'} @click=${() => this.run()}>Train and map</button>
        <p class="intro">Both models train on Fashion-MNIST (batch ${BATCH}, Adam 10⁻³), then the loss of ${BATCH} test images is evaluated at θ + α·d1 + β·d2 for α, β in [−span, span]:
          d1 and d2 are Gaussian directions scaled filter by filter (each neuron's incoming weights) to the trained weights' norms, biases left alone (Li et al., 2018).
          Every point writes the perturbed weights on the GPU and runs one forward pass.</p>
        <div class="status" data-role="status">${this.status}</div>
      </section>
      ${this.gpuError ? html`<nnx-webgpu-missing .reason=${this.gpuError}></nnx-webgpu-missing>` : nothing}
      ${this.error ? html`<div class="error" role="alert" data-role="run-error"><b>The landscape failed.</b> ${this.error}</div>` : nothing}
      ${this.runs.length ? html`
        <div class="legend">loss <span>${levelLoss(0, range).toPrecision(3)}</span><span class="bar" style="background: linear-gradient(to right, ${stops})"></span><span>${levelLoss(1, range).toPrecision(3)}</span> (log scale, shared by both models)</div>
        <div class="pair">${this.runs.map((r) => this.renderRun(r, range))}</div>` : nothing}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-landscape-page': NnxLandscapePage;
  }
}
