/**
 * <nnx-kernel-timings>: the kernels a run dispatched, in order, with GPU time from timestamp
 * queries, FLOPs, bytes moved and the throughput they imply.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { RunResult } from '../ops/run.ts';
import { formatCount, formatMicros, formatShort } from './format.ts';
import { base, tokens } from './theme.ts';

@customElement('nnx-kernel-timings')
export class NnxKernelTimings extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .bar { height: 4px; border-radius: 2px; background: var(--_accent); opacity: 0.75; margin-top: 3px; }
    .scroll { max-height: 380px; overflow: auto; }
    .scroll thead th { position: sticky; top: 0; background: var(--_surface); }
    .note { font-size: 11.5px; color: var(--_muted); margin: 8px 0 0; line-height: 1.45; }
    .wall { display: flex; gap: 20px; margin: 8px 0 10px; font-size: 12px; color: var(--_muted); }
    .wall b { font: 600 14px var(--_mono); color: var(--_text); }
  `];

  @property({ attribute: false }) timings: RunResult['timings'] | null = null;

  render() {
    const t = this.timings;
    if (!t) return html`<p class="muted small">Run the layer to time its kernels.</p>`;
    const available = t.timestamps === 'available';
    const max = Math.max(1, ...t.dispatches.map((d) => d.gpu_ns ?? 0));
    return html`
      <div class="wall">
        <span>GPU total <b data-role="gpu-total">${t.total_gpu_ns === null ? '—' : `${formatMicros(t.total_gpu_ns)} µs`}</b></span>
        <span>wall clock <b>${t.wall_ms.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms</b></span>
        <span>dispatches <b>${formatCount(t.dispatches.length)}</b></span>
      </div>
      <div class="scroll" tabindex="0" role="region" aria-label="kernel dispatches"><table>
        <thead><tr><th>kernel</th><th class="num">GPU <span style="text-transform:none">µs</span></th><th class="num">FLOPs</th><th class="num">bytes</th><th class="num">GFLOP/s</th></tr></thead>
        <tbody>
          ${t.dispatches.map(
            (d) => html`<tr>
              <td class="mono">${d.kernel}${d.gpu_ns !== null ? html`<div class="bar" style="width:${Math.max(2, (d.gpu_ns / max) * 100)}%"></div>` : nothing}</td>
              <td class="num">${d.gpu_ns === null ? '—' : formatMicros(d.gpu_ns)}</td>
              <td class="num">${formatCount(d.flops)}</td>
              <td class="num">${formatCount(d.bytes)}</td>
              <td class="num">${d.gpu_ns ? formatShort(d.flops / d.gpu_ns) : '—'}</td>
            </tr>`,
          )}
        </tbody>
      </table></div>
      <p class="note">
        ${available
          ? 'GPU time comes from timestamp queries around each dispatch. Browsers round timestamps (Chromium to 100 µs) unless started with --enable-webgpu-developer-features.'
          : `GPU time is ${t.timestamps}.`}
      </p>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-kernel-timings': NnxKernelTimings;
  }
}
