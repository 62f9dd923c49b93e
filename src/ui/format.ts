/**
 * Number formatting for the UI. Counts get thousands separators (via analysis/format);
 * float32 values are shown exactly: the shortest decimal that reads back as the same float32.
 */
import { NnxError } from '../analysis/errors.ts';
import { formatCount } from '../analysis/format.ts';

export { formatCount };

/** The shortest decimal string that parses back to the same float32 as `v`. */
export function formatFloat32(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const f = Math.fround(v);
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

/** A float64 value with `digits` significant digits, trailing zeros removed. */
export function formatFloat64(v: number, digits = 9): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return String(Number(v.toPrecision(digits)));
}

/** A compact float for axis legends: 3 significant digits. */
export function formatShort(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

/** Bytes with thousands separators and a decimal/binary unit, both labelled. */
export function formatBytesLong(bytes: number): string {
  if (bytes < 1000) return `${formatCount(bytes)} B`;
  const kB = bytes / 1e3;
  const KiB = bytes / 1024;
  if (bytes < 1e6) return `${formatCount(bytes)} B (${kB.toFixed(1)} kB, ${KiB.toFixed(1)} KiB)`;
  return `${formatCount(bytes)} B (${(bytes / 1e6).toFixed(2)} MB, ${(bytes / 2 ** 20).toFixed(2)} MiB)`;
}

/** Nanoseconds as microseconds with separators: 12345 → "12.35". */
export function formatMicros(ns: number): string {
  return (ns / 1000).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 2 });
}

/** A shape as PyTorch prints it. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** An index as `name[a, b, c]`. */
export function formatIndex(name: string, index: readonly number[]): string {
  return `${name}[${index.join(', ')}]`;
}

/**
 * An error as one line, as `nnx run` prints it. Project errors (NnxError) carry a complete
 * message; their class names are not shown, since a minified bundle renames them. Built-in
 * errors (RangeError, TypeError, …) keep theirs.
 */
export function errorMessage(e: unknown): string {
  const builtIn = e instanceof Error && !(e instanceof NnxError) && /^[A-Z][A-Za-z]*Error$/.test(e.name) && e.name !== 'Error';
  const text = e instanceof Error ? `${builtIn ? `${e.name}: ` : ''}${e.message}` : String(e);
  return text.replace(/\s+/g, ' ').trim();
}

