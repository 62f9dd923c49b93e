import { formatBytes, formatCount, formatMBColumn, formatSeconds, formatSI, renderTable } from './format.ts';
import { analyzeModel, inclusiveTotals, type AnalyzeOptions, type ModelGraph } from './graph.ts';
import { elementBytes, memoryPlan, memoryPlans, type MemoryPlan } from './memory.ts';
import { DTYPE_BYTES, parseDType, parseOptimizer, type DType, type ModelSpec, type OptimizerName } from './model_spec.ts';
import { layerBytesAccessed, peakFlops, rooflinePoint, type DeviceProfile } from './roofline.ts';
import { formatShape, numel } from './tensor.ts';

/** One row of the report. Own numbers: summing a column over all rows gives the total. */
export interface SummaryRow {
  /** Dotted path as in PyTorch's named_modules. */
  name: string;
  type: string;
  depth: number;
  is_container: boolean;
  /** True when the output is a view of the input (Flatten, Select, Dropout p = 0). */
  is_view: boolean;
  input_shapes: number[][];
  output_shape: number[];
  /** Parameters of this row's own op (a container's children are on their rows). */
  params: number;
  /** Parameters one token's forward pass touches: an MoE counts its router and top_k experts; otherwise = params. */
  active_params: number;
  trainable_params: number;
  /** Non-trainable buffers such as BatchNorm's running_mean and running_var (elements). */
  buffers: number;
  macs: number;
  flops: number;
  /** (params + buffers) × dtype size. */
  weight_bytes: number;
  /** New memory this row's output takes (0 for views and plain containers). */
  output_bytes: number;
  /** Bytes of what autograd keeps for this op (tensors may be shared with other rows). */
  saved_bytes: number;
  /** Forward traffic: inputs + weights + output. */
  bytes_accessed: number;
  /** FLOPs per byte accessed; null when nothing is moved. */
  arithmetic_intensity: number | null;
  param_shapes: Record<string, number[]>;
  buffer_shapes: Record<string, number[]>;
  /** This row and everything inside it. */
  inclusive: { params: number; trainable_params: number; buffers: number; macs: number; flops: number };
  derivation?: string[];
  notes?: string[];
  roofline?: { time_s: number; bound: 'compute' | 'memory' | 'none' };
}

export interface SummaryTotals {
  params: number;
  /** Parameters one token's forward pass touches (router + top_k experts of each MoE); = params for a dense model. */
  active_params: number;
  trainable_params: number;
  non_trainable_params: number;
  buffers: number;
  macs: number;
  flops: number;
  param_bytes: number;
  buffer_bytes: number;
  input_bytes: number;
  /** Every layer output's new memory, summed (what a forward pass writes). */
  activation_bytes: number;
  /** What autograd keeps for backward, each tensor once. */
  saved_activation_bytes: number;
  training_peak_bytes: number;
  inference_peak_bytes: number;
  /** Roofline time of the forward pass on the device, when one is given. */
  roofline_time_s?: number;
}

export interface SummaryReport {
  model: string;
  input_shape: number[];
  input_dtype: 'float32' | 'int64';
  output_shape: number[];
  dtype: DType;
  optimizer: OptimizerName;
  layers: SummaryRow[];
  totals: SummaryTotals;
  memory: MemoryPlan;
  memory_by_dtype: MemoryPlan[];
  device?: DeviceProfile & { ridge_point_flops_per_byte: number };
  roofline?: { time_s: number; compute_bound_layers: number; memory_bound_layers: number };
  units: Record<string, string>;
}

export interface SummaryOptions extends AnalyzeOptions {
  dtype?: DType | string;
  optimizer?: OptimizerName | string;
  device?: DeviceProfile;
}

const UNITS = {
  macs: 'multiply-accumulates of conv, linear, attention (Q·Kᵀ, P·V), recurrent (every time step) and message-passing matmuls',
  flops: 'all arithmetic of the forward pass: 2 per MAC plus biases, norms, activations, pooling, softmax, adds',
  bytes: 'bytes; the text table shows MB = 10^6 bytes and MiB = 2^20 bytes',
  params: 'parameters (nn.Parameter elements); buffers (running statistics) are counted apart',
  active_params: 'parameters one token touches: an MoE counts its router and top_k experts, a dense model all parameters',
};

/** Builds the per-layer report of a spec: rows, totals, memory plan and (with a device) roofline. */
export function buildSummary(spec: ModelSpec, opts: SummaryOptions = {}): SummaryReport {
  const graph = analyzeModel(spec, opts);
  const dtype = parseDType(opts.dtype ?? spec.dtype ?? 'fp32', 'dtype');
  const optimizer = parseOptimizer(opts.optimizer ?? spec.optimizer ?? 'adam').type;
  return summarizeGraph(graph, dtype, optimizer, opts.device);
}

