/**
 * <nnx-memory-timeline>: live GPU bytes after every ledger event of a run (a buffer created or
 * destroyed), as a step chart drawn with uPlot. The chart is destroyed with the element.
 */
import { LitElement, css, html, unsafeCSS } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import type { RunResult } from '../ops/run.ts';
import { formatCount } from './format.ts';
import { tokens } from './theme.ts';

/** Live bytes after each event: x = ledger clock (from 0), y = bytes. */
export function liveBytesSeries(memory: RunResult['memory']): { x: number[]; y: number[] } {
  const stillLive = memory.buffers.filter((b) => b.destroyed === null).reduce((s, b) => s + b.bytes, 0);
  let live = memory.live_bytes_after - stillLive;
  const events: [number, number][] = [];
  for (const b of memory.buffers) {
    events.push([b.created, b.bytes]);
    if (b.destroyed !== null) events.push([b.destroyed, -b.bytes]);
  }
  events.sort((a, b) => a[0] - b[0]);
  const start = events.length ? events[0][0] : 0;
  const x = [0];
  const y = [live];
  for (const [clock, delta] of events) {
    live += delta;
    x.push(clock - start + 1);
    y.push(live);
  }
  return { x, y };
}

@customElement('nnx-memory-timeline')
export class NnxMemoryTimeline extends LitElement {
  static styles = [tokens, unsafeCSS(uplotCss), css`
    :host { display: block; }
    .plot { width: 100%; min-height: 150px; }
    .u-legend { font-size: 11px; }
  `];

  @property({ attribute: false }) memory: RunResult['memory'] | null = null;
  @query('.plot') private container!: HTMLDivElement;
  private plot: uPlot | null = null;
  private observer: ResizeObserver | null = null;

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
    this.observer = null;
    this.plot?.destroy();
    this.plot = null;
  }

  protected updated(): void {
    this.plot?.destroy();
    this.plot = null;
    if (!this.memory || !this.container) return;
    const { x, y } = liveBytesSeries(this.memory);
    const style = getComputedStyle(this);
    const accent = style.getPropertyValue('--_accent').trim() || '#4f46e5';
    const muted = style.getPropertyValue('--_muted').trim() || '#667085';
    const grid = style.getPropertyValue('--_border').trim() || '#e2e5ee';
    const width = Math.max(240, this.container.clientWidth || 400);
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '10px sans-serif' };
    this.plot = new uPlot(
      {
        width,
        height: 150,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
        axes: [
          { ...axis, label: 'ledger event (buffer created or destroyed)', labelSize: 14, labelFont: '10px sans-serif', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
          { ...axis, size: 62, values: (_u, ticks) => ticks.map((t) => `${formatCount(t / 1000)} kB`) },
        ],
        series: [
          {},
          { label: 'live bytes', stroke: accent, width: 1.5, fill: `${accent}22`, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } },
        ],
      },
      [x, y],
      this.container,
    );
    if (!this.observer) {
      this.observer = new ResizeObserver(() => {
        if (this.plot && this.container.clientWidth > 0) this.plot.setSize({ width: this.container.clientWidth, height: 150 });
      });
      this.observer.observe(this.container);
    }
  }

  render() {
    return html`<div class="plot" role="img" aria-label="live GPU bytes over the run"></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-memory-timeline': NnxMemoryTimeline;
  }
}
