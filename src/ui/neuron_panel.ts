/**
 * <nnx-neuron-panel>: every term of one output neuron's dot product (input index, weight
 * index, x, w, x·w), padded positions marked, then the sum, the bias and the GPU's output.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { NeuronExplanation } from '../ops/explain_types.ts';
import { divergingCss } from './colormap.ts';
import { formatCount, formatFloat32, formatFloat64, formatIndex } from './format.ts';
import { base, tokens } from './theme.ts';

@customElement('nnx-neuron-panel')
export class NnxNeuronPanel extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; container-type: inline-size; }
    .head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; margin-bottom: 10px; }
    .head h2 { font-family: var(--_mono); font-size: 14px; }
    .layout { display: grid; grid-template-columns: 1fr; gap: 12px; align-items: start; }
    @container (min-width: 760px) { .layout { grid-template-columns: minmax(260px, 320px) 1fr; gap: 18px; } }
    .sum { font-family: var(--_mono); font-size: 12.5px; border-radius: 8px; background: var(--_surface-2); border: 1px solid var(--_border); padding: 10px 12px; }
    .sum div { display: flex; justify-content: space-between; gap: 12px; padding: 2px 0; }
    .sum .total { border-top: 1px solid var(--_border); margin-top: 4px; padding-top: 6px; font-weight: 700; }
    .sum .gpu { color: var(--_accent); font-weight: 700; }
    .sum .ok { color: var(--_ok); }
    .sum .label { color: var(--_muted); font-family: var(--_font); }
    .note { font-size: 11.5px; color: var(--_muted); margin-top: 8px; line-height: 1.45; }
    .terms { max-height: 300px; overflow: auto; border: 1px solid var(--_border); border-radius: 8px; }
    .terms table { font-size: 12px; }
    .terms thead th { position: sticky; top: 0; background: var(--_surface); z-index: 1; }
    tr.padded td { color: var(--_muted); background: repeating-linear-gradient(135deg, transparent 0 6px, rgba(120,130,150,0.07) 6px 12px); }
    .tag { font-size: 10px; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; color: var(--_muted); border: 1px dashed var(--_muted); border-radius: 4px; padding: 0 4px; font-family: var(--_font); }
    .bar { display: inline-block; height: 8px; border-radius: 2px; vertical-align: middle; }
    td.bar-cell { width: 70px; }
  `];

  @property({ attribute: false }) explanation: NeuronExplanation | null = null;
  /** ∂L/∂output at this neuron, when a backward pass ran. */
  @property({ attribute: false }) gradOutput: number | null = null;
  /** Name of the output tensor, for the heading. */
  @property() name = 'output';

  render() {
    const e = this.explanation;
    if (!e) return nothing;
    const padded = e.terms.filter((t) => t.padded).length;
    const maxAbs = Math.max(...e.terms.map((t) => Math.abs(t.product)), 1e-30);
    return html`
      <div class="head">
        <h2>${formatIndex(this.name, e.output_index)}</h2>
        <span class="muted small">${formatCount(e.terms.length)} terms${padded ? html`, ${formatCount(padded)} on zero padding` : nothing}</span>
      </div>
      <div class="layout">
        <div>
          <div class="sum">
            <div><span class="label">Σ x·w (float64)</span><span data-role="sum" data-value=${e.sum}>${formatFloat64(e.sum)}</span></div>
            <div><span class="label">+ bias</span><span data-role="bias" data-value=${e.bias ?? 0}>${e.bias === null ? 'none' : formatFloat32(e.bias)}</span></div>
            <div class="total"><span class="label">= recomputed</span><span data-role="recomputed" data-value=${e.recomputed}>${formatFloat64(e.recomputed)}</span></div>
            <div><span class="label">GPU output</span><span class="gpu" data-role="output" data-value=${e.output}>${formatFloat32(e.output)}</span></div>
            <div><span class="label">|difference|</span><span class=${e.abs_difference <= 1e-4 + 1e-3 * Math.abs(e.recomputed) ? 'ok' : ''}>${e.abs_difference.toExponential(2)}</span></div>
            ${this.gradOutput !== null
              ? html`<div><span class="label">∂L/∂output here</span><span data-role="grad">${formatFloat32(this.gradOutput)}</span></div>`
              : nothing}
          </div>
          <p class="note">
            The GPU sums in float32 in its own order; the recomputation adds the same products in float64, so a
            difference of a few units in the 7th digit is rounding, not a bug.
            ${this.gradOutput !== null
              ? html`In backward, this neuron sends ∂L/∂output·w to each input it read and ∂L/∂output·x to each weight.`
              : nothing}
          </p>
        </div>
        <div class="terms" tabindex="0" role="region" aria-label="terms of the sum">
          <table>
            <thead>
              <tr><th class="num">#</th><th>input index</th><th>weight index</th><th class="num">x</th><th class="num">w</th><th class="num">x·w</th><th></th></tr>
            </thead>
            <tbody>
              ${e.terms.map(
                (t, i) => html`<tr class=${t.padded ? 'term padded' : 'term'} data-padded=${t.padded ? 'true' : 'false'}>
                  <td class="num">${i}</td>
                  <td class="mono">${t.input_index ? formatIndex('x', t.input_index) : html`<span class="tag">padding</span>`}</td>
                  <td class="mono">${formatIndex('w', t.weight_index)}</td>
                  <td class="num">${formatFloat32(t.x)}</td>
                  <td class="num">${formatFloat32(t.w)}</td>
                  <td class="num" data-value=${t.product}>${formatFloat64(t.product, 7)}</td>
                  <td class="bar-cell"><span class="bar" style="width:${Math.max(1, (Math.abs(t.product) / maxAbs) * 64)}px;background:${divergingCss(t.product / maxAbs)}"></span></td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-neuron-panel': NnxNeuronPanel;
  }
}
