/**
 * <nnx-graph-view>: a small graph drawn as SVG with a deterministic d3-force layout. Nodes are
 * coloured by a value (e.g. one output feature); the selected node's incoming edges are drawn
 * thick, labelled with their coefficient (GCN's norm, GAT's α, SAGE's 1/deg).
 *
 * In: `numNodes`, `src`, `dst` (one entry per directed edge), `coef` (per edge, optional),
 * `values` (per node, optional), `labels` (per node, optional), `selected`.
 * Out: `nnx-node-click` { node }.
 */
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { divergingCss } from './colormap.ts';
import { forceLayout } from './graph_layout.ts';
import { formatShort } from './format.ts';
import { tokens } from './theme.ts';

@customElement('nnx-graph-view')
export class NnxGraphView extends LitElement {
  static styles = [tokens, css`
    :host { display: block; }
    svg { width: 100%; height: auto; display: block; background: var(--_surface-2); border: 1px solid var(--_border); border-radius: 8px; }
    .edge { stroke: #b8bfd0; stroke-width: 1; }
    .edge.in { stroke: var(--_accent); }
    .node { cursor: pointer; stroke: #475067; stroke-width: 1; }
    .node.sel { stroke: var(--_focus); stroke-width: 3; }
    .node.nb { stroke: var(--_accent); stroke-width: 2; }
    text { font: 9px var(--_mono); fill: var(--_text); pointer-events: none; }
    text.coef { fill: var(--_accent); font-weight: 700; font-size: 9.5px; paint-order: stroke; stroke: var(--_surface); stroke-width: 3px; }
  `];

  @property({ type: Number }) numNodes = 0;
  @property({ attribute: false }) src: ArrayLike<number> = [];
  @property({ attribute: false }) dst: ArrayLike<number> = [];
  @property({ attribute: false }) coef: ArrayLike<number> | null = null;
  @property({ attribute: false }) values: ArrayLike<number> | null = null;
  @property({ attribute: false }) labels: string[] | null = null;
  @property({ type: Number }) selected = -1;
  @property({ type: Number }) size = 440;

  private layoutKey = '';
  private layout: [number, number][] = [];

  private positions(): [number, number][] {
    const key = `${this.numNodes}:${Array.from(this.src).join(',')}:${Array.from(this.dst).join(',')}`;
    if (key !== this.layoutKey) {
      this.layout = forceLayout(this.numNodes, this.src, this.dst, 1);
      this.layoutKey = key;
    }
    const pad = 18;
    return this.layout.map(([x, y]) => [pad + x * (this.size - 2 * pad), pad + y * (this.size - 2 * pad)]);
  }

  private pickNode(node: number): void {
    this.dispatchEvent(new CustomEvent('nnx-node-click', { detail: { node }, bubbles: true, composed: true }));
  }

  render() {
    const n = this.numNodes;
    if (!n) return nothing;
    const pos = this.positions();
    const sel = this.selected;
    const vals = this.values;
    const scale = vals ? Math.max(1e-9, ...Array.from(vals, Math.abs)) : 1;
    const r = n > 60 ? 5 : 8;
    const incoming: number[] = [];
    for (let e = 0; e < this.src.length; e++) if (this.dst[e] === sel) incoming.push(e);
    const neighbours = new Set(incoming.map((e) => this.src[e]));
    return html`<svg viewBox="0 0 ${this.size} ${this.size}" role="img" aria-label="graph with ${n} nodes">
      ${Array.from({ length: this.src.length }, (_, e) => e)
        .filter((e) => this.src[e] !== this.dst[e] && this.dst[e] !== sel && (this.src[e] < this.dst[e] || this.src[e] === sel))
        .map((e) => svg`<line class="edge" x1=${pos[this.src[e]][0]} y1=${pos[this.src[e]][1]} x2=${pos[this.dst[e]][0]} y2=${pos[this.dst[e]][1]}></line>`)}
      ${incoming.filter((e) => this.src[e] !== sel).map((e) => {
        const [x1, y1] = pos[this.src[e]];
        const [x2, y2] = pos[sel];
        const w = this.coef ? 1 + 5 * Math.min(1, Math.abs(this.coef[e]) / Math.max(1e-9, ...incoming.map((q) => Math.abs(this.coef![q])))) : 2;
        return svg`<line class="edge in" data-edge=${e} x1=${x1} y1=${y1} x2=${x2} y2=${y2} stroke-width=${w}></line>`;
      })}
      ${Array.from({ length: n }, (_, i) => i).map((i) => svg`<circle class="node ${i === sel ? 'sel' : neighbours.has(i) ? 'nb' : ''}" data-node=${i}
        cx=${pos[i][0]} cy=${pos[i][1]} r=${i === sel ? r + 2 : r} fill=${vals ? divergingCss(vals[i] / scale) : '#dfe3ee'} @click=${() => this.pickNode(i)}>
        <title>node ${i}${this.labels?.[i] ? ` (${this.labels[i]})` : ''}${vals ? `: ${formatShort(vals[i])}` : ''}</title></circle>`)}
      ${n <= 60 ? Array.from({ length: n }, (_, i) => i).map((i) => svg`<text x=${pos[i][0] + r + 1} y=${pos[i][1] - r + 2}>${i}</text>`) : nothing}
      ${this.coef ? incoming.filter((e) => this.src[e] !== sel).map((e) => {
        const [x1, y1] = pos[this.src[e]];
        const [x2, y2] = pos[sel];
        return svg`<text class="coef" x=${(x1 * 0.55 + x2 * 0.45)} y=${(y1 * 0.55 + y2 * 0.45)}>${formatShort(this.coef![e])}</text>`;
      }) : nothing}
    </svg>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-graph-view': NnxGraphView;
  }
}
