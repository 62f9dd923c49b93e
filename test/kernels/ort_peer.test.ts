/**
 * onnxruntime-web as a correctness peer: the models PyTorch exported to ONNX
 * (test/fixtures/generate_onnx.py) run through ORT's WebGPU execution provider on our device and
 * through the executor with the same state_dict; both outputs agree with each other and with
 * PyTorch's float64 output on the fixture's batch. fashion_cnn's BatchNorm running statistics are
 * that batch's own statistics, so ORT's inference BatchNorm matches the executor's batch statistics.
 */
import { describe, test } from 'vitest';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';
import { loadOrtWebGpu, onnxFixtureWeights, ortRun, ortSession, readOnnxManifest } from '../../src/cli/peers_ort.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { expectValuesClose, useGpu } from './gpu_harness.ts';

const gpu = useGpu();
const manifest = readOnnxManifest();

describe('ORT WebGPU EP and the executor agree on the exported models', () => {
  test.each(Object.keys(manifest.models))('%s', async (name) => {
    const m = manifest.models[name];
    const rt = gpu();
    const spec = (m.spec as ModelSpec | undefined) ?? zooModel(name);
    const ex = await Executor.create(rt, { ...spec, input: m.input });
    let ours: Float32Array;
    try {
      ex.loadWeights(onnxFixtureWeights(m));
      ours = (await ex.evaluate(m.x, new Array(m.input[0]).fill(0))).output;
    } finally {
      ex.dispose();
    }
    const ort = await loadOrtWebGpu(rt.device);
    const session = await ortSession(ort, rt.device, m.file);
    const theirs = await ortRun(ort, session, new Float32Array(m.x), m.input);
    await session.release();
    const shape = [m.input[0], 10];
    expectValuesClose(ours, { shape, data: m.torch_output }, `${name}: ours vs PyTorch float64`);
    expectValuesClose(theirs, { shape, data: m.torch_output }, `${name}: ORT vs PyTorch float64`);
    expectValuesClose(ours, { shape, data: theirs }, `${name}: ours vs ORT`);
  }, 600_000);
});
