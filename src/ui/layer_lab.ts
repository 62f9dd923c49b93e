/**
 * <nnx-layer-lab>: set a layer's hyperparameters, run forward and backward on the GPU, and
 * look inside: per-channel heatmaps of every tensor, any output neuron's terms, the GPU
 * buffer ledger and the kernel timings.
 *
 * In: `runtime` (a GpuRuntime, or null while none), `gpuError`, `params` (URL parameters).
 * Out: `nnx-params-change` (the configuration as URL parameters), `nnx-result` (the `nnx run`
 * JSON of each finished run). `lastRun` keeps the spec and result of the latest run.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Tensor } from '../analysis/tensor.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import type { NeuronExplanation } from '../ops/explain_types.ts';
import { runSpec, type RunReadback, type RunResult } from '../ops/run.ts';
import type { JsonTensor, RunSpec } from '../ops/spec.ts';
import type { CellClickDetail } from './heatmap.ts';
import './hyperparam_form.ts';
import type { ConfigChangeDetail } from './hyperparam_form.ts';
import './kernel_timings.ts';
import { DEFAULT_LAB_OP, LAB_GROUPS, LAB_OPS } from './lab/registry.ts';
import type { FieldDef, LabConfig, LabOp, LabRunData, TensorSlot, Validation } from './lab/types.ts';
import './gradcheck_panel.ts';
import './copy_pytorch.ts';
import './ledger_table.ts';
import './neuron_panel.ts';
import './tensor_view.ts';
import { base, tokens } from './theme.ts';
import { errorMessage } from './format.ts';
import './update_preview.ts';
import './webgpu_missing.ts';

/** A finished run: what was sent, what came back, and the config it was made from. */
export interface LabRun extends LabRunData {
  key: string;
}

export type RunState = 'idle' | 'running' | 'done' | 'error';

function defaults(op: LabOp): LabConfig {
  return Object.fromEntries(op.rows.flatMap((r) => r.fields).map((f) => [f.key, f.default]));
}

function parseField(f: FieldDef, text: string): number | boolean | string {
  if (f.kind === 'bool') return text === '1' || text === 'true';
  if (f.kind === 'choice') return f.options!.some((o) => o.value === text) ? text : f.default;
  if (f.kind === 'text' || f.kind === 'image') return text;
  return text.trim() === '' ? Number.NaN : Number(text);
}

function fieldText(f: FieldDef, v: number | boolean | string): string {
  if (f.kind === 'bool') return v ? '1' : '0';
  return String(v);
}

function configKey(config: LabConfig): string {
  return JSON.stringify(Object.keys(config).sort().map((k) => [k, config[k]]));
}

function fromJson(t: JsonTensor): Tensor {
  return { shape: t.shape, data: Float32Array.from(t.data) };
}

/** Every tensor of a run by slot source ("inputs.x", "grads.weight", ...). */
function collectTensors(spec: RunSpec, result: RunResult, readback: RunReadback): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(readback.inputs)) out[`inputs.${k}`] = t;
  for (const [k, t] of Object.entries(readback.outputs)) out[`outputs.${k}`] = t;
  for (const [k, t] of Object.entries(result.grads ?? {})) out[`grads.${k}`] = fromJson(t);
  for (const [k, t] of Object.entries(result.trace ?? {})) out[`trace.${k}`] = fromJson(t);
  const g = spec.grad_output;
  if (g && 'shape' in g && 'data' in g) out['grad_output.output'] = fromJson(g as JsonTensor);
  else if (g) for (const [k, t] of Object.entries(g as Record<string, JsonTensor>)) out[`grad_output.${k}`] = fromJson(t);
  return out;
}

