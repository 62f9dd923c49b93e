/**
 * <nnx-tracer-column>: a traced model's layers as a column, in forward order, with every edge
 * that skips a row (residual and DAG inputs) drawn as an arc on the left. Rows the step control
 * has passed are marked (forward ✓, backward ∇), the current row is highlighted.
 *
 * In: `layers` (name, type, inputs, output shape), `current` (row index or -1), `forwardDone` and
 * `backwardFrom` (rows at or after it have run backward). Out: `nnx-layer-select` {index}.
 */
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { formatShape } from './format.ts';
import { base, tokens } from './theme.ts';

/** What the column shows of one layer. */
export interface ColumnLayer {
  name: string;
  type: string;
  inputs: string[];
  shape: number[];
}

const ROW = 30;
const GUTTER = 34;

@customElement('nnx-tracer-column')
export class NnxTracerColumn extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .wrap { position: relative; }
    svg { position: absolute; left: 0; top: 0; pointer-events: none; }
    ol { list-style: none; margin: 0; padding: 0 0 0 ${GUTTER}px; }
    li { height: ${ROW}px; display: flex; align-items: center; gap: 8px; padding: 0 8px; border-radius: 7px; cursor: pointer; font-size: 12.5px; border: 1px solid transparent; }
    li:hover { background: var(--_surface-2); }
    li[aria-current='true'] { border-color: var(--_accent); background: var(--_accent-soft); }
    .name { font: 600 12px var(--_mono); min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .type { color: var(--_muted); }
    .shape { margin-left: auto; font: 11px var(--_mono); color: var(--_muted); white-space: nowrap; }
    .mark { width: 26px; font: 700 11px var(--_mono); text-align: center; flex: none; }
    .fwd { color: var(--_ok); }
    .bwd { color: #b45309; }
  `];

  @property({ attribute: false }) layers: ColumnLayer[] = [];
  @property({ type: Number }) current = -1;
  /** Rows whose forward has run (0..forwardDone-1). */
  @property({ type: Number }) forwardDone = 0;
  /** Rows from this index on have run backward (layers.length when none has). */
  @property({ type: Number }) backwardFrom = Infinity;

  private select(index: number): void {
    this.dispatchEvent(new CustomEvent('nnx-layer-select', { detail: { index }, bubbles: true, composed: true }));
  }

  /** Arcs for inputs that are not the row just above (the model input sits above row 0). */
  private arcs() {
    const row = new Map(this.layers.map((l, i) => [l.name, i]));
    const paths = [];
    for (const [i, l] of this.layers.entries()) {
      for (const name of l.inputs) {
        const from = name === 'input' ? -1 : (row.get(name) ?? -1);
        if (from === i - 1) continue;
        const y0 = (from + 0.5) * ROW;
        const y1 = (i + 0.5) * ROW;
        const depth = Math.min(GUTTER - 4, 8 + 3 * (i - from));
        paths.push(svg`<path data-role="edge" data-from=${name} data-to=${l.name} d="M ${GUTTER} ${y0} C ${GUTTER - depth} ${y0}, ${GUTTER - depth} ${y1}, ${GUTTER} ${y1}" fill="none" stroke="#8b93ff" stroke-width="1.6"/>
          <path d="M ${GUTTER - 5} ${y1 - 3} L ${GUTTER} ${y1} L ${GUTTER - 5} ${y1 + 3}" fill="none" stroke="#8b93ff" stroke-width="1.6"/>`);
      }
    }
    return paths;
  }

  render() {
    const height = this.layers.length * ROW;
    return html`<div class="wrap">
      <svg width=${GUTTER} height=${height} data-role="edges">${this.arcs()}</svg>
      <ol>
        ${this.layers.map((l, i) => html`<li data-name=${l.name} aria-current=${i === this.current ? 'true' : 'false'} @click=${() => this.select(i)} title=${`reads ${l.inputs.join(', ')}`}>
          <span class="mark">${i >= this.backwardFrom ? html`<span class="bwd">∇</span>` : i < this.forwardDone ? html`<span class="fwd">✓</span>` : nothing}</span>
          <span class="name">${l.name}</span><span class="type">${l.type}</span><span class="shape">${formatShape(l.shape)}</span>
        </li>`)}
      </ol>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-tracer-column': NnxTracerColumn;
  }
}
