/**
 * `nnx study NAME [options]`: one command per study, dispatched by name. Each study has its
 * usage, its own flags (parsed by `parseStudyFlags` against a table) and a runner in
 * src/ops/studies/ that the Compare page calls as well. Add a study to STUDIES.
 */
import { InputError } from '../analysis/errors.ts';
import { formatCount, formatMBColumn, formatSI, renderTable } from '../analysis/format.ts';
import { loadFashionMnist } from '../data/files_node.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { DATA_EFFICIENCY_DEFAULTS, runDataEfficiency, type DataEfficiencyReport } from '../ops/studies/data_efficiency.ts';
import { subsetSamples } from '../ops/studies/common.ts';
import { GRAPH_SCALE_DEFAULTS, runGraphScale, type GraphScaleReport } from '../ops/studies/graph_scale.ts';
import { runSequenceLength, SEQUENCE_LENGTH_DEFAULTS, type SequenceLengthReport } from '../ops/studies/sequence_length.ts';
import { NORMS_STUDY } from './study_norms.ts';
import { RESIDUAL_STUDY } from './study_residual.ts';
import { writeStdout } from './run.ts';

/** How a flag's value is read: a whole number ≥ min, a list of them (`all` allowed where said), names, or text. */
type FlagKind = { int: number } | { ints: number; all?: boolean } | 'names' | 'text' | 'bool';

/** Parsed flags by name (without the dashes); `null` when --help was given. */
export function parseStudyFlags(study: string, argv: string[], kinds: Record<string, FlagKind>): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return null;
    const name = a.replace(/^--/, '');
    const kind = kinds[name];
    if (!a.startsWith('--') || !kind) throw new InputError(`study ${study}: unknown option ${a} (nnx study ${study} --help)`);
    if (kind === 'bool') {
      out[name] = true;
      continue;
    }
    const text = argv[++i];
    if (text === undefined || text.startsWith('--')) throw new InputError(`study ${study}: ${a} needs a value`);
    if (kind === 'text') out[name] = text;
    else if (kind === 'names') out[name] = text.split(',').map((s) => s.trim()).filter(Boolean);
    else {
      const min = 'int' in kind ? kind.int : kind.ints;
      const items = 'int' in kind ? [text] : text.split(',');
      const values = items.map((s) => {
        if ('ints' in kind && kind.all && s === 'all') return 'all';
        const v = Number(s);
        if (!/^\d+$/.test(s) || !Number.isSafeInteger(v) || v < min) throw new InputError(`study ${study}: ${a} takes ${'int' in kind ? 'an integer' : 'comma-separated integers'} >= ${min}${'ints' in kind && kind.all ? ' (or all)' : ''}, got ${JSON.stringify(text)}`);
        return v;
      });
      out[name] = 'int' in kind ? values[0] : values;
    }
  }
  return out;
}

const pct = (v: number | null) => (v === null ? '-' : v.toFixed(4));
const ms = (v: number) => v.toFixed(1);

/** The data-efficiency table, for people. */
export function formatDataEfficiency(r: DataEfficiencyReport): string {
  const head = ['arch', 'train images', 'params', 'ms/step', 'test loss', 'test acc'];
  const rows = r.rows.map((x) => [x.arch, formatCount(x.train_images), formatCount(x.params), ms(x.step_ms), x.final.test_loss.toPrecision(5), pct(x.final.test_accuracy)]);
  return [
    `study data-efficiency: ${r.data.description}`,
    `${r.settings.steps} steps each, batch ${r.settings.batch}, seed ${r.settings.seed}; ${formatCount(r.data.test_images)} test images`, '',
    ...renderTable([head, ...rows], head.map((_, i) => (i === 0 ? 'l' : 'r'))), '',
    ...r.best.map((b) => `best at ${formatCount(b.train_images)} training images: ${b.arch} (test accuracy ${pct(b.test_accuracy)})`),
  ].join('\n');
}

