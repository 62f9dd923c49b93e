/**
 * <nnx-tape-page>: the Tape page. One training step of a model on the browser's GPU keeps every
 * op's output and ∂L/∂output (src/ops/tracer.ts); the step's tape (src/ops/tape.ts) is drawn as a
 * DAG. A step control walks backward one op at a time: the current op is outlined, the bytes
 * saved for backward that are still held shrink as backward passes the last op keeping each
 * tensor, and tensors read by several ops show where their gradients are summed. Clicking an op
 * shows its forward output and, once backward reached it, its gradient, both read back from the GPU.
 *
 * In: `runtime`, `gpuError`, `params` (URL: model, sample). Out: `nnx-params-change`.
 * Reflects `data-state` (idle, running, done, error).
 */
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ZOO, zooModel } from '../analysis/zoo/index.ts';
import type { SampleDataset } from '../data/dataset.ts';
import { loadShippedFashionMnist } from '../data/fashion_browser.ts';
import { Executor } from '../ops/executor/executor.ts';
import { buildTape, savedBytesHeld, type Tape } from '../ops/tape.ts';
import { traceStep, type ModelTrace } from '../ops/tracer.ts';
import { errorMessage, formatBytesLong, formatCount } from './format.ts';
import './tape_dag.ts';
import './tensor_view.ts';
import { NnxRoutedPage } from './routed_page.ts';
import { RESIDUAL_CNN, setTrainingImage } from './step_inputs.ts';
import { base, tokens } from './theme.ts';
import './webgpu_missing.ts';

const MODELS = ['residual_cnn', 'lenet5', 'fashion_cnn', 'fashion_vit'];
const DEFAULTS: Record<string, string> = { model: 'residual_cnn', sample: '0' };

export type TapeState = 'idle' | 'running' | 'done' | 'error';

@customElement('nnx-tape-page')
export class NnxTapePage extends NnxRoutedPage {
  static styles = [tokens, base, css`
    :host { display: block; }
    .page { display: grid; grid-template-columns: minmax(260px, auto) minmax(0, 1fr); gap: 16px; align-items: start; }
    @media (max-width: 1000px) { .page { grid-template-columns: 1fr; } }
    .top { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; }
    .top h2 { font-size: 17px; margin: 0 14px 0 0; align-self: center; }
    .top p { flex-basis: 100%; margin: 0; font-size: 12.5px; color: var(--_muted); line-height: 1.5; }
    label { display: flex; flex-direction: column; gap: 3px; font-size: 11.5px; color: var(--_muted); font-weight: 600; }
    select, input { font: 13px var(--_font); padding: 5px 7px; border: 1px solid var(--_border); border-radius: 7px; background: var(--_surface-2); color: var(--_text); }
    input { width: 80px; }
    .status { font-size: 12px; color: var(--_muted); flex-basis: 100%; min-height: 1.3em; }
    .dag { max-height: 80vh; overflow: auto; }
    .side { display: flex; flex-direction: column; gap: 14px; min-width: 0; }
    .stepper { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; position: sticky; top: var(--nnx-sticky-top, 0); z-index: 4; }
    .stepper button { padding: 5px 11px; font-size: 13px; }
    .phase { font: 600 13px var(--_mono); }
    .held { margin-left: auto; font-size: 12.5px; color: var(--_muted); }
    .held b { font: 600 13px var(--_mono); color: var(--_text); }
    .bar { height: 8px; border-radius: 4px; background: var(--_surface-2); border: 1px solid var(--_border); flex-basis: 100%; overflow: hidden; }
    .bar span { display: block; height: 100%; background: #d97706; }
    .card h3 { margin: 0 0 8px; font-size: 14px; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
    .card h3 small { font-weight: 450; color: var(--_muted); font-size: 12px; }
    .tensors { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-start; }
    .note { font-size: 12px; color: var(--_muted); line-height: 1.45; }
    .sum { font-size: 12.5px; color: #9a3412; }
    .error { border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: var(--_radius); padding: 12px 16px; font-size: 13px; }
  `];

