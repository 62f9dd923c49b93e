/** Statistics of quantized tensors: histograms with the clipping range, and the error against the float values. */

/** Counts over `bins` equal bins of [min, max], and the range a quantizer represents (values outside are clipped). */
export interface Histogram {
  min: number;
  max: number;
  counts: number[];
  clip_min: number;
  clip_max: number;
  clipped_fraction: number;
}

/** A histogram of `values` over their own range, with the quantizer's clipping range. */
export function histogram(values: ArrayLike<number>, bins: number, clip: [number, number]): Histogram {
  let min = Infinity;
  let max = -Infinity;
  let clipped = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (v < clip[0] || v > clip[1]) clipped++;
  }
  const counts = new Array<number>(bins).fill(0);
  const width = (max - min) / bins;
  for (let i = 0; i < values.length; i++) counts[width > 0 ? Math.min(bins - 1, Math.floor((values[i] - min) / width)) : 0]++;
  return { min, max, counts, clip_min: clip[0], clip_max: clip[1], clipped_fraction: values.length ? clipped / values.length : 0 };
}

/** Max abs, relative RMS and SQNR of `actual` against `reference`. */
export function errorStats(reference: ArrayLike<number>, actual: ArrayLike<number>): { max_abs_error: number; relative_rms_error: number; sqnr_db: number } {
  let maxAbs = 0;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = actual[i] - reference[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    signal += reference[i] * reference[i];
    noise += d * d;
  }
  return {
    max_abs_error: maxAbs,
    relative_rms_error: signal > 0 ? Math.sqrt(noise / signal) : noise > 0 ? Infinity : 0,
    sqnr_db: noise > 0 ? 10 * Math.log10(signal / noise) : Infinity,
  };
}