/** The sequence-length table, for people. */
export function formatSequenceLength(r: SequenceLengthReport): string {
  const head = ['arch', 'T', 'params', 'ms/step', 'first loss', 'last loss', 'test MSE', 'trivial MSE', '‖∂L/∂h_1‖', '‖∂L/∂h_T‖', 'h_1/h_T'];
  const e = (v: number | undefined | null) => (v === undefined || v === null ? '-' : v.toExponential(2));
  const rows = r.rows.map((x) => [x.arch, String(x.length), formatCount(x.params), ms(x.step_ms), x.first_loss.toPrecision(5), x.last_loss.toPrecision(5), x.test_mse.toPrecision(5), x.baseline_mse.toPrecision(4), e(x.grad_h_norm?.[0]), e(x.grad_h_norm?.[x.grad_h_norm.length - 1]), e(x.grad_h_ratio)]);
  return [
    `study sequence-length: the adding problem, ${r.settings.steps} steps each, batch ${r.settings.batch}, ${formatCount(r.settings.train)} training / ${formatCount(r.settings.test)} test sequences, seed ${r.settings.seed}`,
    '‖∂L/∂h_t‖ at the last step (recurrent models; the transformer has no hidden state)', '',
    ...renderTable([head, ...rows], head.map((_, i) => (i === 0 ? 'l' : 'r'))),
  ].join('\n');
}

/** The graph-scale table, for people. */
export function formatGraphScale(r: GraphScaleReport): string {
  const head = ['arch', 'nodes', 'edges', 'params', 'ms/epoch', 'first epoch ms', 'MP MACs', 'MP FLOPs', 'MP MB moved', 'peak MB pred', 'peak MB meas', 'test acc'];
  const rows = r.rows.map((x) => [x.arch, formatCount(x.nodes), formatCount(x.edges), formatCount(x.params), ms(x.epoch_ms), ms(x.first_epoch_ms), formatSI(x.message_passing.macs), formatSI(x.message_passing.flops), formatMBColumn(x.message_passing.bytes_accessed), formatMBColumn(x.predicted_peak_bytes), formatMBColumn(x.measured_peak_bytes), pct(x.test_accuracy)]);
  return [
    `study graph-scale: stochastic block models (4 communities), ${r.settings.steps} full-graph epochs each, Adam, seed ${r.settings.seed}`,
    'MP = message passing: the analysis cost of the graph layers\' forward pass (MACs, FLOPs, bytes read and written); ms/epoch is the median measured training epoch', '',
    ...renderTable([head, ...rows], head.map((_, i) => (i === 0 ? 'l' : 'r'))),
  ].join('\n');
}

interface Study {
  summary: string;
  usage: string;
  flags: Record<string, FlagKind>;
  run(rt: GpuRuntime, flags: Record<string, unknown>, progress: (line: string) => void): Promise<{ report: unknown; text: () => string }>;
}

const COMMON_USAGE = `  --steps K         optimizer steps per run
  --seed S          seed of the initialization, the data and the batches (default 0)
  --json            print the report as JSON`;

