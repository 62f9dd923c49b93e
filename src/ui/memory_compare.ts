/**
 * <nnx-memory-compare>: predicted (the analysis memory plan) against measured (the GPU ledger's
 * peak during the first training step) peak memory, side by side per category, and for every
 * category where they differ the live buffers at the measured peak that make the difference.
 *
 * In: `memory` (a MemoryComparison from src/ops/executor/memory_report.ts).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { MemoryComparison } from '../ops/executor/memory_report.ts';
import { formatCount } from './format.ts';
import { base, tokens } from './theme.ts';

function kib(bytes: number): string {
  return `${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KiB`;
}

@customElement('nnx-memory-compare')
export class NnxMemoryCompare extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .peaks { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 10px; margin-bottom: 12px; }
    .peak { background: var(--_surface-2); border: 1px solid var(--_border); border-radius: 8px; padding: 8px 12px; }
    .peak .k { font-size: 10.5px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--_muted); }
    .peak .v { font: 700 16px var(--_mono); margin-top: 2px; }
    .peak .s { font: 11px var(--_mono); color: var(--_muted); }
    .ok .v { color: var(--_ok); }
    .off .v { color: var(--_danger); }
    .bars { display: flex; flex-direction: column; gap: 3px; }
    .bar { height: 7px; border-radius: 3px; }
    .bar.p { background: #a5b4fc; }
    .bar.m { background: #4f46e5; }
    td.cat { font-size: 12.5px; }
    tr.diff td.cat { font-weight: 650; }
    .delta.pos { color: var(--_danger); }
    .delta.neg { color: #1d4ed8; }
    .buffers { margin: 2px 0 6px 12px; font: 11.5px/1.55 var(--_mono); color: var(--_muted); white-space: normal; }
    .buffers b { color: var(--_text); font-weight: 600; }
    .note { font-size: 11.5px; color: var(--_muted); line-height: 1.45; margin: 8px 0 0; }
  `];

  @property({ attribute: false }) memory: MemoryComparison | null = null;

  render() {
    const m = this.memory;
    if (!m) return nothing;
    const rel = m.relative_difference;
    const max = Math.max(1, ...m.categories.map((c) => Math.max(c.measured_bytes, c.predicted_bytes ?? 0)));
    const diffs = new Set(m.differences.map((d) => d.category));
    return html`
      <div class="peaks">
        <div class="peak"><div class="k">predicted peak (plan)</div><div class="v" data-role="predicted-peak" data-value=${m.predicted_peak_bytes}>${kib(m.predicted_peak_bytes)}</div><div class="s">${formatCount(m.predicted_peak_bytes)} B</div></div>
        <div class="peak"><div class="k">measured peak (ledger)</div><div class="v" data-role="measured-peak" data-value=${m.measured_peak_bytes}>${kib(m.measured_peak_bytes)}</div><div class="s">${formatCount(m.measured_peak_bytes)} B</div></div>
        <div class="peak ${Math.abs(rel) <= 0.1 ? 'ok' : 'off'}"><div class="k">measured vs predicted</div><div class="v" data-role="memory-diff">${rel >= 0 ? '+' : '−'}${Math.abs(100 * rel).toFixed(1)}%</div><div class="s">${Math.abs(rel) <= 0.1 ? 'within 10%' : 'more than 10% apart'}</div></div>
      </div>
      <table data-role="memory-table">
        <thead><tr><th>category at the peak</th><th class="num">predicted</th><th class="num">measured</th><th class="num">Δ</th><th style="width:28%"></th></tr></thead>
        <tbody>${m.categories.map((c) => {
          const delta = c.measured_bytes - (c.predicted_bytes ?? 0);
          const isDiff = diffs.has(c.category);
          return html`<tr class=${isDiff ? 'diff' : ''} data-category=${c.category}>
              <td class="cat">${c.category}</td>
              <td class="num">${c.predicted_bytes === null ? '—' : formatCount(c.predicted_bytes)}</td>
              <td class="num">${formatCount(c.measured_bytes)}</td>
              <td class="num delta ${delta > 0 ? 'pos' : delta < 0 ? 'neg' : ''}">${delta === 0 ? '0' : `${delta > 0 ? '+' : '−'}${formatCount(Math.abs(delta))}`}</td>
              <td><div class="bars"><div class="bar p" style="width:${(100 * (c.predicted_bytes ?? 0)) / max}%"></div><div class="bar m" style="width:${(100 * c.measured_bytes) / max}%"></div></div></td>
            </tr>
            ${isDiff && c.buffers.length
              ? html`<tr><td colspan="5" style="white-space:normal"><div class="buffers" data-role="diff-buffers">live at the measured peak: ${c.buffers.map((b, i) => html`${i ? ', ' : ''}<b>${b.label}</b> ${formatCount(b.bytes)} B`)}</div></td></tr>`
              : nothing}`;
        })}</tbody>
      </table>
      <p class="note">Bytes (B), with KiB = 1,024 B. Light bars: the plan from src/analysis (parameters, gradients, optimizer state, activations saved for backward, the largest backward working set); dark bars: the buffers alive in the GPU ledger at the step's measured peak. Rows in bold differ by more than 1% of the predicted peak.</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-memory-compare': NnxMemoryCompare;
  }
}
