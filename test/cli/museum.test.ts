/**
 * `nnx museum`: the naive-softmax exhibit through the real binary (its JSON contract, non-finite
 * values where float32 overflows, log-sum-exp against a float64 reference written here), the
 * fc-after-conv exhibit in-process (param_explosion with its share, counted by hand), and the
 * one-line errors.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { museumCommand } from '../../src/cli/museum.ts';
import { GpuRuntime } from '../../src/kernels/runtime.ts';
import { runMuseum, type MuseumExhibit } from '../../src/ops/museum/index.ts';
import { nnx } from './nnx_cli.ts';

const TIMEOUT_MS = 300_000;
let rt: GpuRuntime | null = null;
beforeAll(async () => {
  rt = await GpuRuntime.create();
});
afterAll(() => rt?.destroy());

/** ln of float32's largest finite value. */
const EXP_LIMIT = 88.72283905206835;

describe('nnx museum', () => {
  test('naive-softmax --json (the binary): NaN/inf exactly where exp overflows float32; log-sum-exp finite and equal to float64', () => {
    const r = nnx(['museum', 'naive-softmax', '--json'], undefined, TIMEOUT_MS);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { exhibits } = JSON.parse(r.stdout) as { exhibits: MuseumExhibit[] };
    expect(exhibits.map((e) => e.exhibit)).toEqual(['naive-softmax']);
    const [e] = exhibits;
    const spec = e.broken.spec as { logits: { shape: number[]; data: number[] }; target: number[] };
    const [rows, classes] = spec.logits.shape;
    expect([rows, classes]).toEqual([4, 7]);
    const x = spec.logits.data;
    // Naive: a row with a logit past ln(FLT_MAX) sums to inf, so exp(x)/inf is 0 for finite exp(x) and inf/inf = NaN where exp overflows.
    const probabilities = e.broken.evidence.probabilities as (number | string)[];
    for (let row = 0; row < rows; row++) {
      const overflowing = x.slice(row * classes, (row + 1) * classes).some((v) => v > EXP_LIMIT);
      for (let c = 0; c < classes; c++) {
        const p = probabilities[row * classes + c];
        if (x[row * classes + c] > EXP_LIMIT) expect(p).toBe('NaN');
        else if (overflowing) expect(p).toBe(0);
        else expect(typeof p).toBe('number');
      }
    }
    expect(e.broken.verdicts.map((v) => v.kind)).toEqual(['overflow']);
    expect(e.broken.evidence.nonfinite_losses).toBeGreaterThan(0);
    // Stable: float64 log-sum-exp per row, written independently of the exhibit's reference.
    const loss = e.fixed.evidence.loss_per_row as number[];
    for (let row = 0; row < rows; row++) {
      const v = x.slice(row * classes, (row + 1) * classes);
      const m = Math.max(...v);
      const expected = m + Math.log(v.reduce((s, xi) => s + Math.exp(xi - m), 0)) - v[spec.target[row]];
      expect(Number.isFinite(loss[row])).toBe(true);
      expect(Math.abs(loss[row] - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
    }
    expect(e.fixed.verdicts).toEqual([]);
    expect((e.fixed.evidence.probabilities as number[]).every(Number.isFinite)).toBe(true);
  }, TIMEOUT_MS);

  test('fc-after-conv: param_explosion with the flattened Linear\'s share; global pooling has none; VGG-16 and the 3.29-billion variant analysed only', async () => {
    const liveBefore = rt!.ledger.liveBytes;
    const { exhibits: [e] } = await runMuseum(rt!, ['fc-after-conv']);
    // conv1 3·8·9 + 8, conv2 8·48·9 + 48, fc1 2352·256 + 256, fc2 256·10 + 10.
    const total = 224 + 3_504 + 602_368 + 2_570;
    expect(e.broken.verdicts[0]).toMatchObject({ kind: 'param_explosion', layer: 'fc1' });
    expect(e.broken.verdicts[0].message).toContain(`(${(100 * 602_368 / total).toFixed(1)}%)`);
    expect(e.broken.evidence).toMatchObject({ params: total, largest_layer: 'fc1', largest_layer_params: 602_368 });
    expect(e.broken.evidence.share).toBeCloseTo(602_368 / total, 12);
    // Pooled: fc1 is 48·256 + 256.
    expect(e.fixed.evidence).toMatchObject({ params: 224 + 3_504 + 12_544 + 2_570 });
    expect(e.fixed.verdicts.some((v) => v.kind === 'param_explosion')).toBe(false);
    for (const side of [e.broken, e.fixed]) {
      expect(side.evidence.measured_peak_bytes).toBeGreaterThan(0);
      expect(Number.isFinite((side.evidence.loss as number[])[0])).toBe(true);
    }
    const analysed = e.broken.evidence.analysed as { model: string; params: number; largest_layer_params: number; share: number; verdicts: { kind: string }[] }[];
    // VGG-16's classifier: 25088·4096 + 4096, 4096·4096 + 4096, 4096·1000 + 1000.
    expect(analysed[0]).toMatchObject({ model: 'vgg16_classifier', params: 102_764_544 + 16_781_312 + 4_097_000, largest_layer_params: 102_764_544 });
    // 512·28·28 = 401,408 features into 8192: 3,288,342,528 parameters in one layer; then 8192·8192 + 8192 and 8192·1000 + 1000.
    expect(analysed[1]).toMatchObject({ largest_layer_params: 401_408 * 8192 + 8192, params: 401_408 * 8192 + 8192 + 67_117_056 + 8_193_000 });
    expect(analysed.every((a) => a.verdicts[0]?.kind === 'param_explosion')).toBe(true);
    const pooled = e.fixed.evidence.analysed as { params: number; verdicts: unknown[] }[];
    expect(pooled[1].params).toBe(512 * 8192 + 8192 + 67_117_056 + 8_193_000);
    expect(pooled.every((a) => a.verdicts.length === 0)).toBe(true);
    expect(rt!.ledger.liveBytes).toBe(liveBefore);
  }, TIMEOUT_MS);

  test('an unknown exhibit or option is refused in one line naming the exhibits', async () => {
    for (const [argv, message] of [[['no-such-exhibit'], /unknown exhibit "no-such-exhibit" \(exhibits: deep-mlp-sigmoid, .*rnn-vs-lstm\)/], [['--steps', '3'], /unknown option --steps/]] as const) {
      const error = await museumCommand([...argv]).then(() => null, (err: unknown) => err);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
