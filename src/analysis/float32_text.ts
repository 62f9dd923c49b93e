/**
 * Float32 values as text that reads back exactly: the shortest decimal that parses to the same
 * float32, with the spelling NumPy and Python use for the values JSON cannot hold.
 */

/** The shortest decimal that parses back to the same float32 as `v`; `nan`, `inf`, `-inf` and `-0` as NumPy writes them. */
export function float32Text(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const f = Math.fround(v);
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  for (let p = 1; p < 9; p++) {
    const s = String(Number(f.toPrecision(p)));
    if (Math.fround(Number(s)) === f) return s;
  }
  return String(Number(f.toPrecision(9)));
}
