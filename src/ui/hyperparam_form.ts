/**
 * <nnx-hyperparam-form>: a form generated from an op's field rows. It edits a copy of
 * `config` and fires `nnx-config-change` with the whole new configuration on every edit.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { FieldDef, FieldRow, LabConfig } from './lab/types.ts';
import { decodeImageFile, setUploadedImage, uploadedImage } from './lab/data.ts';
import { base, tokens } from './theme.ts';

export interface ConfigChangeDetail {
  config: LabConfig;
  key: string;
}

@customElement('nnx-hyperparam-form')
export class NnxHyperparamForm extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    fieldset { border: 0; margin: 0 0 6px; padding: 0; }
    legend { font-size: 11px; font-weight: 700; letter-spacing: 0.06em; text-transform: uppercase; color: var(--_muted); padding: 0; margin: 2px 0 4px; }
    .row { display: grid; grid-template-columns: 118px 1fr; align-items: center; gap: 8px; padding: 2px 0; }
    .row > label { font-size: 12.5px; color: var(--_text); }
    .row .hint { display: block; font-size: 10.5px; color: var(--_muted); line-height: 1.2; }
    .fields { display: flex; gap: 6px; align-items: center; }
    .field { display: flex; align-items: center; gap: 4px; flex: 1; min-width: 0; }
    .field span { font-size: 10.5px; color: var(--_muted); font-family: var(--_mono); }
    input[type='number'], select {
      width: 100%; min-width: 0; font: 13px var(--_mono); padding: 3px 7px; border-radius: 7px;
      border: 1px solid var(--_border); background: var(--_surface); color: var(--_text);
    }
    select { font-family: var(--_font); }
    input.bad, select.bad { border-color: var(--_danger); background: var(--_danger-soft); }
    textarea { width: 100%; min-height: 54px; font: 12px var(--_mono); padding: 4px 7px; border-radius: 7px; border: 1px solid var(--_border); resize: vertical; }
    textarea.bad { border-color: var(--_danger); background: var(--_danger-soft); }
    input[type='file'] { font-size: 11.5px; max-width: 100%; }
    .file-note { font-size: 10.5px; color: var(--_muted); }
    input[type='checkbox'] { width: 16px; height: 16px; accent-color: var(--_accent); margin: 0; }
  `];

  @property({ attribute: false }) rows: FieldRow[] = [];
  @property({ attribute: false }) config: LabConfig = {};
  /** Keys of fields the current error is about. */
  @property({ attribute: false }) invalid: string[] = [];
  @property({ type: Boolean }) disabled = false;

  private emit(key: string, value: number | boolean | string): void {
    const config = { ...this.config, [key]: value };
    this.dispatchEvent(new CustomEvent<ConfigChangeDetail>('nnx-config-change', { detail: { config, key }, bubbles: true, composed: true }));
  }

  private field(f: FieldDef, rowLabel: string) {
    const bad = this.invalid.includes(f.key);
    const id = `f-${f.key}`;
    const aria = f.label ? `${rowLabel} ${f.label}` : rowLabel;
    if (f.kind === 'bool') {
      return html`<input id=${id} name=${f.key} type="checkbox" aria-label=${aria} .checked=${this.config[f.key] === true}
        ?disabled=${this.disabled} @change=${(e: Event) => this.emit(f.key, (e.target as HTMLInputElement).checked)} />`;
    }
    if (f.kind === 'choice') {
      return html`<select id=${id} name=${f.key} aria-label=${aria} class=${bad ? 'bad' : ''} ?disabled=${this.disabled}
        @change=${(e: Event) => this.emit(f.key, (e.target as HTMLSelectElement).value)}>
        ${f.options!.map((o) => html`<option value=${o.value} ?selected=${this.config[f.key] === o.value}>${o.label}</option>`)}
      </select>`;
    }
    if (f.kind === 'text') {
      return html`<textarea id=${id} name=${f.key} aria-label=${aria} class=${bad ? 'bad' : ''} ?disabled=${this.disabled} spellcheck="false"
        .value=${String(this.config[f.key] ?? '')} @change=${(e: Event) => this.emit(f.key, (e.target as HTMLTextAreaElement).value)}></textarea>`;
    }
    if (f.kind === 'image') {
      const current = uploadedImage();
      return html`<span class="field" style="flex-direction:column;align-items:flex-start">
        <input id=${id} name=${f.key} type="file" accept="image/*" aria-label=${aria} ?disabled=${this.disabled}
          @change=${async (e: Event) => {
            const file = (e.target as HTMLInputElement).files?.[0];
            if (!file) return;
            try {
              setUploadedImage(await decodeImageFile(file));
              this.emit(f.key, file.name);
            } catch {
              setUploadedImage(null);
              this.emit(f.key, '');
            }
          }} />
        <span class="file-note">${current ? `${current.name}: ${current.width.toLocaleString('en-US')} × ${current.height.toLocaleString('en-US')} px` : 'no image chosen'}</span>
      </span>`;
    }
    const value = this.config[f.key];
    return html`<span class="field">
      ${f.label ? html`<span>${f.label}</span>` : nothing}
      <input id=${id} name=${f.key} type="number" step="1" min=${f.min ?? ''} max=${f.max ?? ''} aria-label=${aria}
        class=${bad ? 'bad' : ''} .value=${Number.isFinite(value) ? String(value) : ''} ?disabled=${this.disabled}
        @input=${(e: Event) => {
          const text = (e.target as HTMLInputElement).value.trim();
          this.emit(f.key, text === '' ? Number.NaN : Number(text));
        }} />
    </span>`;
  }

  render() {
    const sections = [...new Set(this.rows.map((r) => r.section))];
    return html`${sections.map(
      (section) => html`<fieldset>
        <legend>${section}</legend>
        ${this.rows.filter((r) => r.section === section && (!r.when || this.config[r.when.key] === r.when.value)).map(
          (row) => html`<div class="row">
            <label for=${`f-${row.fields[0].key}`}>${row.label}${row.hint ? html`<span class="hint">${row.hint}</span>` : nothing}</label>
            <div class="fields">${row.fields.map((f) => this.field(f, row.label))}</div>
          </div>`,
        )}
      </fieldset>`,
    )}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-hyperparam-form': NnxHyperparamForm;
  }
}
