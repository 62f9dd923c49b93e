/**
 * The loss landscape and the autodiff tape on the GPU, one runtime for the file (the in-process
 * nnx's, so kernels compile once). Landscape: a small residual MLP trained two steps on seeded
 * data, then a 3 × 3 grid. The centre point is the trained model's loss, and both the centre and
 * a corner agree with a float64 forward pass (Linear, ReLU, the residual sum, cross entropy) over
 * the read-back trained weights plus α·d1 + β·d2; the weights are restored and the grid's buffers
 * freed; `nnx landscape --json` gives the same contract. Tape: `nnx tape --json` of the same
 * model against a tape written out by hand (ops, saved tensors and their bytes, backward order,
 * the fan-out sum at the residual's input). Bad arguments are one-line errors; the binary
 * dispatches both commands.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { crossEntropyForwardRef } from '../../src/analysis/reference/cross_entropy.ts';
import { linearForwardRef } from '../../src/analysis/reference/linear.ts';
import { reluForwardRef } from '../../src/analysis/reference/relu.ts';
import type { Tensor64 } from '../../src/analysis/tensor.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { landscapeGrid, randomDirection } from '../../src/ops/loss_landscape.ts';
import { GpuRuntime } from '../../src/kernels/runtime.ts';
import { savedBytesHeld, type Tape } from '../../src/ops/tape.ts';
import { expectScalarClose } from '../kernels/gpu_harness.ts';
import { expectRejects, nnx, useInProcessNnx } from './nnx_cli.ts';

const run = useInProcessNnx();
/** The in-process nnx's runtime (GpuRuntime.create answers it for the whole file). */
const gpu = () => GpuRuntime.create();

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
    const rt = await gpu();
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

const specFile = join(tmpdir(), `nnx-landscape-tape-${process.pid}.json`);
writeFileSync(specFile, JSON.stringify(SPEC));

describe('nnx landscape and nnx tape', () => {
  test('nnx landscape --json: the grid, the centre equal to the trained loss, the time per point', async () => {
    const r = await run(['landscape', specFile, '--grid', '3', '--span', '0.25', '--steps', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.data).toBe('seeded');
    expect(out.alphas).toEqual([-0.25, 0, 0.25]);
    expect(out.betas).toEqual([-0.25, 0, 0.25]);
    expect(out.loss).toHaveLength(3);
    expect(out.loss[1][1]).toBe(out.center_loss);
    expect(out.train_loss).toHaveLength(2);
    expect(out.points).toBe(9);
    expect(out.eval_batch).toBe(6);
    expect(out.ms_per_point).toBeGreaterThan(0);
    expect(out.spec.name).toBe('tiny_residual');
  });

  test('nnx tape --json: ops, saved bytes, backward order and the fan-out sum match the hand-built tape', async () => {
    const r = await run(['tape', specFile, '--batch', '6', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const tape = JSON.parse(r.stdout) as Tape;
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

  test('bad arguments are one-line errors naming the problem', async () => {
    expectRejects(await run(['landscape', specFile, '--grid', '1']), /landscape: --grid must be a whole number from 2 to 201, got "1"/);
    expectRejects(await run(['landscape', specFile, '--span', '-1']), /landscape: --span must be a number > 0, got "-1"/);
    expectRejects(await run(['landscape', specFile, '--depth', '4']), /landscape: --depth and --width apply to plain-vs-residual only/);
    expectRejects(await run(['landscape', 'plain-vs-residual', '--depth', '0']), /landscape: --depth must be a whole number from 1 to 64, got "0"/);
    expectRejects(await run(['landscape', specFile, '--data', 'nope']), /landscape: --data takes a data set name/);
    expectRejects(await run(['landscape']), /landscape: missing SPEC\.json, MODEL or plain-vs-residual/);
    expectRejects(await run(['tape', specFile, '--explain', 'fc1:0,0']), /tape: unknown option --explain/);
    expectRejects(await run(['tape', 'no_such_model']), /"no_such_model" is neither a zoo model/);
  });

  test('the binary dispatches both commands', () => {
    expect(nnx(['landscape', '--help']).stdout).toMatch(/^usage: nnx landscape/);
    expect(nnx(['tape', '--help']).stdout).toMatch(/^usage: nnx tape/);
  });
});
