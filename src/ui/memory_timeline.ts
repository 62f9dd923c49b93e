/**
 * <nnx-memory-timeline>: live GPU bytes after every ledger event of a run (a buffer created or
 * destroyed), as a step chart drawn by <nnx-chart>.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { RunResult } from '../ops/run.ts';
import './chart.ts';
import type { ChartData } from './chart.ts';
import { formatCount } from './format.ts';

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

const kilobytes = (bytes: number) => `${formatCount(bytes / 1000)} kB`;

@customElement('nnx-memory-timeline')
export class NnxMemoryTimeline extends LitElement {
  static styles = css`:host { display: block; }`;

  @property({ attribute: false }) memory: RunResult['memory'] | null = null;
  @state() private data: ChartData | null = null;

  protected willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('memory')) return;
    const series = this.memory ? liveBytesSeries(this.memory) : null;
    this.data = series ? { x: series.x, series: [{ label: 'live bytes', values: series.y }] } : null;
  }

  render() {
    if (!this.data) return nothing;
    return html`<nnx-chart stepped integerX .height=${150} .data=${this.data} .format=${kilobytes}
      xLabel="ledger event (buffer created or destroyed)" yLabel="live GPU bytes"></nnx-chart>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-memory-timeline': NnxMemoryTimeline;
  }
}
