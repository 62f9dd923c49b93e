/**
 * <nnx-tensor-view>: one named tensor as per-channel heatmaps, with its shape, value range and
 * colour legend (drawn by the heatmap). The `tensor` property holds exactly the values drawn (read back from the GPU).
 * The tensor downloads as .npy (numpy.load reads it) or CSV (see analysis/csv.ts for the layout
 * of rank ≥ 3), and the heatmaps as PNG; the file is named after `name`.
 */
import { css, html, nothing } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { encodeCsv } from '../analysis/csv.ts';
import { encodeNpy } from '../analysis/npy.ts';
import { downloadBlob, fileNameFor } from './download.ts';
import { formatShape, formatShort } from './format.ts';
import './heatmap.ts';
import { HEATMAP_ZOOMS, type NnxHeatmap, type ZoomChangeDetail } from './heatmap.ts';
import { HeatmapInputs } from './heatmap_inputs.ts';
import { base, tokens } from './theme.ts';

const EXPORT_TITLES = {
  npy: 'the exact float32 values as a NumPy .npy file (numpy.load)',
  csv: 'the values as CSV, C order; rank ≥ 3: rows over the last axis after a # shape line',
  png: 'the heatmaps as a PNG image',
};

@customElement('nnx-tensor-view')
export class NnxTensorView extends HeatmapInputs {
  static styles = [tokens, base, css`
    :host { display: block; min-width: 0; }
    .card { padding: 12px 14px 12px; }
    header { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; margin-bottom: 2px; }
    h3 { font-size: 13.5px; }
    .shape { font-family: var(--_mono); font-size: 11.5px; color: var(--_muted); }
    .help { font-size: 11.5px; color: var(--_muted); margin: 0 0 8px; max-width: 230px; line-height: 1.35; }
    .range { font: 10.5px var(--_mono); color: var(--_muted); margin-top: 2px; }
    .empty { color: var(--_muted); font-size: 12px; padding: 18px 0; }
    .export { display: flex; align-items: center; gap: 4px; margin-top: 6px; font-size: 10.5px; color: var(--_muted); }
    .export button { font: 10.5px var(--_mono); padding: 1px 6px; border-radius: 5px; }
    .zoom { margin-left: auto; font: 11px var(--_mono); color: var(--_muted); padding: 1px 3px; border-radius: 6px; border: 1px solid var(--_border); background: var(--_surface); }
  `];

  /** Short name used in hover text and events (x, weight, output, grad.x). */
  @property() name = '';
  /** Title shown above the heatmaps. */
  @property() heading = '';
  @property() help = '';

  @query('nnx-heatmap') private heatmap!: NnxHeatmap;

  /** Client coordinates of a cell's centre (see nnx-heatmap). */
  cellCenter(index: number[]): { x: number; y: number } {
    return this.heatmap.cellCenter(index);
  }

  private onZoomSelect(e: Event): void {
    this.zoom = Number((e.target as HTMLSelectElement).value) || 1;
  }

  private onZoomChange(e: CustomEvent<ZoomChangeDetail>): void {
    this.zoom = e.detail.zoom;
  }

  /** Downloads the tensor as .npy, CSV, or its heatmaps as PNG. */
  async download(format: 'npy' | 'csv' | 'png'): Promise<void> {
    const t = this.tensor;
    if (!t) return;
    const fileName = fileNameFor(this.name || this.heading, format);
    if (format === 'npy') downloadBlob(new Blob([encodeNpy(t)], { type: 'application/octet-stream' }), fileName);
    else if (format === 'csv') downloadBlob(new Blob([encodeCsv(t)], { type: 'text/csv' }), fileName);
    else {
      const png = await this.heatmap?.pngBlob();
      if (png) downloadBlob(png, fileName);
    }
  }

  private range(): { min: number; max: number; scale: number } {
    let min = Infinity;
    let max = -Infinity;
    // The colour scale spans the finite values, so a masked −∞ score draws at the end of the scale instead of washing out the rest.
    let finite = 0;
    for (const v of this.tensor?.data ?? []) {
      if (v < min) min = v;
      if (v > max) max = v;
      if (Number.isFinite(v)) finite = Math.max(finite, Math.abs(v));
    }
    const scale = finite || 1;
    return { min, max, scale };
  }

  render() {
    const t = this.tensor;
    const r = t ? this.range() : null;
    return html`
      <div class="card">
        <header>
          <h3>${this.heading || this.name}</h3>
          ${t ? html`<span class="shape">${formatShape(t.shape)}</span>` : nothing}
          ${t
            ? html`<select class="zoom" data-role="zoom" aria-label=${`zoom ${this.heading || this.name}`} title="zoom (or ctrl/⌘ + wheel over the heatmap)" .value=${String(this.zoom)} @change=${this.onZoomSelect}>
                ${HEATMAP_ZOOMS.map((z) => html`<option value=${String(z)} ?selected=${z === this.zoom}>${z}×</option>`)}
              </select>`
            : nothing}
        </header>
        ${this.help ? html`<p class="help">${this.help}</p>` : nothing}
        ${t && r
          ? html`
              <nnx-heatmap
                .tensor=${t}
                .name=${this.name}
                .scale=${r.scale}
                .highlight=${this.highlight}
                .selected=${this.selected}
                .padding=${this.padding}
                .axes=${this.axes}
                .maxWidth=${this.maxWidth}
                .zoom=${this.zoom}
                @nnx-zoom-change=${this.onZoomChange}
                ?clickable=${this.clickable}
              ></nnx-heatmap>
              <div class="range">min ${formatShort(r.min)} · max ${formatShort(r.max)}</div>
              <div class="export" data-role="export">
                <span>download</span>
                ${(['npy', 'csv', 'png'] as const).map((f) => html`<button data-format=${f} title=${EXPORT_TITLES[f]} aria-label=${`download ${this.heading || this.name} as ${f}`} @click=${() => this.download(f)}>.${f}</button>`)}
              </div>
            `
          : html`<div class="empty">not computed yet</div>`}
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-tensor-view': NnxTensorView;
  }
}