const STUDIES: Record<string, Study> = {
  'data-efficiency': {
    summary: 'CNN vs ViT test accuracy at 500 / 2,000 / all Fashion-MNIST training images',
    usage: `usage: nnx study data-efficiency [options]

  --sizes A,B,...   training images per run, "all" for the whole training split (default 500,2000,all)
  --archs A,B       image line-up architectures (default cnn,vit)
  --batch N         mini-batch size (default ${DATA_EFFICIENCY_DEFAULTS.batch})
  --test N          score the first N test images (default: all 1,000 of the shipped subset)
  --eval-every M    steps between test evaluations (default: after the last step only)
  --data-dir DIR    the four original IDX files (full 60,000/10,000 set) instead of the shipped subset
${COMMON_USAGE} (default steps ${DATA_EFFICIENCY_DEFAULTS.steps})
  JSON: {study, data, settings, rows[{arch, train_images, params, step_ms, evals, final}], best[]}`,
    flags: { sizes: { ints: 1, all: true }, archs: 'names', batch: { int: 1 }, test: { int: 1 }, 'eval-every': { int: 1 }, 'data-dir': 'text', steps: { int: 1 }, seed: { int: 0 }, json: 'bool' },
    async run(rt, f, progress) {
      const ds = subsetSamples(loadFashionMnist(f['data-dir'] as string | undefined), undefined, f.test as number | undefined);
      const report = await runDataEfficiency(rt, ds, {
        sizes: (f.sizes as (number | 'all')[]) ?? DATA_EFFICIENCY_DEFAULTS.sizes, archs: (f.archs as string[]) ?? DATA_EFFICIENCY_DEFAULTS.archs,
        steps: (f.steps as number) ?? DATA_EFFICIENCY_DEFAULTS.steps, batch: (f.batch as number) ?? DATA_EFFICIENCY_DEFAULTS.batch,
        seed: (f.seed as number) ?? 0, evalEvery: f['eval-every'] as number | undefined,
      }, { onRow: (r) => progress(`${r.arch} on ${r.train_images} images: test accuracy ${pct(r.final.test_accuracy)}`) });
      return { report, text: () => formatDataEfficiency(report) };
    },
  },
  'sequence-length': {
    summary: 'RNN, LSTM, GRU and transformer on the adding problem at T = 10, 50, 100: MSE, ‖∂L/∂h_t‖, ms per step',
    usage: `usage: nnx study sequence-length [options]

  --lengths A,B,... sequence lengths T (default 10,50,100)
  --archs A,B,...   sequence line-up architectures (default rnn,lstm,gru,transformer)
  --batch N         mini-batch size (default ${SEQUENCE_LENGTH_DEFAULTS.batch})
  --train N         training sequences generated per length (default 10,000)
  --test N          test sequences per length (default 1,000)
${COMMON_USAGE} (default steps ${SEQUENCE_LENGTH_DEFAULTS.steps})
  JSON: {study, settings, rows[{arch, length, params, step_ms, first_loss, last_loss, test_mse, baseline_mse, grad_h_norm, grad_h_ratio}]}`,
    flags: { lengths: { ints: 2 }, archs: 'names', batch: { int: 1 }, train: { int: 1 }, test: { int: 1 }, steps: { int: 1 }, seed: { int: 0 }, json: 'bool' },
    async run(rt, f, progress) {
      const d = SEQUENCE_LENGTH_DEFAULTS;
      const report = await runSequenceLength(rt, {
        lengths: (f.lengths as number[]) ?? d.lengths, archs: (f.archs as string[]) ?? d.archs, steps: (f.steps as number) ?? d.steps,
        batch: (f.batch as number) ?? d.batch, seed: (f.seed as number) ?? 0, train: (f.train as number) ?? d.train, test: (f.test as number) ?? d.test,
      }, { onRow: (r) => progress(`${r.arch} at T = ${r.length}: test MSE ${r.test_mse.toPrecision(4)}, ${ms(r.step_ms)} ms/step`) });
      return { report, text: () => formatSequenceLength(report) };
    },
  },
  'graph-scale': {
    summary: 'GCN, GAT, SAGE time per epoch and peak memory on SBM graphs of 10³ … 10⁵ nodes, beside the analysis cost',
    usage: `usage: nnx study graph-scale [options]

  --sizes A,B,...   node counts of the stochastic block models (default 1000,10000,100000)
  --archs A,B,...   graph line-up architectures (default gcn,gat,sage)
${COMMON_USAGE} (full-graph epochs, default ${GRAPH_SCALE_DEFAULTS.steps})
  JSON: {study, settings, rows[{arch, nodes, edges, params, epoch_ms, first_epoch_ms, measured_peak_bytes, predicted_peak_bytes, message_passing{macs, flops, bytes_accessed}, flops, test_accuracy}]}`,
    flags: { sizes: { ints: 8 }, archs: 'names', steps: { int: 1 }, seed: { int: 0 }, json: 'bool' },
    async run(rt, f, progress) {
      const d = GRAPH_SCALE_DEFAULTS;
      const report = await runGraphScale(rt, {
        sizes: (f.sizes as number[]) ?? d.sizes, archs: (f.archs as string[]) ?? d.archs, steps: (f.steps as number) ?? d.steps, seed: (f.seed as number) ?? 0,
      }, { onRow: (r) => progress(`${r.arch} at V = ${r.nodes}: ${ms(r.epoch_ms)} ms/epoch, peak ${formatMBColumn(r.measured_peak_bytes)} MB`) });
      return { report, text: () => formatGraphScale(report) };
    },
  },
  residual: RESIDUAL_STUDY,
  norms: NORMS_STUDY,
};

export const STUDY_USAGE = `usage: nnx study NAME [options] (nnx study NAME --help)

${renderTable(Object.entries(STUDIES).map(([name, s]) => [`  ${name}`, s.summary]), ['l', 'l']).join('\n')}`;

/** `nnx study NAME [options]`. */
export async function studyCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(STUDY_USAGE);
    return name ? 0 : 1;
  }
  const study = STUDIES[name];
  if (!study) throw new InputError(`study: unknown study ${JSON.stringify(name)} (studies: ${Object.keys(STUDIES).join(', ')})`);
  const flags = parseStudyFlags(name, rest, study.flags);
  if (!flags) {
    console.log(study.usage);
    return 0;
  }
  const rt = await GpuRuntime.create();
  try {
    const { report, text } = await study.run(rt, flags, flags.json ? () => {} : (line) => process.stderr.write(`${line}\n`));
    await writeStdout(flags.json ? `${JSON.stringify(report)}\n` : `${text()}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
