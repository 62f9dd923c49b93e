/** <nnx-webgpu-missing>: says plainly that WebGPU is unavailable, why, and how to enable it. */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { base, tokens } from './theme.ts';

@customElement('nnx-webgpu-missing')
export class NnxWebgpuMissing extends LitElement {
  static styles = [tokens, base, css`
    :host { display: block; }
    .box { border: 1px solid #f1c9a5; background: #fff8f1; border-radius: var(--_radius); padding: 14px 18px; }
    h2 { font-size: 15px; color: #9a3412; margin-bottom: 4px; }
    p { margin: 6px 0; font-size: 13px; line-height: 1.5; }
    ul { margin: 6px 0 0; padding-left: 20px; font-size: 13px; line-height: 1.6; }
    code { font-family: var(--_mono); font-size: 12px; background: rgba(0,0,0,0.05); padding: 1px 4px; border-radius: 4px; }
  `];

  /** Why no adapter was obtained (the error message). */
  @property() reason = '';

  render() {
    const insecure = typeof window !== 'undefined' && !window.isSecureContext;
    return html`<div class="box" role="alert">
      <h2>WebGPU is not available here</h2>
      <p>Layers cannot run on the GPU in this browser. The form, the output-size formula and the cost figures still work.</p>
      ${this.reason ? html`<p><b>Reason:</b> ${this.reason}</p>` : nothing}
      <p><b>How to enable it:</b></p>
      <ul>
        ${insecure
          ? html`<li>This page is not a secure context, and WebGPU needs one: open it at <code>http://localhost</code> / <code>http://127.0.0.1</code> or over <code>https</code>.</li>`
          : nothing}
        <li>Chrome or Edge 113+ on Windows, macOS and ChromeOS have it on by default: turn on “Use graphics acceleration when available” in settings, and check <code>chrome://gpu</code>.</li>
        <li>Chrome on Linux: start it with <code>--enable-unsafe-webgpu --enable-features=Vulkan</code> (or enable <code>chrome://flags/#enable-unsafe-webgpu</code>). With no GPU driver, add <code>--use-vulkan=swiftshader --use-webgpu-adapter=swiftshader</code> for the CPU (SwiftShader) adapter.</li>
        <li>Firefox 141+ on Windows; elsewhere set <code>dom.webgpu.enabled</code> in <code>about:config</code> (Nightly).</li>
        <li>Safari 26 or later (macOS, iOS, iPadOS).</li>
      </ul>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nnx-webgpu-missing': NnxWebgpuMissing;
  }
}
