/**
 * The graph pages' spectrum section: GCN's Â as a V×V heatmap, the eigenvalues of L̃ = I − Â
 * (click one to colour the graph by its eigenvector), one propagation as the low-pass filter
 * g(λ̃) = 1 − λ̃ beside the graph-Fourier coefficients of x and Âx from the GPU, and a depth
 * slider over Â^k x (Dirichlet energy per step, node colours converging).
 *
 * <nnx-graph-spectrum>: in `numNodes`, `edgeIndex` (the layer's [2, E], flat), `propagated`
 * ([K+1, V, F]: x, Âx, …, Â^K x read back from the GPU), `labels` (per node, optional).
 */
import { LitElement, css, html, svg, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import {
  dirichletEnergy, eigenvector, fourierCoefficients, gcnPropagationMatrix, graphSpectrum, highFrequencyShare, undirectedEdgeIndex,
  type DenseMatrix, type GraphSpectrum,
} from '../../analysis/graph_spectrum.ts';
import type { Tensor } from '../../analysis/tensor.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { propagateOnGpu } from '../../ops/graph_smoothing.ts';
import type { RunSpec } from '../../ops/spec.ts';
import type { ChartData } from '../chart.ts';
import '../chart.ts';
import { formatFloat64, formatShort } from '../format.ts';
import '../graph_view.ts';
import '../heatmap.ts';
import { tokens } from '../theme.ts';
import type { LabRunData, RunTensors } from './types.ts';

/** Propagations the depth slider offers. */
export const SPECTRUM_DEPTH = 16;

/** x, Âx, …, Â^K x of the layer's input on the GPU, as the run tensor `spectrum.propagated` [K+1, V, F]. */
export async function spectrumExtraRun(rt: GpuRuntime, spec: RunSpec): Promise<RunTensors> {
  const x = spec.inputs.x;
  const [v, width] = x.shape;
  const edges = undirectedEdgeIndex(v, spec.inputs.edge_index.data);
  const states = await propagateOnGpu(rt, v, edges, Float32Array.from(x.data), width, SPECTRUM_DEPTH);
  // The runtime keeps timestamps until asked: take these so the next run's kernel table holds only its own dispatches.
  await rt.timings();
  const data = new Float32Array((SPECTRUM_DEPTH + 1) * v * width);
  states.forEach((s, k) => data.set(s, k * v * width));
  return { 'spectrum.propagated': { shape: [SPECTRUM_DEPTH + 1, v, width], data } };
}

/** The section for a finished graph-op run. */
export function spectrumSection(run: LabRunData, labels?: string[]) {
  const propagated = run.tensors['spectrum.propagated'];
  if (!propagated) return html``;
  const edgeIndex = run.spec.inputs.edge_index.data;
  return html`<section>
    <div class="section-title"><h2>Spectrum</h2><span>GCN’s Â = D̃^-½ (A + I) D̃^-½ and L̃ = I − Â: eigendecomposition in float64 (ml-matrix), propagations on the GPU</span></div>
    <nnx-graph-spectrum .numNodes=${propagated.shape[1]} .edgeIndex=${edgeIndex} .propagated=${propagated} .labels=${labels ?? null}></nnx-graph-spectrum>
  </section>`;
}

interface Analysis {
  edges: Int32Array;
  degree: Float64Array;
  aHat: DenseMatrix;
  spectrum: GraphSpectrum;
  energy: number[];
  highShare: number[];
  coefficients: Float64Array[];
}

@customElement('nnx-graph-spectrum')
export class NnxGraphSpectrum extends LitElement {
  static styles = [tokens, css`
    :host { display: block; }
    .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 14px; align-items: start; }
    figure { margin: 0; padding: 12px; background: var(--_surface); border: 1px solid var(--_border); border-radius: var(--_radius, 10px); min-width: 0; }
    h3 { margin: 0 0 4px; font-size: 13px; }
    .note { font-size: 11.5px; color: var(--_muted); margin: 6px 0 0; line-height: 1.45; }
    .readout { font: 12px var(--_mono); margin: 6px 0 0; }
    svg.eig { width: 100%; height: auto; display: block; }
    svg.eig .pt { cursor: pointer; fill: var(--_accent); stroke: var(--_surface); stroke-width: 1; }
    svg.eig .pt.sel { fill: var(--_focus, #e8590c); stroke: #222; stroke-width: 1.5; }
    svg.eig .pt:focus { outline: none; stroke: #222; stroke-width: 2; }
    svg.eig text { font: 10px var(--_mono); fill: var(--_muted); }
    svg.eig line.axis { stroke: var(--_border); }
    svg.eig line.half { stroke: var(--_muted); stroke-dasharray: 3 3; }
    label.depth { display: flex; align-items: center; gap: 8px; font-size: 12px; margin: 4px 0; }
    label.depth input { flex: 1; }
  `];

  @property({ type: Number }) numNodes = 0;
  @property({ attribute: false }) edgeIndex: ArrayLike<number> = [];
  @property({ attribute: false }) propagated: Tensor | null = null;
  @property({ attribute: false }) labels: string[] | null = null;
  /** The eigenvector drawn on the graph (index into the ascending eigenvalues); 1 = the Fiedler vector. */
  @state() mode = 1;
  /** Propagations applied to the features shown on the depth graph. */
  @state() depth = 1;

  private analysis: Analysis | null = null;

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('edgeIndex') || changed.has('propagated') || changed.has('numNodes')) {
      this.analysis = this.analyse();
      this.mode = Math.min(this.mode, Math.max(0, this.numNodes - 1));
    }
  }

  private analyse(): Analysis | null {
    const p = this.propagated;
    const v = this.numNodes;
    if (!p || v < 2) return null;
    const width = p.shape[2];
    const edges = undirectedEdgeIndex(v, this.edgeIndex);
    const degree = new Float64Array(v).fill(1);
    for (let k = edges.length / 2; k < edges.length; k++) degree[edges[k]]++;
    const spectrum = graphSpectrum(v, edges, 'renormalized');
    const states = Array.from({ length: p.shape[0] }, (_, k) => p.data.subarray(k * v * width, (k + 1) * v * width));
    const coefficients = states.map((s) => fourierCoefficients(spectrum.eigenvectors, v, s, width));
    return {
      edges, degree, aHat: gcnPropagationMatrix(v, edges), spectrum, coefficients,
      energy: states.map((s) => dirichletEnergy(v, edges, s, width)),
      highShare: coefficients.map((c) => highFrequencyShare(spectrum.eigenvalues, c, width)),
    };
  }

  private describeEntry(a: Analysis, [i, j]: number[]): string {
    if (a.aHat.data[i * this.numNodes + j] === 0) return `Â[${i}, ${j}]: no message ${j} → ${i}`;
    const [di, dj] = [a.degree[i], a.degree[j]];
    return `message ${j} → ${i}: 1/√(deg(${j})·deg(${i})) = 1/√(${dj}·${di})${i === j ? ' (self loop)' : ''}`;
  }

  private eigenvaluePlot(a: Analysis) {
    const values = a.spectrum.eigenvalues;
    const n = values.length;
    const [w, h, left, bottom, top] = [360, 170, 30, 22, 8];
    const top2 = Math.max(2, values[n - 1]);
    const x = (k: number) => left + ((k + 0.5) / n) * (w - left - 6);
    const y = (l: number) => top + (1 - l / top2) * (h - top - bottom);
    return svg`<svg class="eig" viewBox="0 0 ${w} ${h}" role="group" aria-label="eigenvalues of L̃, ascending; click one to draw its eigenvector">
      <line class="axis" x1=${left} y1=${y(0)} x2=${w - 4} y2=${y(0)}></line>
      <line class="half" x1=${left} y1=${y(1)} x2=${w - 4} y2=${y(1)}></line>
      ${[0, 1, 2].map((t) => svg`<text x=${left - 4} y=${y(t) + 3} text-anchor="end">${t}</text>`)}
      <text x=${w - 6} y=${y(1) - 4} text-anchor="end">λ̃ = 1: g = 0</text>
      <text x=${left} y=${h - 6}>mode k = 0 … ${n - 1} (low → high frequency)</text>
      ${Array.from(values, (l, k) => svg`<circle class="pt ${k === this.mode ? 'sel' : ''}" data-mode=${k} tabindex="0" role="button"
        cx=${x(k)} cy=${y(l)} r=${k === this.mode ? 5.5 : 3.5} @click=${() => (this.mode = k)}
        @keydown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && (this.mode = k)}><title>λ̃_${k} = ${formatFloat64(l, 6)}</title></circle>`)}
    </svg>`;
  }

  private fourierChart(a: Analysis): ChartData {
    const width = this.propagated!.shape[2];
    const [c0, c1] = a.coefficients;
    const dot = (p: Float64Array, q: Float64Array, k: number) => Array.from({ length: width }, (_, f) => p[k * width + f] * q[k * width + f]).reduce((s, t) => s + t, 0);
    const ks = Array.from(a.spectrum.eigenvalues, (_, k) => k);
    return {
      x: Array.from(a.spectrum.eigenvalues),
      series: [
        { label: 'g(λ̃) = 1 − λ̃', values: ks.map((k) => 1 - a.spectrum.eigenvalues[k]), color: '#868e96' },
        // Least-squares gain over the features: exactly 1 − λ̃_k when Âx is right.
        { label: 'measured gain (UᵀÂx)_k/(Uᵀx)_k', values: ks.map((k) => (dot(c0, c0, k) > 1e-12 ? dot(c1, c0, k) / dot(c0, c0, k) : null)), color: '#0ca678' },
        { label: '‖(Uᵀx)_k‖', values: ks.map((k) => Math.sqrt(dot(c0, c0, k))), color: '#4f46e5' },
        { label: '‖(UᵀÂx)_k‖', values: ks.map((k) => Math.sqrt(dot(c1, c1, k))), color: '#e8590c' },
      ],
    };
  }

  private energyChart(a: Analysis): ChartData {
    return {
      x: a.energy.map((_, k) => k),
      series: [
        { label: 'Dirichlet energy xᵀL̃x/‖x‖²', values: a.energy, color: '#c2255c' },
        { label: 'share of ‖x‖² in λ̃ > 1', values: a.highShare, color: '#1c7ed6' },
      ],
    };
  }

  render() {
    const a = this.analysis;
    const p = this.propagated;
    if (!a || !p) return html`<p class="note">The spectrum needs a graph with at least two nodes.</p>`;
    const v = this.numNodes;
    const width = p.shape[2];
    const k = this.mode;
    const lambda = a.spectrum.eigenvalues[k];
    const mode = Float32Array.from(eigenvector(a.spectrum.eigenvectors, v, k));
    const src = a.edges.subarray(0, a.edges.length / 2);
    const dst = a.edges.subarray(a.edges.length / 2);
    const depth = Math.min(this.depth, p.shape[0] - 1);
    const atDepth = Float32Array.from({ length: v }, (_, i) => p.data[(depth * v + i) * width]);
    const crossings = Array.from(src).filter((s, e) => s < dst[e] && mode[s] * mode[dst[e]] < 0).length;
    return html`<div class="grid">
      <figure data-role="ahat">
        <h3>Â as a ${v}×${v} matrix</h3>
        <nnx-heatmap name="Â" .tensor=${{ shape: [v, v], data: Float32Array.from(a.aHat.data) }} .maxWidth=${340} .planeSize=${320} .maxCell=${12}
          .describe=${(index: number[]) => this.describeEntry(a, index)}></nnx-heatmap>
        <p class="note">Row i, column j: the coefficient of message j → i, 1/√(deg(j)·deg(i)) with deg counting the self loop; hover an entry. Rows sum to more than 1 where a node’s neighbours have lower degree.</p>
      </figure>
      <figure data-role="eigenvalues">
        <h3>Eigenvalues of L̃ = I − Â</h3>
        ${this.eigenvaluePlot(a)}
        <p class="readout" data-role="mode-readout">λ̃_${k} = ${formatFloat64(lambda, 6)}; one GCN step multiplies this mode by 1 − λ̃ = ${formatFloat64(1 - lambda, 6)}</p>
        <p class="note">${a.spectrum.zeroEigenvalues} eigenvalue${a.spectrum.zeroEigenvalues === 1 ? '' : 's'} at 0 (one per connected component). Click a point to draw its eigenvector; k = 1 is the Fiedler vector, whose signs split the graph in two.</p>
      </figure>
      <figure data-role="mode">
        <h3>Eigenvector u_${k} on the graph</h3>
        <nnx-graph-view data-role="mode-graph" .numNodes=${v} .src=${src} .dst=${dst} .values=${mode} .labels=${this.labels} .size=${340}></nnx-graph-view>
        <p class="note">Node colour: u_${k}[i] (blue −, red +). ${crossings} of ${src.length / 2} edges join nodes of opposite sign: low frequencies vary slowly across edges, high ones flip sign between neighbours.</p>
      </figure>
      <figure data-role="fourier">
        <h3>One propagation is a low-pass filter</h3>
        <nnx-chart .data=${this.fourierChart(a)} xLabel="λ̃" yLabel="coefficient" .height=${220}></nnx-chart>
        <p class="note">Graph-Fourier coefficients of the layer’s input x (${width} feature${width === 1 ? '' : 's'}, norm over features) and of Âx, both read back from the GPU: (UᵀÂx)_k = (1 − λ̃_k)(Uᵀx)_k, so the measured gain lies on the line, modes near λ̃ = 1 vanish and the high ones shrink and flip sign. High-frequency share ${(100 * a.highShare[0]).toFixed(1)}% → ${(100 * a.highShare[1]).toFixed(1)}%.</p>
      </figure>
      <figure data-role="depth">
        <h3>Over-smoothing: Â^k x</h3>
        <label class="depth">k = <input type="range" min="0" max=${p.shape[0] - 1} .value=${String(depth)} aria-label="propagation depth"
          @input=${(e: Event) => (this.depth = Number((e.target as HTMLInputElement).value))}><span class="mono" data-role="depth-value">${depth}</span></label>
        <nnx-graph-view data-role="depth-graph" .numNodes=${v} .src=${src} .dst=${dst} .values=${atDepth} .labels=${this.labels} .size=${340}></nnx-graph-view>
        <p class="readout" data-role="energy-readout">k = ${depth}: Dirichlet energy ${formatShort(a.energy[depth])} (k = 0: ${formatShort(a.energy[0])})</p>
        <p class="note">Node colour: feature 0 of Â^k x from the GPU. Each step averages a node with its neighbours, so colours converge to a multiple of √deg on each component and the energy falls.</p>
      </figure>
      <figure data-role="energy">
        <h3>Energy per step</h3>
        <nnx-chart .data=${this.energyChart(a)} xLabel="k (propagations)" yLabel="energy" .height=${220}></nnx-chart>
        <p class="note">Σ_f x_fᵀ L̃ x_f / ‖x‖² of Â^k x and the share of its energy in the upper half of the spectrum, in float64 from the GPU’s values.</p>
      </figure>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-graph-spectrum': NnxGraphSpectrum;
  }
}
