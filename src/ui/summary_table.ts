/**
 * <nnx-summary-table>: the torchinfo-style per-layer table of a SummaryReport: sortable by any
 * numeric column (click a header), folded to a depth (rows deeper than `depth` are hidden and
 * counted in their container's inclusive numbers), with totals underneath.
 *
 * In: `report`, `depth` (Infinity for all). Out: `nnx-sort-change` { key, descending }.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { SummaryReport, SummaryRow } from '../analysis/summary.ts';
import { formatCount, formatShape } from './format.ts';
import { base, tokens } from './theme.ts';

export type SortKey = 'order' | 'params' | 'macs' | 'flops' | 'output_bytes' | 'time';

const COLS: { key: SortKey; label: string; title: string }[] = [
  { key: 'params', label: 'params', title: 'parameters of the row (a folded container: everything inside it)' },
  { key: 'macs', label: 'MACs', title: 'multiply-accumulates of conv, linear, attention and recurrent matmuls' },
  { key: 'flops', label: 'FLOPs', title: 'all arithmetic: 2 per MAC plus norms, activations, pooling, softmax' },
  { key: 'output_bytes', label: 'output bytes', title: 'new memory of the row’s output (bytes)' },
  { key: 'time', label: 'roofline µs', title: 'max(FLOPs / peak, bytes / bandwidth) on the chosen device' },
];

/** A row's numbers as shown: inclusive for rows whose children are folded away. */
export function rowValue(r: SummaryRow, key: SortKey, folded: boolean): number {
  if (key === 'params') return folded ? r.inclusive.params : r.params;
  if (key === 'macs') return folded ? r.inclusive.macs : r.macs;
  if (key === 'flops') return folded ? r.inclusive.flops : r.flops;
  if (key === 'output_bytes') return r.output_bytes;
  if (key === 'time') return (r.roofline?.time_s ?? 0) * 1e6;
  return 0;
}

@customElement('nnx-summary-table')
export class NnxSummaryTable extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .wrap { max-height: 560px; overflow: auto; border: 1px solid var(--_border); border-radius: 8px; }
    thead th { position: sticky; top: 0; background: var(--_surface); z-index: 1; }
    th.sortable { cursor: pointer; user-select: none; }
    th.sortable:hover { color: var(--_accent); }
    th.sortable:focus-visible { outline: 2px solid var(--_accent); outline-offset: -2px; }
    th .arrow { color: var(--_accent); }
    td.name { font-family: var(--_mono); font-size: 12px; }
    td.type { color: var(--_accent); font-weight: 600; }
    tr.container td { background: var(--_surface-2); }
    .bound { font-size: 10px; padding: 0 5px; border-radius: 999px; margin-left: 4px; }
    .bound.compute { background: #fde8d7; color: #a23e00; }
    .bound.memory { background: #dbeafe; color: #1e4fa0; }
  `];

  @property({ attribute: false }) report: SummaryReport | null = null;
  @property({ type: Number }) depth = Infinity;
  @property() sort: SortKey = 'order';
  @property({ type: Boolean }) descending = true;

  /** Rows at or above the depth, each with whether its children are folded into it. */
  visibleRows(): { row: SummaryRow; folded: boolean }[] {
    const r = this.report;
    if (!r) return [];
    const rows = r.layers.filter((l) => l.depth <= this.depth).map((row) => ({ row, folded: row.is_container && row.depth === this.depth }));
    if (this.sort !== 'order') {
      const k = this.sort;
      rows.sort((a, b) => (rowValue(b.row, k, b.folded) - rowValue(a.row, k, a.folded)) * (this.descending ? 1 : -1));
    }
    return rows;
  }

  private sortBy(key: SortKey): void {
    const descending = this.sort === key ? !this.descending : true;
    this.dispatchEvent(new CustomEvent('nnx-sort-change', { detail: { key, descending }, bubbles: true, composed: true }));
  }

  /** Enter or Space on a focused column header sorts by it, as a click does. */
  private onSortKey(e: KeyboardEvent, key: SortKey): void {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    this.sortBy(key);
  }

  render() {
    const r = this.report;
    if (!r) return nothing;
    const rows = this.visibleRows();
    const ariaSort = (k: SortKey) => (this.sort === k ? (this.descending ? 'descending' : 'ascending') : 'none');
    const arrow = (k: SortKey) => (this.sort === k ? html`<span class="arrow">${this.descending ? ' ▼' : ' ▲'}</span>` : nothing);
    return html`<div class="wrap" tabindex="0" role="region" aria-label="per-layer summary"><table>
      <thead><tr>
        <th class="num sortable" tabindex="0" aria-sort=${ariaSort('order')} @click=${() => this.sortBy('order')} @keydown=${(e: KeyboardEvent) => this.onSortKey(e, 'order')} title="forward order">#${arrow('order')}</th>
        <th>layer</th><th>type</th><th>output shape</th>
        ${COLS.filter((c) => c.key !== 'time' || r.device).map((c) => html`<th class="num sortable" data-sort=${c.key} tabindex="0" aria-sort=${ariaSort(c.key)} title=${c.title} style=${c.key === 'time' ? 'text-transform:none' : ''} @click=${() => this.sortBy(c.key)} @keydown=${(e: KeyboardEvent) => this.onSortKey(e, c.key)}>${c.key === 'time' ? 'ROOFLINE µs' : c.label}${arrow(c.key)}</th>`)}
      </tr></thead>
      <tbody>${rows.map(({ row, folded }) => html`<tr class=${row.is_container ? 'container' : ''} data-layer=${row.name}>
        <td class="num">${r.layers.indexOf(row)}</td>
        <td class="name" style="padding-left:${8 + row.depth * 14}px">${row.name || '(model)'}${folded ? html` <span class="chip">folded</span>` : nothing}</td>
        <td class="type">${row.type}</td>
        <td class="mono">${formatShape(row.output_shape)}</td>
        <td class="num" data-col="params">${formatCount(rowValue(row, 'params', folded))}</td>
        <td class="num" data-col="macs">${formatCount(rowValue(row, 'macs', folded))}</td>
        <td class="num" data-col="flops">${formatCount(rowValue(row, 'flops', folded))}</td>
        <td class="num">${formatCount(row.output_bytes)}</td>
        ${r.device ? html`<td class="num">${row.roofline ? html`${(row.roofline.time_s * 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 })}${row.roofline.bound !== 'none' ? html`<span class="bound ${row.roofline.bound}">${row.roofline.bound}</span>` : nothing}` : '—'}</td>` : nothing}
      </tr>`)}</tbody>
    </table></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-summary-table': NnxSummaryTable;
  }
}
