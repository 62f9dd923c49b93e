/**
 * <nnx-chart>: a small uPlot chart for the pages: lines (optionally on a log y axis) or bars
 * over categories. The plot is rebuilt when `data` changes, resized with its box and
 * destroyed with the element.
 *
 * In: `data` ({ x, series: [{ label, values, color? }] }), `categories` (x tick labels for
 * bars), `bars`, `logY`, `spanGaps`, `stepped`, `integerX`, `xLabel`, `yLabel`, `height`, `format` (y tick text).
 * Two buttons under the plot download it as PNG (uPlot's canvas on white) or SVG (a vector
 * plot of the same data, see chart_svg.ts), named after the y label.
 */
import { LitElement, css, html, nothing, unsafeCSS, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { chartSvg } from './chart_svg.ts';
import { downloadBlob, fileNameFor } from './download.ts';
import { formatShort } from './format.ts';
import { tokens } from './theme.ts';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color?: string;
}

export interface ChartData {
  x: number[];
  series: ChartSeries[];
}

const PALETTE = ['#4f46e5', '#e8590c', '#0ca678', '#c2255c', '#1c7ed6', '#7048e8', '#f59f00'];

@customElement('nnx-chart')
export class NnxChart extends LitElement {
  static styles = [tokens, unsafeCSS(uplotCss), css`
    :host { display: block; min-width: 0; }
    .plot { width: 100%; }
    .u-legend { font-size: 11px; font-family: var(--_font); }
    .u-legend .u-value { font-family: var(--_mono); }
    .export { display: flex; justify-content: flex-end; align-items: center; gap: 4px; font-size: 10.5px; color: var(--_muted); }
    .export button { font: 10.5px var(--_mono); padding: 1px 6px; border-radius: 5px; border: 1px solid var(--_border); background: var(--_surface); color: inherit; cursor: pointer; }
  `];

  @property({ attribute: false }) data: ChartData | null = null;
  /** Tick labels for x = 0, 1, 2, … (bar charts over layers or kernels). */
  @property({ attribute: false }) categories: string[] | null = null;
  @property({ attribute: false }) format: ((v: number) => string) | null = null;
  @property({ type: Boolean }) bars = false;
  @property({ type: Boolean }) logY = false;
  /** Draw lines across null values (series sampled at different x, e.g. wall time). */
  @property({ type: Boolean }) spanGaps = false;
  /** Draw each series as a filled step that holds its value until the next x (a level after each event). */
  @property({ type: Boolean }) stepped = false;
  /** The x values are whole numbers (events, steps): x ticks fall on integers only. */
  @property({ type: Boolean }) integerX = false;
  @property() xLabel = '';
  @property() yLabel = '';
  @property({ type: Number }) height = 200;

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

  /** The uPlot instance (tests read its data). */
  get uplot(): uPlot | null {
    return this.plot;
  }

  /** The plot as drawn (axes, ticks, lines) on a white background, as PNG; null before it is drawn. */
  async pngBlob(): Promise<Blob | null> {
    const drawn = this.plot?.ctx.canvas;
    if (!drawn) return null;
    const canvas = document.createElement('canvas');
    canvas.width = drawn.width;
    canvas.height = drawn.height;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(drawn, 0, 0);
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  }

  /** The data as a standalone SVG vector plot at the chart's current size; null without data. */
  svgText(): string | null {
    if (!this.data) return null;
    return chartSvg(this.data, {
      width: this.plot?.width ?? 480, height: this.height, logY: this.logY, bars: this.bars, categories: this.categories,
      spanGaps: this.spanGaps, stepped: this.stepped, xLabel: this.xLabel, yLabel: this.yLabel, format: this.format ?? formatShort, palette: PALETTE,
    });
  }