  @property({ reflect: true, attribute: 'data-state' }) tapeState: TapeState = 'idle';

  /** The traced step and its tape (read by the e2e test). */
  @state() trace: ModelTrace | null = null;
  @state() tape: Tape | null = null;
  /** Ops whose backward has run: the first `position` of the backward order. */
  @state() position = 0;
  @state() private selected: string | null = null;
  protected readonly defaults = DEFAULTS;
  @state() private status = '';
  @state() private error: string | null = null;
  private fashion: Promise<SampleDataset> | null = null;

  /** Runs one traced training step of the chosen model on a Fashion-MNIST image and builds its tape. */
  async run(): Promise<void> {
    const rt = this.runtime;
    if (!rt || this.tapeState === 'running') return;
    this.tapeState = 'running';
    this.error = null;
    this.status = 'Running one training step on the GPU…';
    try {
      const spec = this.p.model === 'residual_cnn' ? RESIDUAL_CNN : zooModel(this.p.model);
      this.fashion ??= loadShippedFashionMnist();
      const ds = await this.fashion;
      const ex = await Executor.create(rt, spec, { batch: 1, flowStats: false });
      try {
        setTrainingImage(ex, ds, this.p.sample);
        this.trace = await traceStep(rt, ex);
        this.tape = buildTape(this.trace.layers, ex.graph);
      } finally {
        ex.dispose();
      }
      this.position = 0;
      this.selected = null;
      this.status = `Step done: loss ${this.trace.loss.toPrecision(6)}, ${this.tape.nodes.length} ops on the tape, ${formatBytesLong(this.tape.saved_bytes)} saved for backward.`;
      this.tapeState = 'done';
    } catch (e) {
      this.error = errorMessage(e);
      this.status = '';
      this.tapeState = 'error';
    }
  }

  /** Moves the backward step control (clamped to 0..ops on the backward order). */
  go(position: number): void {
    const total = this.tape?.backward_order.length ?? 0;
    this.position = Math.max(0, Math.min(total, position));
    this.selected = null;
  }

  private renderTop() {
    const p = this.p;
    return html`<section class="card top">
      <h2>Autodiff tape</h2>
      <label>model <select name="model" @change=${(e: Event) => this.set('model', (e.target as HTMLSelectElement).value)}>
        ${MODELS.map((m) => html`<option value=${m} ?selected=${p.model === m}>${m === 'residual_cnn' ? 'residual_cnn — conv, BatchNorm, a residual block, pooling, linear' : `${m} — ${ZOO[m]?.description ?? ''}`}</option>`)}
      </select></label>
      <label>Fashion-MNIST image <input name="sample" type="number" min="0" .value=${p.sample} @change=${(e: Event) => this.set('sample', (e.target as HTMLInputElement).value)}></label>
      <button class="primary" data-role="run" ?disabled=${!this.runtime || this.tapeState === 'running'} @click=${() => this.run()}>Run one step</button>
      <p>What autograd records in one training step: the forward ops in the order they ran, what each keeps for its backward (bytes as float32), the order backward visits them,
        and the tensors read by several ops (Σ), whose gradient is the sum of every reader's contribution.</p>
      <div class="status" data-role="status">${this.status}</div>
    </section>`;
  }

  private renderStepper(tape: Tape) {
    const total = tape.backward_order.length;
    const held = savedBytesHeld(tape, this.position);
    const current = this.position > 0 ? tape.backward_order[this.position - 1] : null;
    return html`<section class="card stepper">
      <button data-role="reset" ?disabled=${this.position === 0} @click=${() => this.go(0)}>« forward done</button>
      <button data-role="step-back" ?disabled=${this.position === 0} @click=${() => this.go(this.position - 1)}>◀ back</button>
      <button class="primary" data-role="step" ?disabled=${this.position === total} @click=${() => this.go(this.position + 1)}>backward ▶</button>
      <button data-role="run-to-end" ?disabled=${this.position === total} @click=${() => this.go(total)}>to the end »</button>
      <span class="phase" data-role="phase">${current ? `backward ${this.position}/${total} · ${current}` : `forward done, backward next (${total} ops)`}</span>
      <span class="held">saved for backward, still held <b data-role="held-bytes" data-value=${held}>${formatBytesLong(held)}</b> of ${formatBytesLong(tape.saved_bytes)}</span>
      <div class="bar"><span style="width: ${tape.saved_bytes ? (100 * held) / tape.saved_bytes : 0}%"></span></div>
    </section>`;
  }

