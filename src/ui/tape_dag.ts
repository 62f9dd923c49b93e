/**
 * <nnx-tape-dag>: the autodiff tape drawn as a layered DAG (SVG). Each op sits on the layer of its
 * longest path from the model input, ops of one layer side by side; edges run from producer to
 * reader, an edge that skips layers curves around the column. A node shows its op type and the
 * bytes it saves for backward; a tensor whose gradient is summed over several readers carries a
 * Σ badge. Ops whose backward already ran are tinted and the current one outlined.
 *
 * In: `tape`, `current` (op id), `done` (op ids whose backward ran), `selected`. Out:
 * `nnx-node-select` {id}.
 */
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Tape } from '../ops/tape.ts';
import { formatCount } from './format.ts';
import { base, tokens } from './theme.ts';

/** Where each op (and the model input) sits: layer (row) and position in the row. */
export interface DagPlacement {
  layer: number;
  slot: number;
}

/** Longest-path layering of the tape: `input` on layer 0, each op one below its deepest input. */
export function layerTape(tape: Tape): Map<string, DagPlacement> {
  const depth = new Map<string, number>([['input', 0]]);
  for (const n of tape.nodes) depth.set(n.id, 1 + Math.max(0, ...n.inputs.map((i) => depth.get(i) ?? 0)));
  const used = new Map<number, number>();
  const placed = new Map<string, DagPlacement>();
  for (const [id, layer] of depth) {
    const slot = used.get(layer) ?? 0;
    used.set(layer, slot + 1);
    placed.set(id, { layer, slot });
  }
  return placed;
}

const NODE_W = 182;
const NODE_H = 38;
const ROW = 60;
const COL = 204;
/** Room right of the columns for edges that skip layers. */
const ARC_ROOM = 70;

@customElement('nnx-tape-dag')
export class NnxTapeDag extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; overflow: auto; }
    svg { display: block; font-family: var(--_font); }
    .node rect { fill: var(--_surface); stroke: #b8bfd6; stroke-width: 1.2; }
    .node { cursor: pointer; }
    .node.done rect { fill: #e7f6ee; stroke: #7cc39a; }
    .node.current rect { fill: #fff4dd; stroke: #d97706; stroke-width: 2.5; }
    .node.selected rect { stroke: var(--_accent); stroke-width: 2.5; }
    .node .op { font-size: 12px; font-weight: 650; fill: var(--_text); }
    .node .meta { font-size: 10.5px; fill: var(--_muted); }
    .input rect { fill: #eef0ff; stroke: #8b93ff; }
    path.edge { fill: none; stroke: #9aa3bd; stroke-width: 1.3; }
    path.edge.fan { stroke: #c2410c; stroke-dasharray: 4 3; }
    .sum circle { fill: #c2410c; }
    .sum text { fill: #fff; font-size: 11px; font-weight: 700; }
  `];

  @property({ attribute: false }) tape: Tape | null = null;
  @property({ attribute: false }) current: string | null = null;
  @property({ attribute: false }) done: Set<string> = new Set();
  @property({ attribute: false }) selected: string | null = null;

  private select(id: string): void {
    this.dispatchEvent(new CustomEvent('nnx-node-select', { detail: { id }, bubbles: true, composed: true }));
  }

  render() {
    const tape = this.tape;
    if (!tape) return nothing;
    const placed = layerTape(tape);
    const widest = Math.max(...[...placed.values()].map((p) => p.slot + 1));
    const rows = Math.max(...[...placed.values()].map((p) => p.layer)) + 1;
    const width = widest * COL + ARC_ROOM;
    const height = rows * ROW + 10;
    const at = (id: string) => {
      const p = placed.get(id)!;
      return { x: 8 + p.slot * COL, y: 6 + p.layer * ROW };
    };
    const fanned = new Set(tape.fan_out_sums.map((f) => f.tensor));
    const edges = tape.nodes.flatMap((n) => n.inputs.map((from) => {
      const a = at(from);
      const b = at(n.id);
      const skips = placed.get(n.id)!.layer - placed.get(from)!.layer > 1 && a.x === b.x;
      const x0 = a.x + NODE_W / 2;
      const y0 = a.y + NODE_H;
      const x1 = b.x + NODE_W / 2;
      const y1 = b.y;
      const d = skips
        ? `M${a.x + NODE_W} ${a.y + NODE_H / 2} C${a.x + NODE_W + ARC_ROOM - 10} ${a.y + NODE_H / 2}, ${b.x + NODE_W + ARC_ROOM - 10} ${b.y + NODE_H / 2}, ${b.x + NODE_W} ${b.y + NODE_H / 2}`
        : `M${x0} ${y0} C${x0} ${y0 + 14}, ${x1} ${y1 - 14}, ${x1} ${y1}`;
      return svg`<path class="edge ${fanned.has(from) ? 'fan' : ''}" data-role="edge" data-from=${from} data-to=${n.id} d=${d}></path>`;
    }));
    const input = at('input');
    return html`<svg width=${width} height=${height} viewBox="0 0 ${width} ${height}" role="img" aria-label="autodiff tape">
      ${edges}
      <g class="node input" transform="translate(${input.x}, ${input.y})"><rect width=${NODE_W} height=${NODE_H} rx="7"></rect>
        <text class="op" x="10" y="16">input</text><text class="meta" x="10" y="30">the model input</text></g>
      ${tape.nodes.map((n) => {
        const p = at(n.id);
        const saved = n.saved.reduce((s, t) => s + t.bytes, 0);
        const cls = ['node', this.done.has(n.id) ? 'done' : '', this.current === n.id ? 'current' : '', this.selected === n.id ? 'selected' : ''].join(' ');
        return svg`<g class=${cls} data-role="node" data-id=${n.id} transform="translate(${p.x}, ${p.y})" @click=${() => this.select(n.id)}>
          <title>${n.id} (${n.op})${n.saved.map((s) => `\nsaves ${s.name} (${s.tensor}): ${formatCount(s.bytes)} bytes`).join('')}</title>
          <rect width=${NODE_W} height=${NODE_H} rx="7"></rect>
          <text class="op" x="10" y="16">${n.id.length > 20 ? `…${n.id.slice(-19)}` : n.id}</text>
          <text class="meta" x="10" y="30">${n.op}${saved ? ` · saves ${formatCount(saved)} B` : ''}</text>
          ${fanned.has(n.id) ? svg`<g class="sum" data-role="sum"><circle cx=${NODE_W - 12} cy="12" r="8"></circle><text x=${NODE_W - 16} y="16">Σ</text></g>` : nothing}
        </g>`;
      })}
    </svg>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-tape-dag': NnxTapeDag;
  }
}
