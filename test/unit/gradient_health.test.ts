/** Diagnosis rules on synthetic gradient-flow statistics, initializers and the float64 references. */
import { describe, expect, test } from 'vitest';
import { diagnose, type LayerFlow, type ModelTraits } from '../../src/analysis/gradient_health.ts';
import { activationBackwardRef, activationForwardRef, erf } from '../../src/analysis/reference/elementwise.ts';
import { adamStepRef, sgdStepRef } from '../../src/analysis/reference/optimizer.ts';
import { drawParameter, initDistribution } from '../../src/ops/executor/init.ts';
import { numericalGrad, randomTensor, makeRng, expectClose } from './reference_helpers.ts';

const traits: ModelTraits = { activations: ['ReLU'], hasNorm: false, hasResidual: false, recurrent: [], init: 'pytorch', lr: 1e-3, optimizer: 'sgd' };
const stats = (rms: number, nonfinite = 0) => ({ mean: 0, std: rms, norm: rms * 10, rms, max_abs: rms * 3, nonfinite });

/** An MLP's rows: `gradRms[i]` is ∂L/∂output RMS of Linear i, with weights of norm `w` and gradients `gw[i]`. */
function mlp(gradRms: number[], gw: number[], opts: { act?: number; w?: number } = {}): LayerFlow[] {
  return gradRms.map((g, i) => ({
    name: `${2 * i}`, type: 'Linear', output_shape: [8, 16], activation: stats(opts.act ?? 1), grad: stats(g),
    params: [{ name: 'weight', shape: [16, 16], norm: opts.w ?? 4, grad_norm: gw[i], grad_rms: gw[i] / 16, update_norm: 1e-3 * gw[i], update_ratio: (1e-3 * gw[i]) / (opts.w ?? 4), nonfinite: 0 }],
  }));
}

describe('diagnosis rules', () => {
  test('a steady net gets no verdict', () => {
    expect(diagnose(mlp([0.01, 0.012, 0.011, 0.01], [0.5, 0.6, 0.5, 0.4]), traits)).toEqual([]);
  });

  test('gradients falling 10^5 from last to first layer: vanishing at the first layer below 10^-3 of the last', () => {
    const v = diagnose(mlp([1e-7, 1e-6, 1e-4, 1e-2], [1e-6, 1e-5, 1e-3, 0.1]), { ...traits, activations: ['Sigmoid'] });
    expect(v.map((x) => x.kind)).toEqual(['vanishing']);
    expect(v[0].layer).toBe('0');
    expect(v[0].message).toMatch(/1e-7|1\.00e-7/);
    expect(v[0].recommendations.join(' ')).toMatch(/xavier/i);
    expect(v[0].recommendations.join(' ')).toMatch(/residual/i);
  });

  test('gradients growing back through the layers: exploding', () => {
    const v = diagnose(mlp([1e4, 1e2, 1, 0.01], [1e3, 1e3, 1e3, 1e3]), traits);
    expect(v.find((x) => x.kind === 'exploding')?.layer).toBe('0');
    expect(v.find((x) => x.kind === 'exploding')!.recommendations.join(' ')).toMatch(/clip_grad_norm_/);
  });

  test('all layers huge with first and last equal still explodes (absolute magnitudes)', () => {
    const v = diagnose(mlp([5, 5, 5, 5], [1e5, 1e5, 1e5, 1e5], { act: 1e5 }), traits);
    expect(v.map((x) => x.kind)).toEqual(['exploding']);
    expect(v[0].message).toMatch(/‖∂L\/∂W‖\/‖W‖ above 10 at 4 of 4 layers/);
    expect(v[0].message).toMatch(/activation RMS/);
  });

  test('dead ReLU, saturation and non-finite values', () => {
    const rows = mlp([0.01, 0.01], [0.5, 0.5]);
    rows.splice(1, 0, { name: '1', type: 'ReLU', output_shape: [8, 16], activation: stats(0), grad: stats(0.01), params: [], dead_fraction: 0.75, zero_fraction: 0.8 });
    rows.push({ name: '3', type: 'Tanh', output_shape: [8, 16], activation: stats(1), grad: stats(0.01), params: [], saturated_fraction: 0.6 });
    const v = diagnose(rows, traits);
    expect(v.map((x) => `${x.kind}@${x.layer}`)).toEqual(['dead_relu@1', 'saturation@3']);
    expect(v[0].message).toMatch(/75% of the units/);
    rows[2].activation = stats(NaN, 3);
    expect(diagnose(rows, traits, NaN)[0]).toMatchObject({ kind: 'nonfinite', layer: '2' });
  });

  test('recurrent gradients vanishing through time', () => {
    const row: LayerFlow = { name: 'rnn', type: 'RNN', output_shape: [50, 2, 8], activation: stats(0.5), grad: stats(0.01), params: [], grad_h_norm: Array.from({ length: 50 }, (_, t) => 0.5 ** (49 - t)) };
    const v = diagnose([row], { ...traits, recurrent: ['RNN'] });
    expect(v[0]).toMatchObject({ kind: 'vanishing', layer: 'rnn' });
    expect(v[0].recommendations.join(' ')).toMatch(/LSTM or GRU/);
  });
});

