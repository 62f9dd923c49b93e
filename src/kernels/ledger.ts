/** One GPU buffer as the ledger saw it. */
export interface LedgerEntry {
  id: number;
  label: string;
  owner: string;
  bytes: number;
  usage: string[];
  /** Order of creation among ledger events. */
  created: number;
  /** Order of destruction, or null while live. */
  destroyed: number | null;
  /** Whether the runtime's pool gave it a GPU buffer it already had (no new GPU buffer). */
  pool_hit: boolean;
}

/** Ledger totals, as `nnx run` prints them. */
export interface LedgerSummary {
  live_bytes: number;
  peak_bytes: number;
  buffers_created: number;
  buffers_live: number;
  buffers: LedgerEntry[];
  /** The real GPU buffers behind the logical ones (pooled, size-classed, uniforms included). */
  gpu: GpuBufferCounts;
}

/** Real GPU buffers: how many were ever created, bytes held now (pool included) and at most. */
export interface GpuBufferCounts {
  buffers_created: number;
  bytes: number;
  peak_bytes: number;
  pool_hits: number;
}

const USAGE_NAMES: [number, string][] = [
  [0x0001, 'MAP_READ'], [0x0002, 'MAP_WRITE'], [0x0004, 'COPY_SRC'], [0x0008, 'COPY_DST'],
  [0x0010, 'INDEX'], [0x0020, 'VERTEX'], [0x0040, 'UNIFORM'], [0x0080, 'STORAGE'],
  [0x0100, 'INDIRECT'], [0x0200, 'QUERY_RESOLVE'],
];

/** Names the flags of a GPUBufferUsage bit set. */
export function usageNames(usage: number): string[] {
  return USAGE_NAMES.filter(([bit]) => usage & bit).map(([, name]) => name);
}

/**
 * Records every logical buffer (a tensor, a staging or timestamp buffer) created and destroyed,
 * with live and peak bytes at any moment, and apart from them the real GPU buffers the
 * runtime's pool creates and keeps.
 */
export class Ledger {
  readonly entries: LedgerEntry[] = [];
  liveBytes = 0;
  peakBytes = 0;
  readonly gpu: GpuBufferCounts = { buffers_created: 0, bytes: 0, peak_bytes: 0, pool_hits: 0 };
  private clock = 0;

  /** Records a new logical buffer and returns its ledger id. */
  create(label: string, owner: string, bytes: number, usage: number, poolHit = false): number {
    const entry: LedgerEntry = {
      id: this.entries.length, label, owner, bytes, usage: usageNames(usage), created: this.clock++, destroyed: null, pool_hit: poolHit,
    };
    if (poolHit) this.gpu.pool_hits += 1;
    this.entries.push(entry);
    this.liveBytes += bytes;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return entry.id;
  }

  /** Records the destruction of a buffer; a second call for the same id is ignored. */
  destroy(id: number): void {
    const entry = this.entries[id];
    if (!entry || entry.destroyed !== null) return;
    entry.destroyed = this.clock++;
    this.liveBytes -= entry.bytes;
  }

  /** Records a real GPU buffer created. */
  allocated(bytes: number): void {
    this.gpu.buffers_created += 1;
    this.gpu.bytes += bytes;
    this.gpu.peak_bytes = Math.max(this.gpu.peak_bytes, this.gpu.bytes);
  }

  /** Records a real GPU buffer destroyed. */
  freed(bytes: number): void {
    this.gpu.bytes -= bytes;
  }

  /** Starts a new peak measurement from the current live bytes. */
  resetPeak(): void {
    this.peakBytes = this.liveBytes;
  }

  /** The totals and every entry, for reports. */
  summary(): LedgerSummary {
    return {
      live_bytes: this.liveBytes,
      peak_bytes: this.peakBytes,
      buffers_created: this.entries.length,
      buffers_live: this.entries.filter((e) => e.destroyed === null).length,
      buffers: this.entries.map((e) => ({ ...e, usage: [...e.usage] })),
      gpu: { ...this.gpu },
    };
  }
}
