/**
 * What a trained model of the Compare page predicts on the test data, read from the GPU right
 * after its run: a confusion matrix (image classes), predicted against target values (the
 * adding problem), or every node's predicted class on the drawn graph.
 *
 * `<nnx-compare-predictions>` in: `predictions`, `color` (the architecture's colour).
 */
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { gatherBatch, type BatchLayout, type Dataset } from '../data/dataset.ts';
import { FASHION_CLASSES } from '../data/fashion_mnist.ts';
import type { Executor } from '../ops/executor/executor.ts';
import { divergingCss } from './colormap.ts';
import { formatShort } from './format.ts';
import './graph_view.ts';
import { tokens } from './theme.ts';

/** Test predictions of one run. */
export type Predictions =
  | { kind: 'confusion'; classes: string[]; /** counts[true][predicted] */ counts: number[][]; correct: number; total: number }
  | { kind: 'values'; target: number[]; predicted: number[] }
  | { kind: 'graph'; numNodes: number; src: Int32Array; dst: Int32Array; predicted: number[]; labels: number[]; train: boolean[]; classes: number; correct: number; total: number };

/** Graphs up to this size are drawn node by node. */
export const MAX_DRAWN_NODES = 400;

function argmaxRows(output: Float32Array, rows: number): number[] {
  const c = output.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let k = 1; k < c; k++) if (output[r * c + k] > output[r * c + best]) best = k;
    return best;
  });
}

/** Runs the test data forward through the trained model (eval mode) and collects its predictions; `batch` is the executor's batch. */
export async function collectPredictions(ex: Executor, ds: Dataset, layout: BatchLayout, batch: number | undefined): Promise<Predictions> {
  if (ds.kind === 'graph') {
    const { output } = await ex.evaluate(ds.features, ds.labels);
    const predicted = argmaxRows(output, ds.numNodes);
    const tested = [...ds.testMask.keys()].filter((v) => ds.testMask[v]);
    const e = ds.edgeIndex.length / 2;
    return {
      kind: 'graph', numNodes: ds.numNodes, src: ds.edgeIndex.subarray(0, e), dst: ds.edgeIndex.subarray(e), predicted, labels: Array.from(ds.labels),
      train: Array.from(ds.trainMask, (m) => m === 1), classes: ds.numClasses,
      correct: tested.filter((v) => predicted[v] === ds.labels[v]).length, total: tested.length,
    };
  }
  const n = batch!;
  const classes = ds.task === 'classification' ? ds.numClasses! : 0;
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const target: number[] = [];
  const predicted: number[] = [];
  for (let from = 0; from < ds.test.count; from += n) {
    const real = Math.min(n, ds.test.count - from);
    const batchTarget = gatherBatch(ds, ds.test, Int32Array.from({ length: n }, (_, i) => (i < real ? from + i : -1)), layout);
    const { output } = await ex.evaluate(batchTarget.input, batchTarget.target);
    if (classes) {
      argmaxRows(output, n).slice(0, real).forEach((p, i) => (counts[batchTarget.target[i]][p] += 1));
    } else {
      target.push(...Array.from(batchTarget.target.subarray(0, real)));
      predicted.push(...Array.from(output.subarray(0, real)));
    }
  }
  if (!classes) return { kind: 'values', target, predicted };
  const correct = counts.reduce((s, row, k) => s + row[k], 0);
  return { kind: 'confusion', classes: ds.name === 'fashion-mnist' ? FASHION_CLASSES : counts.map((_, k) => String(k)), counts, correct, total: ds.test.count };
}

@customElement('nnx-compare-predictions')
export class NnxComparePredictions extends LitElement {
  static styles = [tokens, css`
    :host { display: block; font-size: 12px; }
    table { border-collapse: collapse; font: 11px var(--_mono); }
    th { font: 600 10.5px var(--_font); color: var(--_muted); padding: 2px 4px; white-space: nowrap; }
    th.rot { writing-mode: vertical-rl; transform: rotate(180deg); height: 74px; text-align: left; }
    td { width: 24px; height: 20px; text-align: center; border: 1px solid var(--_border); }
    td.diag { outline: 1.5px solid var(--_text); outline-offset: -2px; }
    .note { color: var(--_muted); margin: 4px 0 6px; }
    nnx-graph-view { max-width: 380px; }
    svg.scatter { width: 100%; max-width: 320px; height: auto; background: var(--_surface-2); border: 1px solid var(--_border); border-radius: 8px; }
    svg text { font: 9px var(--_mono); fill: var(--_muted); }
    .legend { display: flex; gap: 10px; flex-wrap: wrap; margin-top: 6px; color: var(--_muted); }
    .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; vertical-align: -1px; }
  `];

