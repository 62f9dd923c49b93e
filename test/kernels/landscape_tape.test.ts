/**
 * The loss landscape and the autodiff tape on the GPU (one file: they share the runtime and its
 * compiled kernels). Landscape: a small residual MLP trained two steps on seeded data, then a
 * 3 × 3 grid. The centre point is the trained model's loss, and both the centre and a corner
 * agree with a float64 forward pass (Linear, ReLU, the residual sum, cross entropy) over the
 * read-back trained weights plus α·d1 + β·d2; the weights are restored and the grid's buffers freed.
 * Tape: the same model's traced step against a tape written out by hand (ops, saved tensors and
 * their bytes, backward order, the fan-out sum at the residual's input).
 */
import { describe, expect, test } from 'vitest';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { crossEntropyForwardRef } from '../../src/analysis/reference/cross_entropy.ts';
import { linearForwardRef } from '../../src/analysis/reference/linear.ts';
import { reluForwardRef } from '../../src/analysis/reference/relu.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { analyzeModel } from '../../src/analysis/graph.ts';
import { landscapeGrid, randomDirection } from '../../src/ops/loss_landscape.ts';
import { buildTape, savedBytesHeld } from '../../src/ops/tape.ts';
import { traceStep } from '../../src/ops/tracer.ts';
import { expectScalarClose, useGpu } from './gpu_harness.ts';

const gpu = useGpu();

const SPEC: ModelSpec = {
  name: 'tiny_residual', input: [6, 5], loss: 'cross_entropy', optimizer: { type: 'adam', lr: 0.01 },
  layers: [
    { type: 'Linear', name: 'fc1', in_features: 5, out_features: 7 },
    { type: 'ReLU', name: 'relu' },
    { type: 'Residual', name: 'block', body: [{ type: 'Linear', in_features: 7, out_features: 7 }, { type: 'ReLU' }] },
    { type: 'Linear', name: 'fc2', in_features: 7, out_features: 3 },
  ],
};

/** The spec's forward pass and mean cross entropy in float64. */
function lossRef(w: Record<string, Float64Array>, input: ArrayLike<number>, target: ArrayLike<number>): number {
  const t = (shape: number[], data: Float64Array): Tensor64 => ({ shape, data });
  const linear = (x: Tensor64, name: string, out: number, inp: number) => linearForwardRef(x, t([out, inp], w[`${name}.weight`]), t([out], w[`${name}.bias`]));
  const x = t([6, 5], Float64Array.from(input));
  const h = reluForwardRef(linear(x, 'fc1', 7, 5));
  const body = reluForwardRef(linear(h, 'block.0', 7, 7));
  const sum = t([6, 7], body.data.map((v, i) => v + h.data[i]));
  const logits = linear(sum, 'fc2', 3, 7);
  return crossEntropyForwardRef(logits, { shape: [6], data: Int32Array.from(target) }).loss.data[0];
}

describe('loss landscape grid on the GPU', () => {
  test('centre = the trained loss; centre and corner match float64; weights restored; buffers freed', async () => {
    const rt = gpu();
    const ex = await Executor.create(rt, SPEC, { seed: 3, flowStats: false });
    try {
      for (let k = 0; k < 2; k++) await ex.step({ flowStats: false });
      const { input, target } = ex.data();
      const trained = await ex.readParams();
      const before = rt.ledger.liveBytes;
      const grid = await landscapeGrid(rt, ex, input, target, { grid: 3, span: 0.5, seed: 11 });
      expect(rt.ledger.liveBytes).toBe(before);
      expect(grid.alphas).toEqual([-0.5, 0, 0.5]);
      expect(grid.loss[1][1]).toBe(grid.center_loss);
      expect(grid.ms_per_point).toBeGreaterThan(0);

      const theta = ex.params.map((p) => ({ name: p.name, shape: p.shape, data: trained[p.name] }));
      const d1 = randomDirection(theta, 11, 'd1');
      const d2 = randomDirection(theta, 11, 'd2');
      const at = (alpha: number, beta: number) => Object.fromEntries(theta.map((p, i) => [p.name, Float64Array.from(p.data, (v, j) => v + alpha * d1[i][j] + beta * d2[i][j])]));
      expectScalarClose(grid.center_loss, lossRef(at(0, 0), input, target), 'centre loss');
      expectScalarClose(grid.loss[0][2]!, lossRef(at(-0.5, 0.5), input, target), 'loss at α = −0.5, β = 0.5');
      expect(grid.loss[0][2]).not.toBeCloseTo(grid.center_loss, 3);

      const restored = await ex.readParams();
      for (const p of theta) expect(Array.from(restored[p.name]), p.name).toEqual(Array.from(p.data));
    } finally {
      ex.dispose();
    }
  });
});

describe('autodiff tape of a traced step', () => {
  test('a residual MLP: ops, saved bytes, backward order and the fan-out sum match the hand-built tape', async () => {
    const rt = gpu();
    const ex = await Executor.create(rt, SPEC, { seed: 1, flowStats: false });
    let trace;
    try {
      trace = await traceStep(rt, ex);
    } finally {
      ex.dispose();
    }
    const tape = buildTape(trace.layers, analyzeModel(SPEC));
    // Batch 6, float32: fc1 keeps the [6, 5] input (120 bytes); ReLUs keep their [6, 7] output (168),
    // Linears their input: block.0 reads relu's output (the same tensor, counted once), fc2 the sum.
    const f = (name: string, tensor: string, bytes: number) => ({ name, tensor, bytes });
    expect(tape.nodes).toEqual([
      { id: 'fc1', op: 'Linear', inputs: ['input'], output_shape: [6, 7], saved: [f('input', 'input', 120)], has_grad: true },
      { id: 'relu', op: 'ReLU', inputs: ['fc1'], output_shape: [6, 7], saved: [f('result', 'relu', 168)], has_grad: true },
      { id: 'block.0', op: 'Linear', inputs: ['relu'], output_shape: [6, 7], saved: [f('input', 'relu', 168)], has_grad: true },
      { id: 'block.1', op: 'ReLU', inputs: ['block.0'], output_shape: [6, 7], saved: [f('result', 'block.1', 168)], has_grad: true },
      { id: 'block', op: 'Residual', inputs: ['block.1', 'relu'], output_shape: [6, 7], saved: [], has_grad: true },
      { id: 'fc2', op: 'Linear', inputs: ['block'], output_shape: [6, 3], saved: [f('input', 'block', 168)], has_grad: true },
    ]);
    expect(tape.backward_order).toEqual(['fc2', 'block', 'block.1', 'block.0', 'relu', 'fc1']);
    // relu's output feeds the block's body and its skip: backward reaches the sum first, then block.0.
    expect(tape.fan_out_sums).toEqual([{ tensor: 'relu', consumers: ['block', 'block.0'] }]);
    // Four distinct tensors: the input, relu's output (saved twice), block.1's output, the sum.
    expect(tape.saved_bytes).toBe(120 + 168 * 3);
    expect([0, 1, 2, 3, 4, 5, 6].map((k) => savedBytesHeld(tape, k))).toEqual([624, 456, 456, 288, 288, 120, 0]);
  });
});