/** The report of an analyzed graph. */
export function summarizeGraph(graph: ModelGraph, dtype: DType, optimizer: OptimizerName, device?: DeviceProfile): SummaryReport {
  const b = DTYPE_BYTES[dtype];
  const inc = inclusiveTotals(graph);
  if (device) peakFlops(device, dtype);
  const rows: SummaryRow[] = graph.layers.map((l, i) => {
    const bytesAccessed = layerBytesAccessed(l, dtype);
    const ownsOutput = !l.view && !(l.container && l.flops === 0);
    const row: SummaryRow = {
      name: l.name, type: l.type, depth: l.depth, is_container: l.container, is_view: l.view,
      input_shapes: l.inputShapes, output_shape: l.outputShape,
      params: l.paramCount, active_params: l.activeParamCount, trainable_params: l.trainable ? l.paramCount : 0, buffers: l.bufferCount,
      macs: l.macs, flops: l.flops,
      weight_bytes: (l.paramCount + l.bufferCount) * b,
      output_bytes: ownsOutput ? numel(l.outputShape) * elementBytes(l.outputKind === 'int' ? 'int64' : 'float', dtype) : 0,
      saved_bytes: l.saved.reduce((s, t) => s + t.elements * elementBytes(t.kind, dtype), 0),
      bytes_accessed: bytesAccessed,
      arithmetic_intensity: bytesAccessed > 0 ? l.flops / bytesAccessed : null,
      param_shapes: Object.fromEntries(l.params.map((p) => [p.name, p.shape])),
      buffer_shapes: Object.fromEntries(l.buffers.map((p) => [p.name, p.shape])),
      inclusive: { params: inc[i].params, trainable_params: inc[i].trainableParams, buffers: inc[i].buffers, macs: inc[i].macs, flops: inc[i].flops },
    };
    if (l.derivation) row.derivation = l.derivation;
    if (l.notes) row.notes = l.notes;
    if (device) {
      const p = rooflinePoint(l.flops, bytesAccessed, device, dtype);
      row.roofline = { time_s: p.time_s, bound: p.bound };
    }
    return row;
  });
  const sum = (f: (r: SummaryRow) => number): number => rows.reduce((s, r) => s + f(r), 0);
  const plan = memoryPlan(graph, dtype, optimizer);
  const params = sum((r) => r.params);
  const trainable = sum((r) => r.trainable_params);
  const buffers = sum((r) => r.buffers);
  const totals: SummaryTotals = {
    params, active_params: sum((r) => r.active_params), trainable_params: trainable, non_trainable_params: params - trainable, buffers,
    macs: sum((r) => r.macs), flops: sum((r) => r.flops),
    param_bytes: params * b, buffer_bytes: buffers * b,
    input_bytes: numel(graph.input.shape) * elementBytes(graph.input.kind === 'int' ? 'int64' : 'float', dtype),
    activation_bytes: sum((r) => r.output_bytes),
    saved_activation_bytes: plan.saved_activation_bytes,
    training_peak_bytes: plan.peak_bytes,
    inference_peak_bytes: plan.inference_peak_bytes,
  };
  const report: SummaryReport = {
    model: graph.name, input_shape: graph.input.shape, input_dtype: graph.input.kind === 'int' ? 'int64' : 'float32',
    output_shape: graph.output.shape, dtype, optimizer, layers: rows, totals,
    memory: plan, memory_by_dtype: memoryPlans(graph, optimizer), units: UNITS,
  };
  if (device) {
    const time = sum((r) => r.roofline?.time_s ?? 0);
    totals.roofline_time_s = time;
    report.device = { ...device, ridge_point_flops_per_byte: peakFlops(device, dtype) / device.bandwidth_bytes_per_s };
    report.roofline = {
      time_s: time,
      compute_bound_layers: rows.filter((r) => r.roofline?.bound === 'compute').length,
      memory_bound_layers: rows.filter((r) => r.roofline?.bound === 'memory').length,
    };
  }
  return report;
}

/** Options of the text table. */
export interface TableOptions {
  /** Rows deeper than this are folded into their container (which then shows its totals). */
  maxDepth?: number;
}

/**
 * A torchinfo-style text table: depth-indented names, output shape, params, MACs, FLOPs,
 * output and saved memory (MB = 10^6 bytes), roofline time when a device is given; then totals,
 * the training-memory plan and the peak for every dtype.
 */