@customElement('nnx-layer-lab')
export class NnxLayerLab extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .page { display: grid; grid-template-columns: 360px minmax(0, 1fr); gap: 18px; align-items: start; }
    @media (max-width: 980px) { .page { grid-template-columns: 1fr; } }
    aside { position: sticky; top: var(--nnx-sticky-top, 16px); max-height: calc(100vh - var(--nnx-sticky-top, 16px) - 16px); overflow: auto; }
    .op-head h2 { font-size: 17px; }
    .picker { width: 100%; font: 600 14px var(--_font); padding: 6px 8px; border-radius: 8px; border: 1px solid var(--_border); background: var(--_surface-2); margin-bottom: 8px; }
    .detail .head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; margin-bottom: 10px; }
    .detail .head h2 { font-size: 14px; }
    .detail .layout { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 16px; align-items: start; }
    .detail.graph .layout { grid-template-columns: minmax(280px, 440px) minmax(280px, 1fr); }
    .figs { font-family: var(--_mono); font-size: 12.5px; border-radius: 8px; background: var(--_surface-2); border: 1px solid var(--_border); padding: 10px 12px; }
    .figs div { display: flex; justify-content: space-between; gap: 12px; padding: 2px 0; }
    .figs .label { color: var(--_muted); font-family: var(--_font); }
    .figs .total { border-top: 1px solid var(--_border); margin-top: 4px; padding-top: 6px; font-weight: 700; }
    .figs .gpu { color: var(--_accent); font-weight: 700; }
    .detail .terms { max-height: 300px; overflow: auto; border: 1px solid var(--_border); border-radius: 8px; }
    .detail .terms thead th { position: sticky; top: 0; background: var(--_surface); }
    .detail tr.padded td { color: var(--_muted); background: repeating-linear-gradient(135deg, transparent 0 6px, rgba(120,130,150,0.07) 6px 12px); }
    .detail tr.arg td { background: #fff4dc; font-weight: 700; }
    .detail .tag { font-size: 10px; font-weight: 700; text-transform: uppercase; color: var(--_muted); border: 1px dashed var(--_muted); border-radius: 4px; padding: 0 4px; }
    .detail .note { font-size: 11.5px; color: var(--_muted); margin: 8px 0 0; line-height: 1.45; }
    .op-head code { display: block; margin: 6px 0 6px; font: 12px var(--_mono); color: var(--_accent); background: var(--_accent-soft); padding: 5px 8px; border-radius: 6px; overflow-wrap: anywhere; }
    .op-head p { margin: 0 0 6px; font-size: 12px; color: var(--_muted); line-height: 1.45; }
    .formula { margin-top: 8px; font: 11px/1.55 var(--_mono); background: var(--_surface-2); border: 1px solid var(--_border); border-radius: 8px; padding: 8px 10px; overflow-wrap: anywhere; }
    .formula .bad { color: var(--_danger); }
    .formula .derivation + .derivation { margin-top: 6px; }
    .formula .step { padding-left: 38px; }
    .formula .title { font: 700 11px var(--_font); letter-spacing: 0.06em; text-transform: uppercase; color: var(--_muted); margin-bottom: 2px; }
    .error { margin-top: 8px; border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: 8px; padding: 8px 10px; font-size: 12.5px; line-height: 1.45; }
    .stats { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 12px; margin: 12px 0 4px; }
    .stats div { display: flex; flex-direction: column; }
    .stats .k { font-size: 10.5px; color: var(--_muted); text-transform: uppercase; letter-spacing: 0.05em; }
    .stats .v { font: 600 13.5px var(--_mono); }
    .actions { position: sticky; bottom: -14px; background: var(--_surface); padding: 10px 0 12px; margin-bottom: -14px; border-top: 1px solid var(--_border); }
    .run { width: 100%; padding: 10px; font-size: 14px; }
    .status { margin-top: 8px; font-size: 12px; color: var(--_muted); min-height: 1.4em; }
    .status .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: var(--_muted); vertical-align: 1px; }
    .status.done .dot { background: var(--_ok); }
    .status.running .dot { background: var(--_focus); animation: pulse 0.9s infinite alternate; }
    .status.error .dot { background: var(--_danger); }
    @keyframes pulse { from { opacity: 0.3; } }
    main { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
    .section-title { display: flex; align-items: baseline; gap: 10px; margin: 2px 2px 8px; }
    .section-title h2 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.08em; color: var(--_muted); }
    .section-title span { font-size: 12px; color: var(--_muted); }
    .tensors { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
    .tensors nnx-tensor-view { flex: 0 1 auto; }
    .result-row { margin-top: 12px; }
    .neuron { flex: 1 1 540px; min-width: 0; }
    .hint .arrow { font-size: 22px; color: var(--_accent); }
    .term { display: flex; align-items: center; gap: 10px; min-width: 0; }
    .op { font-size: 22px; color: var(--_muted); font-weight: 300; min-width: 16px; text-align: center; white-space: nowrap; }
    .stale { opacity: 0.5; transition: opacity 0.2s; }
    .banner { border: 1px solid var(--_border); background: var(--_accent-soft); color: var(--_accent); border-radius: 8px; padding: 8px 12px; font-size: 12.5px; }
    .hint { color: var(--_muted); font-size: 13px; display: flex; align-items: center; gap: 10px; }
    .hint b { color: var(--_text); }
    .gpu { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; align-items: start; }
    .invalid { border-color: #f3c1bb; background: linear-gradient(0deg, var(--_surface), var(--_danger-soft)); }
    .invalid h2 { color: var(--_danger); font-size: 15px; }
    .invalid p { margin: 8px 0; font-size: 13.5px; line-height: 1.5; }
    .big-formula { font: 13px/1.8 var(--_mono); background: var(--_surface); border: 1px solid var(--_border); border-radius: 8px; padding: 8px 12px; overflow-x: auto; white-space: nowrap; }
    .run-error { border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: var(--_radius); padding: 12px 16px; font-size: 13px; }
    .run-error pre { margin: 6px 0 0; white-space: pre-wrap; font: 12px var(--_mono); }
  `];

  @property({ attribute: false }) runtime: GpuRuntime | null = null;
  /** Why there is no runtime (WebGPU missing, no adapter), or null. */
  @property({ attribute: false }) gpuError: string | null = null;
  /** Configuration as URL parameters (`op`, one per field, `neuron`). */
  @property({ attribute: false }) params: Record<string, string> = {};
  /** Reflected for tests and styling: idle, running, done or error. */
  @property({ reflect: true, attribute: 'data-state' }) runState: RunState = 'idle';

  @state() private op: LabOp = LAB_OPS[DEFAULT_LAB_OP];
  @state() private config: LabConfig = defaults(LAB_OPS[DEFAULT_LAB_OP]);
  @state() private selected: number[] | null = null;
  @state() private runError: string | null = null;
  /** Learning rate of the update preview (URL parameter `lr`). */
  @state() private lr = 0.1;
  /** Seconds the current run has taken, once it is slow enough to mention. */
  @state() private slowSeconds = 0;
  /** The latest finished run (spec, result, read-back tensors). */
  @state() lastRun: LabRun | null = null;
  private validation: Validation | null = null;
  private explained: { run: LabRun; index: string; value: NeuronExplanation | null; error: string | null } | null = null;
  private autoRan = false;
  private opChanged = false;

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('params')) this.applyParams(this.params);
    if (changed.has('config' as keyof NnxLayerLab) || changed.has('op' as keyof NnxLayerLab) || !this.validation) {
      this.validation = this.op.validate(this.config);
    }
  }

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has('runtime') && this.runtime && !this.autoRan && this.validation?.ok) {
      this.autoRan = true;
      // After this update completes, so the run's state changes start a new one.
      void Promise.resolve().then(() => this.run());
    } else if (this.opChanged && this.runtime && this.validation?.ok && this.runState !== 'running') {
      this.opChanged = false;
      void Promise.resolve().then(() => this.run());
    }
  }

  private pickOp(name: string): void {
    const op = LAB_OPS[name];
    if (!op || op === this.op) return;
    this.dispatchEvent(new CustomEvent('nnx-params-change', { detail: { params: { op: name } }, bubbles: true, composed: true }));
    this.params = { op: name };
  }

  private applyParams(params: Record<string, string>): void {
    const op = LAB_OPS[params.op ?? DEFAULT_LAB_OP] ?? LAB_OPS[DEFAULT_LAB_OP];
    const config = defaults(op);
    for (const f of op.rows.flatMap((r) => r.fields)) if (params[f.key] !== undefined) config[f.key] = parseField(f, params[f.key]);
    if (op !== this.op) {
      this.op = op;
      this.lastRun = null;
      this.runError = null;
      this.opChanged = true;
    }
    if (configKey(config) !== configKey(this.config)) this.config = config;
    const lr = Number(params.lr);
    this.lr = params.lr !== undefined && Number.isFinite(lr) && lr >= 0 ? lr : 0.1;
    const neuron = params.neuron?.split(',').map(Number);
    const next = neuron && neuron.every(Number.isInteger) ? neuron : null;
    if ((next?.join(',') ?? '') !== (this.selected?.join(',') ?? '')) this.selected = next;
  }

  private paramsOf(): Record<string, string> {
    const params: Record<string, string> = { op: this.op.name };
    for (const f of this.op.rows.flatMap((r) => r.fields)) {
      if ((f.kind === 'text' || f.kind === 'image') && !this.config[f.key]) continue;
      params[f.key] = fieldText(f, this.config[f.key]);
    }
    if (this.selected) params.neuron = this.selected.join(',');
    if (this.lr !== 0.1) params.lr = String(this.lr);
    return params;
  }

  private emitParams(): void {
    this.dispatchEvent(new CustomEvent('nnx-params-change', { detail: { params: this.paramsOf() }, bubbles: true, composed: true }));
  }

  private onConfig(e: CustomEvent<ConfigChangeDetail>): void {
    this.config = e.detail.config;
    this.validation = this.op.validate(this.config);
    this.emitParams();
  }

  private onCellClick(e: CustomEvent<CellClickDetail>): void {
    if (e.detail.name !== this.op.explainSlot) return;
    this.select(e.detail.index);
  }

  /** Selects an output index (a click on a heatmap, a graph node, a time step). */
  select(index: number[]): void {
    this.selected = index;
    this.emitParams();
  }

  private readonly selectFromDetail = (index: number[]) => this.select(index);

  private onLr(e: CustomEvent<{ lr: number }>): void {
    this.lr = e.detail.lr;
    this.emitParams();
  }

  /** Runs forward and backward of the current configuration on the GPU. */
  async run(): Promise<void> {
    const rt = this.runtime;
    const validation = this.op.validate(this.config);
    if (!rt || !validation.ok || this.runState === 'running') return;
    this.runState = 'running';
    this.runError = null;
    this.slowSeconds = 0;
    const started = performance.now();
    const watchdog = setInterval(() => {
      this.slowSeconds = Math.round((performance.now() - started) / 1000);
    }, 1000);
    const config = { ...this.config };
    try {
      const spec = this.op.buildSpec(config);
      // Let the "running" state paint before the GPU work starts.
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      const { result, readback } = await runSpec(rt, spec, { trace: this.op.trace ?? false });
      const tensors = collectTensors(spec, result, readback);
      if (this.op.extraRun) Object.assign(tensors, await this.op.extraRun(rt, spec, tensors, config));
      this.lastRun = { spec, result, readback, tensors, config, key: configKey(config) };
      const out = tensors[this.slotNamed(this.op.explainSlot)?.source ?? ''];
      if (this.selected && (!out || this.selected.length !== out.shape.length || this.selected.some((v, i) => v < 0 || v >= out.shape[i]))) {
        this.selected = null;
        this.emitParams();
      }
      this.runState = 'done';
      this.dispatchEvent(new CustomEvent('nnx-result', { detail: result, bubbles: true, composed: true }));
    } catch (e) {
      this.runError = errorMessage(e);
      this.runState = 'error';
    } finally {
      clearInterval(watchdog);
      this.slowSeconds = 0;
    }
  }

  private slotNamed(name: string): TensorSlot | undefined {
    return [...this.op.forwardSlots, ...this.op.backwardSlots].find((s) => s.name === name);
  }

  private explanation(run: LabRun): { value: NeuronExplanation | null; error: string | null } {
    const index = this.selected?.join(',') ?? '';
    if (this.explained?.run === run && this.explained.index === index) return this.explained;
    let value: NeuronExplanation | null = null;
    let error: string | null = null;
    if (this.selected && this.op.explain) {
      try {
        value = this.op.explain(run.spec, run.readback, this.selected);
      } catch (e) {
        error = errorMessage(e);
      }
    }
    this.explained = { run, index, value, error };
    return this.explained;
  }

  private renderSide(v: Validation) {
    const running = this.runState === 'running';
    const canRun = !!this.runtime && v.ok && !running;
    const statusClass = this.runState === 'idle' ? '' : this.runState;
    const r = this.lastRun?.result;
    let status: unknown = '';
    if (!this.runtime) status = this.gpuError ? 'no WebGPU adapter' : 'starting WebGPU…';
    else if (running && this.slowSeconds >= 10) {
      status = `still running after ${this.slowSeconds} s: the GPU may be stuck (reload the page to start over)`;
    } else if (running) status = 'running on the GPU…';
    else if (this.runState === 'error') status = 'the run failed (see the message on the right)';
    else if (!v.ok) status = 'fix the settings marked in red';
    else if (r) {
      status = html`forward + backward in ${r.timings.wall_ms.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms, ${r.timings.dispatches.length} kernels`;
    }
    return html`<aside class="card">
      <div class="op-head">
        <select class="picker" aria-label="layer" data-role="op-picker" @change=${(e: Event) => this.pickOp((e.target as HTMLSelectElement).value)}>
          ${LAB_GROUPS.map((g) => html`<optgroup label=${g.label}>${g.ops.map((o) => html`<option value=${o} ?selected=${o === this.op.name}>${LAB_OPS[o].title} · ${o}</option>`)}</optgroup>`)}
        </select>
        <h2>${this.op.title}</h2>
        <code data-role="pytorch">${v.pytorch}</code>
        <p>${this.op.summary}</p>
      </div>
      <nnx-hyperparam-form .rows=${this.op.rows} .config=${this.config} .invalid=${v.fields} @nnx-config-change=${this.onConfig}></nnx-hyperparam-form>
      ${v.derivations.length
        ? html`<div class="formula" data-role="formula">
            <div class="title">output size</div>
            ${v.derivations.map((d) => {
              const [lhs, ...steps] = d.text.split(' = ');
              return html`<div class="derivation ${d.ok ? '' : 'bad'}">
                <div>${lhs} = ${steps[0]}</div>
                ${steps.slice(1).map((step) => html`<div class="step">= ${step}</div>`)}
              </div>`;
            })}
          </div>`
        : nothing}
      ${v.stats.length
        ? html`<div class="stats">${v.stats.map((s) => html`<div title=${s.title ?? ''}><span class="k">${s.label}</span><span class="v">${s.value}</span></div>`)}</div>`
        : html`<div style="height:12px"></div>`}
      <div class="actions">
        <button class="primary run" ?disabled=${!canRun} @click=${() => this.run()}>${running ? 'Running…' : 'Run forward + backward'}</button>
        <div class="status ${statusClass}" data-role="status"><span class="dot"></span>${status}</div>
      </div>
    </aside>`;
  }

  private renderSlots(slots: TensorSlot[], run: LabRun, focus: ReturnType<LabOp['focus']> | null, withOperators: boolean) {
    const padding = this.op.padding(run.config);
    const present = slots.filter((s) => run.tensors[s.source]);
    const operators = withOperators ? this.op.operators : {};
    return present.map((s) => {
      const view = html`<nnx-tensor-view
        data-name=${s.name}
        .name=${s.name}
        .heading=${s.title}
        .help=${s.help}
        .tensor=${run.tensors[s.source]}
        .axes=${s.axes ?? ['', '']}
        .padding=${focus?.padding?.[s.name] ?? padding[s.name] ?? null}
        .highlight=${focus?.highlights[s.name] ?? null}
        .selected=${s.name === this.op.explainSlot ? this.selected : null}
        ?clickable=${s.name === this.op.explainSlot}
        @nnx-cell-click=${this.onCellClick}
      ></nnx-tensor-view>`;
      // An operator travels with its operand, so a wrapped line never ends in "+".
      return operators[s.name] ? html`<div class="term"><span class="op" aria-hidden="true">${operators[s.name]}</span>${view}</div>` : view;
    });
  }

  private renderResults(run: LabRun) {
    const stale = run.key !== configKey(this.config);
    const focus = this.selected ? this.op.focus(run.config, this.selected, run) : null;
    const ex = this.explanation(run);
    const gradOut = run.tensors['grad_output.output'];
    const gradValue = this.selected && gradOut ? gradOut.data[this.selected.reduce((f, v, i) => f * gradOut.shape[i] + v, 0)] : null;
    return html`
      ${stale ? html`<div class="banner">Settings changed since this run — press <b>Run</b> to recompute. Showing the previous result.</div>` : nothing}
      <div class=${stale ? 'stale' : ''}>
        <section>
          <div class="section-title"><h2>Forward</h2><span>values read back from the GPU; hover for the exact float32</span></div>
          <div class="tensors">${this.renderSlots(this.op.forwardSlots.filter((s) => s.name !== this.op.explainSlot), run, focus, true)}</div>
          <div class="tensors result-row">
            ${this.renderSlots(this.op.forwardSlots.filter((s) => s.name === this.op.explainSlot), run, focus, true)}
            <div class="card neuron" data-role="neuron">
              ${this.op.detail
                ? this.renderDetail(run)
                : ex.value
                ? html`<nnx-neuron-panel .explanation=${ex.value} .gradOutput=${gradValue} .name=${this.op.explainSlot}></nnx-neuron-panel>`
                : ex.error
                  ? html`<div class="run-error">${ex.error}</div>`
                  : html`<div class="hint"><span class="arrow">←</span><span><b>Click any output neuron</b> to light up its receptive field on the input and list every term x·w of its sum, with the bias and the GPU's value.</span></div>`}
            </div>
          </div>
        </section>
      </div>
      ${this.op.traceSlots?.some((s) => run.tensors[s.source])
        ? html`<div class=${stale ? 'stale' : ''}>
            <section>
              <div class="section-title"><h2>Trace</h2><span>named intermediates the kernels computed on the way, read back from the GPU</span></div>
              <div class="tensors">${this.renderSlots(this.op.traceSlots, run, focus, false)}</div>
            </section>
          </div>`
        : nothing}
      ${this.op.section ? html`<div class=${stale ? 'stale' : ''}>${this.op.section(run)}</div>` : nothing}
      <div class=${stale ? 'stale' : ''}>
        <section>
          <div class="section-title"><h2>Backward</h2><span>gradients computed on the GPU from ∂L/∂output</span></div>
          <div class="tensors">${this.renderSlots(this.op.backwardSlots, run, focus, false)}</div>
        </section>
      </div>
      ${this.renderUpdate(run, stale)}
      <section class="card" data-role="pytorch-snippet"><h2>Reproduce in PyTorch</h2><nnx-copy-pytorch .spec=${run.spec} .grads=${Object.keys(run.result.grads ?? {})}></nnx-copy-pytorch></section>
      <section class="card" data-role="gradcheck"><h2>Gradient check</h2><nnx-gradcheck-panel .runtime=${this.runtime} .op=${this.op.name} .spec=${run.spec}></nnx-gradcheck-panel></section>
      <section class="gpu">
        <div class="card"><h2>Kernel timings</h2><nnx-kernel-timings .timings=${run.result.timings}></nnx-kernel-timings></div>
        <div class="card"><h2>GPU memory ledger</h2><nnx-ledger-table .memory=${run.result.memory}></nnx-ledger-table></div>
      </section>
    `;
  }

  private renderDetail(run: LabRun) {
    try {
      return this.op.detail!(run, this.selected, this.selectFromDetail);
    } catch (e) {
      return html`<div class="run-error">${errorMessage(e)}</div>`;
    }
  }

  private renderUpdate(run: LabRun, stale: boolean) {
    const params = (this.op.params ?? [])
      .filter((p) => run.tensors[p.value] && run.tensors[p.grad])
      .map((p) => ({ name: p.name, value: run.tensors[p.value], grad: run.tensors[p.grad] }));
    if (!params.length) return nothing;
    return html`<div class=${stale ? 'stale' : ''}><section>
      <div class="section-title"><h2>Parameter update</h2><span>one SGD step from the gradients above: W − lr·∂L/∂W</span></div>
      <div class="card" data-role="update"><nnx-update-preview .params=${params} .lr=${this.lr} @nnx-lr-change=${this.onLr}></nnx-update-preview></div>
    </section></div>`;
  }

  /** The explanation of an impossible configuration, with the formula and its numbers. */
  private renderInvalid(v: Validation) {
    const failing = v.derivations.filter((d) => !d.ok);
    return html`<section class="card invalid" role="alert">
      <h2>These settings cannot work</h2>
      <p data-role="validation-error">${v.error}</p>
      ${failing.length
        ? html`<div class="big-formula" tabindex="0" role="region" aria-label="failing gradient checks">${failing.map((d) => {
            const [lhs, ...steps] = d.text.split(' = ');
            return html`<div><b>${lhs}</b> = ${steps.join(' = ')}</div>`;
          })}</div>
          <p class="muted small">An output needs at least one full kernel window: the dilated kernel, D·(K − 1) + 1, must fit in the padded input, H + 2P. Make the input larger, or the kernel, dilation or stride smaller, or pad more.</p>`
        : nothing}
    </section>`;
  }

  render() {
    const v = this.validation ?? this.op.validate(this.config);
    return html`<div class="page">
      ${this.renderSide(v)}
      <main>
        ${this.gpuError ? html`<nnx-webgpu-missing .reason=${this.gpuError}></nnx-webgpu-missing>` : nothing}
        ${v.ok ? nothing : this.renderInvalid(v)}
        ${this.runError ? html`<div class="run-error" role="alert" data-role="run-error"><b>The GPU run failed.</b><pre>${this.runError}</pre></div>` : nothing}
        ${this.lastRun
          ? this.renderResults(this.lastRun)
          : !v.ok || this.gpuError ? nothing : html`<section class="card"><div class="hint">${this.runtime
              ? html`Press <b>Run</b> to compute this layer on the GPU.`
              : 'Waiting for the WebGPU adapter…'}</div></section>`}
      </main>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-layer-lab': NnxLayerLab;
  }
}
