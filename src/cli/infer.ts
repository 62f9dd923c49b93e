import { readFileSync } from 'node:fs';
import { InputError } from '../analysis/errors.ts';
import { decodeOnnx } from '../analysis/onnx/onnx_graph.ts';
import { importOnnxGraph } from '../analysis/onnx/onnx_import.ts';
import { formatShape } from '../analysis/tensor.ts';
import { loadFashionMnist } from '../data/files_node.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { inferOnnx } from '../ops/onnx_infer.ts';
import { parseTensor } from '../ops/spec.ts';
import { readOnnxFile } from './onnx_files.ts';
import { writeStdout } from './run.ts';

const INFER_USAGE = `usage: nnx infer MODEL.onnx --input FILE|fashion-mnist:N [--json]

Imports an ONNX model (as torch.onnx.export writes it) and runs it forward on the GPU.
  --input FILE             a tensor {"shape": [...], "data": [...]} ("dtype": "int64" for token ids)
  --input fashion-mnist:N  test image N of the shipped Fashion-MNIST subset, shape [1, 1, 28, 28]
  --json                   {"outputs": {name: tensor}, "adapter", "memory", "timings"}`;

/**
 * The input tensor: a JSON file, or a Fashion-MNIST test image laid out as the model's input
 * wants it ([1, 1, 28, 28], or [1, 784] and the like when the model's other dims hold 784 values).
 */
function readInput(text: string, modelDims: (number | null)[] | null): { shape: number[]; data: number[] | Float32Array | Int32Array } {
  const sample = /^fashion-mnist:(\d+)$/.exec(text);
  if (sample) {
    const test = loadFashionMnist().test;
    const i = Number(sample[1]);
    if (i >= test.count) throw new InputError(`infer: --input fashion-mnist:${i} is past the ${test.count} test images`);
    const rest = modelDims?.slice(1) ?? [];
    const flat = rest.length > 0 && rest.every((d) => d !== null) && rest.reduce((a, d) => a! * d!, 1) === 784;
    return { shape: flat ? [1, ...(rest as number[])] : [1, 1, 28, 28], data: test.inputs.subarray(i * 784, (i + 1) * 784) };
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(text, 'utf8'));
  } catch (error) {
    throw new InputError(`infer: --input ${text} is neither fashion-mnist:N nor a readable JSON tensor file (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const isInt = typeof value === 'object' && value !== null && ['int32', 'int64'].includes((value as { dtype?: string }).dtype ?? '');
  const t = parseTensor('--input', value, isInt ? 'int32' : 'float32');
  return { shape: t.shape, data: Array.from(t.data as ArrayLike<number>) };
}

/** `nnx infer MODEL.onnx --input FILE|fashion-mnist:N [--json]`. */
export async function inferCommand(argv: string[]): Promise<number> {
  let model: string | null = null;
  let inputArg: string | null = null;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(INFER_USAGE);
      return 0;
    }
    if (a === '--json') json = true;
    else if (a === '--input') {
      inputArg = argv[++i] ?? null;
      if (!inputArg) throw new InputError('infer: --input needs a tensor file or fashion-mnist:N');
    } else if (a.startsWith('--')) throw new InputError(`infer: unknown option ${a} (nnx infer --help)`);
    else if (model === null) model = a;
    else throw new InputError(`infer: one model expected, got ${model} and ${a}`);
  }
  if (!model) throw new InputError('infer: missing MODEL.onnx (nnx infer --help)');
  if (!inputArg) throw new InputError('infer: missing --input FILE|fashion-mnist:N');
  const bytes = readOnnxFile(model);
  const graph = decodeOnnx(bytes, model);
  const input = readInput(inputArg, graph.inputs[0]?.dims ?? null);
  const imported = importOnnxGraph(graph, { input: input.shape }, model);
  const rt = await GpuRuntime.create();
  try {
    const run = await inferOnnx(rt, imported, input);
    const tensor = { shape: run.output.shape, data: Array.from(run.output.data) };
    if (json) {
      await writeStdout(`${JSON.stringify({ outputs: { [imported.outputName]: tensor }, adapter: rt.adapter, memory: run.memory, timings: run.timings })}\n`);
    } else {
      const lines = [`${model}: ${imported.spec.layers.length} layers, opset ${imported.opset}; output "${imported.outputName}" ${formatShape(tensor.shape)}`];
      for (const note of imported.notes) lines.push(`note: ${note}`);
      const width = tensor.shape[tensor.shape.length - 1];
      for (let r = 0; r < Math.min(tensor.data.length / width, 8); r++) {
        const row = tensor.data.slice(r * width, (r + 1) * width);
        lines.push(`[${r}] ${row.slice(0, 12).map((v) => v.toPrecision(5)).join(' ')}${width > 12 ? ' …' : ''}${tensor.shape.length === 2 ? `  argmax ${row.indexOf(Math.max(...row))}` : ''}`);
      }
      lines.push(`wall ${run.timings.wall_ms.toFixed(1)} ms, peak GPU memory ${run.memory.peak_bytes.toLocaleString('en-US')} bytes`);
      await writeStdout(`${lines.join('\n')}\n`);
    }
  } finally {
    rt.destroy();
  }
  return 0;
}
