/**
 * The base of a page that keeps its settings in the URL hash and runs once the GPU runtime
 * arrives: `params` from the route fill `p` over the page's defaults, `set` changes one setting
 * and emits `nnx-params-change` with the settings that differ from the defaults, and `run` is
 * called once when the runtime first appears.
 */
import { LitElement, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { GpuRuntime } from '../kernels/runtime.ts';

export abstract class NnxRoutedPage extends LitElement {
  @property({ attribute: false }) runtime: GpuRuntime | null = null;
  @property({ attribute: false }) gpuError: string | null = null;
  @property({ attribute: false }) params: Record<string, string> = {};
  /** The page's settings: its defaults overridden by the URL's. */
  @state() protected p: Record<string, string> = {};
  private autoRan = false;

  /** Each setting's value when the URL does not name it. */
  protected abstract readonly defaults: Record<string, string>;

  /** The page's GPU work, started once when the runtime arrives and by its Run button. */
  abstract run(): Promise<void>;

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('params')) this.p = { ...this.defaults, ...this.params };
  }

  protected updated(changed: PropertyValues<this>): void {
    if (changed.has('runtime') && this.runtime && !this.autoRan) {
      this.autoRan = true;
      void Promise.resolve().then(() => this.run());
    }
  }

  /** The settings the URL keeps: those that differ from the defaults. */
  protected urlParams(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.p).filter(([k, v]) => v !== this.defaults[k]));
  }

  /** Changes one setting and reports the settings the URL keeps. */
  protected set(key: string, value: string): void {
    this.p = { ...this.p, [key]: value };
    this.dispatchEvent(new CustomEvent('nnx-params-change', { detail: { params: this.urlParams() }, bubbles: true, composed: true }));
  }
}
