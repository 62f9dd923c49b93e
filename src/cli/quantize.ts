import { readFileSync } from 'node:fs';
import { InputError } from '../analysis/errors.ts';
import { formatCount, renderTable } from '../analysis/format.ts';
import { loadNamedData } from '../data/files_node.ts';
import type { SampleDataset } from '../data/dataset.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { QUANT_SCHEMES, quantizeModel, type QuantizeOptions, type QuantizeReport, type QuantScheme } from '../ops/quantize_model.ts';
import { parseSpecText, parseTensor, type ParsedTensor } from '../ops/spec.ts';
import { writeStdout } from './run.ts';
import { loadModel } from './summary.ts';

export const QUANTIZE_USAGE = `usage: nnx quantize SPEC.json|MODEL --scheme SCHEME[,SCHEME…] [options]

  SPEC.json|MODEL      a ModelSpec for 1×28×28 images and 10 classes, or a zoo model (fashion_cnn)
  --scheme SCHEMES     comma separated, each run after the same training, calibration and float32 pass:
                       int8              weights qint8 symmetric per tensor, activations quint8 affine
                       int8-per-channel  weights qint8 symmetric per output channel, activations as int8
                       fp16 | bf16       every parameter, buffer and layer output rounded to float16/bfloat16
  --calibrate fashion-mnist:N   training images the activation observers see (default 256; int8)
  --weights FILE       a state_dict JSON {name: {"shape", "data"}} (or a ModelSpec carrying "weights");
                       without it the model first trains --train-steps Adam steps on Fashion-MNIST
  --train-steps K      default 100
  --eval N             test images scored for accuracy (default 1000; the first batch gives the per-layer errors)
  --batch N            default 64
  --data-dir DIR       the full Fashion-MNIST instead of the shipped subset
  --seed S             initialization and batch order (default 0)
  --json               print {model, data, training, size_bytes, schemes[{scheme, accuracy{float32, quantized, drop},
                       layers[{name, type, output_shape, max_abs_error, relative_rms_error, sqnr_db (null: no error),
                       activation, weights[]}]}]}; activation and weights: {name, shape, scale, zero_point,
                       max_abs_error, histogram{min, max, counts, clip_min, clip_max, clipped_fraction}}

Both passes run on the GPU: the quantized one through the fake_quantize / float16 / bfloat16 kernels of
\`nnx run\` after every layer and on the weights. Biases, BatchNorm and the model input stay float32 in the
int8 schemes (BatchNorm is not folded into the conv first).`;

function whole(flag: string, text: string | undefined, min: number): number {
  const v = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || v < min) throw new InputError(`quantize: ${flag} must be a whole number >= ${min}, got ${JSON.stringify(text ?? '')}`);
  return v;
}

/** A state_dict from a JSON file: {name: tensor}, or a ModelSpec's "weights". */
export function readWeights(file: string): Record<string, ParsedTensor> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`quantize: cannot read --weights ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const value = parseSpecText(text, `--weights ${file}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`--weights ${file}: expected a JSON object of tensors by state_dict name`);
  const record = value as Record<string, unknown>;
  const tensors = 'layers' in record && 'weights' in record ? record.weights : record;
  if (typeof tensors !== 'object' || tensors === null) throw new InputError(`--weights ${file}: "weights" must be an object of tensors`);
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, parseTensor(`--weights ${file}: ${name}`, t, 'float32')]));
}

