/**
 * Number formatting for people: thousands separators, SI prefixes, and bytes in both MB (10^6)
 * and MiB (2^20), always labelled. JSON output carries raw numbers instead.
 */

/** 11689512 → "11,689,512". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 1814083944 → "1.81 G" (decimal SI prefixes). */
export function formatSI(n: number, digits = 2): string {
  const units: [number, string][] = [[1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, prefix] of units) if (Math.abs(n) >= scale) return `${(n / scale).toFixed(digits)} ${prefix}`;
  return `${Number.isInteger(n) ? n : n.toFixed(digits)} `;
}

/** Megabytes, 10^6 bytes. */
export const MB = 1e6;
/** Mebibytes, 2^20 bytes. */
export const MiB = 2 ** 20;

/** 46758048 → "46.76 MB (44.59 MiB)". */
export function formatBytes(bytes: number): string {
  return `${(bytes / MB).toFixed(2)} MB (${(bytes / MiB).toFixed(2)} MiB)`;
}

/** Bytes as a bare MB figure for a table column. */
export function formatMBColumn(bytes: number): string {
  return bytes === 0 ? '0' : bytes / MB < 0.01 ? '<0.01' : (bytes / MB).toFixed(2);
}

/** Seconds with a fitting unit: "850 ns", "12.3 µs", "4.56 ms", "1.20 s". */
export function formatSeconds(s: number): string {
  if (s === 0) return '0';
  if (s < 1e-6) return `${(s * 1e9).toFixed(s < 1e-8 ? 2 : 0)} ns`;
  if (s < 1e-3) return `${(s * 1e6).toFixed(s < 1e-5 ? 2 : 1)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(2)} ms`;
  return `${s.toFixed(2)} s`;
}

/** Pads a table: `align` per column, 'l' or 'r'. */
export function renderTable(rows: string[][], align: ('l' | 'r')[]): string[] {
  const widths = align.map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? '')].length)));
  return rows.map((r) => r.map((cell, c) => {
    const pad = ' '.repeat(widths[c] - [...cell].length);
    return align[c] === 'r' ? pad + cell : cell + pad;
  }).join('  ').trimEnd());
}
