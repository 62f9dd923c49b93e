/**
 * Predicted (analysis `memoryPlan`) against measured (ledger) peak memory of one training step,
 * with the live buffers at the measured peak grouped into the plan's categories so the
 * difference is named buffer by buffer.
 */
import type { MemoryPlan } from '../../analysis/memory.ts';
import type { LedgerEntry } from '../../kernels/ledger.ts';

export interface MemoryCategory {
  category: string;
  predicted_bytes: number | null;
  measured_bytes: number;
  /** The live buffers of this category at the peak (largest first, at most 12). */
  buffers: { label: string; owner: string; bytes: number }[];
}

export interface MemoryComparison {
  predicted_peak_bytes: number;
  measured_peak_bytes: number;
  /** measured / predicted − 1. */
  relative_difference: number;
  plan: MemoryPlan;
  categories: MemoryCategory[];
  /** Categories whose measured and predicted bytes differ by more than 1% of the predicted peak. */
  differences: MemoryCategory[];
}

/** Which plan category a live buffer belongs to, by the owner the executor gave it. */
function categoryOf(e: LedgerEntry): string {
  if (e.label.endsWith(' params')) return 'uniform params (not in the plan)';
  if (e.owner === 'parameters') return 'parameters';
  if (e.owner === 'buffers') return 'buffers';
  if (e.owner === 'gradients') return 'gradients';
  if (e.owner === 'optimizer state') return 'optimizer state';
  if (e.owner.startsWith('forward ')) return 'saved activations';
  if (e.owner.startsWith('backward ') || e.owner === 'loss' || e.owner === 'optimizer') return 'transient (backward working set)';
  if (e.owner === 'data') return 'targets (not in the plan)';
  return `${e.owner} (not in the plan)`;
}

/** The live ledger entries at the highest live-bytes moment between two ledger clocks. */
export function liveAtPeak(entries: LedgerEntry[], from: number, to: number): { bytes: number; live: LedgerEntry[] } {
  const events: [number, LedgerEntry, 1 | -1][] = [];
  for (const e of entries) {
    events.push([e.created, e, 1]);
    if (e.destroyed !== null) events.push([e.destroyed, e, -1]);
  }
  events.sort((a, b) => a[0] - b[0]);
  let live = 0;
  let best = -1;
  let bestClock = from;
  for (const [clock, e, sign] of events) {
    if (clock > to) break;
    live += sign * e.bytes;
    if (clock >= from && live > best) {
      best = live;
      bestClock = clock;
    }
  }
  const set = entries.filter((e) => e.created <= bestClock && (e.destroyed === null || e.destroyed > bestClock));
  return { bytes: Math.max(best, 0), live: set };
}

/** Compares the plan with the live buffers at the measured peak of the step between `clock[0]` and `clock[1]`. */
export function compareMemory(plan: MemoryPlan, entries: LedgerEntry[], clock: [number, number], measuredPeak: number): MemoryComparison {
  const { live } = liveAtPeak(entries, clock[0], clock[1]);
  const groups = new Map<string, LedgerEntry[]>();
  for (const e of live) groups.set(categoryOf(e), [...(groups.get(categoryOf(e)) ?? []), e]);
  const predicted: Record<string, number> = {
    parameters: plan.parameter_bytes,
    buffers: plan.buffer_bytes,
    gradients: plan.gradient_bytes,
    'optimizer state': plan.optimizer_state_bytes,
    'saved activations': plan.saved_activation_bytes,
    'transient (backward working set)': plan.largest_transient_bytes,
  };
  const names = [...new Set([...Object.keys(predicted), ...groups.keys()])];
  const categories: MemoryCategory[] = names.map((category) => {
    const list = (groups.get(category) ?? []).sort((a, b) => b.bytes - a.bytes);
    return {
      category,
      predicted_bytes: category in predicted ? predicted[category] : null,
      measured_bytes: list.reduce((s, e) => s + e.bytes, 0),
      buffers: list.slice(0, 12).map((e) => ({ label: e.label, owner: e.owner, bytes: e.bytes })),
    };
  });
  const tolerance = 0.01 * plan.peak_bytes;
  return {
    predicted_peak_bytes: plan.peak_bytes,
    measured_peak_bytes: measuredPeak,
    relative_difference: measuredPeak / plan.peak_bytes - 1,
    plan,
    categories,
    differences: categories.filter((c) => Math.abs(c.measured_bytes - (c.predicted_bytes ?? 0)) > tolerance),
  };
}