function fixed(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

function range(h: { clip_min: number; clip_max: number }): string {
  return `[${h.clip_min.toPrecision(4)}, ${h.clip_max.toPrecision(4)}]`;
}

/** The per-layer table of every scheme, the sizes and the accuracies, for people. */
export function formatQuantize(r: QuantizeReport): string {
  const lines = [`${r.model}: ${r.data.description}`];
  if ('weights' in r.training) lines.push('weights: given (no training)');
  else lines.push(`trained ${r.training.steps} Adam steps (final loss ${r.training.final_loss?.toPrecision(4) ?? '-'}, ${(r.training.wall_ms / 1000).toFixed(1)} s)`);
  lines.push(`calibration: ${r.data.calibration_images} training images; accuracy on ${formatCount(r.data.eval_images)} test images; per-layer errors on the first ${r.data.per_layer_images}`);
  for (const s of r.schemes) {
    lines.push('', `scheme ${s.scheme}:`);
    lines.push(...renderTable([
      ['layer', 'type', 'max |Δ|', 'rel. RMS', 'SQNR dB', 'output clip range', 'clipped', 'weight clip range', 'weight max |Δ|'],
      ...s.layers.map((l) => [
        l.name, l.type, l.max_abs_error.toExponential(2), fixed(l.relative_rms_error, 4), fixed(l.sqnr_db, 1),
        range(l.activation.histogram), `${(100 * l.activation.histogram.clipped_fraction).toFixed(2)}%`,
        l.weights.map((w) => range(w.histogram)).join(' ') || '-', l.weights.map((w) => w.max_abs_error.toExponential(2)).join(' ') || '-',
      ]),
    ], ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']));
  }
  const b = r.size_bytes;
  lines.push('', `size (bytes): fp32 ${formatCount(b.fp32)}, fp16 ${formatCount(b.fp16)}, bf16 ${formatCount(b.bf16)}, int8 ${formatCount(b.int8)}, int8-per-channel ${formatCount(b['int8-per-channel'])}`, '');
  lines.push(...renderTable([
    ['scheme', 'bytes', 'test accuracy', 'drop (points)'],
    ['fp32', formatCount(b.fp32), `${(100 * (r.schemes[0]?.accuracy.float32 ?? 0)).toFixed(2)}%`, '-'],
    ...r.schemes.map((s) => [s.scheme, formatCount(b[s.scheme]), `${(100 * s.accuracy.quantized).toFixed(2)}%`, (100 * s.accuracy.drop).toFixed(2)]),
  ], ['l', 'r', 'r', 'r']));
  return lines.join('\n');
}

/** `nnx quantize SPEC|MODEL --scheme S [--calibrate fashion-mnist:N] [--weights FILE] [--train-steps K] [--eval N] [--batch N] [--data-dir DIR] [--seed S] [--json]`. */
export async function quantizeCommand(argv: string[]): Promise<number> {
  let source: string | null = null;
  let schemes: QuantScheme[] = [];
  let json = false;
  let dataDir: string | undefined;
  let weightsFile: string | undefined;
  const options: Omit<QuantizeOptions, 'schemes'> = { calibrate: 256, evalImages: 1000, trainSteps: 100, batch: 64 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(QUANTIZE_USAGE);
      return 0;
    } else if (a === '--json') json = true;
    else if (a === '--scheme') {
      const list = (argv[++i] ?? '').split(',');
      const bad = list.find((s) => !QUANT_SCHEMES.includes(s as QuantScheme));
      if (bad !== undefined) throw new InputError(`quantize: --scheme must be one of ${QUANT_SCHEMES.join(', ')} (or several, comma separated), got ${JSON.stringify(bad)}`);
      schemes = [...new Set(list as QuantScheme[])];
    } else if (a === '--calibrate') {
      const m = /^fashion-mnist:(.*)$/.exec(argv[++i] ?? '');
      if (!m) throw new InputError(`quantize: --calibrate must be fashion-mnist:N, got ${JSON.stringify(argv[i] ?? '')}`);
      options.calibrate = whole('--calibrate fashion-mnist:N', m[1], 1);
    } else if (a === '--weights') {
      weightsFile = argv[++i];
      if (!weightsFile) throw new InputError('quantize: --weights needs a JSON file');
    } else if (a === '--train-steps') options.trainSteps = whole('--train-steps', argv[++i], 0);
    else if (a === '--eval') options.evalImages = whole('--eval', argv[++i], 1);
    else if (a === '--batch') options.batch = whole('--batch', argv[++i], 1);
    else if (a === '--seed') options.seed = whole('--seed', argv[++i], 0);
    else if (a === '--data-dir') {
      dataDir = argv[++i];
      if (!dataDir) throw new InputError('quantize: --data-dir needs a folder');
    } else if (a.startsWith('--')) throw new InputError(`quantize: unknown option ${a} (nnx quantize --help)`);
    else if (source === null) source = a;
    else throw new InputError(`quantize: one model expected, got ${source} and ${a}`);
  }
  if (!source) throw new InputError('quantize: missing SPEC.json or MODEL (nnx quantize --help)');
  if (schemes.length === 0) throw new InputError(`quantize: --scheme is required (${QUANT_SCHEMES.join(', ')}, or several comma separated)`);
  const spec = loadModel(source);
  const fromSpec = spec.weights && Object.fromEntries(Object.entries(spec.weights).map(([name, t]) => [name, parseTensor(`weights: ${name}`, t, 'float32')]));
  const weights = weightsFile ? readWeights(weightsFile) : fromSpec;
  const ds = loadNamedData('fashion-mnist', { dataDir }) as SampleDataset;
  const rt = await GpuRuntime.create();
  try {
    const report = await quantizeModel(rt, spec, ds, { ...options, schemes, weights });
    await writeStdout(json ? `${JSON.stringify(report)}\n` : `${formatQuantize(report)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