export function formatSummaryTable(r: SummaryReport, opts: TableOptions = {}): string {
  const maxDepth = opts.maxDepth ?? Infinity;
  const withTime = !!r.device;
  const header = ['Layer (type)', 'Output shape', 'Params', 'MACs', 'FLOPs', 'Out MB', 'Saved MB'];
  if (withTime) header.push('Time', 'Bound');
  const table: string[][] = [header];
  r.layers.forEach((row, i) => {
    if (row.depth > maxDepth) return;
    const collapsed = row.is_container && row.depth === maxDepth;
    const expanded = row.is_container && !collapsed;
    const leafName = row.name.slice(row.name.lastIndexOf('.') + 1);
    const label = `${'  '.repeat(row.depth - 1)}${leafName} (${row.type})`;
    let params: string;
    let macs: string;
    let flops: string;
    if (collapsed) {
      params = formatCount(row.inclusive.params);
      macs = formatCount(row.inclusive.macs);
      flops = formatCount(row.inclusive.flops);
    } else if (expanded) {
      params = row.params ? formatCount(row.params) : '--';
      macs = row.macs ? formatCount(row.macs) : '--';
      flops = row.flops ? formatCount(row.flops) : '--';
    } else {
      params = formatCount(row.params);
      macs = formatCount(row.macs);
      flops = formatCount(row.flops);
    }
    // A folded container also shows what its rows below hold (they follow it, deeper, in pre-order).
    let outBytes = row.output_bytes;
    let savedBytes = row.saved_bytes;
    let time = row.roofline?.time_s ?? 0;
    if (collapsed) {
      for (let j = i + 1; j < r.layers.length && r.layers[j].depth > row.depth; j++) {
        outBytes += r.layers[j].output_bytes;
        savedBytes += r.layers[j].saved_bytes;
        time += r.layers[j].roofline?.time_s ?? 0;
      }
    }
    const line = [label, formatShape(row.output_shape), params, macs, flops, formatMBColumn(outBytes), formatMBColumn(savedBytes)];
    if (withTime) {
      const bound = expanded || collapsed || row.roofline?.bound === 'none' ? '' : (row.roofline?.bound ?? '');
      line.push(expanded && time === 0 ? '--' : formatSeconds(time), bound);
    }
    table.push(line);
  });
  const align: ('l' | 'r')[] = ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'];
  const lines = renderTable(table, align);
  const width = Math.max(...lines.map((l) => [...l].length));
  const rule = '='.repeat(width);
  const t = r.totals;
  const m = r.memory;
  const out: string[] = [rule, `Model: ${r.model}    input ${formatShape(r.input_shape)} ${r.input_dtype}    output ${formatShape(r.output_shape)}    dtype ${r.dtype}`, rule, lines[0], '-'.repeat(width), ...lines.slice(1), rule];
  out.push(
    `Total params:         ${formatCount(t.params)} (trainable ${formatCount(t.trainable_params)}, non-trainable ${formatCount(t.non_trainable_params)})`,
    ...(t.active_params !== t.params ? [`Active params:        ${formatCount(t.active_params)} per token (router + top-k experts of each MoE)`] : []),
    `Buffers:              ${formatCount(t.buffers)} (running statistics, not parameters)`,
    `Total MACs:           ${formatCount(t.macs)} (${formatSI(t.macs)}MACs)`,
    `Total FLOPs:          ${formatCount(t.flops)} (${formatSI(t.flops)}FLOPs)`,
    rule,
    `Memory (${r.dtype}, optimizer ${r.optimizer}; MB = 10^6 bytes, MiB = 2^20 bytes)`,
    `  input                ${formatBytes(t.input_bytes)}`,
    `  parameters           ${formatBytes(m.parameter_bytes)}`,
    `  buffers              ${formatBytes(m.buffer_bytes)}`,
    `  gradients            ${formatBytes(m.gradient_bytes)}`,
    `  optimizer state      ${formatBytes(m.optimizer_state_bytes)}`,
    `  saved activations    ${formatBytes(m.saved_activation_bytes)}`,
    `  largest transient    ${formatBytes(m.largest_transient_bytes)}${m.largest_transient_layer ? ` (${m.largest_transient_layer})` : ''}`,
    `  backward peak        ${formatBytes(m.backward_peak_bytes)}${m.backward_peak_layer ? ` (${m.backward_peak_layer}: still-saved activations + its working set)` : ''}`,
    `  training peak        ${formatBytes(m.peak_bytes)}`,
    `  inference peak       ${formatBytes(m.inference_peak_bytes)}`,
    `  forward outputs      ${formatBytes(t.activation_bytes)} (every layer output, summed)`,
    `Training peak by dtype: ${r.memory_by_dtype.map((p) => `${p.dtype} ${(p.peak_bytes / 1e6).toFixed(2)} MB`).join(' · ')}`,
  );
  if (r.device && r.roofline) {
    out.push(
      rule,
      `Roofline on ${r.device.name} (${r.dtype} peak ${formatSI(peakFlops(r.device, r.dtype))}FLOP/s, ${formatSI(r.device.bandwidth_bytes_per_s)}B/s; ridge ${r.device.ridge_point_flops_per_byte.toFixed(1)} FLOP/byte)`,
      `  forward time (lower bound) ${formatSeconds(r.roofline.time_s)}; ${r.roofline.compute_bound_layers} layers compute-bound, ${r.roofline.memory_bound_layers} memory-bound`,
      `  source: ${r.device.source}`,
    );
  }
  out.push(rule);
  return out.join('\n');
}
