/**
 * The heatmap colour maps stay readable without full colour vision: CIE L* (lightness) rises
 * monotonically along the sequential map and away from zero on both sides of the diverging one,
 * also after simulating protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes
 * 2009, severity 1, applied in linear RGB), and the negative and positive halves of the diverging
 * map stay apart (CIE76 ΔE) under every simulation.
 */
import { describe, expect, it } from 'vitest';
import { colormapGradient, colormapRgb, divergingRgb, readableTextColor, sequentialRgb } from '../../src/ui/colormap.ts';

type Rgb = [number, number, number];
type Matrix = [Rgb, Rgb, Rgb];

const IDENTITY: Matrix = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
const SIMULATIONS: Record<string, Matrix> = {
  normal: IDENTITY,
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
};

const toLinear = (c: number) => {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};

/** CIE L*a*b* (D65) of an sRGB colour after a colour-vision simulation in linear RGB. */
function lab(rgb: Rgb, sim: Matrix): Rgb {
  const lin = rgb.map(toLinear);
  const [r, g, b] = sim.map((row) => Math.min(1, Math.max(0, row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2])));
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

const deltaE = (p: Rgb, q: Rgb) => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
const samples = (from: number, to: number, n: number) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

describe('heatmap colour maps', () => {
  for (const [name, sim] of Object.entries(SIMULATIONS)) {
    it(`${name}: sequential lightness rises from 0 to 1`, () => {
      const l = samples(0, 1, 41).map((t) => lab(sequentialRgb(t), sim)[0]);
      for (let i = 1; i < l.length; i++) expect(l[i], `L* at step ${i}`).toBeGreaterThan(l[i - 1]);
      expect(l[l.length - 1] - l[0]).toBeGreaterThan(50);
    });

    it(`${name}: diverging lightness falls away from zero on both sides; −t and +t stay apart`, () => {
      const side = (sign: number) => samples(0, 1, 21).map((t) => lab(divergingRgb(sign * t), sim)[0]);
      for (const l of [side(1), side(-1)]) {
        for (let i = 1; i < l.length; i++) expect(l[i], `L* at step ${i}`).toBeLessThan(l[i - 1]);
        expect(l[0] - l[l.length - 1]).toBeGreaterThan(40);
      }
      for (const t of samples(0.3, 1, 8)) expect(deltaE(lab(divergingRgb(t), sim), lab(divergingRgb(-t), sim)), `ΔE at ±${t}`).toBeGreaterThan(15);
    });
  }

  it('clamps out-of-range values, shows NaN as magenta and names both maps', () => {
    expect(divergingRgb(-5)).toEqual(divergingRgb(-1));
    expect(divergingRgb(7)).toEqual(divergingRgb(1));
    expect(sequentialRgb(-1)).toEqual(sequentialRgb(0));
    expect(sequentialRgb(2)).toEqual(sequentialRgb(1));
    expect(divergingRgb(Number.NaN)).toEqual([255, 0, 255]);
    expect(sequentialRgb(Number.NaN)).toEqual([255, 0, 255]);
    expect(colormapRgb('sequential', 0.25)).toEqual(sequentialRgb(0.25));
    expect(colormapRgb('diverging', -0.25)).toEqual(divergingRgb(-0.25));
    for (const name of ['diverging', 'sequential'] as const) {
      const [r, g, b] = colormapRgb(name, name === 'diverging' ? -1 : 0);
      expect(colormapGradient(name)).toMatch(new RegExp(`^linear-gradient\\(to right, rgb\\(${r}, ${g}, ${b}\\) 0\\.0%`));
    }
  });
});

describe('text on a coloured cell', () => {
  /** WCAG 2 contrast ratio of two sRGB colours, written out independently of the code under test. */
  function contrast(a: number[], b: number[]): number {
    const lum = (c: number[]) => c.map((x) => x / 255).map((v) => (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4))).reduce((s, v, i) => s + [0.2126, 0.7152, 0.0722][i] * v, 0);
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  it('picks black or white, whichever meets 4.5:1 on every colour of the diverging map', () => {
    expect(readableTextColor([0, 0, 0])).toBe('#fff');
    expect(readableTextColor([255, 255, 255])).toBe('#000');
    // The attention matrix's cell the audit flagged: white on #d25749 is 4.03:1.
    expect(readableTextColor([0xd2, 0x57, 0x49])).toBe('#000');
    for (let t = -1; t <= 1; t += 0.01) {
      const bg = divergingRgb(t);
      const text = readableTextColor(bg) === '#fff' ? [255, 255, 255] : [0, 0, 0];
      expect(contrast(bg, text)).toBeGreaterThanOrEqual(4.5);
    }
  });
});
