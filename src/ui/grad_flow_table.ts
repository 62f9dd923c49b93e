/**
 * <nnx-grad-flow-table>: the gradient flow of one training step, one row per leaf layer in
 * forward order: ‖∂L/∂output‖ with a log-scale bar, activation and gradient mean/std, dead ReLU
 * units, saturated outputs, ‖∂L/∂W‖, ‖W‖ and the update-to-weight ratio ‖ΔW‖/‖W‖. Rows named by
 * a verdict are tinted with its colour; `focusLayer` scrolls to and marks one row.
 *
 * In: `layers` (LayerFlow[]), `verdicts`, `focusLayer` (a layer name or null).
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { LayerFlow, Verdict } from '../analysis/gradient_health.ts';
import { THRESHOLDS } from '../analysis/gradient_health.ts';
import { formatShape, formatShort } from './format.ts';
import { base, tokens } from './theme.ts';
import { KIND_STYLE } from './verdict_list.ts';

function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  return formatShort(v);
}

function pct(v: number | undefined): string {
  return v === undefined ? '' : `${(100 * v).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;
}

@customElement('nnx-grad-flow-table')
export class NnxGradFlowTable extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .wrap { overflow: auto; max-height: 560px; border: 1px solid var(--_border); border-radius: 8px; }
    thead th { position: sticky; top: 0; background: var(--_surface); z-index: 1; }
    th.group { text-align: center; border-bottom: none; color: var(--_text); font-size: 10.5px; }
    td.name { font-family: var(--_mono); font-size: 12px; }
    td.type { color: var(--_muted); font-size: 12px; }
    td.shape { font-family: var(--_mono); font-size: 11.5px; color: var(--_muted); }
    td.sep, th.sep { border-left: 1px solid var(--_border); }
    .bar { position: relative; width: 110px; height: 14px; background: var(--_surface-2); border-radius: 3px; overflow: hidden; display: inline-block; vertical-align: -2px; margin-right: 8px; }
    .bar span { position: absolute; left: 0; top: 0; bottom: 0; background: linear-gradient(90deg, #a5b4fc, #4f46e5); border-radius: 3px; }
    .gn { display: flex; align-items: center; justify-content: flex-end; }
    tr.flag td { background: var(--tint); }
    tr.focus td { outline: 2px solid var(--_focus); outline-offset: -2px; }
    .hot { color: var(--_danger); font-weight: 700; }
    .cold { color: #1d4ed8; font-weight: 700; }
    /* The flag is also a shape, not only a colour. */
    .hot::before { content: '▲ '; font-size: 9px; }
    .cold::before { content: '▼ '; font-size: 9px; }
    .zero { color: var(--_muted); }
    .legend { font-size: 11.5px; color: var(--_muted); margin: 6px 2px 0; line-height: 1.45; }
  `];

  @property({ attribute: false }) layers: LayerFlow[] = [];
  @property({ attribute: false }) verdicts: Verdict[] = [];
  @property({ attribute: false }) focusLayer: string | null = null;

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has('focusLayer') && this.focusLayer) {
      this.renderRoot.querySelector(`tr[data-layer="${CSS.escape(this.focusLayer)}"]`)?.scrollIntoView({ block: 'nearest' });
    }
  }

  render() {
    const layers = this.layers;
    const norms = layers.map((l) => l.grad?.norm ?? 0).filter((v) => v > 0 && Number.isFinite(v));
    const lo = Math.log10(Math.min(...norms, 1));
    const hi = Math.log10(Math.max(...norms, 1));
    const width = (v: number | undefined) => (v && v > 0 && Number.isFinite(v) ? Math.max(2, (100 * (Math.log10(v) - lo)) / Math.max(hi - lo, 1e-9)) : 0);
    const recurrent = layers.some((l) => l.grad_h_norm);
    const verdictOf = new Map<string, Verdict>();
    for (const v of this.verdicts) if (!verdictOf.has(v.layer)) verdictOf.set(v.layer, v);
    return html`<div class="wrap" tabindex="0" role="region" aria-label="per-layer gradient flow"><table data-role="flow-table">
      <thead>
        <tr>
          <th colspan="3"></th>
          <th class="group sep" colspan="3">∂L/∂(layer output)</th>
          <th class="group sep" colspan="2">activation</th>
          <th class="group sep" colspan="2">units</th>
          <th class="group sep" colspan="3">main parameter</th>
          ${recurrent ? html`<th class="group sep">through time</th>` : nothing}
        </tr>
        <tr>
          <th>layer</th><th>type</th><th>output</th>
          <th class="num sep" title="L2 norm of the gradient w.r.t. the layer's output (bar: log scale)">‖g‖</th><th class="num">mean</th><th class="num">std</th>
          <th class="num sep">mean</th><th class="num">std</th>
          <th class="num sep" title="ReLU units that output 0 for every sample of the batch">dead</th><th class="num" title="tanh |y| ≥ 0.99, sigmoid y ≤ 0.01 or ≥ 0.99">saturated</th>
          <th class="num sep" title="‖∂L/∂W‖ of the layer's weight (rank ≥ 2) or first parameter">‖∂L/∂W‖</th><th class="num">‖W‖</th><th class="num" title="‖ΔW‖/‖W‖ of the optimizer step; ~1e-3 is the usual healthy range">‖ΔW‖/‖W‖</th>
          ${recurrent ? html`<th class="num sep" title="‖∂L/∂h_0‖ / ‖∂L/∂h_T−1‖">h₀ / h_T</th>` : nothing}
        </tr>
      </thead>
      <tbody>${layers.map((l) => {
        const v = verdictOf.get(l.name);
        const w = l.params.find((p) => p.shape.length >= 2) ?? l.params[0];
        const ratio = w?.update_ratio ?? null;
        const g = l.grad_h_norm;
        const through = g && g.length > 1 && g[g.length - 1] > 0 ? g[0] / g[g.length - 1] : null;
        return html`<tr data-layer=${l.name} class="${v ? 'flag' : ''} ${this.focusLayer === l.name ? 'focus' : ''}" style=${v ? `--tint:${KIND_STYLE[v.kind].soft}` : ''} title=${v ? `${v.kind}: ${v.message}` : ''}>
          <td class="name">${l.name}</td><td class="type">${l.type}</td><td class="shape">${formatShape(l.output_shape)}</td>
          <td class="num sep" data-col="grad_norm" data-value=${l.grad?.norm ?? ''}><div class="gn"><span class="bar"><span style="width:${width(l.grad?.norm)}%"></span></span>${num(l.grad?.norm)}</div></td>
          <td class="num">${num(l.grad?.mean)}</td><td class="num">${num(l.grad?.std)}</td>
          <td class="num sep">${num(l.activation.mean)}</td><td class="num">${num(l.activation.std)}</td>
          <td class="num sep ${(l.dead_fraction ?? 0) > THRESHOLDS.dead ? 'hot' : ''}" data-col="dead">${pct(l.dead_fraction)}</td>
          <td class="num ${(l.saturated_fraction ?? 0) > THRESHOLDS.saturated ? 'hot' : ''}" data-col="saturated">${pct(l.saturated_fraction)}</td>
          <td class="num sep" data-col="param_grad">${w ? num(w.grad_norm) : ''}</td>
          <td class="num">${w ? num(w.norm) : ''}</td>
          <td class="num ${ratio !== null && ratio > THRESHOLDS.updateRatioExplode ? 'hot' : ratio !== null && ratio < 1e-7 ? 'cold' : ''}" data-col="update_ratio">${w ? num(ratio) : ''}</td>
          ${recurrent ? html`<td class="num sep ${through !== null && through < THRESHOLDS.timeVanish ? 'cold' : ''}">${through === null ? '' : num(through)}</td>` : nothing}
        </tr>`;
      })}</tbody>
    </table></div>
    <p class="legend">One row per layer in forward order, from the last training step. ‖g‖ is the gradient arriving at the layer's output in the backward pass; a healthy net keeps it within a decade or two from the last layer to the first. ‖ΔW‖/‖W‖ near 10⁻³ is the usual healthy update size.</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-grad-flow-table': NnxGradFlowTable;
  }
}
