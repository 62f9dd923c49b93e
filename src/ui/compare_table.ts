/**
 * <nnx-compare-table>: the Compare page's side-by-side table, one row per finished run: params,
 * MACs and FLOPs (analysis of the spec it trained), predicted and measured peak memory, median
 * ms per step, first and last training loss and the final test metric.
 *
 * In: `runs` ({ run, color }[]), `regression` (test MSE instead of loss and accuracy).
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { CompareRun } from '../ops/compare.ts';
import { formatCount, formatShort } from './format.ts';
import { base, tokens } from './theme.ts';

const mb = (bytes: number) => (bytes / 1e6).toFixed(2);

@customElement('nnx-compare-table')
export class NnxCompareTable extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; overflow-x: auto; }
    .swatch { width: 10px; height: 10px; border-radius: 3px; display: inline-block; margin-right: 6px; }
    td small { color: var(--_muted); font-family: var(--_mono); margin-left: 4px; }
    td.best { font-weight: 700; color: var(--_ok); }
  `];

  @property({ attribute: false }) runs: { run: CompareRun; color: string }[] = [];
  @property({ type: Boolean }) regression = false;

  render() {
    const metric = (r: CompareRun) => (this.regression ? -r.final.test_loss : (r.final.test_accuracy ?? 0));
    const best = this.runs.length > 1 ? Math.max(...this.runs.map(({ run }) => metric(run))) : NaN;
    return html`<table data-role="compare-table">
      <thead><tr>
        <th>arch</th><th class="num">params</th><th class="num">MACs</th><th class="num">FLOPs</th>
        <th class="num" title="analysis memory plan, fp32, the run's optimizer">peak MB pred</th><th class="num" title="GPU ledger, highest live bytes over the run's steps">peak MB meas</th>
        <th class="num" title="median wall time of a training step">ms/step</th><th class="num">first loss</th><th class="num">last loss</th>
        ${this.regression ? html`<th class="num">test MSE</th>` : html`<th class="num">test loss</th><th class="num">test acc</th>`}
      </tr></thead>
      <tbody>${this.runs.map(({ run: r, color }) => html`<tr data-arch=${r.arch}>
        <td><span class="swatch" style="background:${color}"></span>${r.arch}<small>${r.spec.name ?? ''}</small></td>
        <td class="num" data-col="params">${formatCount(r.params)}</td>
        <td class="num" data-col="macs">${formatCount(r.macs)}</td>
        <td class="num" data-col="flops">${formatCount(r.flops)}</td>
        <td class="num" data-col="predicted_peak">${mb(r.predicted_peak_bytes)}</td>
        <td class="num" data-col="measured_peak">${mb(r.measured_peak_bytes)}</td>
        <td class="num" data-col="step_ms">${r.step_ms.toFixed(1)}</td>
        <td class="num">${formatShort(r.curve[0].loss)}</td>
        <td class="num">${formatShort(r.curve[r.curve.length - 1].loss)}</td>
        ${this.regression
          ? html`<td class="num ${metric(r) === best ? 'best' : ''}" data-col="test_loss">${formatShort(r.final.test_loss)}</td>`
          : html`<td class="num" data-col="test_loss">${formatShort(r.final.test_loss)}</td><td class="num ${metric(r) === best ? 'best' : ''}" data-col="test_accuracy">${(r.final.test_accuracy ?? 0).toFixed(3)}</td>`}
      </tr>`)}</tbody>
    </table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-compare-table': NnxCompareTable;
  }
}
