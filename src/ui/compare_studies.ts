/**
 * <nnx-compare-studies>: the Compare page's studies, one card each, running the same runners as
 * `nnx study` (src/ops/studies/) on the browser's GPU with small default sizes: data
 * efficiency (CNN vs ViT test accuracy by training-set size), sequence length (MSE, how far
 * ‖∂L/∂h_t‖ reaches back, ms per step at each T) and graph scale (ms per epoch and peak memory
 * by node count, beside the analysis' message-passing cost).
 *
 * In: `runtime`, `loadFashion` (the page's Fashion-MNIST), `blocked` (the page is training).
 * Out: `nnx-study-busy` { busy }. Each card reflects `data-state` (idle, running, done, error).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { SampleDataset } from '../data/dataset.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { subsetSamples } from '../ops/studies/common.ts';
import { runDataEfficiency, type DataEfficiencyReport } from '../ops/studies/data_efficiency.ts';
import { runGraphScale, type GraphScaleReport } from '../ops/studies/graph_scale.ts';
import { runSequenceLength, type SequenceLengthReport } from '../ops/studies/sequence_length.ts';
import './chart.ts';
import type { ChartData } from './chart.ts';
import { errorMessage, formatCount, formatShort } from './format.ts';
import { base, tokens } from './theme.ts';

type StudyId = 'data-efficiency' | 'sequence-length' | 'graph-scale';
type Report = DataEfficiencyReport | SequenceLengthReport | GraphScaleReport;

/** A study card's inputs, as the person typed them. */
type Fields = Record<string, string>;

const COLORS: Record<string, string> = { cnn: '#4f46e5', vit: '#e8590c', rnn: '#4f46e5', lstm: '#e8590c', gru: '#0ca678', transformer: '#c2255c', gcn: '#4f46e5', gat: '#e8590c', sage: '#0ca678' };

const STUDIES: { id: StudyId; title: string; question: string; fields: Fields; labels: Record<string, string> }[] = [
  {
    id: 'data-efficiency', title: 'Data efficiency', question: 'CNN vs ViT test accuracy on 500 / 2,000 / all training images (here smaller by default): who wins on small data?',
    fields: { sizes: '32,128', archs: 'cnn,vit', steps: '3', batch: '8', test: '32' },
    labels: { sizes: 'training images', archs: 'architectures', steps: 'steps', batch: 'batch', test: 'test images' },
  },
  {
    id: 'sequence-length', title: 'Sequence length', question: 'RNN, LSTM, GRU and a transformer on the adding problem at growing T: final MSE, how far back ‖∂L/∂h_t‖ reaches, ms per step.',
    fields: { lengths: '5,10,20', archs: 'rnn,lstm,gru,transformer', steps: '10', batch: '16', train: '256', test: '32' },
    labels: { lengths: 'lengths T', archs: 'architectures', steps: 'steps', batch: 'batch', train: 'train sequences', test: 'test sequences' },
  },
  {
    id: 'graph-scale', title: 'Graph scale', question: 'GCN, GAT and SAGE on block-model graphs of growing size: time per epoch and peak memory beside the analysis cost.',
    fields: { sizes: '1000,10000', archs: 'gcn,gat,sage', steps: '3' },
    labels: { sizes: 'nodes V', archs: 'architectures', steps: 'epochs' },
  },
];

function ints(name: string, text: string, min: number): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length || parts.some((p) => !/^\d+$/.test(p) || Number(p) < min)) throw new Error(`${name}: comma-separated whole numbers >= ${min}, got "${text}"`);
  return parts.map(Number);
}

const int = (name: string, text: string, min: number) => {
  const v = ints(name, text, min);
  if (v.length !== 1) throw new Error(`${name}: one whole number, got "${text}"`);
  return v[0];
};

const names = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
const mb = (b: number) => (b / 1e6).toFixed(2);

