/**
 * <nnx-recurrent-panel>: one hidden unit of a recurrent layer over time: the activated gates,
 * the cell state and h at every step (from the op's trace), the cell update recomputed from
 * those gates, and ‖∂L/∂h_t‖ per step on a log axis — how the gradient fades (or grows) as
 * backpropagation through time walks back from the last step.
 *
 * In: `cell` (rnn, lstm, gru), `trace` (tensors by trace name: gates.*, c, h, grad_h_norm),
 * `h0`, `c0`, `index` [t, n, j]. Out: `nnx-select` { index } when a step's row is clicked.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Tensor } from '../analysis/tensor.ts';
import './chart.ts';
import { divergingCss } from './colormap.ts';
import { formatFloat32, formatFloat64, formatShort } from './format.ts';
import { base, tokens } from './theme.ts';

export type CellKind = 'rnn' | 'lstm' | 'gru';

const GATES: Record<CellKind, string[]> = { rnn: [], lstm: ['i', 'f', 'g', 'o'], gru: ['r', 'z', 'n'] };
const GATE_TITLE: Record<string, string> = {
  i: 'input gate σ', f: 'forget gate σ', g: 'candidate tanh', o: 'output gate σ', r: 'reset gate σ', z: 'update gate σ', n: 'new state tanh',
};

@customElement('nnx-recurrent-panel')
export class NnxRecurrentPanel extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; container-type: inline-size; }
    .head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; margin-bottom: 8px; }
    .head h2 { font-family: var(--_mono); font-size: 14px; }
    .layout { display: grid; grid-template-columns: 1fr; gap: 14px; }
    @container (min-width: 900px) { .layout { grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); } }
    .steps { max-height: 330px; overflow: auto; border: 1px solid var(--_border); border-radius: 8px; }
    .steps thead th { position: sticky; top: 0; background: var(--_surface); z-index: 1; text-transform: none; }
    tr.step { cursor: pointer; }
    tr.step.sel td { background: var(--_accent-soft); }
    .cell { display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; border: 1px solid rgba(0,0,0,0.08); }
    .check { font: 12px var(--_mono); background: var(--_surface-2); border: 1px solid var(--_border); border-radius: 8px; padding: 8px 10px; margin-top: 10px; line-height: 1.6; }
    .check .ok { color: var(--_ok); }
    .note { font-size: 11.5px; color: var(--_muted); line-height: 1.45; margin: 6px 0 0; }
    h3 { margin: 0 0 4px; }
  `];

  @property() cell: CellKind = 'lstm';
  @property({ attribute: false }) trace: Record<string, Tensor> = {};
  @property({ attribute: false }) h0: Tensor | null = null;
  @property({ attribute: false }) c0: Tensor | null = null;
  /** [t, n, j]: the selected step, sequence and hidden unit. */
  @property({ attribute: false }) index: number[] = [0, 0, 0];

  private value(name: string, t: number, n: number, j: number): number {
    const tensor = name === 'h0' ? this.h0 : name === 'c0' ? this.c0 : this.trace[name];
    if (!tensor) return 0;
    const [N, H] = tensor.shape.slice(-2);
    return name === 'h0' || name === 'c0' ? tensor.data[n * H + j] : tensor.data[(t * N + n) * H + j];
  }

  private pick(t: number): void {
    const [, n, j] = this.index;
    this.dispatchEvent(new CustomEvent('nnx-select', { detail: { index: [t, n, j] }, bubbles: true, composed: true }));
  }

  /** The cell update at the selected step, recomputed in float64 from the traced gates. */
  private check(t: number, n: number, j: number) {
    const g = (name: string) => this.value(`gates.${name}`, t, n, j);
    const prevH = t > 0 ? this.value('h', t - 1, n, j) : this.value('h0', 0, n, j);
    const h = this.value('h', t, n, j);
    if (this.cell === 'lstm') {
      const prevC = t > 0 ? this.value('c', t - 1, n, j) : this.value('c0', 0, n, j);
      const c = g('f') * prevC + g('i') * g('g');
      const hh = g('o') * Math.tanh(c);
      return html`<div class="check">
        c<sub>t</sub> = f·c<sub>t−1</sub> + i·g = ${formatShort(g('f'))}·${formatShort(prevC)} + ${formatShort(g('i'))}·${formatShort(g('g'))} = <b data-role="c-ref" data-value=${c}>${formatFloat64(c, 7)}</b>
          <span class="muted">(GPU ${formatFloat32(this.value('c', t, n, j))})</span><br />
        h<sub>t</sub> = o·tanh(c<sub>t</sub>) = <b data-role="h-ref" data-value=${hh}>${formatFloat64(hh, 7)}</b> <span class="muted">(GPU <span data-role="h" data-value=${h}>${formatFloat32(h)}</span>)</span>
      </div>`;
    }
    if (this.cell === 'gru') {
      const hh = (1 - g('z')) * g('n') + g('z') * prevH;
      return html`<div class="check">
        h<sub>t</sub> = (1 − z)·n + z·h<sub>t−1</sub> = (1 − ${formatShort(g('z'))})·${formatShort(g('n'))} + ${formatShort(g('z'))}·${formatShort(prevH)} = <b data-role="h-ref" data-value=${hh}>${formatFloat64(hh, 7)}</b>
        <span class="muted">(GPU <span data-role="h" data-value=${h}>${formatFloat32(h)}</span>)</span>
      </div>`;
    }
    return html`<div class="check">h<sub>t</sub> = act(W<sub>ih</sub>·x<sub>t</sub> + b<sub>ih</sub> + W<sub>hh</sub>·h<sub>t−1</sub> + b<sub>hh</sub>) = <span data-role="h" data-value=${h}>${formatFloat32(h)}</span>
      <span class="muted">(h<sub>t−1</sub> = ${formatShort(prevH)})</span></div>`;
  }

  render() {
    const hT = this.trace.h;
    if (!hT) return nothing;
    const [T] = hT.shape;
    const [t, n, j] = this.index;
    const gates = GATES[this.cell];
    const cols = [...gates.map((g) => `gates.${g}`), ...(this.cell === 'lstm' ? ['c'] : []), 'h'];
    const norms = this.trace.grad_h_norm;
    const steps = Array.from({ length: T }, (_, s) => s);
    const normValues = norms ? Array.from(norms.data, (v) => (v > 0 ? v : null)) : null;
    const ratio = norms && norms.data[T - 1] > 0 ? norms.data[0] / norms.data[T - 1] : null;
    return html`
      <div class="head"><h2>unit h[·, ${n}, ${j}] over ${T} steps</h2>
        <span class="muted small">click a row to select that step; click y to pick another unit</span></div>
      <div class="layout">
        <div>
          <div class="steps" tabindex="0" role="region" aria-label="gates and state per time step">
            <table>
              <thead><tr><th class="num">t</th>${cols.map((c) => html`<th class="num" title=${GATE_TITLE[c.slice(6)] ?? ''}>${c.replace('gates.', '')}</th>`)}${norms ? html`<th class="num">‖∂L/∂h_t‖</th>` : nothing}</tr></thead>
              <tbody>${steps.map((s) => html`<tr class="step ${s === t ? 'sel' : ''}" data-step=${s} @click=${() => this.pick(s)}>
                <td class="num">${s}</td>
                ${cols.map((c) => {
                  const v = this.value(c, s, n, j);
                  return html`<td class="num" data-col=${c} data-value=${v}><span class="cell" style="background:${divergingCss(v)}"></span>${formatShort(v)}</td>`;
                })}
                ${norms ? html`<td class="num" data-col="grad_h_norm" data-value=${norms.data[s]}>${formatShort(norms.data[s])}</td>` : nothing}
              </tr>`)}</tbody>
            </table>
          </div>
          ${this.check(t, n, j)}
        </div>
        <div>
          <h3>‖∂L/∂h<sub>t</sub>‖ per step (log scale)</h3>
          ${normValues
            ? html`<nnx-chart data-role="grad-norm-chart" logY .data=${{ x: steps, series: [{ label: '‖∂L/∂h_t‖', values: normValues }] }} xLabel="time step t" yLabel="‖∂L/∂h_t‖" .height=${220}></nnx-chart>
              <p class="note">The norm over the batch and hidden units of the total gradient reaching h<sub>t</sub>, computed on the GPU during backward.
                ${ratio !== null ? html`From the last step back to the first it changes by a factor of <b data-role="grad-ratio">${formatShort(ratio)}</b>${ratio < 0.1 ? ': vanishing — early steps barely learn' : ratio > 10 ? ': exploding — expect unstable training' : ''}.` : nothing}
                Try a longer sequence, the relu nonlinearity or a larger W<sub>hh</sub> gain.</p>`
            : html`<p class="muted small">Run backward to see the gradient per step.</p>`}
        </div>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-recurrent-panel': NnxRecurrentPanel;
  }
}
