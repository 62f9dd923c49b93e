/**
 * Deterministic data for the Layer Lab: a seeded random generator and a procedurally drawn
 * sample image, so a shared link reproduces the same numbers.
 */
import { mulberry32 } from '../../analysis/random.ts';
import { GRAD_ROW, SEED_ROW } from './common.ts';
import type { FieldRow } from './types.ts';

/** The lab's seeded generator: mulberry32 on a scrambled seed. */
export function seededRandom(seed: number): () => number {
  return mulberry32((seed >>> 0) ^ 0x9e3779b9);
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

/** Independent streams from one seed (stream k of seed s). */
export function stream(seed: number, k: number): number {
  return (Math.imul(seed + 1, 0x85ebca6b) ^ Math.imul(k, 0xc2b2ae35)) >>> 0;
}

/** Where the input tensor's numbers come from. */
export const IMAGE_INPUT_OPTIONS = [
  { value: 'image', label: 'sample image' },
  { value: 'random', label: 'seeded random' },
  { value: 'typed', label: 'typed numbers' },
  { value: 'upload', label: 'uploaded image' },
];
export const PLAIN_INPUT_OPTIONS = [
  { value: 'random', label: 'seeded random' },
  { value: 'typed', label: 'typed numbers' },
];

/**
 * The form rows that choose the input data: the source, the numbers when typed, the file when
 * uploaded. `image` offers the sample and uploaded images (ops on [N, C, H, W] pictures).
 */
export function inputRows(image: boolean, fallback = image ? 'image' : 'random'): FieldRow[] {
  const rows: FieldRow[] = [
    { section: 'Input', label: 'input data', fields: [{ key: 'input', kind: 'choice', default: fallback, options: image ? IMAGE_INPUT_OPTIONS : PLAIN_INPUT_OPTIONS }] },
    {
      section: 'Input', label: 'x values', hint: 'row-major, comma or space separated',
      when: { key: 'input', value: 'typed' }, fields: [{ key: 'xtext', kind: 'text', default: '' }],
    },
  ];
  if (image) rows.push({ section: 'Input', label: 'image file', hint: 'resampled to H × W', when: { key: 'input', value: 'upload' }, fields: [{ key: 'upload', kind: 'image', default: '' }] });
  return rows;
}

/** The rows that end a lab's form: the input data (see inputRows), grad_output (GRAD_ROW unless given) and the seed. */
export function inputGradSeedRows(image: boolean, gradRow: FieldRow = GRAD_ROW): FieldRow[] {
  return [...inputRows(image), gradRow, SEED_ROW];
}

/** Numbers typed by a person: "1, 2.5 -3" → [1, 2.5, -3], or the first thing that is not one. */
export function parseNumbers(text: string): { values: number[] } | { error: string } {
  const parts = text.split(/[\s,;[\]]+/).filter((p) => p !== '');
  const values: number[] = [];
  for (const p of parts) {
    const v = Number(p);
    if (!Number.isFinite(v)) return { error: `"${p}" is not a finite number` };
    values.push(v);
  }
  return { values };
}

/** An uploaded picture, kept as RGB floats in [0, 1] at its own size (not in the URL). */
export interface UploadedImage {
  name: string;
  width: number;
  height: number;
  rgb: Float32Array;
}

let uploaded: UploadedImage | null = null;

export function setUploadedImage(image: UploadedImage | null): void {
  uploaded = image;
}

export function uploadedImage(): UploadedImage | null {
  return uploaded;
}

/** Decodes an image file in the browser into RGB floats (at most 256 px on a side). */
export async function decodeImageFile(file: File): Promise<UploadedImage> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 256 / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) for (let k = 0; k < 3; k++) rgb[i * 3 + k] = rgba[i * 4 + k] / 255;
  return { name: file.name, width, height, rgb };
}

/**
 * The uploaded image as [N, C, H, W] in [-1, 1], area-averaged to H × W. Channels 0..2 are
 * red, green, blue; a single channel is the luminance; further channels repeat R, G, B.
 */
export function resampleUploaded(img: UploadedImage, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const y0 = Math.floor((y * img.height) / h), y1 = Math.max(y0 + 1, Math.floor(((y + 1) * img.height) / h));
      const x0 = Math.floor((x * img.width) / w), x1 = Math.max(x0 + 1, Math.floor(((x + 1) * img.width) / w));
      const rgb = [0, 0, 0];
      for (let sy = y0; sy < y1; sy++) for (let sx = x0; sx < x1; sx++) for (let k = 0; k < 3; k++) rgb[k] += img.rgb[(sy * img.width + sx) * 3 + k];
      const count = (y1 - y0) * (x1 - x0);
      const lum = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / count;
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          const v = c === 1 ? lum : rgb[ch % 3] / count;
          out[((b * c + ch) * h + y) * w + x] = v * 2 - 1;
        }
      }
    }
  }
  return out;
}

/** Why the chosen input cannot fill `count` values, or null when it can. */
export function checkInput(config: Record<string, unknown>, count: number, what = 'x'): string | null {
  if (config.input === 'typed') {
    const parsed = parseNumbers(String(config.xtext ?? ''));
    if ('error' in parsed) return `typed ${what} values: ${parsed.error}`;
    if (parsed.values.length !== count) {
      return `typed ${what} values: ${parsed.values.length.toLocaleString('en-US')} numbers given, the shape needs ${count.toLocaleString('en-US')}`;
    }
  }
  if (config.input === 'upload' && !uploaded) return 'choose an image file to upload (uploaded pictures are not kept in the link; pick it again after a reload)';
  return null;
}

/** The input tensor's values for a configuration (seeded random, typed, sample or uploaded image). */
export function makeInput(config: Record<string, unknown>, shape: number[], seed: number): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (config.input === 'typed') {
    const parsed = parseNumbers(String(config.xtext ?? ''));
    if ('values' in parsed && parsed.values.length === count) return Float32Array.from(parsed.values);
  }
  if (shape.length === 4 && config.input === 'upload' && uploaded) return resampleUploaded(uploaded, shape[0], shape[1], shape[2], shape[3]);
  if (shape.length === 4 && config.input === 'image') return sampleImage(shape[0], shape[1], shape[2], shape[3]);
  return uniform(count, stream(seed, 0), -1, 1);
}
