/**
 * The executor's MoE layer against PyTorch (test/fixtures/generate_moe.py → moe_cases.json):
 * router probabilities, the top-k experts and renormalized gates, tokens per expert, Mixtral's
 * load-balancing loss, the output, and the gradients of the input and every parameter for
 * L = Σ y·grad_output + router_aux_loss_coef·aux (top-2 of 4, top-1 of 5 with an expert that
 * gets no token, top-3 of 3), with the ledger back at 0 live bytes after each. Then one SGD
 * and one Adam step of MoE → Linear head in the Executor against PyTorch (moe_executor_cases.json:
 * the cross-entropy loss, gradients and updated parameters of cross entropy + coef·aux), and too
 * many experts are refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeModel } from '../../src/analysis/graph.ts';
import type { LayerSpec, ModelSpec } from '../../src/analysis/model_spec.ts';
import type { GpuTensor } from '../../src/kernels/runtime.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { layerImpl } from '../../src/ops/executor/layers.ts';
import type { JsonTensor as Tensor } from '../../src/ops/spec.ts';
import { expectScalarClose, expectValuesClose, useGpu } from './gpu_harness.ts';

interface Case {
  name: string;
  spec: ModelSpec;
  params: Record<string, Tensor>;
  input: Tensor;
  grad_output: Tensor;
  expected: {
    output: Tensor; router_probs: Tensor; expert_indices: Tensor; gates: Tensor; tokens_per_expert: Tensor; aux_loss: number;
    grads: Record<string, Tensor>;
  };
}

interface StepCase {
  name: string;
  spec: ModelSpec;
  params: Record<string, Tensor>;
  input: Tensor;
  target: Tensor;
  expected: { loss: number; grads: Record<string, Tensor>; params: Record<string, Tensor> };
}

const CASES: Case[] = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/moe_cases.json'), 'utf8'));
const STEP_CASES: StepCase[] = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/moe_executor_cases.json'), 'utf8'));
const gpu = useGpu();

describe('MoE layer on the GPU matches PyTorch', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const rt = gpu();
    const layer = c.spec.layers[0] as LayerSpec;
    const node = analyzeModel(c.spec).layers[0];
    const impl = layerImpl(layer, node);
    const params: Record<string, GpuTensor> = Object.fromEntries(Object.entries(c.params).map(([k, t]) => [k, rt.tensor(k, t.shape, 'float32', t.data)]));
    const x = rt.tensor('x', c.input.shape, 'float32', c.input.data);
    const gradOutput = rt.tensor('grad_output', c.grad_output.shape, 'float32', c.grad_output.data);
    const run = await impl.forward(rt, [x], params, {}, { seed: 0, step: 1 });
    const t = run.trace;
    const [out, probs, indices, gates, counts, aux] = await rt.read([run.output, t.router_probs, t.expert_indices, t.gates, t.tokens_per_expert, t.aux_loss]);
    expectValuesClose(out, c.expected.output, `${c.name}: output`);
    expectValuesClose(probs, c.expected.router_probs, `${c.name}: router probabilities`);
    expect(Array.from(indices), `${c.name}: chosen experts`).toEqual(c.expected.expert_indices.data);
    expectValuesClose(gates, c.expected.gates, `${c.name}: gates`);
    expect(Array.from(counts), `${c.name}: tokens per expert`).toEqual(c.expected.tokens_per_expert.data);
    expectScalarClose(aux[0], c.expected.aux_loss, `${c.name}: load-balancing loss`);

    const grads = await run.backward(gradOutput);
    const names = Object.keys(c.params);
    const read = await rt.read([grads.inputs[0]!, ...names.map((n) => grads.params[n])]);
    expectValuesClose(read[0], c.expected.grads.input, `${c.name}: ∂L/∂input`);
    names.forEach((n, i) => expectValuesClose(read[i + 1], c.expected.grads[n], `${c.name}: ∂L/∂${n}`));

    rt.release(x, gradOutput, grads.inputs[0], ...Object.values(params), ...Object.values(grads.params), run.output, ...run.scratch);
    await rt.submit();
    expect(rt.ledger.liveBytes, `${c.name}: live bytes after release`).toBe(0);
  });
});

describe('MoE model in the Executor', () => {
  test.each(STEP_CASES.map((c) => [c.name, c] as const))('%s: one step matches PyTorch', async (_name, c) => {
    const ex = await Executor.create(gpu(), c.spec);
    try {
      expect(ex.params.map((p) => p.name).sort()).toEqual(Object.keys(c.params).sort());
      ex.loadWeights(c.params);
      ex.setData(c.input.data, c.target.data);
      const r = await ex.step({ readGradients: true });
      expectScalarClose(r.loss, c.expected.loss, `${c.name}: loss`);
      for (const [name, t] of Object.entries(c.expected.grads)) expectValuesClose(r.gradients![name], t, `${c.name}: ∂L/∂${name}`);
      const after = await ex.readParams();
      for (const [name, t] of Object.entries(c.expected.params)) expectValuesClose(after[name], t, `${c.name}: ${name} after the step`);
    } finally {
      ex.dispose();
    }
  });

  test('two SGD steps on one batch: the loss is finite and falls', async () => {
    const spec: ModelSpec = {
      name: 'tiny_moe', input: [6, 5], loss: 'cross_entropy', optimizer: { type: 'sgd', lr: 0.1 },
      layers: [
        { type: 'MoE', name: 'moe', num_experts: 3, top_k: 2, experts: [
          { type: 'Linear', name: 'fc1', in_features: 5, out_features: 7 }, { type: 'ReLU', name: 'act' }, { type: 'Linear', name: 'fc2', in_features: 7, out_features: 5 },
        ] },
        { type: 'Linear', name: 'head', in_features: 5, out_features: 3 },
      ],
    };
    const ex = await Executor.create(gpu(), spec);
    try {
      expect(ex.params.map((p) => p.name)).toContain('moe.experts.2.fc2.bias');
      // nn.Linear's default init per module: U(±1/√in_features) of that Linear, not of the router.
      const init = Object.fromEntries(ex.params.map((p) => [p.name, p.init]));
      const bound = (fanIn: number) => `U(${-Number((1 / Math.sqrt(fanIn)).toPrecision(4))}, ${Number((1 / Math.sqrt(fanIn)).toPrecision(4))})`;
      expect([init['moe.gate.weight'], init['moe.experts.1.fc1.weight'], init['moe.experts.1.fc2.weight'], init['moe.experts.2.fc2.bias']]).toEqual([bound(5), bound(5), bound(7), bound(7)]);
      const first = await ex.step();
      const second = await ex.step();
      expect(Number.isFinite(first.loss)).toBe(true);
      expect(second.loss).toBeLessThan(first.loss);
    } finally {
      ex.dispose();
    }
  });

  test('more experts than the router kernel takes is refused with the numbers', () => {
    const node = analyzeModel({ input: [2, 4], layers: [{ type: 'MoE', num_experts: 65, top_k: 2, experts: [{ type: 'Linear', in_features: 4, out_features: 4 }] }] }).layers[0];
    expect(() => layerImpl({ type: 'MoE', num_experts: 65, top_k: 2, experts: [{ type: 'Linear', in_features: 4, out_features: 4 }] }, node))
      .toThrow('moe: the GPU router handles at most 64 experts, got 65');
  });
});
