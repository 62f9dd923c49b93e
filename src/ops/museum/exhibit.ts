/**
 * The failure-case museum's shared shapes: an exhibit runs a broken model and its fix on the
 * GPU and reports, for each, the spec, the verdicts and the numbers that prove them. Browser-safe
 * (no Node imports): the Museum page runs the same exhibits on the browser's GPU.
 */
import { diagnose, type LayerFlow, type Verdict, type VerdictKind } from '../../analysis/gradient_health.ts';
import { memoryPlan } from '../../analysis/memory.ts';
import type { ModelSpec } from '../../analysis/model_spec.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { modelTraits } from '../executor/diagnose.ts';
import { Executor, type ExecutorOptions, type StepResult } from '../executor/executor.ts';

/** `nnx diagnose`'s verdict kinds plus the museum's own: a layer holding most parameters, and values past a dtype's range. */
export type MuseumVerdictKind = VerdictKind | 'param_explosion' | 'overflow';

/** One verdict as the museum reports it. */
export interface MuseumVerdict {
  kind: MuseumVerdictKind;
  layer: string;
  message: string;
}

/** One side of an exhibit: what ran (a ModelSpec, or an op description), what was judged, and the measured evidence. */
export interface MuseumSide {
  spec: ModelSpec | Record<string, unknown>;
  verdicts: MuseumVerdict[];
  evidence: Record<string, unknown>;
}

/** One exhibit: the broken model and the fixed one beside it. */
export interface MuseumExhibit {
  exhibit: string;
  title: string;
  /** What the exhibit shows and what the fix changes, in one or two sentences. */
  description: string;
  broken: MuseumSide;
  fixed: MuseumSide;
}

/** An exhibit by name, with the runner that produces it on a GPU runtime. */
export interface ExhibitDefinition {
  name: string;
  title: string;
  run(rt: GpuRuntime): Promise<MuseumExhibit>;
}

/** An exhibit whose two sides come from one runner, called with `fixed` false (broken), then true. */
export function exhibitPair(name: string, title: string, description: string, side: (rt: GpuRuntime, fixed: boolean) => Promise<MuseumSide>): ExhibitDefinition {
  return {
    name, title,
    async run(rt) {
      return { exhibit: name, title, description, broken: await side(rt, false), fixed: await side(rt, true) };
    },
  };
}

/** One leaf layer's gradient flow, trimmed to the numbers a verdict quotes. */
export interface FlowRow {
  name: string;
  type: string;
  activation_rms: number;
  activation_max_abs: number;
  /** RMS of ∂L/∂(layer output); null when the output does not reach the loss. */
  grad_rms: number | null;
  /** ‖∂L/∂W‖ of the layer's main weight (rank ≥ 2), when it has one. */
  weight_grad_norm?: number;
  /** ‖ΔW‖/‖W‖ of the last step. */
  update_ratio?: number | null;
  dead_fraction?: number;
  saturated_fraction?: number;
  grad_h_norm?: number[];
}

/** The main weight of a layer: its first parameter of rank ≥ 2. */
export function mainWeight(l: LayerFlow) {
  return l.params.find((p) => p.shape.length >= 2);
}

/** A layer's flow statistics as a FlowRow. */
export function flowRow(l: LayerFlow): FlowRow {
  const w = mainWeight(l);
  const row: FlowRow = { name: l.name, type: l.type, activation_rms: l.activation.rms, activation_max_abs: l.activation.max_abs, grad_rms: l.grad?.rms ?? null };
  if (w) {
    row.weight_grad_norm = w.grad_norm;
    row.update_ratio = w.update_ratio;
  }
  if (l.dead_fraction !== undefined) row.dead_fraction = l.dead_fraction;
  if (l.saturated_fraction !== undefined) row.saturated_fraction = l.saturated_fraction;
  if (l.grad_h_norm) row.grad_h_norm = l.grad_h_norm;
  return row;
}