@customElement('nnx-compare-studies')
export class NnxCompareStudies extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    h2 { font-size: 16px; margin: 6px 0 10px; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 16px; }
    .card h3 { font-size: 14px; margin-bottom: 4px; }
    .card > p { margin: 0 0 8px; font-size: 12px; color: var(--_muted); line-height: 1.45; }
    .fields { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 6px 10px; }
    label { display: flex; flex-direction: column; gap: 3px; font-size: 11px; color: var(--_muted); font-weight: 600; min-width: 0; }
    input { font: 12.5px var(--_mono); padding: 4px 6px; border: 1px solid var(--_border); border-radius: 7px; background: var(--_surface-2); color: var(--_text); min-width: 0; }
    .row { display: flex; align-items: center; gap: 10px; margin: 10px 0 6px; }
    .status { font-size: 12px; color: var(--_muted); }
    .error { color: var(--_danger); font-size: 12.5px; }
    .table { overflow-x: auto; margin-top: 6px; }
    .cli { font: 11px var(--_mono); color: var(--_muted); margin-top: 6px; }
  `];

  @property({ attribute: false }) runtime: GpuRuntime | null = null;
  @property({ attribute: false }) loadFashion: (() => SampleDataset | Promise<SampleDataset>) | null = null;
  @property({ type: Boolean }) blocked = false;

  @state() private fields: Record<StudyId, Fields> = Object.fromEntries(STUDIES.map((s) => [s.id, { ...s.fields }])) as Record<StudyId, Fields>;
  @state() private reports: Partial<Record<StudyId, Report>> = {};
  @state() private states: Partial<Record<StudyId, 'running' | 'done' | 'error'>> = {};
  @state() private messages: Partial<Record<StudyId, string>> = {};

  private get busy(): boolean {
    return Object.values(this.states).includes('running');
  }

  private async run(id: StudyId): Promise<void> {
    const rt = this.runtime;
    if (!rt || this.busy || this.blocked) return;
    const f = this.fields[id];
    this.states = { ...this.states, [id]: 'running' };
    this.messages = { ...this.messages, [id]: 'starting…' };
    this.dispatchEvent(new CustomEvent('nnx-study-busy', { detail: { busy: true }, bubbles: true, composed: true }));
    const progress = (line: string): void => {
      this.messages = { ...this.messages, [id]: line };
    };
    const hooks = { beforeStep: (arch: string, step: number) => progress(`${arch}: step ${step}…`) };
    try {
      let report: Report;
      if (id === 'data-efficiency') {
        const ds = await this.loadFashion!();
        report = await runDataEfficiency(rt, subsetSamples(ds, undefined, Math.min(int('test images', f.test, 1), ds.test.count)), {
          sizes: ints('training images', f.sizes, 1), archs: names(f.archs), steps: int('steps', f.steps, 1), batch: int('batch', f.batch, 1), seed: 0,
        }, { ...hooks, onRow: (r) => progress(`${r.arch} on ${r.train_images} images: accuracy ${(r.final.test_accuracy ?? 0).toFixed(3)}`) });
      } else if (id === 'sequence-length') {
        report = await runSequenceLength(rt, {
          lengths: ints('lengths', f.lengths, 2), archs: names(f.archs), steps: int('steps', f.steps, 1), batch: int('batch', f.batch, 1),
          seed: 0, train: int('train sequences', f.train, 1), test: int('test sequences', f.test, 1),
        }, { ...hooks, onRow: (r) => progress(`${r.arch} at T = ${r.length}: MSE ${formatShort(r.test_mse)}`) });
      } else {
        report = await runGraphScale(rt, { sizes: ints('nodes', f.sizes, 8), archs: names(f.archs), steps: int('epochs', f.steps, 1), seed: 0 }, { ...hooks, onRow: (r) => progress(`${r.arch} at V = ${formatCount(r.nodes)}: ${r.epoch_ms.toFixed(0)} ms/epoch`) });
      }
      this.reports = { ...this.reports, [id]: report };
      this.states = { ...this.states, [id]: 'done' };
      this.messages = { ...this.messages, [id]: '' };
    } catch (e) {
      this.states = { ...this.states, [id]: 'error' };
      this.messages = { ...this.messages, [id]: errorMessage(e) };
    }
    this.dispatchEvent(new CustomEvent('nnx-study-busy', { detail: { busy: false }, bubbles: true, composed: true }));
  }

  private cli(id: StudyId): string {
    const f = this.fields[id];
    const flags = Object.entries(f).map(([k, v]) => `--${k} ${v}`).join(' ');
    return `npx nnx study ${id} ${flags}`;
  }

  private dataEfficiency(r: DataEfficiencyReport) {
    const sizes = r.settings.sizes;
    const archs = [...new Set(r.rows.map((x) => x.arch))];
    const chart: ChartData = { x: sizes.map((_, i) => i), series: archs.map((a) => ({ label: a, color: COLORS[a], values: sizes.map((n) => r.rows.find((x) => x.arch === a && x.train_images === n)?.final.test_accuracy ?? null) })) };
    return html`<nnx-chart data-role="study-chart" bars .data=${chart} .categories=${sizes.map((n) => `${formatCount(n)} images`)} yLabel="test accuracy" .height=${190}></nnx-chart>
      <div class="table" tabindex="0" role="region" aria-label="study results"><table><thead><tr><th>arch</th><th class="num">train images</th><th class="num">ms/step</th><th class="num">test loss</th><th class="num">test acc</th></tr></thead>
      <tbody>${r.rows.map((x) => html`<tr><td>${x.arch}</td><td class="num">${formatCount(x.train_images)}</td><td class="num">${x.step_ms.toFixed(0)}</td><td class="num">${formatShort(x.final.test_loss)}</td><td class="num">${(x.final.test_accuracy ?? 0).toFixed(3)}</td></tr>`)}</tbody></table></div>
      <div class="status">${r.best.map((b) => `${formatCount(b.train_images)} images: ${b.arch} best`).join(' · ')} (${formatCount(r.data.test_images)} test images)</div>`;
  }

  private sequenceLength(r: SequenceLengthReport) {
    const longest = Math.max(...r.settings.lengths);
    const recurrent = r.rows.filter((x) => x.length === longest && x.grad_h_norm);
    const chart: ChartData = { x: Array.from({ length: longest }, (_, t) => t + 1), series: recurrent.map((x) => ({ label: x.arch, color: COLORS[x.arch], values: x.grad_h_norm!.map((v) => v || null) })) };
    return html`${recurrent.length ? html`<div class="status">‖∂L/∂h_t‖ across t at T = ${longest}, last step (log scale)</div>
      <nnx-chart data-role="study-chart" logY .data=${chart} xLabel="time step t" yLabel="L2 norm" .height=${190}></nnx-chart>` : nothing}
      <div class="table" tabindex="0" role="region" aria-label="study results"><table><thead><tr><th>arch</th><th class="num">T</th><th class="num">ms/step</th><th class="num">test MSE</th><th class="num">trivial</th><th class="num">‖∂L/∂h_1‖ / ‖∂L/∂h_T‖</th></tr></thead>
      <tbody>${r.rows.map((x) => html`<tr><td>${x.arch}</td><td class="num">${x.length}</td><td class="num">${x.step_ms.toFixed(0)}</td><td class="num">${formatShort(x.test_mse)}</td><td class="num">${formatShort(x.baseline_mse)}</td><td class="num">${x.grad_h_ratio === null ? '—' : formatShort(x.grad_h_ratio)}</td></tr>`)}</tbody></table></div>`;
  }

  private graphScale(r: GraphScaleReport) {
    const sizes = r.settings.sizes;
    const archs = [...new Set(r.rows.map((x) => x.arch))];
    const chart: ChartData = { x: sizes.map((_, i) => i), series: archs.map((a) => ({ label: a, color: COLORS[a], values: sizes.map((n) => r.rows.find((x) => x.arch === a && x.nodes === n)?.epoch_ms ?? null) })) };
    return html`<nnx-chart data-role="study-chart" bars .data=${chart} .categories=${sizes.map((n) => `V = ${formatCount(n)}`)} yLabel="ms per epoch" .height=${190}></nnx-chart>
      <div class="table" tabindex="0" role="region" aria-label="study results"><table><thead><tr><th>arch</th><th class="num">nodes</th><th class="num">edges</th><th class="num">ms/epoch</th><th class="num" title="analysis: FLOPs of the graph layers' forward pass">MP FLOPs</th><th class="num" title="analysis: bytes the graph layers read and write">MP MB</th><th class="num">peak MB pred</th><th class="num">peak MB meas</th></tr></thead>
      <tbody>${r.rows.map((x) => html`<tr><td>${x.arch}</td><td class="num">${formatCount(x.nodes)}</td><td class="num">${formatCount(x.edges)}</td><td class="num">${x.epoch_ms.toFixed(0)}</td><td class="num">${formatCount(x.message_passing.flops)}</td><td class="num">${mb(x.message_passing.bytes_accessed)}</td><td class="num">${mb(x.predicted_peak_bytes)}</td><td class="num">${mb(x.measured_peak_bytes)}</td></tr>`)}</tbody></table></div>`;
  }

  private renderReport(id: StudyId) {
    const r = this.reports[id];
    if (!r) return nothing;
    if (r.study === 'data-efficiency') return this.dataEfficiency(r);
    if (r.study === 'sequence-length') return this.sequenceLength(r);
    return this.graphScale(r);
  }

  render() {
    return html`<h2>Studies</h2>
      <div class="grid">${STUDIES.map((s) => html`<section class="card" data-study=${s.id} data-state=${this.states[s.id] ?? 'idle'}>
        <h3>${s.title}</h3><p>${s.question}</p>
        <div class="fields">${Object.keys(s.fields).map((k) => html`<label>${s.labels[k]}<input data-field=${k} .value=${this.fields[s.id][k]}
          @change=${(e: Event) => (this.fields = { ...this.fields, [s.id]: { ...this.fields[s.id], [k]: (e.target as HTMLInputElement).value } })}></label>`)}</div>
        <div class="row">
          <button class="primary" data-role="study-run" ?disabled=${!this.runtime || this.busy || this.blocked} @click=${() => this.run(s.id)}>Run study</button>
          <span class=${this.states[s.id] === 'error' ? 'error' : 'status'} data-role="study-status">${this.messages[s.id] ?? ''}</span>
        </div>
        ${this.renderReport(s.id)}
        <div class="cli">${this.cli(s.id)}</div>
      </section>`)}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-compare-studies': NnxCompareStudies;
  }
}