  private renderNode(tape: Tape, trace: ModelTrace, id: string) {
    const node = tape.nodes.find((n) => n.id === id)!;
    const layer = trace.layers.find((l) => l.name === id)!;
    const passed = tape.backward_order.slice(0, this.position).includes(id);
    const fan = tape.fan_out_sums.find((f) => f.tensor === id);
    const feeds = tape.fan_out_sums.filter((f) => node.inputs.includes(f.tensor));
    return html`<section class="card" data-role="node-detail" data-id=${id}>
      <h3>${id} <small>${node.op} · reads ${node.inputs.join(', ')} · backward step ${tape.backward_order.indexOf(id) + 1} of ${tape.backward_order.length}</small></h3>
      <table><thead><tr><th>saved for backward</th><th>tensor</th><th class="num">bytes</th></tr></thead><tbody>
        ${node.saved.length ? node.saved.map((s) => html`<tr><td>${s.name}</td><td class="mono">${s.tensor}</td><td class="num">${formatCount(s.bytes)}</td></tr>`) : html`<tr><td colspan="3" class="note">nothing: its backward needs no forward value</td></tr>`}
      </tbody></table>
      ${fan ? html`<p class="sum" data-role="fan-out">Σ ∂L/∂${id} is summed over its ${fan.consumers.length} readers, in backward order: ${fan.consumers.join(' + ')}.</p>` : nothing}
      ${feeds.map((f) => html`<p class="sum">This op's backward adds its part to ∂L/∂${f.tensor} (also read by ${f.consumers.filter((c) => c !== id).join(', ')}).</p>`)}
      <div class="tensors">
        <nnx-tensor-view data-name="output" .name=${id} heading="forward output" .tensor=${layer.output} .maxWidth=${380}></nnx-tensor-view>
        ${passed && layer.grad_output
          ? html`<nnx-tensor-view data-name="grad_output" .name=${`∂L/∂${id}`} heading="∂L/∂output" .tensor=${layer.grad_output} .maxWidth=${380}></nnx-tensor-view>`
          : html`<p class="note" style="max-width: 220px">${layer.grad_output ? '∂L/∂output is complete once backward reaches this op.' : 'The loss does not depend on this output.'}</p>`}
      </div>
    </section>`;
  }

  render() {
    const { tape, trace } = this;
    const current = tape && this.position > 0 ? tape.backward_order[this.position - 1] : null;
    const shown = this.selected ?? current ?? tape?.nodes.at(-1)?.id ?? null;
    return html`<div class="page">
      ${this.renderTop()}
      ${this.gpuError ? html`<nnx-webgpu-missing .reason=${this.gpuError}></nnx-webgpu-missing>` : nothing}
      ${this.error ? html`<div class="error" role="alert" data-role="run-error"><b>The step failed.</b> ${this.error}</div>` : nothing}
      ${tape && trace ? html`
        <section class="card dag"><nnx-tape-dag .tape=${tape} .current=${current} .selected=${this.selected}
          .done=${new Set(tape.backward_order.slice(0, this.position))} @nnx-node-select=${(e: CustomEvent<{ id: string }>) => (this.selected = e.detail.id)}></nnx-tape-dag></section>
        <div class="side">${this.renderStepper(tape)}${shown ? this.renderNode(tape, trace, shown) : nothing}</div>` : nothing}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-tape-page': NnxTapePage;
  }
}