/** ‖∂L/∂W‖ of the first weight layer over the last one's (the gradient's reach to the input side). */
export function firstToLast(layers: LayerFlow[]): number | null {
  const weights = layers.map(mainWeight).filter((w) => w !== undefined);
  if (weights.length < 2 || !(weights[weights.length - 1].grad_norm > 0)) return null;
  return weights[0].grad_norm / weights[weights.length - 1].grad_norm;
}

/**
 * One verdict per kind: the first layer's, with the other layers that got the same verdict
 * named after it (a 100-layer net can have a dead-ReLU verdict at every activation).
 */
export function condenseVerdicts(verdicts: { kind: VerdictKind; layer: string; message: string }[]): MuseumVerdict[] {
  const out: MuseumVerdict[] = [];
  for (const kind of [...new Set(verdicts.map((v) => v.kind))]) {
    const same = verdicts.filter((v) => v.kind === kind);
    const others = same.slice(1).map((v) => v.layer);
    const more = others.length === 0 ? '' : `; the same at ${others.length} more layer${others.length > 1 ? 's' : ''} (${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''})`;
    out.push({ kind, layer: same[0].layer, message: same[0].message + more });
  }
  return out;
}

/** What diagnoseSide ran: the museum side, and the last step's full result. */
export interface SideRun {
  side: MuseumSide;
  last: StepResult;
  /** The analysis' predicted training peak (fp32, the run's optimizer). */
  predicted_peak_bytes: number;
}

/**
 * Trains `spec` for `steps` steps with gradient-flow statistics, as `nnx diagnose` does (the
 * spec's `weights` are loaded first), judges every step with its rules and returns the museum
 * side: the verdicts, the loss by step, the first-to-last gradient ratio, the measured peak and
 * the layers `keep` selects (default: every layer with a weight, and every ReLU, Sigmoid and Tanh). `keepAll` also reads back every
 * layer's output of the last step.
 */
export async function diagnoseSide(
  rt: GpuRuntime, spec: ModelSpec, steps: number, options: ExecutorOptions = {},
  keep: (l: LayerFlow) => boolean = (l) => mainWeight(l) !== undefined || l.dead_fraction !== undefined || l.saturated_fraction !== undefined, keepAll = false,
): Promise<SideRun> {
  const ex = await Executor.create(rt, spec, options);
  try {
    if (spec.weights) ex.loadWeights(Object.fromEntries(Object.entries(spec.weights).map(([name, t]) => [name, { shape: t.shape, data: t.data as number[] }])));
    const traits = modelTraits(spec, ex);
    const verdicts: Verdict[] = [];
    const results: StepResult[] = [];
    for (let k = 0; k < steps; k++) {
      const r = await ex.step(keepAll && k === steps - 1 ? { keep: 'all' } : {});
      results.push(r);
      for (const v of diagnose(r.layers, traits, r.loss)) if (!verdicts.some((w) => w.kind === v.kind && w.layer === v.layer)) verdicts.push(v);
    }
    const last = results[results.length - 1];
    const predicted = memoryPlan(ex.graph, 'fp32', ex.optimizer.type).peak_bytes;
    const side: MuseumSide = {
      spec,
      verdicts: condenseVerdicts(verdicts),
      evidence: {
        loss: jsonNumbers(results.map((r) => r.loss)),
        optimizer: { type: ex.optimizer.type, lr: ex.optimizer.lr },
        first_to_last: firstToLast(last.layers),
        predicted_peak_bytes: predicted,
        measured_peak_bytes: results[0].peak_bytes,
        layers: last.layers.filter(keep).map(flowRow),
      },
    };
    return { side, last, predicted_peak_bytes: predicted };
  } finally {
    ex.dispose();
  }
}

/** A number for JSON: NaN and ±inf (which JSON.stringify turns into null) as the strings "NaN", "Infinity", "-Infinity". */
export function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

/** jsonNumber over a list. */
export function jsonNumbers(values: ArrayLike<number>): (number | string)[] {
  return Array.from(values, jsonNumber);
}
