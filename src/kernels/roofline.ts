import code from '../../shaders/roofline.wgsl?raw';
import { grid1d, type GpuRuntime, type KernelDef } from './runtime.ts';
import { RooflineParams } from './schemas.ts';

export const fmaPeakKernel: KernelDef<typeof RooflineParams> = {
  name: 'roofline_fma', code, entryPoint: 'fma_peak', params: RooflineParams, bindings: ['read', 'read_write'],
};

export const copyKernel: KernelDef<typeof RooflineParams> = {
  name: 'roofline_copy', code, entryPoint: 'copy', params: RooflineParams, bindings: ['read', 'read_write'],
};

/** The adapter's measured peaks. */
export interface MeasuredRoofline {
  gflops: number;
  gbps: number;
  fma: { invocations: number; iterations: number; gpu_ms: number };
  copy: { bytes: number; gpu_ms: number };
}

const FMA_INVOCATIONS = 256 * 1024;
const FLOPS_PER_ITERATION = 8 * 4 * 2;
/** Each measurement grows until one dispatch runs at least this long, so timer resolution does not matter. */
const MIN_GPU_MS = 20;

async function timedDispatch(rt: GpuRuntime, run: () => Promise<void>, repeats: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    await run();
    const report = await rt.timings();
    times.push((report.total_gpu_ns ?? 0) / 1e6);
  }
  return Math.min(...times);
}

/**
 * FMA throughput (GFLOP/s) from 8 independent vec4 FMA chains per invocation, and copy
 * bandwidth (GB/s, read + write bytes) through the largest storage buffer up to 256 MiB.
 * Both take the best of three runs of a dispatch long enough to time reliably.
 */
export async function measureRoofline(rt: GpuRuntime): Promise<MeasuredRoofline> {
  return rt.withOwner('roofline', async () => {
    const sink = rt.tensor('roofline.sink', [FMA_INVOCATIONS * 4]);
    const unused = rt.tensor('roofline.unused', [4]);
    const fma = (iterations: number) => rt.dispatch(fmaPeakKernel, { iterations, count: FMA_INVOCATIONS }, [unused.buffer, sink.buffer], grid1d(FMA_INVOCATIONS, 256), {
      flops: FMA_INVOCATIONS * iterations * FLOPS_PER_ITERATION, bytesRead: 0, bytesWritten: 16 * FMA_INVOCATIONS,
    });
    const probe = 256;
    const probeMs = await timedDispatch(rt, () => fma(probe), 1);
    const iterations = Math.min(1 << 20, Math.max(probe, Math.ceil((probe * MIN_GPU_MS) / Math.max(probeMs, 1e-3))));
    const fmaMs = await timedDispatch(rt, () => fma(iterations), 3);
    rt.release(sink, unused);

    const bytes = Math.min(256 * 2 ** 20, rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize);
    const count = Math.floor(bytes / 16);
    const source = rt.tensor('roofline.source', [count * 4]);
    const target = rt.tensor('roofline.target', [count * 4]);
    const copyRun = () => rt.dispatch(copyKernel, { iterations: 0, count }, [source.buffer, target.buffer], grid1d(count, 256), { flops: 0, bytesRead: 16 * count, bytesWritten: 16 * count });
    const copyMs = await timedDispatch(rt, copyRun, 3);
    rt.release(source, target);
    return {
      gflops: (FMA_INVOCATIONS * iterations * FLOPS_PER_ITERATION) / (fmaMs * 1e6),
      gbps: (32 * count) / (copyMs * 1e6),
      fma: { invocations: FMA_INVOCATIONS, iterations, gpu_ms: fmaMs },
      copy: { bytes: 32 * count, gpu_ms: copyMs },
    };
  });
}
