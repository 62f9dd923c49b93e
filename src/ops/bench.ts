import { InputError } from '../analysis/errors.ts';
import { mulberry32 } from '../analysis/random.ts';
import { numel } from '../analysis/tensor.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import type { HostTensor } from './op.ts';
import { findOp } from './run.ts';

/** One benchmark: an op, its attributes, input shapes (data is seeded random), and whether backward runs. */
export interface BenchCase {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  shapes: Record<string, number[]>;
  backward: boolean;
}

/** Timing of one case on the adapter. */
export interface BenchResult {
  name: string;
  op: string;
  shapes: Record<string, number[]>;
  backward: boolean;
  runs: number;
  /** Median GPU time of one call (forward, plus backward when asked), from timestamp queries. */
  gpu_ms: number | null;
  /** Fastest and slowest call, GPU time. */
  gpu_ms_min: number | null;
  gpu_ms_max: number | null;
  /** Median time from the first encode to the completion of the submitted work. */
  wall_ms: number;
  flops: number;
  bytes: number;
  gflops: number | null;
  gbps: number | null;
  /** The larger of GFLOP/s over the FMA peak and GB/s over the copy peak. */
  fraction_of_peak: number | null;
  /** Median GPU time per kernel of one call. */
  kernels: { kernel: string; gpu_ms: number | null }[];
  /** Whether the calls ran with trace on (the traced tensors kept until the call ends, not read back). */
  trace: boolean;
  /** The ledger's peak of live GPU bytes over the last call, inputs and output gradients included. */
  peak_bytes: number;
  /** Dispatches of one call. */
  dispatches: number;
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Seeded inputs for a case. Each input is drawn by the sampler its op declares (positive
 * variances, indices in range, 0/1 masks); unconstrained float inputs are uniform in [-1, 1).
 */
export function benchInputs(c: BenchCase, seed = 1): Record<string, HostTensor> {
  const op = findOp(c.op);
  const random = mulberry32(seed);
  const inputs: Record<string, HostTensor> = {};
  for (const spec of op.inputs) {
    const shape = c.shapes[spec.name];
    if (!shape) {
      if (spec.optional) continue;
      throw new InputError(`bench case ${c.name}: missing shape for input "${spec.name}" of ${c.op}`);
    }
    const count = numel(shape);
    if (!spec.sample && spec.dtype !== 'float32') throw new InputError(`bench case ${c.name}: ${c.op} declares no sampler for its ${spec.dtype} input "${spec.name}"`);
    const values = spec.sample
      ? spec.sample({ count, shape, shapes: c.shapes, attrs: c.attrs, random })
      : Float32Array.from({ length: count }, () => random() * 2 - 1);
    const data = spec.dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values);
    inputs[spec.name] = { shape, dtype: spec.dtype, data };
  }
  for (const name of Object.keys(c.shapes)) {
    if (!op.inputs.some((i) => i.name === name)) throw new InputError(`bench case ${c.name}: ${c.op} has no input "${name}" (inputs: ${op.inputs.map((i) => i.name).join(', ')})`);
  }
  return inputs;
}

/**
 * Runs a case `warmup + runs` times on the GPU. Inputs and output gradients are uploaded once;
 * each call encodes forward (and backward), submits, waits for completion, and frees what it
 * allocated. No trace is read back; with `trace` the op runs as `nnx run --trace` would (traced tensors made).
 */
