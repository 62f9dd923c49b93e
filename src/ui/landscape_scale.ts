/**
 * One loss scale for the landscape views, so the plain and residual surfaces share heights and
 * colours: losses are compared on a log scale (a landscape spans orders of magnitude away from
 * the minimum), and colour runs through a sequential map from dark blue (low) to yellow (high).
 */

/** log(loss) bounds over every finite value of the grids. */
export interface LossRange {
  lo: number;
  hi: number;
}

/** The log-loss range over `grids` (rows of losses, null where the loss was not finite). */
export function lossRange(grids: (number | null)[][][]): LossRange {
  let lo = Infinity;
  let hi = -Infinity;
  for (const g of grids) for (const row of g) for (const v of row) {
    if (v === null || !(v > 0)) continue;
    lo = Math.min(lo, Math.log(v));
    hi = Math.max(hi, Math.log(v));
  }
  if (!Number.isFinite(lo)) return { lo: 0, hi: 1 };
  return hi - lo < 1e-9 ? { lo, hi: lo + 1 } : { lo, hi };
}

/** Where `loss` sits in the range, 0..1 (non-finite and non-positive losses at the top). */
export function lossLevel(loss: number | null, range: LossRange): number {
  if (loss === null || !(loss > 0)) return 1;
  return Math.max(0, Math.min(1, (Math.log(loss) - range.lo) / (range.hi - range.lo)));
}

const STOPS: [number, number, number][] = [
  [52, 48, 130], [44, 82, 150], [33, 120, 158], [41, 165, 140], [115, 200, 90], [236, 220, 60],
];

/** RGB (0..255) of a level in [0, 1]. */
export function lossRgb(level: number): [number, number, number] {
  const u = Math.max(0, Math.min(1, level)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(u));
  const f = u - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** The loss at a level (the inverse of lossLevel), for legends and contour labels. */
export function levelLoss(level: number, range: LossRange): number {
  return Math.exp(range.lo + level * (range.hi - range.lo));
}
