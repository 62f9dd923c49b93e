/**
 * <nnx-gradcheck-panel>: gradient checking for the Layer Lab's current op. Compares the
 * analytic gradients of the GPU backward pass with central differences of the GPU forward pass
 * (src/ops/gradcheck.ts, the code behind `nnx gradcheck`) on the lab's own configuration and
 * data, or on the op's small built-in case, and shows the max relative error per input with
 * the worst probe.
 *
 * In: `runtime`, `op` (an `nnx run` op name), `spec` (the lab's last RunSpec, or null).
 * Reflects `data-state`: idle, running, passed, failed, error.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { GRADCHECK_CASES, gradcheckCase, type GradcheckCase, type GradcheckResult } from '../ops/gradcheck.ts';
import { OPS } from '../ops/registry.ts';
import type { RunSpec } from '../ops/spec.ts';
import { formatShort } from './format.ts';
import { base, tokens } from './theme.ts';

export type GradcheckState = 'idle' | 'running' | 'passed' | 'failed' | 'error';

/** Float inputs larger than this make the lab's own case too slow to probe: use the built-in one. */
const MAX_ELEMENTS = 200_000;

/** A gradcheck case from a Layer Lab run: the same attributes and the same input values. */
export function caseFromSpec(spec: RunSpec): GradcheckCase | null {
  const builtIn = GRADCHECK_CASES.find((c) => c.op === spec.op);
  const op = OPS[spec.op];
  if (!builtIn || !op) return null;
  const inputs: GradcheckCase['inputs'] = {};
  let total = 0;
  for (const [name, t] of Object.entries(spec.inputs)) {
    const data = (t.data as unknown[]).flat(Infinity as 1) as number[];
    total += data.length;
    const int = t.dtype === 'int32' || op.inputs.find((i) => i.name === name)?.dtype === 'int32';
    inputs[name] = { shape: t.shape, gen: int ? 'int' : 'uniform', data };
  }
  if (total > MAX_ELEMENTS) return null;
  return { op: spec.op, attrs: spec.attrs ?? {}, inputs, tolerance: builtIn.tolerance };
}

@customElement('nnx-gradcheck-panel')
export class NnxGradcheckPanel extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .top { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; margin-bottom: 8px; }
    .top p { margin: 0; font-size: 12px; color: var(--_muted); flex: 1 1 320px; line-height: 1.45; }
    select { font: 12.5px var(--_font); padding: 5px 7px; border: 1px solid var(--_border); border-radius: 7px; background: var(--_surface-2); }
    .verdict { font: 700 11px var(--_font); letter-spacing: 0.05em; text-transform: uppercase; padding: 3px 9px; border-radius: 999px; }
    .verdict.pass { background: #e9f7ef; color: var(--_ok); }
    .verdict.fail { background: var(--_danger-soft); color: var(--_danger); }
    td.ok { color: var(--_ok); }
    td.bad { color: var(--_danger); font-weight: 700; }
    .meter { display: inline-block; width: 90px; height: 8px; border-radius: 4px; background: var(--_surface-2); position: relative; vertical-align: 0; margin-left: 8px; overflow: hidden; }
    .meter span { position: absolute; inset: 0 auto 0 0; border-radius: 4px; }
    .error { border: 1px solid #f3c1bb; background: var(--_danger-soft); color: #8f1d14; border-radius: 8px; padding: 8px 10px; font-size: 12.5px; }
    .note { font-size: 11.5px; color: var(--_muted); margin: 6px 0 0; line-height: 1.45; }
  `];

  @property({ attribute: false }) runtime: GpuRuntime | null = null;
  @property() op = '';
  @property({ attribute: false }) spec: RunSpec | null = null;
  @property({ reflect: true, attribute: 'data-state' }) checkState: GradcheckState = 'idle';
  @state() private source: 'lab' | 'builtin' = 'lab';
  @state() result: GradcheckResult | null = null;
  @state() private error: string | null = null;
  @state() private checkedOp = '';
  @state() private checkedSource = '';

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('op') && this.checkedOp && this.checkedOp !== this.op) {
      this.result = null;
      this.error = null;
      this.checkState = 'idle';
    }
  }

  private currentCase(): { c: GradcheckCase | null; source: string } {
    const lab = this.source === 'lab' && this.spec?.op === this.op ? caseFromSpec(this.spec) : null;
    if (lab) return { c: lab, source: 'the lab’s configuration and data' };
    return { c: GRADCHECK_CASES.find((c) => c.op === this.op) ?? null, source: 'the built-in small case' };
  }

  /** Runs the check on the GPU. */
  async check(): Promise<void> {
    const rt = this.runtime;
    const { c, source } = this.currentCase();
    if (!rt || !c || this.checkState === 'running') return;
    this.checkState = 'running';
    this.error = null;
    this.result = null;
    try {
      const r = await gradcheckCase(rt, c, { probes: 6 });
      this.result = r;
      this.checkedOp = c.op;
      this.checkedSource = source;
      this.checkState = r.passed ? 'passed' : 'failed';
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      this.checkState = 'error';
    }
  }

  render() {
    const { c } = this.currentCase();
    const r = this.result;
    return html`
      <div class="top">
        <p>Analytic gradients from the GPU backward pass against central differences (f(x+ε) − f(x−ε))/2ε of the GPU forward pass, ε = 10⁻², for L = Σ output·g with a fixed random g.</p>
        <select aria-label="gradcheck case" @change=${(e: Event) => { this.source = (e.target as HTMLSelectElement).value as 'lab' | 'builtin'; }}>
          <option value="lab" ?selected=${this.source === 'lab'}>this configuration</option>
          <option value="builtin" ?selected=${this.source === 'builtin'}>built-in small case</option>
        </select>
        <button class="primary" data-role="gradcheck-run" ?disabled=${!this.runtime || !c || this.checkState === 'running'} @click=${() => this.check()}>${this.checkState === 'running' ? 'Checking…' : 'Check gradients'}</button>
        ${r ? html`<span class="verdict ${r.passed ? 'pass' : 'fail'}" data-role="gradcheck-verdict">${r.passed ? 'passed' : 'failed'}</span>` : nothing}
      </div>
      ${!c ? html`<p class="note">No gradient check is defined for ${this.op}.</p>` : nothing}
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
      ${r
        ? html`<table data-role="gradcheck-table">
            <thead><tr><th>input</th><th class="num">probes</th><th class="num">max rel. error</th><th class="num">worst element</th><th class="num">analytic</th><th class="num">numeric</th></tr></thead>
            <tbody>${r.inputs.map((i) => {
              const ok = i.max_rel_error <= r.tolerance;
              const fill = Math.min(100, (100 * i.max_rel_error) / r.tolerance);
              return html`<tr data-input=${i.input}>
                <td class="mono">${i.input}</td><td class="num">${i.probes}</td>
                <td class="num ${ok ? 'ok' : 'bad'}" data-col="max_rel_error" data-value=${i.max_rel_error}>${formatShort(i.max_rel_error)}<span class="meter"><span style="width:${fill}%;background:${ok ? '#34d399' : '#f87171'}"></span></span></td>
                <td class="num">#${i.worst.index}</td><td class="num">${formatShort(i.worst.analytic)}</td><td class="num">${formatShort(i.worst.numeric)}</td>
              </tr>`;
            })}</tbody>
          </table>
          <p class="note">Checked on ${this.checkedSource}; pass when every max relative error is at most ${r.tolerance} (float32 forward passes limit central differences to about 10⁻³). The meter fills up to the tolerance.</p>`
        : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-gradcheck-panel': NnxGradcheckPanel;
  }
}
