/**
 * <nnx-landscape-contour>: the loss landscape seen from above, on a 2-D canvas: colour by log
 * loss (bilinear between grid points), contour lines from marching squares at evenly spaced log
 * levels, the trained weights marked at the centre, and the nearest grid point's α, β and loss on
 * hover. The fallback when WebGPU cannot draw, and the second view beside the 3-D surface.
 *
 * In: `grid`, `range` (shared with the surface so colours agree).
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { lossLevel, lossRgb, type LossRange } from './landscape_scale.ts';
import type { SurfaceGrid } from './landscape_surface.ts';
import { base, tokens } from './theme.ts';

/** Contour levels drawn (evenly spaced in log loss over the range). */
const LEVELS = 12;

/** Segments of the level-`level` contour of a field given at grid points: [x0, y0, x1, y1] in grid units. */
export function contourSegments(field: number[][], level: number): [number, number, number, number][] {
  const segments: [number, number, number, number][] = [];
  const lerp = (a: number, b: number) => (a === b ? 0.5 : (level - a) / (b - a));
  for (let i = 0; i + 1 < field.length; i++) {
    for (let j = 0; j + 1 < field[i].length; j++) {
      const v = [field[i][j], field[i + 1][j], field[i + 1][j + 1], field[i][j + 1]];
      // The cell's edges, each as its two corners: (i, j)→(i+1, j)→(i+1, j+1)→(i, j+1)→back.
      const corners: [number, number][] = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]];
      const crossings: [number, number][] = [];
      for (let e = 0; e < 4; e++) {
        const a = v[e];
        const b = v[(e + 1) % 4];
        if ((a < level) !== (b < level)) {
          const t = lerp(a, b);
          const [x0, y0] = corners[e];
          const [x1, y1] = corners[(e + 1) % 4];
          crossings.push([x0 + t * (x1 - x0), y0 + t * (y1 - y0)]);
        }
      }
      if (crossings.length === 2) segments.push([...crossings[0], ...crossings[1]]);
      else if (crossings.length === 4) segments.push([...crossings[0], ...crossings[1]], [...crossings[2], ...crossings[3]]);
    }
  }
  return segments;
}

@customElement('nnx-landscape-contour')
export class NnxLandscapeContour extends LitElement {
  static styles = [tokens, base, css`
    :host { display: inline-block; position: relative; }
    canvas { display: block; border-radius: 6px; cursor: crosshair; }
    .tip { position: absolute; pointer-events: none; background: rgba(20, 26, 46, 0.92); color: #fff; font: 11.5px var(--_mono); padding: 4px 7px; border-radius: 5px; white-space: nowrap; transform: translate(10px, -120%); z-index: 5; }
    .tip.left { transform: translate(calc(-100% - 10px), -120%); }
    .axes { font-size: 11px; color: var(--_muted); margin-top: 3px; }
  `];

  @property({ attribute: false }) grid: SurfaceGrid | null = null;
  @property({ attribute: false }) range: LossRange | null = null;
  @property({ type: Number }) size = 240;
  @state() private hover: { x: number; y: number; text: string } | null = null;
  @query('canvas') private canvas!: HTMLCanvasElement;

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has('grid') || changed.has('range') || changed.has('size')) this.draw();
  }

  private draw(): void {
    const grid = this.grid;
    const ctx = this.canvas?.getContext('2d');
    if (!grid || !ctx) return;
    const range = this.range ?? { lo: 0, hi: 1 };
    const size = this.size;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = size * dpr;
    this.canvas.height = size * dpr;
    this.canvas.style.width = `${size}px`;
    this.canvas.style.height = `${size}px`;
    const field = grid.loss.map((row) => row.map((v) => lossLevel(v, range)));
    const na = grid.alphas.length;
    const nb = grid.betas.length;
    // α runs left to right, β bottom to top.
    const image = ctx.createImageData(size * dpr, size * dpr);
    const px = size * dpr;
    for (let y = 0; y < px; y++) {
      for (let x = 0; x < px; x++) {
        const u = (x / (px - 1)) * (na - 1);
        const w = (1 - y / (px - 1)) * (nb - 1);
        const i = Math.min(na - 2, Math.floor(u));
        const j = Math.min(nb - 2, Math.floor(w));
        const fu = u - i;
        const fw = w - j;
        const level = (1 - fu) * (1 - fw) * field[i][j] + fu * (1 - fw) * field[i + 1][j] + (1 - fu) * fw * field[i][j + 1] + fu * fw * field[i + 1][j + 1];
        const [r, g, b] = lossRgb(level);
        const o = (y * px + x) * 4;
        image.data[o] = r;
        image.data[o + 1] = g;
        image.data[o + 2] = b;
        image.data[o + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
    ctx.save();
    ctx.scale(dpr, dpr);
    const toX = (i: number) => (i / (na - 1)) * size;
    const toY = (j: number) => (1 - j / (nb - 1)) * size;
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.7)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let k = 1; k < LEVELS; k++) {
      for (const [x0, y0, x1, y1] of contourSegments(field, k / LEVELS)) {
        ctx.moveTo(toX(x0), toY(y0));
        ctx.lineTo(toX(x1), toY(y1));
      }
    }
    ctx.stroke();
    const cx = toX((na - 1) / 2);
    const cy = toY((nb - 1) / 2);
    ctx.strokeStyle = '#e11d48';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(cx - 6, cy);
    ctx.lineTo(cx + 6, cy);
    ctx.moveTo(cx, cy - 6);
    ctx.lineTo(cx, cy + 6);
    ctx.stroke();
    ctx.restore();
  }

  private onMove(e: MouseEvent): void {
    const grid = this.grid;
    if (!grid) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const a = Math.round((x / this.size) * (grid.alphas.length - 1));
    const b = Math.round((1 - y / this.size) * (grid.betas.length - 1));
    if (a < 0 || b < 0 || a >= grid.alphas.length || b >= grid.betas.length) {
      this.hover = null;
      return;
    }
    const loss = grid.loss[a][b];
    this.hover = { x, y, text: `α ${grid.alphas[a].toFixed(3)}, β ${grid.betas[b].toFixed(3)}: loss ${loss === null ? 'not finite' : loss.toPrecision(5)}` };
  }

  render() {
    return html`<canvas @mousemove=${this.onMove} @mouseleave=${() => (this.hover = null)}></canvas>
      ${this.hover ? html`<div class="tip ${this.hover.x >= this.size / 2 ? 'left' : ''}" data-role="contour-hover" style="left: ${this.hover.x}px; top: ${this.hover.y}px">${this.hover.text}</div>` : nothing}
      <div class="axes" style="width: ${this.size}px">α → (d1), β ↑ (d2); + marks the trained weights; lines every ${(100 / LEVELS).toFixed(1)}% of the log-loss range</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-landscape-contour': NnxLandscapeContour;
  }
}
