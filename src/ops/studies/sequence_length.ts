/**
 * Study "sequence length": the sequence line-up (RNN, LSTM, GRU, transformer) on the adding
 * problem at T = 10, 50 and 100 with the same budget: final test MSE, ‖∂L/∂h_t‖ across t at
 * the last step (how far back the gradient reaches), and the median wall time per step.
 */
import { InputError } from '../../analysis/errors.ts';
import { lineup } from '../../analysis/zoo/compare_lineups.ts';
import { addingProblem } from '../../data/sequence_tasks.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { baselineLoss, runArchitecture, type CompareHooks } from '../compare.ts';
import { lineupEntries } from './common.ts';

export interface SequenceLengthOptions {
  lengths: number[];
  archs: string[];
  steps: number;
  batch: number;
  seed: number;
  /** Training and test sequences generated per length. */
  train: number;
  test: number;
}

/** One architecture at one length. `grad_h_norm` (recurrent layers only) is ‖∂L/∂h_t‖ for t = 1 … T at the last step. */
export interface SequenceLengthRow {
  arch: string;
  length: number;
  params: number;
  step_ms: number;
  first_loss: number;
  last_loss: number;
  test_mse: number;
  /** The trivial predictor's MSE on the same test sequences. */
  baseline_mse: number;
  grad_h_norm: number[] | null;
  /** ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖: how much of the gradient reaches the first step. */
  grad_h_ratio: number | null;
}

/** What `nnx study sequence-length --json` prints. */
export interface SequenceLengthReport {
  study: 'sequence-length';
  settings: SequenceLengthOptions;
  rows: SequenceLengthRow[];
}

/** The study's defaults (the sequence line-up's budget, the adding problem's usual sizes). */
export const SEQUENCE_LENGTH_DEFAULTS: SequenceLengthOptions = { lengths: [10, 50, 100], archs: ['rnn', 'lstm', 'gru', 'transformer'], steps: lineup('sequence').steps, batch: lineup('sequence').batch!, seed: 0, train: 10_000, test: 1_000 };

/** Trains every architecture at every length and reports MSE, gradient reach and speed. */
export async function runSequenceLength(rt: GpuRuntime, options: SequenceLengthOptions, hooks: CompareHooks & { onRow?(row: SequenceLengthRow): void } = {}): Promise<SequenceLengthReport> {
  if (options.batch > options.train) throw new InputError(`study sequence-length: --batch ${options.batch} is larger than the ${options.train} training sequences`);
  const settings = { steps: options.steps, batch: options.batch, seed: options.seed, evalEvery: options.steps, optimizer: lineup('sequence').optimizer };
  const rows: SequenceLengthRow[] = [];
  for (const length of options.lengths) {
    const ds = addingProblem(length, { seed: options.seed, train: options.train, test: options.test });
    const entries = lineupEntries('study sequence-length', 'sequence', options.archs, { features: 2, outputs: 1 });
    for (const entry of entries) {
      const run = await runArchitecture(rt, entry, ds, settings, hooks);
      const h = run.gradient_flow.layers.find((l) => l.grad_h_norm)?.grad_h_norm?.last ?? null;
      const row: SequenceLengthRow = {
        arch: entry.arch, length, params: run.params, step_ms: run.step_ms,
        first_loss: run.curve[0].loss, last_loss: run.curve[run.curve.length - 1].loss,
        test_mse: run.final.test_loss, baseline_mse: baselineLoss(ds),
        grad_h_norm: h, grad_h_ratio: h ? h[0] / h[h.length - 1] : null,
      };
      rows.push(row);
      hooks.onRow?.(row);
    }
  }
  return { study: 'sequence-length', settings: options, rows };
}
