/**
 * <nnx-copy-pytorch>: "Copy as PyTorch" for one run: a button that puts the script of
 * analysis/pytorch_snippet.ts (the run's exact inputs, the op call, print(y), backward with the
 * same ∂L/∂output) on the clipboard, and the script itself in a collapsible block to read or
 * select by hand where the page may not use the clipboard.
 *
 * In: `spec` (the `nnx run` spec that ran), `grads` (the inputs whose gradients it computed).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { pytorchSnippet } from '../analysis/pytorch_snippet.ts';
import type { RunSpec } from '../ops/spec.ts';
import { errorMessage } from './format.ts';
import { base, tokens } from './theme.ts';

@customElement('nnx-copy-pytorch')
export class NnxCopyPytorch extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; margin-top: 8px; }
    .row { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
    .status { font-size: 12px; color: var(--_muted); }
    details { margin-top: 6px; }
    summary { cursor: pointer; font-size: 12px; color: var(--_muted); }
    pre { margin: 6px 0 0; max-height: 320px; overflow: auto; font: 11.5px/1.45 var(--_mono); background: var(--_surface-2); border: 1px solid var(--_border); border-radius: 8px; padding: 8px 10px; }
    .error { color: var(--_danger); font-size: 12px; }
  `];

  @property({ attribute: false }) spec: RunSpec | null = null;
  @property({ attribute: false }) grads: string[] = [];
  @state() private status = '';

  /** The script for the current spec (empty without one). */
  get snippet(): string {
    return this.spec ? pytorchSnippet(this.spec, { grads: this.grads }) : '';
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.snippet);
      this.status = 'copied to the clipboard';
    } catch {
      this.status = 'this page may not use the clipboard: open the script below and copy it';
    }
  }

  render() {
    if (!this.spec) return nothing;
    let code: string;
    try {
      code = this.snippet;
    } catch (e) {
      return html`<div class="error" data-role="snippet-error">${errorMessage(e)}</div>`;
    }
    return html`<div class="row">
        <button data-role="copy-pytorch" @click=${() => this.copy()}>Copy as PyTorch</button>
        <span class="status" role="status">${this.status}</span>
      </div>
      <details>
        <summary>the script: this run's exact float32 inputs, the ${this.spec.op} call, print(y) and backward</summary>
        <pre data-role="snippet" tabindex="0">${code}</pre>
      </details>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-copy-pytorch': NnxCopyPytorch;
  }
}
