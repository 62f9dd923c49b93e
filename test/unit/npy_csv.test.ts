import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeCsv } from '../../src/analysis/csv.ts';
import { InputError } from '../../src/analysis/errors.ts';
import { float32Text } from '../../src/analysis/float32_text.ts';
import { encodeNpy } from '../../src/analysis/npy.ts';
import type { Tensor } from '../../src/analysis/tensor.ts';

/** Written by test/fixtures/generate_npy.py: numpy.save's bytes for each tensor. */
interface NpyCase { shape: number[]; dtype: 'float32' | 'int32'; values: (number | string)[]; npy_base64: string; header_bytes: number }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/npy_cases.json', import.meta.url), 'utf8')) as { cases: Record<string, NpyCase> };

const SPECIAL: Record<string, number> = { nan: Number.NaN, inf: Infinity, '-inf': -Infinity, '-0': -0 };

function tensorOf(c: NpyCase): Tensor {
  const values = c.values.map((v) => (typeof v === 'string' ? SPECIAL[v] : v));
  return { shape: c.shape, data: c.dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values) };
}

/** Reads CSV text back as numpy.loadtxt(delimiter=',') does: '#' lines skipped, nan/inf spelled out. */
function parseCsv(text: string): { comments: string[]; rows: number[][] } {
  const lines = text.split('\n');
  expect(lines.pop()).toBe('');
  const comments = lines.filter((l) => l.startsWith('#'));
  const rows = lines.filter((l) => !l.startsWith('#')).map((l) => l.split(',').map((s) => (s in SPECIAL ? SPECIAL[s] : Number(s))));
  return { comments, rows };
}

describe('encodeNpy writes numpy.save\'s bytes', () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(name, () => {
      const bytes = encodeNpy(tensorOf(c));
      expect(Buffer.from(bytes).toString('base64')).toBe(c.npy_base64);
      const headerEnd = 10 + (bytes[8] | (bytes[9] << 8));
      expect(headerEnd).toBe(c.header_bytes);
      expect(headerEnd % 64).toBe(0);
      expect(bytes[headerEnd - 1]).toBe(0x0a);
    });
  }

  it('refuses data that does not fill the shape', () => {
    expect(() => encodeNpy({ shape: [2, 3], data: new Float32Array(5) })).toThrow(InputError);
    expect(() => encodeNpy({ shape: [2, 3], data: new Float32Array(5) })).toThrow('npy: 5 values for shape [2, 3], which has 6 elements');
  });
});

describe('encodeCsv', () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(`${name} reads back to the same values`, () => {
      const t = tensorOf(c);
      const { comments, rows } = parseCsv(encodeCsv(t));
      const rank = c.shape.length;
      const last = rank ? c.shape[rank - 1] : 1;
      expect(comments).toHaveLength(rank >= 3 ? 1 : 0);
      if (rank >= 3) expect(comments[0]).toContain(`# shape (${c.shape.join(', ')})`);
      expect(rows).toHaveLength(last === 0 ? 0 : t.data.length / last);
      for (const row of rows) expect(row).toHaveLength(last);
      const back = rows.flat();
      expect(back).toHaveLength(t.data.length);
      back.forEach((v, i) => expect(Object.is(c.dtype === 'int32' ? v : Math.fround(v), t.data[i]), `value ${i}: ${v} vs ${t.data[i]}`).toBe(true));
    });
  }

  it('lays a 2-D tensor out as rows and a 1-D tensor as one row', () => {
    expect(encodeCsv({ shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) })).toBe('1,2,3\n4,5,6\n');
    expect(encodeCsv({ shape: [3], data: Float32Array.from([0.1, -0, Number.NaN]) })).toBe('0.1,-0,nan\n');
    expect(encodeCsv({ shape: [], data: Float32Array.from([Infinity]) })).toBe('inf\n');
    expect(encodeCsv({ shape: [2], data: Float64Array.from([0.1, 1 / 3]) })).toBe('0.1,0.3333333333333333\n');
  });

  it('refuses data that does not fill the shape', () => {
    expect(() => encodeCsv({ shape: [4], data: new Float32Array(3) })).toThrow('csv: 3 values for shape [4], which has 4 elements');
  });
});

describe('float32Text', () => {
  it('is the shortest decimal that reads back as the same float32', () => {
    expect(float32Text(0.1)).toBe('0.1');
    expect(float32Text(Math.fround(0.1))).toBe('0.1');
    expect(float32Text(16777217)).toBe('16777216');
    expect(float32Text(1e-45)).toBe('1e-45');
    expect(float32Text(3.4028234663852886e38)).toBe('3.4028235e+38');
    expect(float32Text(-0)).toBe('-0');
    expect(float32Text(-Infinity)).toBe('-inf');
    for (let i = 0; i < 2000; i++) {
      const v = Math.fround((Math.sin(i * 12.9898) * 43758.5453) % 1 * 10 ** ((i % 20) - 10));
      expect(Math.fround(Number(float32Text(v)))).toBe(v);
    }
  });
});
