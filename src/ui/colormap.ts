/**
 * Diverging colour map for signed values: blue (negative) through a near-white zero to red
 * (positive), interpolated from ColorBrewer's 11-class RdBu (reversed so red is positive; the two darkest
 * ends lightened so saturated cells stay readable).
 */
const STOPS: [number, number, number][] = [
  [24, 79, 148], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [140, 10, 37],
];

/** RGB of `t` in [-1, 1] (clamped); NaN maps to magenta so it cannot pass unnoticed. */
export function divergingRgb(t: number): [number, number, number] {
  if (Number.isNaN(t)) return [255, 0, 255];
  const u = (Math.max(-1, Math.min(1, t)) + 1) / 2 * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(u));
  const f = u - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f].map(Math.round) as [number, number, number];
}

/** CSS colour of `t` in [-1, 1]. */
export function divergingCss(t: number): string {
  const [r, g, b] = divergingRgb(t);
  return `rgb(${r}, ${g}, ${b})`;
}

/** A CSS linear-gradient running through the colour map, for legends. */
export function divergingGradient(direction = 'to right'): string {
  const stops = STOPS.map(([r, g, b], i) => `rgb(${r}, ${g}, ${b}) ${((i / (STOPS.length - 1)) * 100).toFixed(1)}%`);
  return `linear-gradient(${direction}, ${stops.join(', ')})`;
}
