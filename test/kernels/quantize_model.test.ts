/**
 * quantizeModel (nnx quantize) on a tiny CNN and the shipped Fashion-MNIST subset: the layers it
 * reports, the sizes counted by hand, the observers' parameters on the weights, and that the
 * quantized pass really ran the fake-quant and cast kernels on the GPU (their buffers in the ledger)
 * and gave every buffer back.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { readWeights } from '../../src/cli/quantize.ts';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import type { SampleDataset } from '../../src/data/dataset.ts';
import { loadNamedData } from '../../src/data/files_node.ts';
import { quantizeModel, type QuantScheme } from '../../src/ops/quantize_model.ts';
import { useGpu } from './gpu_harness.ts';

const gpu = useGpu();

const tiny: ModelSpec = {
  name: 'tiny_cnn',
  input: [1, 1, 28, 28],
  layers: [
    { type: 'Conv2d', name: 'conv', in_channels: 1, out_channels: 2, kernel_size: 3, stride: 2 },
    { type: 'ReLU', name: 'relu' },
    { type: 'Flatten', name: 'flatten', start_dim: 1 },
    { type: 'Linear', name: 'fc', in_features: 2 * 13 * 13, out_features: 10 },
  ],
};

let ds: SampleDataset;
beforeAll(() => {
  ds = loadNamedData('fashion-mnist') as SampleDataset;
});

async function run(schemes: QuantScheme[]) {
  const rt = gpu();
  const live = rt.ledger.liveBytes;
  const firstEntry = rt.ledger.entries.length;
  const report = await quantizeModel(rt, tiny, ds, { schemes, calibrate: 20, evalImages: 24, trainSteps: 0, batch: 12 });
  await rt.submit();
  const labels = new Set(rt.ledger.entries.slice(firstEntry).map((e) => e.label));
  return { report, labels, leaked: rt.ledger.liveBytes - live };
}

describe('nnx quantize on a tiny CNN', () => {
  test('int8 and int8-per-channel after one training: every non-view layer, sizes by hand, observer scales, the kernel ran', async () => {
    const { report, labels, leaked } = await run(['int8', 'int8-per-channel']);
    const [perTensor, perChannel] = report.schemes;
    expect(perTensor.layers.map((l) => [l.name, l.type])).toEqual([['conv', 'Conv2d'], ['relu', 'ReLU'], ['fc', 'Linear']]);
    // conv 2·1·3·3 + 2, fc 338·10 + 10 = 3,410 values; int8 keeps the two weights as bytes plus 8 bytes of qparams each.
    expect(report.size_bytes).toEqual({ fp32: 13640, fp16: 6820, bf16: 6820, int8: 18 + 3380 + 16 + 4 * 12, 'int8-per-channel': 18 + 3380 + 8 * 12 + 4 * 12 });
    for (const l of [perTensor.layers[0], perTensor.layers[2]]) {
      const [w] = l.weights;
      expect(w.zero_point).toEqual([0]);
      const maxAbs = Math.max(-w.histogram.min, w.histogram.max);
      expect(w.scale![0]).toBe(Math.max(Math.fround(maxAbs / 127.5), 2 ** -23));
      // Half a step, plus float32 rounding of the largest weight (the clipped code 127.5 → 127).
      expect(w.max_abs_error).toBeLessThanOrEqual((w.scale![0] / 2) * (1 + 2 ** -14));
    }
    const relu = perTensor.layers[1].activation;
    expect(relu.zero_point).toEqual([0]);
    expect(relu.histogram.clip_min).toBe(0);
    expect(perTensor.accuracy.drop).toBeCloseTo(perTensor.accuracy.float32 - perTensor.accuracy.quantized, 12);
    expect(report.data).toMatchObject({ calibration_images: 20, eval_images: 24, per_layer_images: 12 });
    // Per channel starts again from the float32 weights: the same weight histograms, one scale per output channel.
    expect(perChannel.accuracy.float32).toBe(perTensor.accuracy.float32);
    const values = (h: { min: number; max: number; counts: number[] }) => [h.min, h.max, h.counts];
    expect(values(perChannel.layers[2].weights[0].histogram)).toEqual(values(perTensor.layers[2].weights[0].histogram));
    expect(perChannel.layers[0].weights[0].scale).toHaveLength(2);
    expect(perChannel.layers[2].weights[0].scale).toHaveLength(10);
    expect(perChannel.layers[2].weights[0].zero_point).toEqual(new Array(10).fill(0));
    expect(labels.has('quantize.q') && labels.has('fake_quantize.qparams')).toBe(true);
    expect(leaked).toBe(0);
  });

  test('fp16: casts on the GPU, errors at float16 precision, no integer parameters', async () => {
    const { report, labels, leaked } = await run(['fp16']);
    expect(labels.has('quantize.output') && !labels.has('quantize.q')).toBe(true);
    for (const l of report.schemes[0].layers) {
      expect(l.activation.scale).toBeNull();
      expect(l.relative_rms_error).toBeLessThan(2e-3);
    }
    expect(report.schemes[0].layers[0].weights[0].histogram.clip_max).toBe(65504);
    expect(leaked).toBe(0);
  });

  test('--weights: a state_dict file is loaded instead of training; zero weights and a one-hot fc bias predict class 7 for every image', async () => {
    const zeros = (shape: number[]) => ({ shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0) });
    const file = join(mkdtempSync(join(tmpdir(), 'nnx-quantize-')), 'weights.json');
    writeFileSync(file, JSON.stringify({
      'conv.weight': zeros([2, 1, 3, 3]), 'conv.bias': zeros([2]), 'fc.weight': zeros([10, 338]),
      'fc.bias': { shape: [10], data: Array.from({ length: 10 }, (_, k) => (k === 7 ? 1 : 0)) },
    }));
    const rt = gpu();
    const report = await quantizeModel(rt, tiny, ds, { schemes: ['int8', 'bf16'], calibrate: 12, evalImages: 24, trainSteps: 5, batch: 12, weights: readWeights(file) });
    expect(report.training).toEqual({ weights: 'given' });
    const sevens = Array.from(ds.test.targets.subarray(0, 24)).filter((y) => y === 7).length / 24;
    expect(sevens).toBeGreaterThan(0);
    for (const s of report.schemes) expect([s.scheme, s.accuracy.float32, s.accuracy.quantized]).toEqual([s.scheme, sevens, sevens]);
  });
});
