/** Helpers the Layer Lab's op descriptions share: range checks, flat indices, detail boxes. */
import { html, nothing, type TemplateResult } from 'lit';
import type { Tensor } from '../../analysis/tensor.ts';
import { formatCount } from '../format.ts';
import { num, type FieldDef, type FieldRow, type LabConfig, type Validation } from './types.ts';

export const int = (key: string, def: number, min: number, max: number, label?: string): FieldDef => ({ key, kind: 'int', default: def, min, max, label });

export const GRAD_ROW: FieldRow = {
  section: 'Input', label: 'grad_output', hint: '∂L/∂output fed to backward',
  fields: [{ key: 'grad', kind: 'choice', default: 'random', options: [{ value: 'ones', label: 'ones' }, { value: 'random', label: 'seeded random' }] }],
};

export const SEED_ROW: FieldRow = { section: 'Input', label: 'seed', hint: 'weights, bias and random data', fields: [int('seed', 1, 0, 999_999)] };

/** The first integer field outside its range, as a failed validation, or null. */
export function checkInts(rows: FieldRow[], config: LabConfig, pytorch: string): Validation | null {
  for (const row of rows) {
    for (const f of row.fields) {
      if (f.kind !== 'int') continue;
      const v = num(config, f.key);
      if (!Number.isInteger(v) || v < f.min! || v > f.max!) {
        return invalid(`${row.label}${f.label ? ` (${f.label})` : ''} must be a whole number from ${formatCount(f.min!)} to ${formatCount(f.max!)}, got ${config[f.key]}`, [f.key], pytorch);
      }
    }
  }
  return null;
}

export function invalid(error: string, fields: string[], pytorch: string, derivations: Validation['derivations'] = []): Validation {
  return { ok: false, error, fields, derivations, shapes: {}, stats: [], pytorch };
}

/** Row-major flat offset of an index. */
export function flat(shape: readonly number[], index: readonly number[]): number {
  return index.reduce((f, v, i) => f * shape[i] + v, 0);
}

/** The full index of a flat offset. */
export function unflat(shape: readonly number[], offset: number): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = offset % shape[i];
    offset = Math.floor(offset / shape[i]);
  }
  return out;
}

export function at(t: Tensor, index: readonly number[]): number {
  return t.data[flat(t.shape, index)];
}

/** Gradient of the output fed to backward, as a tensor of ones or seeded uniform values. */
export function gradValues(kind: unknown, count: number, random: () => Float32Array): Float32Array {
  return kind === 'ones' ? new Float32Array(count).fill(1) : random();
}

/**
 * A labelled column of figures (the right-hand box of a detail panel): each line a label and a
 * value; `role` puts data-role and data-value on the value for tests.
 */
export function figures(lines: ({ label: string; value: string; role?: string; raw?: number; cls?: string } | null)[]): TemplateResult {
  return html`<div class="figs">${lines.map((l) => (l
    ? html`<div class=${l.cls ?? ''}><span class="label">${l.label}</span><span data-role=${l.role ?? nothing} data-value=${l.raw ?? nothing}>${l.value}</span></div>`
    : nothing))}</div>`;
}

/** A style for wide tables in detail panels (many numeric columns): tighter cells, smaller type. */
export const COMPACT_TABLE_STYLE = html`<style>.compact th, .compact td { padding: 3px 5px; font-size: 11.5px; } .compact th { font-size: 10.5px; }</style>`;

/**
 * The table of terms in a detail panel, in a scrolling region that takes keyboard focus:
 * `head` is the header row's cells, `rows` the body rows. `wide` spans every column of the
 * panel's layout; `compact` tightens the cells (COMPACT_TABLE_STYLE).
 */
export function termsTable(label: string, head: TemplateResult, rows: unknown, options: { wide?: boolean; compact?: boolean } = {}): TemplateResult {
  return html`<div class="terms" tabindex="0" role="region" aria-label=${label} style=${options.wide ? 'grid-column: 1 / -1' : nothing}>
    ${options.compact ? COMPACT_TABLE_STYLE : nothing}
    <table class=${options.compact ? 'compact' : nothing}>
      <thead><tr>${head}</tr></thead>
      <tbody>${rows}</tbody>
    </table>
  </div>`;
}
