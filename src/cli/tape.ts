import { formatCount, renderTable } from '../analysis/format.ts';
import { analyzeModel } from '../analysis/graph.ts';
import { formatShape } from '../analysis/tensor.ts';
import { DATA_NAMES } from '../data/files_node.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { buildTape, savedBytesHeld, type Tape } from '../ops/tape.ts';
import { writeStdout } from './run.ts';
import { parseTraceArgs, prepareTrace, runTrace } from './trace.ts';

export const TAPE_USAGE = `usage: nnx tape SPEC.json|MODEL [options]

  SPEC.json|MODEL       a ModelSpec file ("-" reads stdin) or a zoo model
  --data FILE           {"inputs", "targets", "edge_index"?, "mask"?}: the batch to run
  --data NAME[:index]   samples index, index+1, … of a data set's training split: ${DATA_NAMES}
  --batch N             samples in the batch (default: the data file's, else 1)
  --seed S              seed of the initialization and the random data (default: the spec's, else 0)
  --json                print {model, nodes: [{id, op, inputs, output_shape, saved: [{name, tensor, bytes}],
                        has_grad}], backward_order, fan_out_sums: [{tensor, consumers}], saved_bytes}

One training step runs on the GPU (as nnx trace); the tape lists its forward ops in the order
they ran, what each saves for backward (bytes as the memory model counts them: float32 4, int64 8,
bool 1), the order backward visits them and the tensors whose gradient is a sum over readers.`;

/** The tape as tables, for people. */
function formatTape(t: Tape): string {
  const lines = [`${t.model}: ${t.nodes.length} ops, ${formatCount(t.saved_bytes)} bytes saved for backward`, ''];
  lines.push(...renderTable([
    ['op', 'type', 'reads', 'output', 'saved for backward', 'bytes'],
    ...t.nodes.map((n) => [n.id, n.op, n.inputs.join(', '), formatShape(n.output_shape), n.saved.map((s) => (s.tensor === `${n.id}: ${s.name}` ? s.name : `${s.name} (${s.tensor})`)).join(', ') || '-', formatCount(n.saved.reduce((a, s) => a + s.bytes, 0))]),
  ], ['l', 'l', 'l', 'l', 'l', 'r']));
  lines.push('', 'backward (saved bytes still held after each op):');
  t.backward_order.forEach((id, k) => lines.push(`  ${k + 1}. ${id}  ${formatCount(savedBytesHeld(t, k + 1))}`));
  if (t.fan_out_sums.length) {
    lines.push('', 'gradients summed over readers:');
    for (const f of t.fan_out_sums) lines.push(`  ∂L/∂${f.tensor} = Σ over ${f.consumers.join(', ')}`);
  }
  return lines.join('\n');
}

/** `nnx tape SPEC.json|ZOO [--data FILE|NAME[:index]] [--batch N] [--seed S] [--json]`. */
export async function tapeCommand(argv: string[]): Promise<number> {
  const args = parseTraceArgs('tape', argv);
  if (!args) {
    console.log(TAPE_USAGE);
    return 0;
  }
  const { source, options, json } = args;
  const prepared = prepareTrace(source, options);
  const graph = analyzeModel(prepared.training.spec, { batch: prepared.training.batch });
  const rt = await GpuRuntime.create();
  try {
    const { trace } = await runTrace(rt, prepared, options);
    const tape = buildTape(trace.layers, graph);
    await writeStdout(json ? `${JSON.stringify(tape)}\n` : `${formatTape(tape)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
