/**
 * A diagnosis run: K training steps of a ModelSpec on the GPU, the gradient-flow table of the
 * last step, verdicts (from every step), and predicted vs measured peak memory of the first step.
 */
import { analyzeModel } from '../../analysis/graph.ts';
import { diagnose, type LayerFlow, type ModelTraits, type Verdict } from '../../analysis/gradient_health.ts';
import { memoryPlan } from '../../analysis/memory.ts';
import type { LayerSpec, ModelSpec } from '../../analysis/model_spec.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { Executor, type ExecutorOptions, type OptimizerConfig } from './executor.ts';
import { compareMemory, type MemoryComparison } from './memory_report.ts';

export interface DiagnoseReport {
  model: string;
  input_shape: number[];
  loss_fn: string;
  optimizer: OptimizerConfig;
  seed: number;
  init: string;
  steps: { step: number; loss: number; peak_bytes: number; wall_ms: number }[];
  /** The last step's gradient flow, one row per leaf layer in forward order. */
  layers: LayerFlow[];
  verdicts: Verdict[];
  memory: MemoryComparison;
}

function walk(layers: LayerSpec[], visit: (l: LayerSpec) => void): void {
  for (const l of layers) {
    visit(l);
    for (const key of ['layers', 'body', 'shortcut']) {
      const v = l[key];
      if (Array.isArray(v)) walk(v as LayerSpec[], visit);
      else if (v && typeof v === 'object') walk([v as LayerSpec], visit);
    }
  }
}

/** Activation, norm, residual and recurrent traits of a spec, for the advice. */
export function modelTraits(spec: ModelSpec, ex: Executor): ModelTraits {
  const types = new Set<string>();
  walk(spec.layers, (l) => types.add(l.type));
  return {
    activations: [...types].filter((t) => ['ReLU', 'LeakyReLU', 'GELU', 'SiLU', 'Sigmoid', 'Tanh'].includes(t)),
    hasNorm: [...types].some((t) => /Norm/.test(t)),
    hasResidual: types.has('Residual') || types.has('Add'),
    recurrent: [...types].filter((t) => ['RNN', 'LSTM', 'GRU'].includes(t)),
    init: ex.initScheme,
    lr: ex.optimizer.lr,
    optimizer: ex.optimizer.type,
  };
}

/** Runs `steps` training steps and judges them. */
export async function runDiagnosis(rt: GpuRuntime, spec: ModelSpec, steps = 1, options: ExecutorOptions = {}): Promise<DiagnoseReport> {
  const ex = await Executor.create(rt, spec, options);
  try {
    const traits = modelTraits(spec, ex);
    const results = [];
    const verdicts: Verdict[] = [];
    for (let k = 0; k < steps; k++) {
      const r = await ex.step();
      results.push(r);
      for (const v of diagnose(r.layers, traits, r.loss)) {
        if (!verdicts.some((w) => w.kind === v.kind && w.layer === v.layer)) verdicts.push(v);
      }
    }
    const first = results[0];
    const graph = analyzeModel(spec, { batch: options.batch });
    const plan = memoryPlan(graph, 'fp32', ex.optimizer.type);
    return {
      model: spec.name ?? 'model',
      input_shape: graph.input.shape,
      loss_fn: ex.loss,
      optimizer: ex.optimizer,
      seed: ex.seed,
      init: ex.initScheme,
      steps: results.map((r) => ({ step: r.step, loss: r.loss, peak_bytes: r.peak_bytes, wall_ms: r.wall_ms })),
      layers: results[results.length - 1].layers,
      verdicts,
      memory: compareMemory(plan, rt.ledger.entries, first.clock, first.peak_bytes),
    };
  } finally {
    ex.dispose();
  }
}