describe('initializers (PyTorch formulas)', () => {
  test('pytorch default: U(±1/√fan_in) for Linear/Conv weight and bias, U(±1/√H) for RNN, ones/zeros for norms', () => {
    expect(initDistribution({ scheme: 'pytorch' }, 'dense', 'weight', [64, 3, 3, 3], [64, 3, 3, 3])).toEqual({ dist: 'uniform', a: -1 / Math.sqrt(27), b: 1 / Math.sqrt(27) });
    expect(initDistribution({ scheme: 'pytorch' }, 'dense', 'bias', [64], [64, 3, 3, 3]).b).toBeCloseTo(1 / Math.sqrt(27), 12);
    expect(initDistribution({ scheme: 'pytorch' }, 'recurrent', 'weight_hh_l0', [80, 20], [80, 10], 20).b).toBeCloseTo(1 / Math.sqrt(20), 12);
    expect(initDistribution({ scheme: 'pytorch' }, 'norm', 'weight', [8], [8])).toEqual({ dist: 'constant', a: 1, b: 0 });
  });

  test('xavier and kaiming bounds; biases zero', () => {
    expect(initDistribution({ scheme: 'xavier_uniform' }, 'dense', 'weight', [30, 20], [30, 20]).b).toBeCloseTo(Math.sqrt(6 / 50), 12);
    expect(initDistribution({ scheme: 'kaiming_normal' }, 'dense', 'weight', [30, 20], [30, 20]).b).toBeCloseTo(Math.sqrt(2 / 20), 12);
    expect(initDistribution({ scheme: 'kaiming_uniform', mode: 'fan_out' }, 'dense', 'weight', [30, 20], [30, 20]).b).toBeCloseTo(Math.sqrt(2) * Math.sqrt(3 / 30), 12);
    expect(initDistribution({ scheme: 'kaiming_normal' }, 'dense', 'bias', [30], [30, 20])).toEqual({ dist: 'constant', a: 0, b: 0 });
  });

  test('seeded draws are reproducible and have the asked moments', () => {
    const a = drawParameter({ dist: 'normal', a: 0, b: 2 }, 20000, 3, 'fc.weight');
    expect(drawParameter({ dist: 'normal', a: 0, b: 2 }, 20000, 3, 'fc.weight')).toEqual(a);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(std).toBeGreaterThan(1.95);
    expect(std).toBeLessThan(2.05);
    const u = drawParameter({ dist: 'uniform', a: -0.5, b: 0.25 }, 1000, 1, 'b');
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...u)).toBeLessThan(0.25);
  });
});

describe('float64 references: activations and optimizers', () => {
  test('erf matches known values', () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(-1.5)).toBeCloseTo(-0.9661051464753108, 14);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
  });

  test.each(['tanh', 'sigmoid', 'gelu', 'silu', 'leaky_relu'] as const)('%s backward matches central differences', (kind) => {
    const rng = makeRng(4);
    const x = randomTensor([17], rng, -3, 3);
    const g = randomTensor([17], rng).data;
    expectClose(activationBackwardRef(kind, x, { shape: [17], data: g }), numericalGrad(() => activationForwardRef(kind, x), x, g), 1e-7, 1e-6, kind);
  });

  test('SGD momentum and Adam follow PyTorch: first momentum step copies the gradient, Adam is bias-corrected', () => {
    const p = Float64Array.from([1, -2]);
    const g = Float64Array.from([0.5, 0.25]);
    const s1 = sgdStepRef(p, g, null, { lr: 0.1, momentum: 0.9 });
    expect(Array.from(s1.p)).toEqual([1 - 0.05, -2 - 0.025]);
    const s2 = sgdStepRef(s1.p, g, s1.buf, { lr: 0.1, momentum: 0.9 });
    expect(s2.buf![0]).toBeCloseTo(0.9 * 0.5 + 0.5, 15);
    // Adam's first step moves every weight by lr·sign(g) (up to eps).
    const a = adamStepRef(p, g, new Float64Array(2), new Float64Array(2), 1, { lr: 0.01 });
    expect(a.p[0]).toBeCloseTo(1 - 0.01, 6);
    expect(a.p[1]).toBeCloseTo(-2 - 0.01, 6);
  });
});
