/**
 * Deterministic data for the Layer Lab: a seeded random generator and a procedurally drawn
 * sample image, so a shared link reproduces the same numbers.
 */

/** mulberry32: a small, fast, seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` values uniform in [lo, hi), rounded to float32. */
export function uniform(count: number, seed: number, lo: number, hi: number): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.max(0, Math.min(1, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

/**
 * One RGB pixel of a small landscape (sky, sun, hills, striped field) at normalized
 * coordinates u, v in [0, 1]; `variant` moves the sun and the hills so batch items differ.
 */
function scene(u: number, v: number, variant: number, aa: number): [number, number, number] {
  // Sky: deep blue at the top to pale near the horizon.
  let r = 0.25 + 0.55 * v;
  let g = 0.45 + 0.4 * v;
  let b = 0.95 - 0.15 * v;
  // Sun.
  const sx = 0.72 - 0.45 * ((variant * 0.37) % 1);
  const sy = 0.24 + 0.08 * (variant % 2);
  const d = Math.hypot(u - sx, v - sy);
  const sun = 1 - smoothstep(0.13 - aa, 0.13 + aa, d);
  r += (1.0 - r) * sun; g += (0.85 - g) * sun; b += (0.2 - b) * sun;
  // Hills.
  const hill = 0.62 + 0.08 * Math.sin(u * 7 + variant * 1.9) + 0.05 * Math.sin(u * 13 + 0.5);
  const onHill = smoothstep(hill - aa, hill + aa, v);
  r += (0.2 - r) * onHill; g += (0.55 - g) * onHill; b += (0.25 - b) * onHill;
  // Striped field below.
  const field = smoothstep(0.82 - aa, 0.82 + aa, v);
  const stripe = 0.5 + 0.5 * Math.sin((u - 0.5) * 40 / (v + 0.2));
  r += (0.55 + 0.25 * stripe - r) * field; g += (0.4 + 0.2 * stripe - g) * field; b += (0.12 - b) * field;
  // A dark square "house".
  const hx = 0.18 + 0.1 * (variant % 3);
  const house = smoothstep(hx - aa, hx + aa, u) * (1 - smoothstep(hx + 0.16 - aa, hx + 0.16 + aa, u)) * smoothstep(0.55 - aa, 0.55 + aa, v) * (1 - field);
  r += (0.6 - r) * house; g += (0.18 - g) * house; b += (0.15 - b) * house;
  return [r, g, b];
}

/**
 * A batch of sample images [N, C, H, W], values normalized to [-1, 1]. Channels 0..2 are the
 * red, green and blue of the scene; further channels are luminance, its horizontal and
 * vertical gradients, and then rotating stripe patterns.
 */
export function sampleImage(n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(n * c * h * w);
  const aa = 1 / Math.max(h, w);
  for (let b = 0; b < n; b++) {
    const rgb: [number, number, number][] = [];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) rgb.push(scene((x + 0.5) / w, (y + 0.5) / h, b, aa));
    }
    const lum = rgb.map(([r, g, bl]) => 0.299 * r + 0.587 * g + 0.114 * bl);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const p = y * w + x;
          let v: number;
          if (ch < 3) v = rgb[p][ch];
          else if (ch === 3) v = lum[p];
          else if (ch === 4) v = 0.5 + 2 * (lum[y * w + Math.min(w - 1, x + 1)] - lum[y * w + Math.max(0, x - 1)]);
          else if (ch === 5) v = 0.5 + 2 * (lum[Math.min(h - 1, y + 1) * w + x] - lum[Math.max(0, y - 1) * w + x]);
          else {
            const angle = (ch - 6) * 0.7;
            v = 0.5 + 0.5 * Math.sin(((x * Math.cos(angle) + y * Math.sin(angle)) / Math.max(2, Math.min(h, w) / 4)) * Math.PI);
          }
          out[((b * c + ch) * h + y) * w + x] = Math.max(-1, Math.min(1, (v - 0.5) * 2));
        }
      }
    }
  }
  return out;
}
