/**
 * <nnx-attention-matrix>: one head's L×S attention probabilities as a grid of numbered cells
 * (query rows, key columns), masked cells hatched and marked ×, the selected query row outlined.
 * Clicking a row fires `nnx-row-select` with `{ row }`.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Tensor } from '../analysis/tensor.ts';
import { divergingCss, divergingRgb, readableTextColor } from './colormap.ts';
import { formatFloat32 } from './format.ts';
import { base, tokens } from './theme.ts';

@customElement('nnx-attention-matrix')
export class NnxAttentionMatrix extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; overflow: auto; max-height: 360px; }
    table { width: auto; border-collapse: separate; border-spacing: 2px; }
    td, th { padding: 0; border: none; text-align: center; }
    th { font: 600 10.5px var(--_mono); color: var(--_muted); padding: 0 3px; text-transform: none; letter-spacing: 0; }
    td.cell { min-width: 38px; height: 22px; font: 10.5px var(--_mono); border-radius: 3px; cursor: pointer; }
    td.masked { background: repeating-linear-gradient(135deg, var(--_surface-2) 0 4px, var(--_pad) 4px 6px) !important; color: var(--_muted); }
    tr.selected td.cell { outline: 2px solid var(--_focus); }
    tbody tr:hover { background: none; }
    tbody tr:hover td.cell { filter: brightness(0.93); }
  `];

  /** The probabilities of one head, [L, S]. */
  @property({ attribute: false }) probs: Tensor | null = null;
  /** Per cell, true where the mask takes the key out (bool False, −∞, causal future). */
  @property({ attribute: false }) masked: boolean[] | null = null;
  /** The selected query row, or −1. */
  @property({ type: Number }) row = -1;

  private pick(row: number): void {
    this.dispatchEvent(new CustomEvent('nnx-row-select', { detail: { row }, bubbles: true, composed: true }));
  }

  render() {
    const p = this.probs;
    if (!p) return nothing;
    const [L, S] = p.shape;
    return html`<table data-role="attention-matrix">
      <thead><tr><th></th>${Array.from({ length: S }, (_, s) => html`<th>k${s}</th>`)}</tr></thead>
      <tbody>${Array.from({ length: L }, (_, l) => html`<tr class=${l === this.row ? 'selected' : ''} data-row=${l} @click=${() => this.pick(l)}>
        <th>q${l}</th>
        ${Array.from({ length: S }, (_, s) => {
          const v = p.data[l * S + s];
          const masked = this.masked?.[l * S + s] ?? false;
          return html`<td class="cell ${masked ? 'masked' : ''}" title=${`attn[q${l}, k${s}] = ${formatFloat32(v)}${masked ? ' (masked)' : ''}`}
            style=${masked ? '' : `background:${divergingCss(v)};color:${readableTextColor(divergingRgb(v))}`}>${masked ? '×' : v.toFixed(2)}</td>`;
        })}
      </tr>`)}</tbody>
    </table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-attention-matrix': NnxAttentionMatrix;
  }
}
