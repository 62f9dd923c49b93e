/** What a kernel dispatch costs, as its wrapper states it. */
export interface KernelCost {
  flops: number;
  bytesRead: number;
  bytesWritten: number;
}

/** One timed dispatch. `gpu_ns` is null when the adapter has no timestamp queries. */
export interface KernelTiming {
  kernel: string;
  op: string;
  flops: number;
  bytes: number;
  gpu_ns: number | null;
}

/** Timings of a run: every dispatch in order, and per-kernel totals. */
export interface TimingReport {
  timestamps: 'available' | 'unavailable: the adapter lacks the timestamp-query feature';
  dispatches: KernelTiming[];
  total_gpu_ns: number | null;
}

const QUERIES_PER_SET = 2048;

interface PendingSet {
  querySet: GPUQuerySet;
  used: number;
}

/**
 * Wraps compute passes in `timestamp-query` writes. Each dispatch gets its own pass with a
 * begin and an end timestamp; `collect` resolves them all after the work was submitted.
 */
export class Profiler {
  private sets: PendingSet[] = [];
  private records: { timing: KernelTiming; set: number; index: number }[] = [];
  /** The latest report that timed any dispatch (for callers whose work collected it itself). */
  lastReport: TimingReport | null = null;
  /** Query sets already resolved, reused by later dispatches. */
  private readonly spareSets: GPUQuerySet[] = [];

  constructor(
    private readonly device: GPUDevice,
    readonly enabled: boolean,
    private readonly createBuffer: (label: string, size: number, usage: number) => GPUBuffer,
    private readonly destroyBuffer: (buffer: GPUBuffer) => void,
  ) {}

  /** A compute pass descriptor that records this dispatch's GPU time when timestamps exist. */
  passFor(kernel: string, op: string, cost: KernelCost): GPUComputePassDescriptor {
    const timing: KernelTiming = { kernel, op, flops: cost.flops, bytes: cost.bytesRead + cost.bytesWritten, gpu_ns: null };
    if (!this.enabled) {
      this.records.push({ timing, set: -1, index: -1 });
      return { label: kernel };
    }
    let current = this.sets[this.sets.length - 1];
    if (!current || current.used + 2 > QUERIES_PER_SET) {
      current = { querySet: this.spareSets.pop() ?? this.device.createQuerySet({ type: 'timestamp', count: QUERIES_PER_SET }), used: 0 };
      this.sets.push(current);
    }
    const index = current.used;
    current.used += 2;
    this.records.push({ timing, set: this.sets.length - 1, index });
    return {
      label: kernel,
      timestampWrites: { querySet: current.querySet, beginningOfPassWriteIndex: index, endOfPassWriteIndex: index + 1 },
    };
  }

  /** Forgets the dispatches recorded since the last `collect` (work dropped before it was submitted). */
  discard(): void {
    for (const set of this.sets) this.spareSets.push(set.querySet);
    this.sets = [];
    this.records = [];
  }

  /** Resolves every pending timestamp and returns the report; the profiler starts empty again. */
  async collect(): Promise<TimingReport> {
    const records = this.records;
    const sets = this.sets;
    this.records = [];
    this.sets = [];
    if (this.enabled && sets.length > 0) {
      const encoder = this.device.createCommandEncoder({ label: 'profiler resolve' });
      const staging: GPUBuffer[] = [];
      const temporaries: GPUBuffer[] = [];
      for (const set of sets) {
        const bytes = set.used * 8;
        const resolve = this.createBuffer('timestamps', bytes, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
        const read = this.createBuffer('timestamps readback', bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
        encoder.resolveQuerySet(set.querySet, 0, set.used, resolve, 0);
        encoder.copyBufferToBuffer(resolve, 0, read, 0, bytes);
        staging.push(read);
        temporaries.push(resolve, read);
      }
      this.device.queue.submit([encoder.finish()]);
      let values: BigUint64Array[];
      try {
        await Promise.all(staging.map((b) => b.mapAsync(GPUMapMode.READ)));
        values = staging.map((b) => {
          const copy = new BigUint64Array(b.getMappedRange(0, b.size).slice(0));
          b.unmap();
          return copy;
        });
      } catch (e) {
        for (const b of temporaries) this.destroyBuffer(b);
        throw e;
      }
      for (const r of records) {
        const begin = values[r.set][r.index];
        const end = values[r.set][r.index + 1];
        r.timing.gpu_ns = end >= begin ? Number(end - begin) : 0;
      }
      for (const b of temporaries) this.destroyBuffer(b);
      for (const set of sets) this.spareSets.push(set.querySet);
    }
    const dispatches = records.map((r) => r.timing);
    const report: TimingReport = {
      timestamps: this.enabled ? 'available' : 'unavailable: the adapter lacks the timestamp-query feature',
      dispatches,
      total_gpu_ns: this.enabled ? dispatches.reduce((s, t) => s + (t.gpu_ns ?? 0), 0) : null,
    };
    if (dispatches.length > 0) this.lastReport = report;
    return report;
  }
}
