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
}

/** Ledger totals, as `nnx run` prints them. */
export interface LedgerSummary {
  live_bytes: number;
  peak_bytes: number;
  buffers_created: number;
  buffers_live: number;
  buffers: LedgerEntry[];
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

/** Records every buffer created and destroyed, with live and peak bytes at any moment. */
export class Ledger {
  readonly entries: LedgerEntry[] = [];
  liveBytes = 0;
  peakBytes = 0;
  private clock = 0;

  /** Records a new buffer and returns its ledger id. */
  create(label: string, owner: string, bytes: number, usage: number): number {
    const entry: LedgerEntry = {
      id: this.entries.length, label, owner, bytes, usage: usageNames(usage), created: this.clock++, destroyed: null,
    };
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
    };
  }
}