  @property({ attribute: false }) predictions: Predictions | null = null;
  @property() color = '#4f46e5';

  private confusion(p: Extract<Predictions, { kind: 'confusion' }>) {
    const max = Math.max(1, ...p.counts.flat());
    return html`<div class="note">rows: true class, columns: predicted; ${p.correct} of ${p.total} test images right</div>
      <table data-role="confusion">
        <tr><th></th>${p.classes.map((c) => html`<th class="rot">${c}</th>`)}</tr>
        ${p.counts.map((row, t) => html`<tr><th style="text-align:right">${p.classes[t]}</th>${row.map((v, k) => html`<td class=${t === k ? 'diag' : ''} data-count=${v}
          style="background:${v ? `color-mix(in srgb, ${this.color} ${Math.round(15 + 85 * (v / max))}%, transparent)` : 'transparent'};color:${v / max > 0.55 ? '#fff' : 'inherit'}"
          title="true ${p.classes[t]}, predicted ${p.classes[k]}: ${v}">${v || ''}</td>`)}</tr>`)}
      </table>`;
  }

  private values(p: Extract<Predictions, { kind: 'values' }>) {
    const size = 240, pad = 26;
    const all = [...p.target, ...p.predicted];
    const lo = Math.min(0, ...all), hi = Math.max(2, ...all);
    const at = (v: number) => pad + ((v - lo) / (hi - lo)) * (size - 2 * pad);
    const y = (v: number) => size - at(v);
    return html`<div class="note">${p.target.length} test sequences: target sum (x) against the model's prediction (y); on the diagonal is right</div>
      <svg class="scatter" data-role="scatter" viewBox="0 0 ${size} ${size}">
        <line x1=${at(lo)} y1=${y(lo)} x2=${at(hi)} y2=${y(hi)} stroke="#b8bfd0" stroke-dasharray="3 3"></line>
        ${svg`<text x=${pad} y=${size - 8}>${formatShort(lo)}</text><text x=${size - pad - 12} y=${size - 8}>${formatShort(hi)}</text><text x=4 y=${pad + 3}>${formatShort(hi)}</text>`}
        ${p.target.map((t, i) => svg`<circle cx=${at(t)} cy=${y(p.predicted[i])} r="2.6" fill=${this.color} fill-opacity="0.7"><title>target ${formatShort(t)}, predicted ${formatShort(p.predicted[i])}</title></circle>`)}
      </svg>`;
  }

  private graph(p: Extract<Predictions, { kind: 'graph' }>) {
    const note = html`<div class="note">${p.correct} of ${p.total} test nodes right${p.numNodes <= MAX_DRAWN_NODES ? '; nodes coloured by predicted class (hover one for its true class)' : ''}</div>`;
    if (p.numNodes > MAX_DRAWN_NODES) return html`${note}<div class="note">(${p.numNodes.toLocaleString('en-US')} nodes: too many to draw)</div>`;
    // Classes spread over [-1, 1] for the view's diverging colour map.
    const shade = (c: number) => (p.classes > 1 ? (2 * c) / (p.classes - 1) - 1 : 0);
    const values = p.predicted.map(shade);
    const labels = p.predicted.map((c, v) => `predicted ${c}, true ${p.labels[v]}${p.train[v] ? ', training node' : ''}${c !== p.labels[v] ? ' — wrong' : ''}`);
    return html`${note}<nnx-graph-view data-role="graph" .numNodes=${p.numNodes} .src=${p.src} .dst=${p.dst} .values=${values} .labels=${labels} .size=${320}></nnx-graph-view>
      <div class="legend">${Array.from({ length: p.classes }, (_, c) => html`<span><i style="background:${divergingCss(shade(c))}"></i>class ${c}: ${p.predicted.filter((q) => q === c).length} nodes</span>`)}</div>`;
  }

  render() {
    const p = this.predictions;
    if (!p) return nothing;
    if (p.kind === 'confusion') return this.confusion(p);
    if (p.kind === 'values') return this.values(p);
    return this.graph(p);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-compare-predictions': NnxComparePredictions;
  }
}
