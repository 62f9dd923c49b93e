/**
 * <nnx-moe-router>: a small MoE layer (Mixtral-style router, experts Linear → SiLU → Linear) run
 * on the page's WebGPU device with seeded weights and tokens: each token's top-k experts and
 * renormalized gates (the combine weights, 0 where not chosen), the tokens each expert got, and
 * the load-balancing loss, all read back from the moe.wgsl router. Controls: experts, top_k,
 * tokens, seed. In: `runtime`, `gpuError`. The drawn `input` [T, d] and `gateWeight` [E, d]
 * stay readable as properties (what the router saw).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { analyzeModel } from '../analysis/graph.ts';
import type { LayerSpec } from '../analysis/model_spec.ts';
import { mulberry32 } from '../analysis/random.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import { layerImpl } from '../ops/executor/layers.ts';
import { errorMessage } from './format.ts';
import { base, tokens } from './theme.ts';
import './webgpu_missing.ts';

const FEATURES = 8;
const HIDDEN = 16;

/** What one router run read back. */
interface RouterResult {
  tokens: number;
  experts: number;
  topK: number;
  /** Combine weights [T, E] (0 where the expert was not chosen). */
  dense: Float32Array;
  indices: Int32Array;
  counts: Float32Array;
  aux: number;
}

@customElement('nnx-moe-router')
export class NnxMoeRouter extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; font-size: 12.5px; margin: 8px 0 12px; }
    .controls input { width: 64px; font: 13px var(--_mono); padding: 3px 6px; border-radius: 7px; border: 1px solid var(--_border); }
    table { border-collapse: collapse; font: 12px var(--_mono); }
    th, td { padding: 3px 8px; text-align: right; border-bottom: 1px solid var(--_border); }
    td.chosen { font-weight: 700; }
    tfoot td { font-weight: 700; border-top: 2px solid var(--_border); }
    .note { font-size: 11.5px; color: var(--_muted); line-height: 1.45; margin: 8px 0 0; }
    .error { color: var(--_danger); font: 12.5px var(--_mono); }
  `];

  @property({ attribute: false }) runtime: GpuRuntime | null = null;
  @property({ attribute: false }) gpuError: string | null = null;
  @state() private settings = { experts: 4, topK: 2, tokens: 12, seed: 1 };
  @state() private result: RouterResult | null = null;
  @state() private error: string | null = null;
  /** The tokens [T, d] of the last run. */
  input: Float32Array | null = null;
  /** The router weight [E, d] of the last run. */
  gateWeight: Float32Array | null = null;
  private ranFor: string | null = null;

  protected updated(): void {
    const key = JSON.stringify(this.settings);
    if (this.runtime && this.ranFor !== key) {
      this.ranFor = key;
      void this.run();
    }
  }

  private async run(): Promise<void> {
    const rt = this.runtime!;
    const { experts, topK, tokens, seed } = this.settings;
    const layer: LayerSpec = {
      type: 'MoE', name: 'moe', num_experts: experts, top_k: topK, experts: [
        { type: 'Linear', name: 'fc1', in_features: FEATURES, out_features: HIDDEN }, { type: 'SiLU', name: 'act' },
        { type: 'Linear', name: 'fc2', in_features: HIDDEN, out_features: FEATURES },
      ],
    };
    const made: GpuTensor[] = [];
    try {
      const node = analyzeModel({ input: [tokens, FEATURES], layers: [layer] }).layers[0];
      const impl = layerImpl(layer, node);
      const random = mulberry32(seed);
      const draw = (n: number, scale: number) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
      const params: Record<string, GpuTensor> = {};
      for (const p of node.params) {
        const values = draw(p.shape.reduce((a, b) => a * b, 1), p.name === 'gate.weight' ? 1 : 1 / Math.sqrt(p.shape[p.shape.length - 1]));
        if (p.name === 'gate.weight') this.gateWeight = values;
        params[p.name] = rt.tensor(`moe_router.${p.name}`, p.shape, 'float32', values);
        made.push(params[p.name]);
      }
      this.input = draw(tokens * FEATURES, 1);
      const x = rt.tensor('moe_router.input', [tokens, FEATURES], 'float32', this.input);
      made.push(x);
      const run = await impl.forward(rt, [x], params, {}, { seed, step: 1 });
      made.push(run.output, ...run.scratch);
      const [d, indices, counts, aux] = await rt.read([run.trace.combine_weights, run.trace.expert_indices, run.trace.tokens_per_expert, run.trace.aux_loss]);
      this.result = { tokens, experts, topK, dense: d as Float32Array, indices: indices as Int32Array, counts: counts as Float32Array, aux: aux[0] };
      this.error = null;
    } catch (e) {
      this.result = null;
      this.error = errorMessage(e);
    } finally {
      rt.release(...made);
    }
  }

  private setting(key: 'experts' | 'topK' | 'tokens' | 'seed', text: string): void {
    const v = Number(text);
    if (Number.isInteger(v) && v >= 1) this.settings = { ...this.settings, [key]: v };
  }

  render() {
    if (this.gpuError) return html`<nnx-webgpu-missing .reason=${this.gpuError}></nnx-webgpu-missing>`;
    const s = this.settings;
    const r = this.result;
    const input = (key: 'experts' | 'topK' | 'tokens' | 'seed', label: string) => html`<label>${label} <input name=${key} type="number" min="1" .value=${String(s[key])} @change=${(e: Event) => this.setting(key, (e.target as HTMLInputElement).value)} /></label>`;
    return html`
      <div class="controls">${input('experts', 'experts')}${input('topK', 'top_k')}${input('tokens', 'tokens')}${input('seed', 'seed')}</div>
      ${this.error ? html`<p class="error" role="alert" data-role="router-error">${this.error}</p>` : nothing}
      ${r ? html`
        <table data-role="router-table">
          <thead><tr><th>token</th>${Array.from({ length: r.experts }, (_, e) => html`<th>expert ${e}</th>`)}</tr></thead>
          <tbody>${Array.from({ length: r.tokens }, (_, t) => {
            const chosen = Array.from(r.indices.slice(t * r.topK, (t + 1) * r.topK));
            return html`<tr data-role="router-row" data-experts=${chosen.join(',')}><td>${t}</td>${Array.from({ length: r.experts }, (_, e) => {
              const g = r.dense[t * r.experts + e];
              return html`<td class=${g > 0 ? 'chosen' : ''} style=${g > 0 ? `background: rgba(79, 70, 229, ${(0.15 + 0.6 * g).toFixed(3)})` : ''}>${g > 0 ? g.toFixed(3) : '·'}</td>`;
            })}</tr>`;
          })}</tbody>
          <tfoot><tr><td>tokens</td>${Array.from(r.counts, (c, e) => html`<td data-role="expert-count" data-expert=${e} data-value=${c}>${c}</td>`)}</tr></tfoot>
        </table>
        <p class="note" data-role="aux-loss" data-value=${r.aux}>Load-balancing loss E·Σₑ fₑ·Pₑ = <b>${r.aux.toFixed(4)}</b> (top_k when routing is perfectly even; fₑ = share of the ${r.tokens * r.topK} choices, Pₑ = mean router probability). Cells: the renormalized gate each chosen expert’s output is weighted by; rows sum to 1.</p>`
        : this.runtime ? html`<p class="note">Routing…</p>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-moe-router': NnxMoeRouter;
  }
}
