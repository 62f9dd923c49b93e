/**
 * <nnx-ledger-table>: every GPU buffer a run allocated (label, owner, bytes, usage, lifetime),
 * with live and peak bytes and a chart of live bytes over the run.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { RunResult } from '../ops/run.ts';
import { formatBytesLong, formatCount } from './format.ts';
import './memory_timeline.ts';
import { base, tokens } from './theme.ts';

@customElement('nnx-ledger-table')
export class NnxLedgerTable extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; container-type: inline-size; }
    .top { display: grid; grid-template-columns: 1fr; gap: 6px; align-items: center; }
    @container (min-width: 760px) {
      .top { grid-template-columns: 230px minmax(0, 1fr); gap: 18px; }
      .top .totals { flex-direction: column; gap: 10px; }
    }
    .totals { display: flex; gap: 22px; flex-wrap: wrap; margin: 8px 0 10px; }
    .totals div { display: flex; flex-direction: column; }
    .totals .k { font-size: 11px; color: var(--_muted); text-transform: uppercase; letter-spacing: 0.05em; }
    .totals .v { font: 600 15px var(--_mono); }
    .totals .sub { font-size: 11px; color: var(--_muted); font-family: var(--_mono); }
    .table { max-height: 320px; overflow: auto; margin-top: 10px; border: 1px solid var(--_border); border-radius: 8px; }
    thead th { position: sticky; top: 0; background: var(--_surface); }
    td.live { color: var(--_ok); font-weight: 600; }
    td.usage { font: 10.5px var(--_mono); color: var(--_muted); white-space: normal; min-width: 150px; }
  `];

  @property({ attribute: false }) memory: RunResult['memory'] | null = null;

  render() {
    const m = this.memory;
    if (!m) return html`<p class="muted small">Run the layer to see its buffers.</p>`;
    const first = m.buffers.length ? Math.min(...m.buffers.map((b) => b.created)) : 0;
    const totalBytes = m.buffers.reduce((s, b) => s + b.bytes, 0);
    return html`
      <div class="top">
      <div class="totals">
        <div><span class="k">peak live</span><span class="v" data-role="peak">${formatCount(m.peak_bytes)} B</span><span class="sub">${formatBytesLong(m.peak_bytes).replace(/^[\d,]+ B ?/, '') || ' '}</span></div>
        <div><span class="k">live after run</span><span class="v">${formatCount(m.live_bytes_after)} B</span><span class="sub">staging pool kept for reuse</span></div>
        <div><span class="k">buffers</span><span class="v">${formatCount(m.buffers_created)}</span><span class="sub">${formatCount(totalBytes)} B allocated in all</span></div>
      </div>
      <nnx-memory-timeline .memory=${m}></nnx-memory-timeline>
      </div>
      <div class="table" tabindex="0" role="region" aria-label="GPU buffers in creation order">
        <table>
          <thead><tr><th class="num">#</th><th>label</th><th>owner</th><th class="num">bytes</th><th>usage</th><th>lifetime (ledger events)</th></tr></thead>
          <tbody>
            ${m.buffers.map(
              (b, i) => html`<tr>
                <td class="num">${i}</td>
                <td class="mono">${b.label}</td>
                <td>${b.owner}</td>
                <td class="num">${formatCount(b.bytes)}</td>
                <td class="usage">${b.usage.join(' · ')}</td>
                ${b.destroyed === null
                  ? html`<td class="mono live">${b.created - first} → live</td>`
                  : html`<td class="mono">${b.created - first} → ${b.destroyed - first}</td>`}
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${m.buffers.length === 0 ? html`<p class="muted small">No buffers.</p>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-ledger-table': NnxLedgerTable;
  }
}
