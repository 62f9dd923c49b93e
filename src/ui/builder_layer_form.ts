/**
 * <nnx-layer-form>: the constructor arguments of one layer, with PyTorch's names and defaults
 * (src/analysis/layer_defaults.ts). An argument left at its default is left out of the layer.
 * In: `layer` (a LayerSpec). Out: `nnx-layer-change` { layer } on every edit.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { argDefaults, type ArgDefault } from '../analysis/layer_defaults.ts';
import type { LayerSpec } from '../analysis/model_spec.ts';
import { base, tokens } from './theme.ts';

/** A value as a form shows it: tuples as "3, 3", None for null. */
export function showValue(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'None';
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

/** Reads a typed value: numbers, "3, 3" tuples, True/False, None; anything else stays text. */
export function readValue(text: string): unknown {
  const t = text.trim();
  if (t === '' || t === 'None') return undefined;
  if (/^(true|True)$/.test(t)) return true;
  if (/^(false|False)$/.test(t)) return false;
  const parts = t.replace(/^[[(]|[\])]$/g, '').split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0 || parts.some((p) => !Number.isFinite(Number(p)))) return t;
  const nums = parts.map(Number);
  return nums.length === 1 && !/[[(,]/.test(t) ? nums[0] : nums;
}

@customElement('nnx-layer-form')
export class NnxLayerForm extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    form { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 6px 12px; }
    label { display: grid; grid-template-columns: 1fr 96px; align-items: center; gap: 6px; font: 12px var(--_mono); }
    label.check { grid-template-columns: 1fr auto; }
    input, select { font: 12px var(--_mono); padding: 2px 6px; border-radius: 6px; border: 1px solid var(--_border); background: var(--_surface); min-width: 0; width: 100%; }
    input[type='checkbox'] { width: auto; }
    .req { color: var(--_danger); }
  `];

  @property({ attribute: false }) layer: LayerSpec = { type: 'Identity' };

  private emit(key: string, value: unknown): void {
    const layer: LayerSpec = { ...this.layer };
    if (value === undefined) delete layer[key];
    else layer[key] = value;
    this.dispatchEvent(new CustomEvent('nnx-layer-change', { detail: { layer }, bubbles: true, composed: true }));
  }

  private field(a: ArgDefault) {
    const v = this.layer[a.name];
    const required = a.default === undefined;
    const tip = required ? `${a.name}: required` : `${a.name}: default ${showValue(a.default)}`;
    if (typeof a.default === 'boolean' || typeof v === 'boolean') {
      const checked = typeof v === 'boolean' ? v : a.default === true;
      return html`<label class="check" title=${tip}>${a.name}<input type="checkbox" name=${a.name} .checked=${checked}
        @change=${(e: Event) => {
          const on = (e.target as HTMLInputElement).checked;
          this.emit(a.name, on === a.default ? undefined : on);
        }} /></label>`;
    }
    if (a.choices) {
      const current = typeof v === 'string' ? v : String(a.default);
      return html`<label title=${tip}>${a.name}<select name=${a.name} @change=${(e: Event) => {
        const s = (e.target as HTMLSelectElement).value;
        this.emit(a.name, s === a.default ? undefined : s);
      }}>${a.choices.map((c) => html`<option value=${c} ?selected=${c === current}>${c}</option>`)}</select></label>`;
    }
    return html`<label title=${tip}><span>${a.name}${required ? html`<span class="req">*</span>` : nothing}</span><input name=${a.name} .value=${showValue(v)}
      placeholder=${required ? 'required' : showValue(a.default)} @change=${(e: Event) => this.emit(a.name, readValue((e.target as HTMLInputElement).value))} /></label>`;
  }

  render() {
    const args = argDefaults(this.layer.type);
    const takesInputs = ['Add', 'Mul', 'Concat', 'MatMul', 'MultiheadAttention'].includes(this.layer.type) || this.layer.inputs !== undefined;
    return html`<form @submit=${(e: Event) => e.preventDefault()}>
      <label title="PyTorch attribute name (the row name); blank: its index">name<input name="name" .value=${this.layer.name ?? ''} placeholder="index"
        @change=${(e: Event) => this.emit('name', (e.target as HTMLInputElement).value.trim() || undefined)} /></label>
      ${takesInputs ? html`<label title="names of earlier layers this one reads (input = the block's input); blank: the previous layer">inputs<input name="inputs" .value=${(this.layer.inputs ?? []).join(', ')} placeholder="previous"
        @change=${(e: Event) => {
          const names = (e.target as HTMLInputElement).value.split(',').map((s) => s.trim()).filter(Boolean);
          this.emit('inputs', names.length ? names : undefined);
        }} /></label>` : nothing}
      ${args.map((a) => this.field(a))}
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-layer-form': NnxLayerForm;
  }
}
