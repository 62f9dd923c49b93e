/**
 * The properties <nnx-heatmap> draws from and <nnx-tensor-view> passes on to its heatmap,
 * declared once for both.
 */
import { LitElement } from 'lit';
import { property } from 'lit/decorators.js';
import type { Tensor } from '../analysis/tensor.ts';

/** A Lit element that shows a tensor as heatmaps: the tensor and what to mark on it. */
export class HeatmapInputs extends LitElement {
  /** The tensor to draw (row-major). */
  @property({ attribute: false }) tensor: Tensor | null = null;
  /** Cells to outline (full indices; spatial indices may fall in the padding margin). */
  @property({ attribute: false }) highlight: number[][] | null = null;
  /** The selected cell. */
  @property({ attribute: false }) selected: number[] | null = null;
  /** Margin (top, left, bottom, right) in cells drawn around every plane, e.g. zero padding. */
  @property({ attribute: false }) padding: [number, number, number, number] | null = null;
  /** Names of the row and column axes of a 4-D tensor, e.g. ['n', 'c']. */
  @property({ attribute: false }) axes: [string, string] = ['', ''];
  /** Whether a click on a cell selects it (and fires an event). */
  @property({ type: Boolean }) clickable = false;
  /** Width the grid tries to fit in, in CSS pixels. */
  @property({ type: Number }) maxWidth = 520;
  /** Cell size multiplier (1, 2, 4, 8); the heatmap lowers it when the canvas would grow past what browsers draw. */
  @property({ type: Number }) zoom = 1;
}
