/**
 * The look shared by every nnx-* component. Colours, fonts and radii are `--nnx-*` custom
 * properties with defaults here, so a page embedding the components can restyle them.
 */
import { css } from 'lit';

/** Defaults of every theme property, applied on :host so embedding pages can override them. */
export const tokens = css`
  :host {
    --_bg: var(--nnx-bg, #f4f5f9);
    --_surface: var(--nnx-surface, #ffffff);
    --_surface-2: var(--nnx-surface-2, #f8f9fc);
    --_text: var(--nnx-text, #1b2130);
    --_muted: var(--nnx-muted, #5b6477);
    --_border: var(--nnx-border, #e2e5ee);
    --_accent: var(--nnx-accent, #4f46e5);
    --_accent-soft: var(--nnx-accent-soft, #eef0ff);
    --_focus: var(--nnx-focus, #f59e0b);
    --_danger: var(--nnx-danger, #c0362c);
    --_danger-soft: var(--nnx-danger-soft, #fdf0ee);
    --_ok: var(--nnx-ok, #17804a);
    --_pad: var(--nnx-pad-color, #d7dbe5);
    --_font: var(--nnx-font, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif);
    --_mono: var(--nnx-mono, ui-monospace, 'SFMono-Regular', 'JetBrains Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace);
    --_radius: var(--nnx-radius, 10px);
    --_shadow: var(--nnx-shadow, 0 1px 2px rgba(16, 24, 40, 0.06), 0 1px 3px rgba(16, 24, 40, 0.08));
    font-family: var(--_font);
    color: var(--_text);
  }
`;

/** Cards, tables, buttons and small type, used by several components. */
export const base = css`
  * { box-sizing: border-box; }
  .card {
    background: var(--_surface);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    box-shadow: var(--_shadow);
    padding: 14px 16px;
  }
  h2, h3 { margin: 0; font-weight: 650; letter-spacing: -0.01em; }
  h2 { font-size: 15px; }
  h3 { font-size: 13px; }
  .muted { color: var(--_muted); }
  .mono { font-family: var(--_mono); font-variant-numeric: tabular-nums; }
  .small { font-size: 12px; }
  table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
  th { text-align: left; font-weight: 600; color: var(--_muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.04em; }
  th, td { padding: 5px 8px; border-bottom: 1px solid var(--_border); white-space: nowrap; }
  td.num, th.num { text-align: right; font-family: var(--_mono); font-variant-numeric: tabular-nums; }
  tbody tr:hover { background: var(--_surface-2); }
  .chip {
    display: inline-block; padding: 1px 6px; border-radius: 999px; font-size: 10.5px; font-weight: 600;
    background: var(--_accent-soft); color: var(--_accent); margin-right: 3px; letter-spacing: 0.02em;
  }
  button {
    font: inherit; font-weight: 600; font-size: 13px; border-radius: 8px; border: 1px solid var(--_border);
    background: var(--_surface); color: var(--_text); padding: 7px 14px; cursor: pointer;
  }
  button.primary { background: var(--_accent); border-color: var(--_accent); color: white; }
  button:disabled { opacity: 0.5; cursor: not-allowed; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--_accent); outline-offset: 1px; }
`;
