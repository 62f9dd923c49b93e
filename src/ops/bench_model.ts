/**
 * Whole-model benchmarks: full training steps (forward, loss, backward, optimizer) or forward
 * passes of a ModelSpec through the executor, timed per layer and per kernel from the profiler's
 * dispatches, with the GPU buffers each step creates and the ratio to the FLOP time at peak.
 */
import type { ModelSpec } from '../analysis/model_spec.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import type { TimingReport } from '../kernels/profiler.ts';
import { median } from './bench.ts';
import { Executor } from './executor/executor.ts';

/** GPU time of one owner (a layer's forward or backward, the loss, the optimizer) in one step. */
export interface ModelBenchPart {
  owner: string;
  gpu_ms: number | null;
  flops: number;
  bytes: number;
  /** The larger of GFLOP/s over the FMA peak and GB/s over the copy peak. */
  fraction_of_peak: number | null;
}

/** Timing of a model's training step or forward pass. */
export interface ModelBenchResult {
  model: string;
  mode: 'train' | 'forward';
  batch: number;
  runs: number;
  /** Median wall time of one step (encode, submit, wait), after two warm-up steps. */
  wall_ms: number;
  /** Median GPU time of one step (sum of its dispatches). */
  gpu_ms: number | null;
  flops: number;
  /** The step's FLOPs at the measured FMA peak. */
  flop_time_ms: number | null;
  /** wall_ms / flop_time_ms: how far the step is from its arithmetic at peak. */
  ratio_to_flop_time: number | null;
  dispatches: number;
  /** GPU buffers the runtime created during the last measured step (0 in steady state). */
  gpu_buffers_created_per_step: number;
  /** Logical tensors (ledger entries) per step, and how many of them the pool served. */
  tensors_per_step: number;
  pool_hits_per_step: number;
  parts: ModelBenchPart[];
  kernels: { kernel: string; calls: number; gpu_ms: number | null }[];
}

/** Times `runs` training steps (or forward passes) of a model after two warm-up steps. */
export async function runModelBench(
  rt: GpuRuntime, spec: ModelSpec, options: { train: boolean; batch?: number; runs: number; peak: { gflops: number; gbps: number } | null },
): Promise<ModelBenchResult> {
  const ex = await Executor.create(rt, spec, { batch: options.batch, flowStats: false });
  try {
    const { input, target } = ex.data();
    const once = async (): Promise<{ wall: number; report: TimingReport }> => {
      await rt.timings();
      const started = performance.now();
      if (options.train) {
        await ex.step();
        return { wall: performance.now() - started, report: rt.profiler.lastReport! };
      }
      await ex.evaluate(input, target);
      const wall = performance.now() - started;
      return { wall, report: await rt.timings() };
    };
    await once();
    await once();
    const walls: number[] = [];
    const gpus: number[] = [];
    let last: TimingReport | null = null;
    let created = 0;
    let tensors = 0;
    let hits = 0;
    for (let i = 0; i < options.runs; i++) {
      const buffersBefore = rt.ledger.gpu.buffers_created;
      const entriesBefore = rt.ledger.entries.length;
      const { wall, report } = await once();
      created = rt.ledger.gpu.buffers_created - buffersBefore;
      const entries = rt.ledger.entries.slice(entriesBefore);
      tensors = entries.length;
      hits = entries.filter((e) => e.pool_hit).length;
      walls.push(wall);
      if (report.total_gpu_ns !== null) gpus.push(report.total_gpu_ns / 1e6);
      last = report;
    }
    const report = last!;
    const flops = report.dispatches.reduce((s, d) => s + d.flops, 0);
    const wallMs = median(walls);
    const flopTime = options.peak ? flops / (options.peak.gflops * 1e6) : null;
    const timed = report.total_gpu_ns !== null;
    const parts = new Map<string, ModelBenchPart>();
    const kernels = new Map<string, { kernel: string; calls: number; gpu_ms: number | null }>();
    for (const d of report.dispatches) {
      const part = parts.get(d.op) ?? { owner: d.op, gpu_ms: timed ? 0 : null, flops: 0, bytes: 0, fraction_of_peak: null };
      part.flops += d.flops;
      part.bytes += d.bytes;
      if (part.gpu_ms !== null) part.gpu_ms += (d.gpu_ns ?? 0) / 1e6;
      parts.set(d.op, part);
      const k = kernels.get(d.kernel) ?? { kernel: d.kernel, calls: 0, gpu_ms: timed ? 0 : null };
      k.calls += 1;
      if (k.gpu_ms !== null) k.gpu_ms += (d.gpu_ns ?? 0) / 1e6;
      kernels.set(d.kernel, k);
    }
    for (const p of parts.values()) {
      if (options.peak && p.gpu_ms) p.fraction_of_peak = Math.max(p.flops / (p.gpu_ms * 1e6 * options.peak.gflops), p.bytes / (p.gpu_ms * 1e6 * options.peak.gbps));
    }
    return {
      model: spec.name ?? 'model', mode: options.train ? 'train' : 'forward', batch: ex.graph.input.shape[0], runs: options.runs,
      wall_ms: wallMs, gpu_ms: gpus.length ? median(gpus) : null, flops,
      flop_time_ms: flopTime, ratio_to_flop_time: flopTime ? wallMs / flopTime : null,
      dispatches: report.dispatches.length,
      gpu_buffers_created_per_step: created, tensors_per_step: tensors, pool_hits_per_step: hits,
      parts: [...parts.values()],
      kernels: [...kernels.values()].sort((a, b) => (b.gpu_ms ?? 0) - (a.gpu_ms ?? 0)),
    };
  } finally {
    ex.dispose();
  }
}