  /** Downloads the chart as PNG or SVG. */
  async download(format: 'png' | 'svg'): Promise<void> {
    const fileName = fileNameFor(this.yLabel || 'chart', format);
    const svg = format === 'svg' ? this.svgText() : null;
    const blob = svg !== null ? new Blob([svg], { type: 'image/svg+xml' }) : format === 'png' ? await this.pngBlob() : null;
    if (blob) downloadBlob(blob, fileName);
  }

  protected updated(changed: PropertyValues<this>): void {
    if (!changed.has('data') && !changed.has('logY') && !changed.has('categories') && this.plot) return;
    this.plot?.destroy();
    this.plot = null;
    const d = this.data;
    if (!d || !this.container) return;
    const style = getComputedStyle(this);
    const muted = style.getPropertyValue('--_muted').trim() || '#667085';
    const grid = style.getPropertyValue('--_border').trim() || '#e2e5ee';
    const fmt = this.format ?? formatShort;
    const cats = this.categories;
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '10px sans-serif', labelFont: '11px sans-serif', labelSize: 16 };
    const barPaths = uPlot.paths.bars!({ size: [0.7, 40], gap: 1 });
    const stepPaths = uPlot.paths.stepped!({ align: 1 });
    const n = d.series.length;
    this.plot = new uPlot(
      {
        width: Math.max(240, this.container.clientWidth || 480),
        height: this.height,
        legend: { show: n > 1 || !this.bars },
        cursor: { drag: { x: false, y: false }, points: { show: !this.bars } },
        scales: {
          x: { time: false, ...(this.bars ? { range: (_u: uPlot, min: number, max: number) => [min - 0.6, max + 0.6] as [number, number] } : {}) },
          y: this.logY ? { distr: 3 } : { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] },
        },
        axes: [
          {
            ...axis, label: this.xLabel,
            ...(this.integerX ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] } : {}),
            ...(cats ? { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => (Number.isInteger(t) ? cats[t] ?? '' : '')), rotate: cats.length > 8 ? -50 : 0, size: cats.length > 8 ? 90 : 40, incrs: [1, 2, 5, 10, 20, 50] } : {}),
          },
          { ...axis, label: this.yLabel, size: 64, values: (_u, ticks) => ticks.map((t) => (t === null || t === undefined || !Number.isFinite(t) ? '' : fmt(t))) },
        ],
        series: [
          { label: this.xLabel || 'x', value: cats ? (_u: uPlot, v: number | null) => (v === null ? '' : cats[v] ?? String(v)) : undefined },
          ...d.series.map((s, i) => {
            const color = s.color ?? PALETTE[i % PALETTE.length];
            return {
              label: s.label, stroke: color, width: this.bars ? 0 : 1.75, spanGaps: this.spanGaps,
              fill: this.bars ? `${color}cc` : this.stepped ? `${color}22` : undefined,
              paths: this.bars ? barPaths : this.stepped ? stepPaths : undefined,
              points: { show: !this.bars && !this.stepped && d.x.length <= 40, size: 5, fill: color },
              value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmt(v)),
            };
          }),
        ],
      },
      [d.x, ...d.series.map((s) => s.values)] as uPlot.AlignedData,
      this.container,
    );
    if (!this.observer) {
      this.observer = new ResizeObserver(() => {
        if (this.plot && this.container.clientWidth > 0 && Math.abs(this.plot.width - this.container.clientWidth) > 2) {
          this.plot.setSize({ width: this.container.clientWidth, height: this.height });
        }
      });
      this.observer.observe(this.container);
    }
  }

  render() {
    const label = this.yLabel || 'chart';
    return html`<div class="plot" role="img" aria-label=${label}></div>
      ${this.data
        ? html`<div class="export" data-role="chart-export">
            <span>download</span>
            <button data-format="png" aria-label=${`download ${label} chart as PNG`} @click=${() => this.download('png')}>PNG</button>
            <button data-format="svg" aria-label=${`download ${label} chart as SVG`} @click=${() => this.download('svg')}>SVG</button>
          </div>`
        : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-chart': NnxChart;
  }
}
