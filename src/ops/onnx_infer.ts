/**
 * Runs an imported ONNX model forward on the GPU in eval mode (the executor's `evaluate`):
 * the imported weights loaded by name, one input batch, the graph output read back.
 */
import { InputError } from '../analysis/errors.ts';
import type { OnnxImport } from '../analysis/onnx/onnx_import.ts';
import { numel } from '../analysis/tensor.ts';
import type { TimingReport } from '../kernels/profiler.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { Executor } from './executor/executor.ts';

/** One forward pass of an imported model. */
export interface OnnxInference {
  output: { shape: number[]; data: Float32Array };
  memory: { peak_bytes: number; live_bytes_after: number };
  timings: TimingReport & { wall_ms: number };
}

/** Forward of `model` on `input` (its shape must be the one the model was imported with). */
export async function inferOnnx(rt: GpuRuntime, model: OnnxImport, input: { shape: number[]; data: ArrayLike<number> }): Promise<OnnxInference> {
  const spec = model.spec;
  if (input.shape.join() !== spec.input.join()) throw new InputError(`infer: the input has shape [${input.shape.join(', ')}], the model was imported for [${spec.input.join(', ')}]`);
  if (input.data.length !== numel(input.shape)) throw new InputError(`infer: the input has ${input.data.length} values for shape [${input.shape.join(', ')}] (${numel(input.shape)})`);
  for (let i = 0; i < input.data.length; i++) {
    if (!Number.isFinite(input.data[i])) throw new InputError(`infer: input value ${i} is ${input.data[i]}, not a finite number`);
  }
  const started = performance.now();
  const ex = await Executor.create(rt, spec, { loss: 'mse', flowStats: false });
  try {
    ex.loadWeights(Object.fromEntries(Object.entries(spec.weights ?? {}).map(([k, t]) => [k, { shape: t.shape, data: t.data as number[] }])));
    const outShape = ex.graph.output.shape;
    await rt.timings();
    const { output } = await ex.evaluate(input.data, new Float32Array(numel(outShape)));
    const timings = await rt.timings();
    return {
      output: { shape: [...outShape], data: output },
      memory: { peak_bytes: rt.ledger.peakBytes, live_bytes_after: 0 },
      timings: { ...timings, wall_ms: performance.now() - started },
    };
  } finally {
    ex.dispose();
  }
}