export async function runBenchCase(
  rt: GpuRuntime, c: BenchCase, peak: { gflops: number; gbps: number } | null, runs = 5, warmup = 1, trace = false,
): Promise<BenchResult> {
  const op = findOp(c.op);
  const hostInputs = benchInputs(c);
  const prepared = op.prepare(c.attrs, hostInputs);
  return rt.withOwner(`bench ${c.name}`, async () => {
    const inputs: Record<string, GpuTensor> = {};
    for (const [name, t] of Object.entries(hostInputs)) inputs[name] = rt.tensor(name, t.shape, t.dtype, t.data);
    const random = mulberry32(2);
    const gradOutputs: Record<string, GpuTensor> = {};
    if (c.backward) {
      for (const [name, shape] of Object.entries(prepared.outputShapes)) {
        gradOutputs[name] = rt.tensor(`grad_output.${name}`, shape, 'float32', Float32Array.from({ length: numel(shape) }, () => random() * 2 - 1));
      }
    }
    await rt.submit();
    await rt.timings();
    const wall: number[] = [];
    const gpu: number[] = [];
    const perKernel = new Map<string, number[]>();
    let flops = 0;
    let bytes = 0;
    let peakBytes = 0;
    let dispatches = 0;
    for (let i = 0; i < warmup + runs; i++) {
      rt.ledger.resetPeak();
      const started = performance.now();
      const run = await prepared.forward(rt, inputs, { trace });
      const grads = c.backward ? await run.backward(gradOutputs) : {};
      await rt.submit();
      await rt.device.queue.onSubmittedWorkDone();
      const elapsed = performance.now() - started;
      rt.release(...Object.values(run.outputs), ...Object.values(run.trace), ...Object.values(grads));
      const report = await rt.timings();
      if (i < warmup) continue;
      peakBytes = rt.ledger.peakBytes;
      dispatches = report.dispatches.length;
      wall.push(elapsed);
      if (report.total_gpu_ns !== null) gpu.push(report.total_gpu_ns / 1e6);
      flops = report.dispatches.reduce((s, d) => s + d.flops, 0);
      bytes = report.dispatches.reduce((s, d) => s + d.bytes, 0);
      const calls = new Map<string, number>();
      for (const d of report.dispatches) calls.set(d.kernel, (calls.get(d.kernel) ?? 0) + (d.gpu_ns ?? 0) / 1e6);
      for (const [kernel, ms] of calls) perKernel.set(kernel, [...(perKernel.get(kernel) ?? []), ms]);
    }
    rt.release(...Object.values(inputs), ...Object.values(gradOutputs));
    const gpuMs = gpu.length ? median(gpu) : null;
    const gflops = gpuMs ? flops / (gpuMs * 1e6) : null;
    const gbps = gpuMs ? bytes / (gpuMs * 1e6) : null;
    return {
      name: c.name, op: c.op, shapes: c.shapes, backward: c.backward, runs,
      gpu_ms: gpuMs,
      gpu_ms_min: gpu.length ? Math.min(...gpu) : null,
      gpu_ms_max: gpu.length ? Math.max(...gpu) : null,
      wall_ms: median(wall),
      flops, bytes, gflops, gbps,
      fraction_of_peak: peak && gflops !== null && gbps !== null ? Math.max(gflops / peak.gflops, gbps / peak.gbps) : null,
      kernels: [...perKernel].map(([kernel, ms]) => ({ kernel, gpu_ms: gpu.length ? median(ms) : null })),
      trace, peak_bytes: peakBytes, dispatches,
    };
  });
}

/** Validates a `--cases` file: an array of `{"op", "attrs"?, "shapes", "backward"?, "name"?}`. */
export function parseBenchCases(value: unknown, source: string): BenchCase[] {
  if (!Array.isArray(value)) throw new InputError(`${source}: expected a JSON array of cases {"op", "attrs", "shapes", "backward"}`);
  return value.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(`${source}: case ${i} is not an object`);
    const r = raw as Record<string, unknown>;
    findOp(r.op);
    const shapes = r.shapes;
    if (typeof shapes !== 'object' || shapes === null || Array.isArray(shapes)) throw new InputError(`${source}: case ${i} needs "shapes": {input name: shape}`);
    for (const [name, shape] of Object.entries(shapes)) {
      if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 1)) throw new InputError(`${source}: case ${i}: shape of "${name}" must be a list of whole numbers >= 1, got ${JSON.stringify(shape)}`);
    }
    if (r.backward !== undefined && typeof r.backward !== 'boolean') throw new InputError(`${source}: case ${i}: "backward" must be true or false`);
    const attrs = (r.attrs ?? {}) as Record<string, unknown>;
    const name = typeof r.name === 'string' ? r.name : `${r.op} ${Object.entries(shapes as Record<string, number[]>).map(([k, s]) => `${k}[${s.join(',')}]`).join(' ')}${r.backward ? ' +bwd' : ''}`;
    return { name, op: r.op as string, attrs, shapes: shapes as Record<string, number[]>, backward: r.backward === true };
  });
}
