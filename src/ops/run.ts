import { InputError } from '../analysis/errors.ts';
import { numel, type Tensor } from '../analysis/tensor.ts';
import type { AdapterReport } from '../kernels/adapter.ts';
import type { LedgerEntry } from '../kernels/ledger.ts';
import type { TimingReport } from '../kernels/profiler.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import { OPS } from './registry.ts';
import { parseGradOutputs, parseInputs, type JsonTensor, type ParsedTensor } from './spec.ts';

/** The JSON `nnx run` prints. */
export interface RunResult {
  op: string;
  outputs: Record<string, JsonTensor>;
  grads?: Record<string, JsonTensor>;
  trace?: Record<string, JsonTensor>;
  adapter: AdapterReport;
  memory: { peak_bytes: number; live_bytes_after: number; buffers_created: number; buffers: Omit<LedgerEntry, 'id'>[] };
  timings: TimingReport & { wall_ms: number };
}

/** Values read back from the GPU for one run, before JSON conversion (used by explanations). */
export interface RunReadback {
  inputs: Record<string, Tensor>;
  outputs: Record<string, Tensor>;
}

function toJson(t: GpuTensor, data: Float32Array | Int32Array): JsonTensor {
  return t.dtype === 'int32' ? { shape: t.shape, data: Array.from(data), dtype: 'int32' } : { shape: t.shape, data: Array.from(data) };
}

/** Looks up an op by name, or names the ops that exist. */
export function findOp(name: unknown) {
  if (typeof name !== 'string') throw new InputError(`spec: "op" must be a string naming one of: ${Object.keys(OPS).join(', ')}`);
  const op = OPS[name];
  if (!op) throw new InputError(`unknown op "${name}" (ops: ${Object.keys(OPS).join(', ')})`);
  return op;
}

/**
 * Runs one op spec on the GPU: validates it, uploads the inputs, runs forward (and backward
 * when `grad_output` is given), reads every result back in one batch and frees every buffer.
 */
export async function runSpec(rt: GpuRuntime, spec: unknown, options: { trace?: boolean } = {}): Promise<{ result: RunResult; readback: RunReadback }> {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new InputError('spec must be a JSON object with "op", "attrs" and "inputs"');
  const raw = spec as Record<string, unknown>;
  const op = findOp(raw.op);
  const attrs = raw.attrs ?? {};
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) throw new InputError(`${op.name}: "attrs" must be an object`);
  const hostInputs = parseInputs(op, raw);
  const prepared = op.prepare(attrs as Record<string, unknown>, hostInputs);
  const hostGrads: Record<string, ParsedTensor> | null = raw.grad_output === undefined ? null : parseGradOutputs(op, raw.grad_output, prepared.outputShapes);

  rt.checkFits([
    ...Object.entries(hostInputs).map(([name, t]) => ({ label: name, elements: t.data.length })),
    ...Object.entries(prepared.outputShapes).map(([name, shape]) => ({ label: `${op.name}.${name}`, elements: numel(shape) })),
  ]);
  const started = performance.now();
  rt.ledger.resetPeak();
  const firstEntry = rt.ledger.entries.length;
  const created: GpuTensor[] = [];
  try {
    return await rt.releasingOnError(() => rt.withOwner(op.name, async () => {
      const inputs: Record<string, GpuTensor> = {};
      for (const [name, t] of Object.entries(hostInputs)) created.push((inputs[name] = rt.tensor(name, t.shape, t.dtype, t.data)));
      const run = await prepared.forward(rt, inputs, { trace: options.trace ?? false });
      created.push(...Object.values(run.outputs), ...Object.values(run.trace));
      let grads: Record<string, GpuTensor> = {};
      if (hostGrads) {
        const gradOutputs: Record<string, GpuTensor> = {};
        for (const name of op.outputs) {
          const g = hostGrads[name];
          const shape = prepared.outputShapes[name];
          created.push((gradOutputs[name] = rt.tensor(`grad_output.${name}`, shape, 'float32', g?.data)));
        }
        grads = await run.backward(gradOutputs);
        created.push(...Object.values(grads));
        // Trace tensors that only backward can fill (e.g. a recurrent op's grad_h_norm).
        created.push(...Object.values(run.trace).filter((t) => !created.includes(t)));
      }
      const traced = options.trace ? run.trace : {};
      const order = [
        ...Object.entries(run.outputs).map(([k, t]) => ['outputs', k, t] as const),
        ...Object.entries(grads).map(([k, t]) => ['grads', k, t] as const),
        ...Object.entries(traced).map(([k, t]) => ['trace', k, t] as const),
        ...Object.entries(inputs).map(([k, t]) => ['inputs', k, t] as const),
      ];
      const values = await rt.read(order.map(([, , t]) => t));
      const timings = await rt.timings();
      const result: RunResult = {
        op: op.name,
        outputs: {},
        adapter: rt.adapter,
        memory: { peak_bytes: 0, live_bytes_after: 0, buffers_created: 0, buffers: [] },
        timings: { ...timings, wall_ms: performance.now() - started },
      };
      const readback: RunReadback = { inputs: {}, outputs: {} };
      order.forEach(([section, name, t], i) => {
        if (section === 'inputs') readback.inputs[name] = { shape: t.shape, data: values[i] };
        else {
          if (section === 'outputs') readback.outputs[name] = { shape: t.shape, data: values[i] };
          (result[section] ??= {})[name] = toJson(t, values[i]);
        }
      });
      rt.release(...created);
      created.length = 0;
      const entries = rt.ledger.entries.slice(firstEntry);
      result.memory = {
        peak_bytes: rt.ledger.peakBytes,
        live_bytes_after: rt.ledger.liveBytes,
        buffers_created: entries.length,
        buffers: entries.map(({ id: _id, ...rest }) => rest),
      };
      return { result, readback };
    }));
  } finally {
    rt.release(...created);
  }
}
