/**
 * <nnx-patch-image>: an RGB image tensor [1, 3, H, W] (values in [−1, 1]) drawn as a picture,
 * cut into P×P patches by grid lines, each patch numbered with its token index (class token
 * = 0, so patches start at 1); the selected patch is outlined. Clicking a patch fires
 * `nnx-patch-select` with `{ py, px }`.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import type { Tensor } from '../analysis/tensor.ts';
import { tokens } from './theme.ts';

@customElement('nnx-patch-image')
export class NnxPatchImage extends LitElement {
  static styles = [tokens, css`
    :host { display: inline-block; }
    canvas { display: block; cursor: pointer; border-radius: 6px; image-rendering: pixelated; }
  `];

  @property({ attribute: false }) image: Tensor | null = null;
  @property({ type: Number }) patch = 1;
  /** [py, px] of the selected patch, or null. */
  @property({ attribute: false }) selected: [number, number] | null = null;
  /** Side of the drawing in CSS pixels (the longer side). */
  @property({ type: Number }) size = 256;
  @query('canvas') private canvas!: HTMLCanvasElement;

  /** Client coordinates of a patch's centre (for tests). */
  patchCenter(py: number, px: number): { x: number; y: number } {
    const { cell } = this.geometry();
    const box = this.canvas.getBoundingClientRect();
    return { x: box.left + (px + 0.5) * this.patch * cell, y: box.top + (py + 0.5) * this.patch * cell };
  }

  private geometry() {
    const [, , h, w] = this.image!.shape;
    const cell = Math.max(1, Math.floor(this.size / Math.max(h, w)));
    return { h, w, cell, width: w * cell, height: h * cell };
  }

  private onClick(e: MouseEvent): void {
    if (!this.image) return;
    const { cell } = this.geometry();
    const box = this.canvas.getBoundingClientRect();
    const py = Math.floor((e.clientY - box.top) / (cell * this.patch));
    const px = Math.floor((e.clientX - box.left) / (cell * this.patch));
    this.dispatchEvent(new CustomEvent('nnx-patch-select', { detail: { py, px }, bubbles: true, composed: true }));
  }

  protected updated(_: PropertyValues<this>): void {
    if (!this.image || !this.canvas) return;
    const { h, w, cell, width, height } = this.geometry();
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = width * dpr;
    this.canvas.height = height * dpr;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const d = this.image.data;
    const channels = this.image.shape[1];
    const byte = (v: number) => Math.round(Math.max(0, Math.min(1, (v + 1) / 2)) * 255);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const px = (c: number) => byte(d[(Math.min(c, channels - 1) * h + y) * w + x]);
        ctx.fillStyle = `rgb(${px(0)}, ${px(1)}, ${px(2)})`;
        ctx.fillRect(x * cell, y * cell, cell, cell);
      }
    }
    const step = this.patch * cell;
    const gh = Math.floor(h / this.patch);
    const gw = Math.floor(w / this.patch);
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.85)';
    ctx.lineWidth = 1;
    for (let i = 0; i <= gw; i++) { ctx.beginPath(); ctx.moveTo(i * step + 0.5, 0); ctx.lineTo(i * step + 0.5, height); ctx.stroke(); }
    for (let i = 0; i <= gh; i++) { ctx.beginPath(); ctx.moveTo(0, i * step + 0.5); ctx.lineTo(width, i * step + 0.5); ctx.stroke(); }
    if (step >= 18) {
      ctx.font = `600 ${Math.min(12, step / 3)}px ui-monospace, monospace`;
      ctx.textBaseline = 'top';
      for (let py = 0; py < gh; py++) {
        for (let px = 0; px < gw; px++) {
          const label = String(1 + py * gw + px);
          ctx.fillStyle = 'rgba(0, 0, 0, 0.55)';
          ctx.fillRect(px * step + 2, py * step + 2, ctx.measureText(label).width + 4, Math.min(12, step / 3) + 3);
          ctx.fillStyle = 'white';
          ctx.fillText(label, px * step + 4, py * step + 3);
        }
      }
    }
    if (this.selected) {
      const [py, px] = this.selected;
      ctx.strokeStyle = '#f59e0b';
      ctx.lineWidth = 3;
      ctx.strokeRect(px * step + 1.5, py * step + 1.5, step - 3, step - 3);
    }
  }

  render() {
    return this.image ? html`<canvas data-role="patch-image" @click=${this.onClick}></canvas>` : nothing;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-patch-image': NnxPatchImage;
  }
}
