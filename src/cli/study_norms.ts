/**
 * `nnx study norms`: its flags, usage and tables (the entry study.ts lists in STUDIES).
 */
import { formatCount, formatMBColumn, renderTable } from '../analysis/format.ts';
import { loadFashionMnist } from '../data/files_node.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { NORMS_DEFAULTS, runNormsStudy, VARIANCE_OFFSETS, type NormsStudyReport } from '../ops/studies/norms.ts';

const e = (v: number) => (v === 0 ? '0' : v.toExponential(2));

/** The norms study's tables, for people. */
export function formatNormsStudy(r: NormsStudyReport): string {
  const head = ['batch', 'norm', 'params', 'ms/step', 'peak MB', 'norm layers MB/step', 'final loss', 'test loss', 'test acc', 'BN eval − train loss'];
  const rows = r.runs.map((x) => [
    String(x.batch), x.norm, formatCount(x.params), x.step_ms.toFixed(1), formatMBColumn(x.peak_bytes),
    Object.entries(x.norm_layer_bytes).map(([k, v]) => `${k} ${formatMBColumn(v)}`).join(', ') || '-',
    x.final_loss.toPrecision(4), x.test_loss.toPrecision(4), x.test_accuracy.toFixed(3), x.train_eval_gap ? x.train_eval_gap.gap.toPrecision(3) : '-',
  ]);
  const vhead = ['kernel', ...VARIANCE_OFFSETS.map((o) => `var rel err @ mean ${formatCount(o)}`), 'output max err @ largest'];
  const ops = [...new Set(r.variance_error.map((v) => v.op))];
  const vrows = ops.map((op) => {
    const at = r.variance_error.filter((v) => v.op === op);
    return [op, ...at.map((v) => e(v.variance_relative_error)), e(at[at.length - 1].output_max_abs_error)];
  });
  const s = r.settings;
  return [
    `study norms: a small CNN with BatchNorm, LayerNorm, GroupNorm or none, ${s.steps} SGD+momentum steps (lr ${s.lr}) on ${r.data.description}; ${formatCount(r.data.test_images)} test images`,
    'MB = 10^6 bytes; peak = the ledger\'s peak live bytes in a step; norm layers MB/step = what each norm layer\'s forward and backward allocate in one step', '',
    ...renderTable([head, ...rows], head.map((_, i) => (i === 1 ? 'l' : 'r'))), '',
    'float32 kernels on x = mean + N(0, 1), [4, 6, 5, 3], against float64 on the same values:',
    ...renderTable([vhead, ...vrows], vhead.map((_, i) => (i === 0 ? 'l' : 'r'))),
  ].join('\n');
}

/** The `nnx study norms` entry of STUDIES. */
export const NORMS_STUDY = {
  summary: 'BatchNorm vs LayerNorm vs GroupNorm vs none on Fashion-MNIST at batch 2, 8, 32: loss, accuracy, time, memory, BN train/eval gap, float32 variance error',
  usage: `usage: nnx study norms [options]

  --batch-sizes A,B,...  mini-batch sizes (default ${NORMS_DEFAULTS.batchSizes.join(',')})
  --steps K              SGD+momentum steps (lr ${NORMS_DEFAULTS.lr}) per run (default ${NORMS_DEFAULTS.steps})
  --test N               test images scored after training (default ${NORMS_DEFAULTS.test})
  --seed S               seed of the initialization and the batches (default 0)
  --json                 print the report as JSON
  JSON: {study, data, settings, runs[{norm, batch, params, final_loss, test_loss, test_accuracy, step_ms, peak_bytes, norm_layer_bytes, train_eval_gap?}], variance_error[{op, offset, variance_relative_error, output_max_abs_error}]}`,
  flags: { 'batch-sizes': { ints: 1 }, steps: { int: 1 }, test: { int: 1 }, seed: { int: 0 }, json: 'bool' } as const,
  async run(rt: GpuRuntime, f: Record<string, unknown>, progress: (line: string) => void) {
    const d = NORMS_DEFAULTS;
    const options = { ...d, batchSizes: (f['batch-sizes'] as number[]) ?? d.batchSizes, steps: (f.steps as number) ?? d.steps, test: (f.test as number) ?? d.test, seed: (f.seed as number) ?? d.seed };
    const report = await runNormsStudy(rt, loadFashionMnist(), options, (x) => progress(`${x.norm} at batch ${x.batch}: test accuracy ${x.test_accuracy.toFixed(3)}, ${x.step_ms.toFixed(1)} ms/step`));
    return { report, text: () => formatNormsStudy(report) };
  },
};
