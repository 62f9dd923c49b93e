/**
 * <nnx-update-preview>: what one plain SGD step would do to a parameter, W − lr·dW, for a
 * learning rate typed by the person. Shows the step lr·dW and the updated tensor as heatmaps,
 * with the size of the step relative to the weight (‖lr·dW‖ / ‖W‖, the usual health figure).
 *
 * In: `params` ({ name, value, grad } tensors), `lr`. Out: `nnx-lr-change` { lr } on edit.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Tensor } from '../analysis/tensor.ts';
import { formatFloat32, formatShort } from './format.ts';
import './tensor_view.ts';
import { base, tokens } from './theme.ts';

export interface UpdateParam {
  name: string;
  value: Tensor;
  grad: Tensor;
}

function norm(data: Float32Array | Float64Array): number {
  let s = 0;
  for (const v of data) s += v * v;
  return Math.sqrt(s);
}

@customElement('nnx-update-preview')
export class NnxUpdatePreview extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .controls { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; margin: 8px 0 10px; font-size: 12.5px; }
    .controls label { display: flex; align-items: center; gap: 6px; }
    input, select { font: 13px var(--_mono); padding: 3px 7px; border-radius: 7px; border: 1px solid var(--_border); }
    input.bad { border-color: var(--_danger); background: var(--_danger-soft); }
    .figures { display: flex; gap: 22px; flex-wrap: wrap; font-size: 12px; color: var(--_muted); margin-bottom: 10px; }
    .figures b { font: 600 13.5px var(--_mono); color: var(--_text); }
    .views { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-start; }
    .note { font-size: 11.5px; color: var(--_muted); line-height: 1.45; margin: 8px 0 0; }
  `];

  @property({ attribute: false }) params: UpdateParam[] = [];
  @property({ type: Number }) lr = 0.1;
  @state() private chosen = '';
  @state() private lrText: string | null = null;

  private setLr(text: string): void {
    this.lrText = text;
    const v = Number(text);
    if (text.trim() !== '' && Number.isFinite(v) && v >= 0) {
      this.lrText = null;
      this.dispatchEvent(new CustomEvent('nnx-lr-change', { detail: { lr: v }, bubbles: true, composed: true }));
    }
  }

  /** The step and the updated tensor of one parameter (float32, as an optimizer would store it). */
  static update(p: UpdateParam, lr: number): { step: Tensor; next: Tensor } {
    const step = new Float32Array(p.grad.data.length);
    const next = new Float32Array(p.value.data.length);
    for (let i = 0; i < step.length; i++) {
      step[i] = lr * p.grad.data[i];
      next[i] = p.value.data[i] - step[i];
    }
    return { step: { shape: p.grad.shape, data: step }, next: { shape: p.value.shape, data: next } };
  }

  render() {
    if (!this.params.length) return nothing;
    const p = this.params.find((q) => q.name === this.chosen) ?? this.params[0];
    const { step, next } = NnxUpdatePreview.update(p, this.lr);
    const wNorm = norm(p.value.data as Float32Array);
    const sNorm = norm(step.data as Float32Array);
    const ratio = wNorm > 0 ? sNorm / wNorm : null;
    const axes: [string, string] = p.value.shape.length === 4 ? ['o', 'i'] : ['', ''];
    return html`
      <div class="controls">
        <label>parameter
          <select aria-label="parameter" @change=${(e: Event) => (this.chosen = (e.target as HTMLSelectElement).value)}>
            ${this.params.map((q) => html`<option value=${q.name} ?selected=${q === p}>${q.name}</option>`)}
          </select>
        </label>
        <label>learning rate lr
          <input type="number" step="any" min="0" name="lr" aria-label="learning rate" style="width:110px"
            class=${this.lrText !== null ? 'bad' : ''} .value=${this.lrText ?? String(this.lr)}
            @input=${(e: Event) => this.setLr((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <div class="figures">
        <span>‖W‖ <b>${formatShort(wNorm)}</b></span>
        <span>‖lr·dW‖ <b>${formatShort(sNorm)}</b></span>
        <span>step / weight <b data-role="update-ratio">${ratio === null ? '—' : formatShort(ratio)}</b></span>
        <span>first element <b data-role="update-first">${formatFloat32(p.value.data[0])} − ${formatShort(this.lr)}·${formatFloat32(p.grad.data[0])} = ${formatFloat32(next.data[0])}</b></span>
      </div>
      <div class="views">
        <nnx-tensor-view data-name="update.step" name="lr·d${p.name}" .heading=${`lr·∂L/∂${p.name}`} .help=${'the step plain SGD takes'} .tensor=${step} .axes=${axes}></nnx-tensor-view>
        <nnx-tensor-view data-name="update.next" name="${p.name}′" .heading=${`${p.name} − lr·∂L/∂${p.name}`} .help=${'the parameter after one step'} .tensor=${next} .axes=${axes}></nnx-tensor-view>
      </div>
      <p class="note">A step of about 10⁻³ of the weight per update is the common rule of thumb; much larger and training tends to diverge, much smaller and it stalls.</p>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-update-preview': NnxUpdatePreview;
  }
}
