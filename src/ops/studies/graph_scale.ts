/**
 * Study "graph scale": the graph line-up (GCN, GAT, SAGE) on stochastic block models of
 * V = 10³ … 10⁵ nodes (about 10·V directed edges): wall time per full-graph training epoch and
 * peak GPU memory, measured, beside the message-passing cost the analysis gives for the same
 * spec (MACs, FLOPs and bytes of the graph layers' forward pass) and its predicted peak.
 */
import { InputError } from '../../analysis/errors.ts';
import { buildSummary } from '../../analysis/summary.ts';
import { lineup } from '../../analysis/zoo/compare_lineups.ts';
import { stochasticBlockModel } from '../../data/graph_tasks.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { runArchitecture, type CompareHooks } from '../compare.ts';
import { lineupEntries } from './common.ts';

export interface GraphScaleOptions {
  /** Node counts of the SBM graphs. */
  sizes: number[];
  archs: string[];
  /** Training epochs (full-graph steps) per run; the time per epoch is their median. */
  steps: number;
  seed: number;
}

/** The analysis' forward cost of the graph layers (GCNConv, GATConv, SAGEConv rows) of the trained spec. */
export interface MessagePassingCost {
  macs: number;
  flops: number;
  bytes_accessed: number;
}

/** One architecture on one graph. */
export interface GraphScaleRow {
  arch: string;
  nodes: number;
  edges: number;
  params: number;
  /** Median wall time of a training epoch (forward, loss, backward, Adam) over the graph. */
  epoch_ms: number;
  /** The first epoch alone (it includes compiling the pipelines). */
  first_epoch_ms: number;
  measured_peak_bytes: number;
  predicted_peak_bytes: number;
  message_passing: MessagePassingCost;
  /** Forward FLOPs of the whole model (analysis). */
  flops: number;
  test_accuracy: number | null;
}

/** What `nnx study graph-scale --json` prints. */
export interface GraphScaleReport {
  study: 'graph-scale';
  settings: GraphScaleOptions;
  rows: GraphScaleRow[];
}

/** The study's defaults. */
export const GRAPH_SCALE_DEFAULTS: GraphScaleOptions = { sizes: [1_000, 10_000, 100_000], archs: ['gcn', 'gat', 'sage'], steps: 5, seed: 0 };

const GRAPH_LAYERS = new Set(['GCNConv', 'GATConv', 'SAGEConv']);

/** Trains every architecture on every graph size (gradient statistics off: the epoch time is the training step's) and reports time and memory beside the analysis. */
export async function runGraphScale(rt: GpuRuntime, options: GraphScaleOptions, hooks: CompareHooks & { onRow?(row: GraphScaleRow): void } = {}): Promise<GraphScaleReport> {
  for (const v of options.sizes) if (!Number.isInteger(v) || v < 8) throw new InputError(`study graph-scale: node counts must be integers >= 8 (two per community), got ${v}`);
  const settings = { steps: options.steps, seed: options.seed, evalEvery: options.steps, optimizer: lineup('graph').optimizer, flowStats: false };
  const rows: GraphScaleRow[] = [];
  for (const v of options.sizes) {
    const ds = stochasticBlockModel(v, { seed: options.seed });
    const entries = lineupEntries('study graph-scale', 'graph', options.archs, { features: ds.numFeatures, outputs: ds.numClasses });
    for (const entry of entries) {
      const run = await runArchitecture(rt, entry, ds, settings, hooks);
      const cost: MessagePassingCost = { macs: 0, flops: 0, bytes_accessed: 0 };
      for (const r of buildSummary(run.spec).layers) {
        if (!GRAPH_LAYERS.has(r.type)) continue;
        cost.macs += r.macs;
        cost.flops += r.flops;
        cost.bytes_accessed += r.bytes_accessed;
      }
      const row: GraphScaleRow = {
        arch: entry.arch, nodes: v, edges: ds.edgeIndex.length / 2, params: run.params,
        epoch_ms: run.step_ms, first_epoch_ms: run.curve[0].wall_ms,
        measured_peak_bytes: run.measured_peak_bytes, predicted_peak_bytes: run.predicted_peak_bytes,
        message_passing: cost, flops: run.flops, test_accuracy: run.final.test_accuracy,
      };
      rows.push(row);
      hooks.onRow?.(row);
    }
  }
  return { study: 'graph-scale', settings: options, rows };
}
