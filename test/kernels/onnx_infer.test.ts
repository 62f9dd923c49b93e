/**
 * ONNX models exported by PyTorch 1.13 (test/fixtures/generate_onnx_import.py: CNN with
 * BatchNorm and pooling, MLP with GELU, LSTM both layouts and via h_n, bidirectional GRU, Transformer encoder
 * layers post- and pre-norm, Embedding; opsets 11, 13, 17, folded or not, dynamic batch or not)
 * imported and run forward on the GPU: outputs equal PyTorch's float64 forward within
 * 2e-4 + 2e-3·|expected|, and the ledger is back to 0 live bytes. One opset per model keeps the
 * suite short (the importer's other opsets are checked for structure in test/unit/onnx_import.test.ts);
 * the exporter's files run in onnxruntime-web with outputs equal to PyTorch's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/analysis/onnx/onnx_export.ts';
import { importOnnx } from '../../src/analysis/onnx/onnx_import.ts';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';
import { onnxFixtureWeights, readOnnxManifest } from '../../src/cli/peers_ort.ts';
import { inferOnnx } from '../../src/ops/onnx_infer.ts';
import { expectValuesClose, useGpu } from './gpu_harness.ts';

interface OnnxCase {
  name: string;
  file: string;
  opset: number;
  params: number;
  input: { shape: number[]; data: number[]; dtype?: string };
  output: { shape: number[]; data: number[] };
}

const DIR = new URL('../fixtures/onnx_import/', import.meta.url);
const CASES = JSON.parse(readFileSync(new URL('cases.json', DIR), 'utf8')) as OnnxCase[];
const GPU_FILES = ['cnn_bn_op11.onnx', 'mlp_op13.onnx', 'lstm_bf_op17.onnx', 'lstm_seq_op13.onnx', 'gru_bidir_op11.onnx', 'lstm_hn_op13.onnx', 'encoder_post_op11.onnx', 'encoder_pre_bf_op17.onnx', 'embedding_op13.onnx'];

describe('nnx infer: PyTorch-exported ONNX on the GPU', () => {
  const gpu = useGpu();
  for (const file of GPU_FILES) {
    it(`${file} matches PyTorch`, async () => {
      const c = CASES.find((k) => k.file === file)!;
      const model = importOnnx(new Uint8Array(readFileSync(new URL(file, DIR))), { input: c.input.shape }, file);
      const rt = gpu();
      const run = await inferOnnx(rt, model, c.input);
      expect(run.output.shape).toEqual(c.output.shape);
      expectValuesClose(run.output.data, c.output, file);
      expect(rt.ledger.entries.filter((e) => e.destroyed === null).map((e) => `${e.owner}: ${e.label} ${e.bytes}`), 'live buffers after the run').toEqual([]);
    });
  }
});

describe('nnx export: our ONNX files in onnxruntime-web (CPU/wasm) and back through the importer', () => {
  it('every PyTorch export, imported and written again by our exporter, runs in ORT with PyTorch\'s output', async () => {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    for (const c of CASES) {
      const model = importOnnx(new Uint8Array(readFileSync(new URL(c.file, DIR))), { input: c.input.shape }, c.file);
      const session = await ort.InferenceSession.create(exportOnnx(model.spec), { executionProviders: ['wasm'] });
      const input = c.input.dtype
        ? new ort.Tensor('int64', BigInt64Array.from(c.input.data.map((v) => BigInt(v))), c.input.shape)
        : new ort.Tensor('float32', Float32Array.from(c.input.data), c.input.shape);
      const result = await session.run({ input });
      expectValuesClose(result.output.data as Float32Array, c.output, `${c.file} re-exported, in ORT`);
    }
  });

  const gpu = useGpu();
  const manifest = readOnnxManifest();
  // fashion_cnn (residual blocks, BatchNorm) runs in ORT only: its convolutions on SwiftShader would cost ~30 s.
  const models: [string, () => ModelSpec, boolean][] = [
    ['small_cnn', () => manifest.models.small_cnn.spec as ModelSpec, true],
    ['fashion_cnn', () => zooModel('fashion_cnn'), false],
  ];
  for (const [name, build, onGpu] of models) {
    it(`${name} with PyTorch's weights: the exported file in ORT${onGpu ? ' and imported back on our GPU' : ''} equals PyTorch's output`, async () => {
      const m = manifest.models[name];
      const spec = { ...build(), input: m.input };
      const bytes = exportOnnx(spec, onnxFixtureWeights(m));
      const ort = await import('onnxruntime-web');
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const result = await session.run({ input: new ort.Tensor('float32', Float32Array.from(m.x), m.input) });
      const expected = { shape: [...result.output.dims], data: m.torch_output };
      expectValuesClose(result.output.data as Float32Array, expected, `${name} through onnxruntime-web`);
      if (!onGpu) return;
      const imported = importOnnx(bytes, { input: m.input }, `${name}.onnx`);
      const run = await inferOnnx(gpu(), imported, { shape: m.input, data: m.x });
      expectValuesClose(run.output.data, expected, `${name} exported, imported and run on the GPU`);
    });
  }
});
