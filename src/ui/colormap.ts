/**
 * The two colour maps of every heatmap, both readable with the common colour-vision deficiencies
 * (the lightness runs monotonically, so order survives without hue):
 * - diverging, for signed values: blue (negative) through a near-white zero to red (positive),
 *   interpolated from ColorBrewer's 11-class RdBu (reversed so red is positive; the two darkest
 *   ends lightened so saturated cells stay readable);
 * - sequential, for values that cannot be negative (probabilities, pixels, counts): viridis,
 *   dark purple (0) through teal to yellow (largest), from its 9-class table.
 */

type Rgb = [number, number, number];

const DIVERGING_STOPS: Rgb[] = [
  [24, 79, 148], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [140, 10, 37],
];

const SEQUENTIAL_STOPS: Rgb[] = [
  [68, 1, 84], [71, 45, 123], [59, 82, 139], [44, 114, 142], [33, 144, 140],
  [39, 173, 129], [93, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** NaN maps to magenta in both maps so it cannot pass unnoticed. */
const NAN_RGB: Rgb = [255, 0, 255];

export type ColormapName = 'diverging' | 'sequential';

/** Piecewise-linear RGB at `u` in [0, 1] through equally spaced stops. */
function interpolate(stops: Rgb[], u: number): Rgb {
  const s = Math.max(0, Math.min(1, u)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(s));
  const f = s - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f].map(Math.round) as Rgb;
}

function css([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

function gradient(stops: Rgb[], direction: string): string {
  return `linear-gradient(${direction}, ${stops.map((s, i) => `${css(s)} ${((i / (stops.length - 1)) * 100).toFixed(1)}%`).join(', ')})`;
}

/** RGB of `t` in [-1, 1] (clamped) on the diverging map. */
export function divergingRgb(t: number): Rgb {
  return Number.isNaN(t) ? NAN_RGB : interpolate(DIVERGING_STOPS, (t + 1) / 2);
}

/** RGB of `t` in [0, 1] (clamped) on the sequential map. */
export function sequentialRgb(t: number): Rgb {
  return Number.isNaN(t) ? NAN_RGB : interpolate(SEQUENTIAL_STOPS, t);
}

/** RGB of `t` on the named map: [-1, 1] for diverging, [0, 1] for sequential. */
export function colormapRgb(name: ColormapName, t: number): Rgb {
  return name === 'sequential' ? sequentialRgb(t) : divergingRgb(t);
}

/** Black or white, whichever contrasts more with a background (WCAG relative luminance): text on a coloured cell. */
export function readableTextColor([r, g, b]: Rgb): string {
  const linear = (c: number) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  return 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 ? '#fff' : '#000';
}

/** CSS colour of `t` in [-1, 1] on the diverging map. */
export function divergingCss(t: number): string {
  return css(divergingRgb(t));
}

/** A CSS linear-gradient running through the named map, for legends. */
export function colormapGradient(name: ColormapName, direction = 'to right'): string {
  return gradient(name === 'sequential' ? SEQUENTIAL_STOPS : DIVERGING_STOPS, direction);
}
