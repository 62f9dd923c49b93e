/**
 * Fuzzing the file readers: the ONNX importer on truncated and bit-flipped copies of the committed
 * exports and on random bytes, the IDX reader on random and corrupted headers. Each case is a
 * valid import or one NnxError line, within a bounded time.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { analyzeModel } from '../../src/analysis/graph.ts';
import { importOnnx } from '../../src/analysis/onnx/onnx_import.ts';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from '../../src/data/idx.ts';
import { expectOneLineError, timed } from './fuzz_common.ts';

/** Small committed exports (PyTorch's and our own writer's), a few KiB each so a case stays fast. */
const ONNX_FILES = ['onnx_import/mlp_op13.onnx', 'onnx_import/cnn_bn_op11.onnx', 'onnx_import/gru_hn_op17.onnx', 'onnx_import/embedding_op13.onnx', 'onnx_import/encoder_post_op17.onnx', 'onnx/op_5.onnx', 'onnx/op_7.onnx'];
const onnxBytes = Object.fromEntries(ONNX_FILES.map((f) => [f, new Uint8Array(readFileSync(new URL(`../fixtures/${f}`, import.meta.url)))]));

/** Imports `bytes` and analyses the spec: either works, or fails with one NnxError line. */
function checkImport(bytes: Uint8Array, what: string): 'ok' | 'refused' {
  const { error } = timed(() => analyzeModel(importOnnx(bytes, {}, 'fuzz.onnx').spec), 2000, what);
  if (error === undefined) return 'ok';
  expectOneLineError(error, what);
  return 'refused';
}

const corruption = fc.record({
  file: fc.constantFrom(...ONNX_FILES),
  kind: fc.constantFrom('truncate', 'flip', 'splice'),
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  flips: fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 8 }),
  junk: fc.uint8Array({ minLength: 1, maxLength: 16 }),
});

describe('fuzz: ONNX and IDX readers', () => {
  test('ONNX: truncated, bit-flipped and spliced copies of committed exports import or fail with one line', () => {
    const outcomes = { ok: 0, refused: 0 };
    fc.assert(fc.property(corruption, ({ file, kind, at, flips, junk }) => {
      const original = onnxBytes[file];
      let bytes: Uint8Array;
      if (kind === 'truncate') bytes = original.slice(0, Math.floor(at * original.length));
      else if (kind === 'flip') {
        bytes = original.slice();
        for (const f of flips) bytes[Math.floor(f.at * bytes.length)] ^= 1 << f.bit;
      } else {
        const cut = Math.floor(at * original.length);
        bytes = new Uint8Array([...original.subarray(0, cut), ...junk, ...original.subarray(cut)]);
      }
      outcomes[checkImport(bytes, `${file} ${kind} at ${at}`)]++;
    }), { seed: 1801, numRuns: 300 });
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  test('ONNX: random bytes are refused with one line', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      checkImport(bytes, `random ${bytes.length} bytes`);
    }), { seed: 1802, numRuns: 300 });
  });

  test('IDX: random headers, overflowing dimensions and short data are refused with one line naming the numbers', () => {
    const header = fc.record({
      magic: fc.oneof(fc.constantFrom(IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, 0x00000d03, 0x03080000, 0), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
      dims: fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(2 ** 31, 2 ** 32 - 1, 65536)), { maxLength: 4 }),
      body: fc.integer({ min: 0, max: 300 }),
      expected: fc.constantFrom(IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC),
      cut: fc.integer({ min: 0, max: 40 }),
      consistent: fc.boolean(),
    });
    const outcomes = { ok: 0, refused: 0 };
    fc.assert(fc.property(header, (h) => {
      const { expected, cut } = h;
      // Half the cases start from a consistent file (right magic, rank and size) so a single corruption is what gets tested.
      const rank = expected & 0xff;
      const dims = h.consistent ? [...h.dims, 1, 1, 1].slice(0, rank).map((d) => (d > 6 ? 3 : d)) : h.dims;
      const magic = h.consistent ? expected : h.magic;
      const body = h.consistent ? dims.reduce((a, b) => a * b, 1) : h.body;
      const bytes = new Uint8Array(4 + 4 * dims.length + body);
      const view = new DataView(bytes.buffer);
      view.setUint32(0, magic, false);
      dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
      const file = cut > 30 ? bytes.subarray(0, cut - 30) : bytes;
      const what = `magic 0x${magic.toString(16)} dims ${dims.join('×')} body ${body} (${file.length} bytes)`;
      const { value, error } = timed(() => parseIdx(file, 'fuzz.idx', expected), 500, what);
      if (error !== undefined) {
        expectOneLineError(error, what);
        outcomes.refused++;
        return;
      }
      outcomes.ok++;
      expect(magic).toBe(expected);
      expect(value!.dims).toHaveLength(rank);
      expect(value!.data.length).toBe(value!.dims.reduce((a, b) => a * b, 1));
      expect(file.length).toBe(4 + 4 * rank + value!.data.length);
    }), { seed: 1803, numRuns: 500 });
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.ok).toBeGreaterThan(0);
  });
});
