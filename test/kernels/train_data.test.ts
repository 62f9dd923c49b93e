/**
 * Named data on the GPU: Executor.evaluate against the float64 reference (forward only, nothing
 * updated) and, in eval mode, against PyTorch's model.eval() (test/fixtures/generate_executor_eval.py →
 * executor_eval_cases.json: running BatchNorm statistics, dropout off), and `nnx train --data NAME --eval-every M` on Fashion-MNIST (a tiny CNN), the
 * adding problem (an LSTM) and the karate club (GCN): falling loss and the evals rows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { crossEntropyForwardRef } from '../../src/analysis/reference/cross_entropy.ts';
import { linearForwardRef } from '../../src/analysis/reference/linear.ts';
import { reluForwardRef } from '../../src/analysis/reference/relu.ts';
import { prepareTraining, runTraining, type TrainReport } from '../../src/cli/train.ts';
import { gcnKarate } from '../../src/analysis/zoo/gnn.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { makeRng, randomTensor } from '../unit/reference_helpers.ts';
import { expectScalarClose, expectTensorClose, expectValuesClose, useGpu } from './gpu_harness.ts';

const gpu = useGpu();

const f64 = (shape: number[], data: ArrayLike<number>) => ({ shape, data: Float64Array.from(data) });

interface Tensor {
  shape: number[];
  data: number[];
}

const EVAL_CASES: { name: string; spec: ModelSpec; weights: Record<string, Tensor>; input: Tensor; target: Tensor; expected: { output: Tensor; loss: number } }[] =
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/executor_eval_cases.json'), 'utf8'));

describe('Executor.evaluate', () => {
  test('output and loss match the float64 reference; parameters, gradients and the training data stay', async () => {
    const spec: ModelSpec = { name: 'mlp', input: [5, 7], layers: [{ type: 'Linear', in_features: 7, out_features: 6 }, { type: 'ReLU' }, { type: 'Linear', in_features: 6, out_features: 3 }], optimizer: { type: 'sgd', lr: 0.1 } };
    const ex = await Executor.create(gpu(), spec, { seed: 3 });
    try {
      const rng = makeRng(5);
      const x = randomTensor([5, 7], rng);
      await ex.step();
      const params = await ex.readParams();
      const grads = await ex.readGrads();
      const training = ex.data();
      const target = [2, -100, 0, 1, 1];
      const r = await ex.evaluate(Float32Array.from(x.data), target);
      const h = reluForwardRef(linearForwardRef(x, f64([6, 7], params['0.weight']), f64([6], params['0.bias'])));
      const logits = linearForwardRef(h, f64([3, 6], params['2.weight']), f64([3], params['2.bias']));
      expectTensorClose({ shape: [5, 3], data: Array.from(r.output) }, logits, 'evaluate output');
      const ce = crossEntropyForwardRef(logits, { shape: [5], data: Int32Array.from(target) });
      expectTensorClose({ shape: [], data: [r.loss] }, ce.loss, 'evaluate loss (row 1 ignored)');
      const again = await ex.evaluate(Float32Array.from(x.data), target);
      expect(Array.from(again.output)).toEqual(Array.from(r.output));
      const after = await ex.readParams();
      for (const [name, v] of Object.entries(params)) expect(Array.from(after[name]), name).toEqual(Array.from(v));
      const gradsAfter = await ex.readGrads();
      for (const [name, v] of Object.entries(grads)) expect(Array.from(gradsAfter[name]), `${name}.grad`).toEqual(Array.from(v));
      expect(ex.data().input).toBe(training.input);
      await expect(ex.evaluate(new Float32Array(34), target)).rejects.toThrow('evaluate: input has 34 values, the model input [5, 7] needs 35');
      await expect(ex.evaluate(Float32Array.from(x.data), [0, 1, 2, 3, 0])).rejects.toThrow('evaluate: target[3] = 3 is not a class index in [0, 3) or -100 (ignored)');
    } finally {
      ex.dispose();
    }
  });
});

describe('Executor.evaluate runs in eval mode, as model.eval()', () => {
  test('the fixtures cover BatchNorm1d/2d with dropout, a Transformer encoder layer and a 2-layer LSTM with dropout', () => {
    expect(EVAL_CASES.map((c) => c.name)).toEqual(['cnn_bn_dropout', 'encoder_dropout', 'lstm2_dropout']);
  });

  for (const c of EVAL_CASES) {
    test(`${c.name}: output and loss match PyTorch; nothing stays or changes; training afterwards is unaffected`, async () => {
      const rt = gpu();
      const spec: ModelSpec = { ...c.spec, optimizer: { type: 'sgd', lr: 0.1 } };
      const ex = await Executor.create(rt, spec, { seed: 4, flowStats: false });
      const twin = await Executor.create(rt, spec, { seed: 4, flowStats: false });
      try {
        ex.loadWeights(c.weights);
        twin.loadWeights(c.weights);
        const before = await ex.readParams();
        const live = rt.ledger.liveBytes;
        const r = await ex.evaluate(c.input.data, c.target.data);
        expect(rt.ledger.liveBytes, 'bytes live after evaluate').toBe(live);
        expectValuesClose(r.output, c.expected.output, `${c.name} eval output`);
        expectScalarClose(r.loss, c.expected.loss, `${c.name} eval loss`);
        // No random mask in eval: a second run gives the same bits.
        expect(Array.from((await ex.evaluate(c.input.data, c.target.data)).output)).toEqual(Array.from(r.output));
        const after = await ex.readParams();
        for (const [name, v] of Object.entries(before)) expect(Array.from(after[name]), name).toEqual(Array.from(v));
        // A training step after evaluate equals one on a twin that never evaluated (same masks, batch statistics).
        const trained = await ex.step();
        const reference = await twin.step();
        expect(trained.loss).toBe(reference.loss);
        const [a, b] = [await ex.readParams(), await twin.readParams()];
        for (const [name, v] of Object.entries(b)) expect(Array.from(a[name]), `${name} after a step`).toEqual(Array.from(v));
        if (c.name === 'cnn_bn_dropout') expect(Array.from(a['1.running_mean']), 'training still updates the running mean').not.toEqual(Array.from(before['1.running_mean']));
      } finally {
        ex.dispose();
        twin.dispose();
      }
    });
  }
});

async function train(spec: ModelSpec, data: string, steps: number, evalEvery: number, extra: { batch?: number; optimizer?: string; lr?: number } = {}): Promise<TrainReport> {
  return runTraining(gpu(), prepareTraining(spec, { data, evalEvery, ...extra }), steps);
}

function checkEvals(r: TrainReport, steps: number[], classification: boolean): void {
  expect(r.evals!.map((e) => e.step)).toEqual(steps);
  for (const e of r.evals!) {
    expect(Object.keys(e)).toEqual(['step', 'train_loss', 'test_loss', 'test_accuracy']);
    expect(Number.isFinite(e.train_loss) && Number.isFinite(e.test_loss)).toBe(true);
    if (classification) expect(e.test_accuracy).toBeGreaterThanOrEqual(0);
    else expect(e.test_accuracy).toBeNull();
  }
}

describe('nnx train --data NAME', () => {
  test('fashion-mnist, a tiny CNN: the loss falls and the test split is scored', async () => {
    const cnn: ModelSpec = {
      name: 'tiny_cnn', input: [32, 1, 28, 28], optimizer: { type: 'adam', lr: 0.01 },
      layers: [
        { type: 'Conv2d', in_channels: 1, out_channels: 4, kernel_size: 5, stride: 2 }, { type: 'ReLU' },
        { type: 'MaxPool2d', kernel_size: 2 }, { type: 'Flatten' }, { type: 'Linear', in_features: 144, out_features: 10 },
      ],
    };
    const r = await train(cnn, 'fashion-mnist', 10, 5);
    const losses = r.steps.map((s) => s.loss);
    // ln 10 = 2.30 at the start; 10 Adam steps on different batches bring it well down.
    expect(losses[0]).toBeGreaterThan(1.9);
    expect(losses.slice(-3).reduce((a, b) => a + b, 0) / 3).toBeLessThan(losses[0] - 0.4);
    checkEvals(r, [5, 10], true);
    expect(r.evals![1].test_loss).toBeLessThan(r.evals![0].test_loss);
    // Ten classes: guessing scores 0.1.
    expect(r.evals![1].test_accuracy).toBeGreaterThan(0.3);
    expect(r.data!.name).toBe('fashion-mnist');
  });

  test('adding:12, an LSTM read time first: MSE on the test split, no accuracy', async () => {
    const lstm: ModelSpec = {
      name: 'adding_lstm', input: [30, 16, 2], batch_dim: 1, loss: 'mse',
      layers: [{ type: 'LSTM', input_size: 2, hidden_size: 8 }, { type: 'Select', dim: 0, index: -1 }, { type: 'Linear', in_features: 8, out_features: 1 }],
    };
    const r = await train(lstm, 'adding:12', 5, 2, { optimizer: 'adam', lr: 0.02 });
    checkEvals(r, [2, 4, 5], false);
    expect(r.evals![0].train_loss).toBeCloseTo((r.steps[0].loss + r.steps[1].loss) / 2, 10);
    expect(r.evals![2].train_loss).toBeCloseTo(r.steps[4].loss, 10);
  });

  test('karate with GCN: labelled nodes train, the 28 others are scored', async () => {
    const r = await train(gcnKarate(), 'karate', 30, 30, { optimizer: 'adam', lr: 0.05 });
    expect(r.steps[29].loss).toBeLessThan(0.2 * r.steps[0].loss);
    checkEvals(r, [30], true);
    // 28 test nodes: accuracy is a multiple of 1/28.
    expect(Math.abs(r.evals![0].test_accuracy! * 28 - Math.round(r.evals![0].test_accuracy! * 28))).toBeLessThan(1e-9);
    expect(r.evals![0].test_accuracy).toBeGreaterThanOrEqual(0.7);
  });
});
