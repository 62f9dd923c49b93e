/**
 * <nnx-heatmap>: a tensor drawn as a grid of 2-D planes on one canvas, with a colour bar below.
 * Rank 4 [A, B, H, W] gives A rows × B columns of H×W planes; rank 3 one row; rank 2 one plane;
 * rank 1 one strip. Signed tensors use the diverging map (−scale, 0, +scale), tensors with no
 * negative value the sequential one (0 to scale), unless `colormap` names one. Hover shows the
 * exact value; a click fires `nnx-cell-click`. `zoom` multiplies the cell size (ctrl/cmd + wheel
 * over the canvas steps it through `HEATMAP_ZOOMS` and fires `nnx-zoom-change`); a zoomed canvas
 * scrolls inside its frame.
 *
 * Keyboard: the frame takes focus; arrow keys move a cursor cell within its plane, Home/End go to
 * the first/last column (with ctrl/cmd: the first/last cell of the plane), Page Up/Page Down to
 * the previous/next plane. A live region announces "row i, column j: value"; on a clickable
 * heatmap every move fires the same `nnx-cell-click` a click does.
 */
import { css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { colormapGradient, colormapRgb, type ColormapName } from './colormap.ts';
import { formatFloat32, formatIndex, formatShape, formatShort } from './format.ts';
import { HeatmapInputs } from './heatmap_inputs.ts';
import { tokens } from './theme.ts';

export interface ZoomChangeDetail {
  name: string;
  zoom: number;
}

/** The zoom levels offered (cell size multipliers). */
export const HEATMAP_ZOOMS = [1, 2, 4, 8] as const;

/** Largest canvas side and area, in device pixels, a zoom may produce (browsers cap canvases). */
const MAX_CANVAS_SIDE = 16384;
const MAX_CANVAS_AREA = 64 * 1024 * 1024;
/** Wheel travel (pixels) per zoom step, so a trackpad pinch does not jump straight to 8×. */
const WHEEL_STEP = 60;

export interface CellClickDetail {
  name: string;
  index: number[];
  value: number;
}

interface Geometry {
  rows: number;
  cols: number;
  h: number;
  w: number;
  cell: number;
  gap: number;
  left: number;
  top: number;
  pad: [number, number, number, number];
  planeW: number;
  planeH: number;
  width: number;
  height: number;
}

const LABEL_LEFT = 26;
const LABEL_TOP = 15;

/** Splits a shape into the grid of planes this component draws. */
export function planeGrid(shape: readonly number[]): { rows: number; cols: number; h: number; w: number } {
  if (shape.length >= 4) return { rows: shape[shape.length - 4], cols: shape[shape.length - 3], h: shape[shape.length - 2], w: shape[shape.length - 1] };
  if (shape.length === 3) return { rows: 1, cols: shape[0], h: shape[1], w: shape[2] };
  if (shape.length === 2) return { rows: 1, cols: 1, h: shape[0], w: shape[1] };
  if (shape.length === 1) return { rows: 1, cols: 1, h: 1, w: shape[0] };
  return { rows: 1, cols: 1, h: 1, w: 1 };
}

function fullIndex(rank: number, r: number, c: number, y: number, x: number): number[] {
  if (rank >= 4) return [r, c, y, x];
  if (rank === 3) return [c, y, x];
  if (rank === 2) return [y, x];
  if (rank === 1) return [x];
  return [];
}

function gridPosition(rank: number, index: readonly number[]): [number, number, number, number] {
  if (rank >= 4) return [index[0], index[1], index[2], index[3]];
  if (rank === 3) return [0, index[0], index[1], index[2]];
  if (rank === 2) return [0, 0, index[0], index[1]];
  if (rank === 1) return [0, 0, 0, index[0]];
  return [0, 0, 0, 0];
}

@customElement('nnx-heatmap')
export class NnxHeatmap extends HeatmapInputs {
  static styles = [tokens, css`
    :host { display: block; position: relative; }
    .scroll { overflow: auto; max-width: 100%; }
    .scroll.zoomed { max-height: var(--nnx-heatmap-max-height, 70vh); }
    .scroll:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; border-radius: 2px; }
    canvas { display: block; }
    canvas.clickable { cursor: crosshair; }
    .legend { display: flex; align-items: center; gap: 6px; margin-top: 8px; font: 10.5px var(--_mono); color: var(--_muted); }
    .bar { height: 7px; width: 120px; border-radius: 4px; border: 1px solid var(--_border); flex: none; }
    .bar-scale { display: flex; flex-direction: column; gap: 1px; }
    .ticks { display: flex; justify-content: space-between; width: 120px; }
    .announce { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
    .tip {
      position: absolute; pointer-events: none; z-index: 5; white-space: nowrap;
      background: #151a2d; color: #fff; border-radius: 6px; padding: 4px 8px;
      font: 12px/1.35 var(--_mono); box-shadow: 0 4px 14px rgba(0, 0, 0, 0.25);
    }
    .tip .v { color: #ffd58a; font-weight: 600; }
  `];

  /** Name used in the hover text: `x[0, 1, 2, 3]`. */
  @property() name = 'tensor';
  /** |value| drawn at full colour; defaults to the tensor's largest |value|. */
  @property({ attribute: false }) scale: number | null = null;
  /** Side of one plane the layout aims for, in CSS pixels. */
  @property({ type: Number }) planeSize = 120;
  /** Largest cell side, in CSS pixels (small kernels stay compact). */
  @property({ type: Number }) maxCell = 18;
  /** The hover text of a cell instead of `name[index]` (the value is still appended). */
  @property({ attribute: false }) describe: ((index: number[]) => string) | null = null;
  /** The colour map; `auto` picks sequential when no value is negative, diverging otherwise. */
  @property() colormap: ColormapName | 'auto' = 'auto';

  @state() private tip: { text: string; value: string | null; x: number; y: number } | null = null;
  /** What the live region last announced (a keyboard move). */
  @state() private announcement = '';
  @query('canvas') private canvas!: HTMLCanvasElement;
  private geometry: Geometry | null = null;
  private hover: number[] | null = null;
  private base: HTMLCanvasElement | null = null;
  private wheel = 0;
  private pointer: { clientX: number; clientY: number } | null = null;
  /** The map drawn: `colormap`, or for `auto` sequential when no value is negative. */
  private drawnColormap: ColormapName = 'diverging';
  /** The keyboard cursor cell (full index); follows `selected` and clicks. */
  private cursor: number[] | null = null;

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.base = null;
    this.geometry = null;
  }

  /**
   * The page (client) coordinates of a cell's centre, for tests and tours. When the heatmap is
   * zoomed, its frame is first scrolled (as little as needed) so that the cell is visible.
   */
  cellCenter(index: number[]): { x: number; y: number } {
    const g = this.geometry;
    if (!g || !this.tensor) throw new Error(`${this.name}: nothing drawn yet`);
    const { x, y } = this.cellOffset(g, index);
    const frame = this.frame;
    if (frame) {
      const half = g.cell / 2;
      if (x - half < frame.scrollLeft || x + half > frame.scrollLeft + frame.clientWidth) frame.scrollLeft = Math.max(0, x - frame.clientWidth / 2);
      if (y - half < frame.scrollTop || y + half > frame.scrollTop + frame.clientHeight) frame.scrollTop = Math.max(0, y - frame.clientHeight / 2);
    }
    const box = this.canvas.getBoundingClientRect();
    return { x: box.left + x, y: box.top + y };
  }

  /** The drawn planes as a PNG (without the hover outline), or null before anything is drawn. */
  pngBlob(): Promise<Blob | null> {
    const base = this.base;
    return base ? new Promise((resolve) => base.toBlob(resolve, 'image/png')) : Promise.resolve(null);
  }

  /** A cell's centre in canvas (CSS pixel) coordinates. */
  private cellOffset(g: Geometry, index: number[]): { x: number; y: number } {
    const [r, c, y, x] = gridPosition(this.tensor!.shape.length, index);
    return { x: this.planeX(g, c) + (g.pad[1] + x + 0.5) * g.cell, y: this.planeY(g, r) + (g.pad[0] + y + 0.5) * g.cell };
  }

  private get frame(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('.scroll');
  }

  private layout(): Geometry | null {
    if (!this.tensor) return null;
    const { rows, cols, h, w } = planeGrid(this.tensor.shape);
    const pad = this.padding ?? [0, 0, 0, 0];
    const spanW = w + pad[1] + pad[3];
    const spanH = h + pad[0] + pad[2];
    const fit = Math.min(this.planeSize / Math.max(spanW, spanH), this.maxWidth / (cols * spanW));
    const unzoomed = Math.max(3, Math.min(this.maxCell, Math.floor(fit)));
    const gap = unzoomed >= 8 ? 10 : 6;
    const left = rows > 1 || this.axes[0] ? LABEL_LEFT : 0;
    const top = cols > 1 || this.axes[1] ? LABEL_TOP : 0;
    const dpr = window.devicePixelRatio || 1;
    const make = (cell: number): Geometry => {
      const planeW = spanW * cell;
      const planeH = spanH * cell;
      return {
        rows, cols, h, w, cell, gap, left, top, pad, planeW, planeH,
        width: left + cols * planeW + (cols - 1) * gap + 2,
        height: top + rows * planeH + (rows - 1) * gap + 2,
      };
    };
    const fits = (g: Geometry) => g.width * dpr <= MAX_CANVAS_SIDE && g.height * dpr <= MAX_CANVAS_SIDE && g.width * g.height * dpr * dpr <= MAX_CANVAS_AREA;
    let zoom = Number.isFinite(this.zoom) ? Math.max(1, this.zoom) : 1;
    let g = make(Math.round(unzoomed * zoom));
    while (zoom > 1 && !fits(g)) {
      zoom = Math.max(1, zoom / 2);
      g = make(Math.round(unzoomed * zoom));
    }
    return g;
  }

  private planeX(g: Geometry, c: number): number {
    return g.left + 1 + c * (g.planeW + g.gap);
  }

  private planeY(g: Geometry, r: number): number {
    return g.top + 1 + r * (g.planeH + g.gap);
  }

  private pickColormap(): ColormapName {
    if (this.colormap !== 'auto') return this.colormap;
    for (const v of this.tensor?.data ?? []) if (v < 0) return 'diverging';
    return 'sequential';
  }

  private maxAbs(): number {
    if (this.scale !== null && this.scale > 0) return this.scale;
    let m = 0;
    for (const v of this.tensor?.data ?? []) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
    return m || 1;
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('tensor') || changed.has('colormap')) this.drawnColormap = this.pickColormap();
    if (changed.has('selected') && this.selected) this.cursor = this.selected;
    if (changed.has('tensor')) this.cursor = this.selected;
  }

  protected updated(changed: PropertyValues): void {
    if ((changed.has('tip') || changed.has('announcement')) && [...changed.keys()].every((k) => k === 'tip' || k === 'announcement')) return;
    this.drawBase();
    this.present();
  }

  /** Draws everything but the hover outline into an offscreen canvas. */
  private drawBase(): void {
    const g = (this.geometry = this.layout());
    if (!g || !this.tensor) {
      this.base = null;
      return;
    }
    const dpr = window.devicePixelRatio || 1;
    const base = (this.base ??= document.createElement('canvas'));
    base.width = Math.round(g.width * dpr);
    base.height = Math.round(g.height * dpr);
    const ctx = base.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, g.width, g.height);
    const colors = this.colors();
    const scale = this.maxAbs();
    const colormap = this.drawnColormap;
    const data = this.tensor.data;
    const rank = this.tensor.shape.length;
    const { rows, cols, h, w, cell } = g;

    ctx.font = `10px ${colors.mono}`;
    ctx.fillStyle = colors.muted;
    ctx.textBaseline = 'middle';
    if (g.top) {
      ctx.textAlign = 'center';
      const every = Math.ceil(24 / (g.planeW + g.gap));
      for (let c = 0; c < cols; c += every) ctx.fillText(`${this.axes[1]}${c}`, this.planeX(g, c) + g.planeW / 2, LABEL_TOP / 2);
    }
    if (g.left) {
      ctx.textAlign = 'right';
      const every = Math.ceil(12 / (g.planeH + g.gap));
      for (let r = 0; r < rows; r += every) ctx.fillText(`${this.axes[0]}${r}`, LABEL_LEFT - 5, this.planeY(g, r) + g.planeH / 2);
    }

    const hl = (this.highlight ?? []).map((idx) => gridPosition(rank, idx));
    const focusedPlanes = new Set(hl.map(([r, c]) => `${r},${c}`));
    if (this.selected) focusedPlanes.add(gridPosition(rank, this.selected).slice(0, 2).join(','));
    const padded = g.pad.some((p) => p > 0);

    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const px = this.planeX(g, c);
        const py = this.planeY(g, r);
        if (padded) {
          ctx.fillStyle = colors.pad;
          ctx.fillRect(px, py, g.planeW, g.planeH);
          if (cell >= 6) {
            ctx.fillStyle = 'rgba(255,255,255,0.7)';
            for (let yy = 0; yy < h + g.pad[0] + g.pad[2]; yy++) {
              for (let xx = 0; xx < w + g.pad[1] + g.pad[3]; xx++) ctx.fillRect(px + (xx + 0.5) * cell - 1, py + (yy + 0.5) * cell - 1, 2, 2);
            }
          }
        }
        const ox = px + g.pad[1] * cell;
        const oy = py + g.pad[0] * cell;
        const first = (r * cols + c) * h * w;
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const [cr, cg, cb] = colormapRgb(colormap, data[first + y * w + x] / scale);
            ctx.fillStyle = `rgb(${cr},${cg},${cb})`;
            ctx.fillRect(ox + x * cell, oy + y * cell, cell, cell);
          }
        }
        ctx.strokeStyle = 'rgba(16,24,40,0.22)';
        ctx.lineWidth = 1;
        ctx.strokeRect(ox - 0.5, oy - 0.5, w * cell + 1, h * cell + 1);
        if (focusedPlanes.size > 0 && !focusedPlanes.has(`${r},${c}`)) {
          ctx.fillStyle = 'rgba(244,245,249,0.68)';
          ctx.fillRect(px - 1, py - 1, g.planeW + 2, g.planeH + 2);
        }
      }
    }
    for (const pos of hl) {
      const inside = pos[2] >= 0 && pos[2] < h && pos[3] >= 0 && pos[3] < w;
      this.outline(ctx, g, pos, colors.focus, cell >= 8 ? 2 : 1.5, !inside);
    }
    if (this.selected) {
      const pos = gridPosition(rank, this.selected);
      this.outline(ctx, g, pos, colors.text, cell >= 8 ? 3 : 2, false);
      if (cell >= 10) this.outline(ctx, g, pos, '#ffffff', 1, false, 3);
    }
  }

  /** Copies the base image to the visible canvas and adds the hover outline. */
  private present(): void {
    const g = this.geometry;
    const canvas = this.canvas;
    if (!canvas) return;
    if (!g || !this.base || !this.tensor) {
      canvas.width = canvas.height = 0;
      return;
    }
    const dpr = window.devicePixelRatio || 1;
    canvas.style.width = `${g.width}px`;
    canvas.style.height = `${g.height}px`;
    if (canvas.width !== this.base.width || canvas.height !== this.base.height) {
      canvas.width = this.base.width;
      canvas.height = this.base.height;
    }
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(this.base, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (this.hover) this.outline(ctx, g, gridPosition(this.tensor.shape.length, this.hover), this.colors().text, 1.5, false);
  }

  private colors() {
    const style = getComputedStyle(this);
    const get = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    return {
      muted: get('--_muted', '#667085'), pad: get('--_pad', '#d7dbe5'), focus: get('--_focus', '#f59e0b'),
      text: get('--_text', '#1b2130'), mono: get('--_mono', 'monospace'),
    };
  }

  private outline(ctx: CanvasRenderingContext2D, g: Geometry, pos: number[], color: string, width: number, dashed: boolean, inset = 0): void {
    const [r, c, y, x] = pos;
    const cx = this.planeX(g, c) + (g.pad[1] + x) * g.cell + inset;
    const cy = this.planeY(g, r) + (g.pad[0] + y) * g.cell + inset;
    const size = g.cell - 2 * inset;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.setLineDash(dashed ? [2, 2] : []);
    ctx.strokeRect(cx + width / 2, cy + width / 2, Math.max(1, size - width), Math.max(1, size - width));
    ctx.restore();
  }

  /** The cell under a pointer position, with whether it lies in the padding margin. */
  private cellAt(ev: { clientX: number; clientY: number }): { index: number[]; padded: boolean } | null {
    const g = this.geometry;
    if (!g || !this.tensor) return null;
    const box = this.canvas.getBoundingClientRect();
    const mx = ev.clientX - box.left;
    const my = ev.clientY - box.top;
    const c = Math.floor((mx - g.left - 1) / (g.planeW + g.gap));
    const r = Math.floor((my - g.top - 1) / (g.planeH + g.gap));
    if (c < 0 || r < 0 || c >= g.cols || r >= g.rows) return null;
    const lx = mx - this.planeX(g, c);
    const ly = my - this.planeY(g, r);
    if (lx < 0 || ly < 0 || lx >= g.planeW || ly >= g.planeH) return null;
    const x = Math.floor(lx / g.cell) - g.pad[1];
    const y = Math.floor(ly / g.cell) - g.pad[0];
    const padded = x < 0 || y < 0 || x >= g.w || y >= g.h;
    return { index: fullIndex(this.tensor.shape.length, r, c, y, x), padded };
  }

  private valueAt(index: number[]): number {
    const shape = this.tensor!.shape;
    const flat = index.reduce((f, v, i) => f * shape[i] + v, 0);
    return this.tensor!.data[flat];
  }

  /** Re-reads the cell under the last pointer position (after a scroll or zoom moved the canvas). */
  private refreshHover(): void {
    if (this.pointer) this.onMove(this.pointer);
  }

  private onMove(ev: { clientX: number; clientY: number }): void {
    this.pointer = { clientX: ev.clientX, clientY: ev.clientY };
    const hit = this.cellAt(ev);
    const host = this.getBoundingClientRect();
    if (!hit) {
      if (this.tip || this.hover) {
        this.tip = null;
        this.hover = null;
        this.present();
      }
      return;
    }
    const x = ev.clientX - host.left + 14;
    const y = ev.clientY - host.top + 14;
    this.tip = hit.padded
      ? { text: `${this.name} padding ${formatIndex('', hit.index)}`, value: '0', x, y }
      : { text: this.describe?.(hit.index) ?? formatIndex(this.name, hit.index), value: formatFloat32(this.valueAt(hit.index)), x, y };
    this.hover = hit.padded ? null : hit.index;
    this.present();
  }

  /** ctrl/cmd + wheel steps the zoom, keeping the cell under the pointer where it is. */
  private onWheel(ev: WheelEvent): void {
    if (!(ev.ctrlKey || ev.metaKey) || !this.geometry) return;
    ev.preventDefault();
    this.wheel += ev.deltaY * (ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1);
    if (Math.abs(this.wheel) < WHEEL_STEP) return;
    const zoomIn = this.wheel < 0;
    this.wheel = 0;
    const levels: readonly number[] = HEATMAP_ZOOMS;
    const next = zoomIn ? levels.find((z) => z > this.zoom) : [...levels].reverse().find((z) => z < this.zoom);
    if (next === undefined) return;
    const hit = this.cellAt(ev);
    this.zoom = next;
    this.dispatchEvent(new CustomEvent<ZoomChangeDetail>('nnx-zoom-change', { detail: { name: this.name, zoom: next }, bubbles: true, composed: true }));
    void this.updateComplete.then(() => {
      const g = this.geometry;
      const frame = this.frame;
      if (hit && g && frame && this.tensor) {
        const { x, y } = this.cellOffset(g, hit.index);
        const box = frame.getBoundingClientRect();
        frame.scrollLeft = Math.max(0, x - (ev.clientX - box.left));
        frame.scrollTop = Math.max(0, y - (ev.clientY - box.top));
        // What the frame cannot absorb (it grew), the page scroll does.
        const dy = this.canvas.getBoundingClientRect().top + y - ev.clientY;
        if (Math.abs(dy) >= 1) window.scrollBy({ top: dy, behavior: 'instant' });
      }
      this.refreshHover();
    });
  }

  private onLeave(): void {
    this.pointer = null;
    this.tip = null;
    this.hover = null;
    this.present();
  }

  private onClick(ev: MouseEvent): void {
    if (!this.clickable) return;
    const hit = this.cellAt(ev);
    if (!hit || hit.padded) return;
    this.cursor = hit.index;
    this.fireCellClick(hit.index);
  }

  private fireCellClick(index: number[]): void {
    const detail: CellClickDetail = { name: this.name, index, value: this.valueAt(index) };
    this.dispatchEvent(new CustomEvent('nnx-cell-click', { detail, bubbles: true, composed: true }));
  }

  /** The cell a key moves the cursor to, or null when the key is not a navigation key. */
  private keyTarget(ev: KeyboardEvent, g: Geometry, from: [number, number, number, number]): [number, number, number, number] | null {
    let [r, c, y, x] = from;
    const clamp = (v: number, n: number) => Math.max(0, Math.min(n - 1, v));
    switch (ev.key) {
      case 'ArrowLeft': x = clamp(x - 1, g.w); break;
      case 'ArrowRight': x = clamp(x + 1, g.w); break;
      case 'ArrowUp': y = clamp(y - 1, g.h); break;
      case 'ArrowDown': y = clamp(y + 1, g.h); break;
      case 'Home':
        x = 0;
        if (ev.ctrlKey || ev.metaKey) y = 0;
        break;
      case 'End':
        x = g.w - 1;
        if (ev.ctrlKey || ev.metaKey) y = g.h - 1;
        break;
      case 'PageUp':
      case 'PageDown': {
        const plane = clamp(r * g.cols + c + (ev.key === 'PageUp' ? -1 : 1), g.rows * g.cols);
        r = Math.floor(plane / g.cols);
        c = plane % g.cols;
        break;
      }
      default: return null;
    }
    return [r, c, y, x];
  }

  /** Keyboard navigation: moves the cursor, shows and announces its value, selects it when clickable. */
  private onKey(ev: KeyboardEvent): void {
    const g = this.geometry;
    const t = this.tensor;
    if (!g || !t || t.data.length === 0) return;
    const rank = t.shape.length;
    const to = this.keyTarget(ev, g, gridPosition(rank, this.cursor ?? fullIndex(rank, 0, 0, 0, 0)));
    if (!to) return;
    ev.preventDefault();
    const index = fullIndex(rank, ...to);
    this.cursor = index;
    const { x, y } = this.cellCenter(index);
    const host = this.getBoundingClientRect();
    const label = this.describe?.(index) ?? formatIndex(this.name, index);
    const value = formatFloat32(this.valueAt(index));
    this.tip = { text: label, value, x: x - host.left + 14, y: y - host.top + 14 };
    this.announcement = `${label}, row ${to[2]}, column ${to[3]}: ${value}`;
    this.hover = index;
    this.present();
    if (this.clickable) this.fireCellClick(index);
  }

  private onBlur(): void {
    if (this.pointer) return;
    this.tip = null;
    this.hover = null;
    this.present();
  }

  private renderLegend() {
    const scale = this.maxAbs();
    const diverging = this.drawnColormap === 'diverging';
    const ticks = diverging ? [`−${formatShort(scale)}`, '0', `+${formatShort(scale)}`] : ['0', formatShort(scale / 2), formatShort(scale)];
    return html`<div class="legend" data-role="legend" data-colormap=${this.drawnColormap}>
      <span class="bar-scale">
        <span class="bar" role="img" aria-label=${`colour scale: ${diverging ? 'blue negative, white zero, red positive' : 'purple zero to yellow largest'}, from ${ticks[0]} to ${ticks[2]}`} style="background:${colormapGradient(this.drawnColormap)}"></span>
        <span class="ticks" aria-hidden="true">${ticks.map((v) => html`<span>${v}</span>`)}</span>
      </span>
    </div>`;
  }

  render() {
    const t = this.tensor;
    const label = t ? `${this.name}, shape ${formatShape(t.shape)}: heatmap; arrow keys move between cells, Home and End to the row's ends, Page Up and Page Down between planes` : this.name;
    return html`
      <div class="scroll ${this.zoom > 1 ? 'zoomed' : ''}" tabindex="0" role="application" aria-label=${label}
        @scroll=${this.refreshHover} @keydown=${this.onKey} @blur=${this.onBlur}>
        <canvas
          class=${this.clickable ? 'clickable' : ''}
          @mousemove=${this.onMove}
          @mouseleave=${this.onLeave}
          @click=${this.onClick}
          @wheel=${this.onWheel}
        ></canvas>
      </div>
      ${t ? this.renderLegend() : nothing}
      <div class="announce" role="status" data-role="announce">${this.announcement}</div>
      ${this.tip
        ? html`<div class="tip" style="left:${this.tip.x}px;top:${this.tip.y}px;${this.tip.x > this.clientWidth / 2 ? 'transform:translateX(calc(-100% - 28px))' : ''}">${this.tip.text}${this.tip.value !== null ? html` = <span class="v">${this.tip.value}</span>` : nothing}</div>`
        : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-heatmap': NnxHeatmap;
  }
}
