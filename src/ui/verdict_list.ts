/**
 * <nnx-verdict-list>: the gradient-health verdicts of one or more runs, each with its kind,
 * the layer, the evidence in numbers, a plain explanation and the recommendations. A run with
 * no verdict says so in green.
 *
 * In: `groups` ([{ label, verdicts }]). Out: `nnx-layer-focus` ({ run, layer }) on a click.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Verdict, VerdictKind } from '../analysis/gradient_health.ts';
import { base, tokens } from './theme.ts';

export const KIND_STYLE: Record<VerdictKind, { label: string; color: string; soft: string }> = {
  vanishing: { label: 'vanishing', color: '#1d4ed8', soft: '#eaf1ff' },
  exploding: { label: 'exploding', color: '#c0362c', soft: '#fdf0ee' },
  nonfinite: { label: 'NaN / inf', color: '#7f1d1d', soft: '#fbe9e9' },
  dead_relu: { label: 'dead ReLU', color: '#52525b', soft: '#f1f1f3' },
  saturation: { label: 'saturation', color: '#b45309', soft: '#fff6e5' },
};

const ORDER: VerdictKind[] = ['nonfinite', 'exploding', 'vanishing', 'saturation', 'dead_relu'];

export interface VerdictGroup {
  label: string;
  verdicts: Verdict[];
}

@customElement('nnx-verdict-list')
export class NnxVerdictList extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .groups { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 12px; }
    .group h3 { font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.07em; color: var(--_muted); margin: 0 0 6px; }
    .v { border: 1px solid var(--_border); border-left: 4px solid var(--k); border-radius: 8px; background: var(--_surface); padding: 9px 12px; margin-bottom: 8px; }
    .v header { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
    .kind { font: 700 11px var(--_font); letter-spacing: 0.05em; text-transform: uppercase; color: var(--k); background: var(--ks); border-radius: 999px; padding: 2px 8px; }
    .layer { font: 600 12px var(--_mono); color: var(--_text); cursor: pointer; border-bottom: 1px dotted var(--_muted); }
    .evidence { font: 11.5px/1.5 var(--_mono); color: var(--_text); margin: 6px 0 4px; overflow-wrap: anywhere; }
    .why { font-size: 12px; color: var(--_muted); line-height: 1.45; margin: 0 0 4px; }
    ul { margin: 4px 0 0; padding-left: 18px; font-size: 12.5px; line-height: 1.5; }
    li::marker { color: var(--k); }
    code { font: 11.5px var(--_mono); background: var(--_surface-2); padding: 0 3px; border-radius: 3px; }
    .healthy { border: 1px solid #b7e4c7; border-left: 4px solid var(--_ok); background: #f0faf3; border-radius: 8px; padding: 10px 12px; font-size: 13px; color: #145c36; }
    .healthy b { font-weight: 700; }
    details summary { cursor: pointer; font-size: 12px; color: var(--_accent); font-weight: 600; margin-top: 2px; }
  `];

  @property({ attribute: false }) groups: VerdictGroup[] = [];

  private focusOn(run: number, layer: string): void {
    this.dispatchEvent(new CustomEvent('nnx-layer-focus', { detail: { run, layer }, bubbles: true, composed: true }));
  }

  private renderVerdict(v: Verdict, run: number, open: boolean) {
    const k = KIND_STYLE[v.kind];
    // Recommendations quote code ("init": "kaiming_normal", torch calls): set those in mono.
    const rec = (text: string) => text.split(/("[^"]+": "[^"]+"|torch\.[\w.]+\([^)]*\))/).map((part, i) => (i % 2 ? html`<code>${part}</code>` : part));
    return html`<div class="v" data-role="verdict" data-kind=${v.kind} data-layer=${v.layer} style="--k:${k.color};--ks:${k.soft}">
      <header><span class="kind">${k.label}</span><span class="layer" title="show this layer in the table" @click=${() => this.focusOn(run, v.layer)}>${v.layer}</span></header>
      <div class="evidence">${v.message}</div>
      <details ?open=${open}>
        <summary>why, and what to do</summary>
        <p class="why">${v.explanation}</p>
        <ul>${v.recommendations.map((r) => html`<li>${rec(r)}</li>`)}</ul>
      </details>
    </div>`;
  }

  render() {
    return html`<div class="groups">${this.groups.map((g, run) => {
      const sorted = [...g.verdicts].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
      // Many dead-ReLU verdicts in one run: show the first few, fold the rest.
      const main = sorted.filter((v, i) => v.kind !== 'dead_relu' || sorted.findIndex((w) => w.kind === 'dead_relu') === i);
      const folded = sorted.filter((v) => !main.includes(v));
      return html`<div class="group" data-run=${g.label}>
        ${this.groups.length > 1 ? html`<h3>${g.label}</h3>` : nothing}
        ${sorted.length === 0
          ? html`<div class="healthy" data-role="healthy"><b>No problem found.</b> Gradients keep their scale through every layer, no unit is dead or saturated, and every value is finite.</div>`
          : html`${main.map((v, i) => this.renderVerdict(v, run, i === 0))}
            ${folded.length ? html`<details><summary>${folded.length} more ${folded.length === 1 ? 'layer' : 'layers'} with dead ReLUs: ${folded.map((v) => v.layer).join(', ')}</summary>${folded.map((v) => this.renderVerdict(v, run, false))}</details>` : nothing}`}
      </div>`;
    })}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-verdict-list': NnxVerdictList;
  }
}
