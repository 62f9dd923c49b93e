import { InputError } from '../analysis/errors.ts';
import { formatCount } from '../analysis/format.ts';
import { landscapePair } from '../analysis/landscape.ts';
import type { ModelSpec } from '../analysis/model_spec.ts';
import type { Dataset } from '../data/dataset.ts';
import { DATA_NAMES, isNamedData, loadNamedData } from '../data/files_node.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { trainAndMap, type LandscapeRun, type LandscapeRunSettings } from '../ops/loss_landscape.ts';
import { writeStdout } from './run.ts';
import { loadModel } from './summary.ts';

/** The built-in comparison: plain and residual MLPs of the same depth on Fashion-MNIST. */
export const PAIR = 'plain-vs-residual';

export const LANDSCAPE_USAGE = `usage: nnx landscape SPEC.json|MODEL|${PAIR} [options]

  SPEC.json|MODEL   a ModelSpec file or a zoo model; ${PAIR}: a plain and a residual MLP of equal
                    depth and width (Flatten, Linear 784→W, ReLU, D blocks Linear W→W + ReLU, Linear W→10)
  --grid N          points per axis, odd keeps the trained weights at the centre (default 21)
  --span S          the grid runs over α, β in [−S, S] (default 1)
  --steps K         training steps before the landscape is mapped (default 100)
  --batch N         training and evaluation batch (default 64)
  --lr X            Adam's learning rate when the spec names no optimizer (default 0.001)
  --data NAME       ${DATA_NAMES} (default: fashion-mnist for a model reading [N, 1, 28, 28], else
                    the executor's seeded data)
  --depth D         ${PAIR}: hidden blocks (default 8)
  --width W         ${PAIR}: hidden units (default 32)
  --seed S          initialization, batches and directions (default 0)
  --json            print {alphas, betas, loss: [[…]], center_loss, spec, ms_per_point, …} for a model,
                    {runs: [plain, residual]} for ${PAIR}

Two seeded Gaussian directions are normalized filter by filter to the trained weights (Li et al.,
2018; biases and norm parameters get none); every grid point writes θ + α·d1 + β·d2 into the
parameter buffers on the GPU and runs one forward pass in eval mode on the first test samples.`;

interface LandscapeArgs {
  source: string;
  settings: LandscapeRunSettings & { batch: number };
  data?: string;
  depth: number;
  width: number;
  json: boolean;
}

function count(flag: string, text: string | undefined, min: number, max: number): number {
  const v = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || v < min || v > max) throw new InputError(`landscape: ${flag} must be a whole number from ${min} to ${formatCount(max)}, got ${JSON.stringify(text ?? '')}`);
  return v;
}

function positive(flag: string, text: string | undefined): number {
  const v = Number(text);
  if (text === undefined || !Number.isFinite(v) || v <= 0) throw new InputError(`landscape: ${flag} must be a number > 0, got ${JSON.stringify(text ?? '')}`);
  return v;
}

function parseArgs(argv: string[]): LandscapeArgs | null {
  const args: Partial<LandscapeArgs> = { depth: 8, width: 32, json: false };
  const settings = { grid: 21, span: 1, seed: 0, steps: 100, batch: 64, optimizer: { type: 'adam' as const, lr: 1e-3 } };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return null;
    else if (a === '--json') args.json = true;
    else if (a === '--grid') settings.grid = count(a, argv[++i], 2, 201);
    else if (a === '--span') settings.span = positive(a, argv[++i]);
    else if (a === '--steps') settings.steps = count(a, argv[++i], 0, 100_000);
    else if (a === '--batch') settings.batch = count(a, argv[++i], 1, 4096);
    else if (a === '--lr') settings.optimizer.lr = positive(a, argv[++i]);
    else if (a === '--seed') settings.seed = count(a, argv[++i], 0, 2 ** 32 - 1);
    else if (a === '--depth') args.depth = count(a, argv[++i], 1, 64);
    else if (a === '--width') args.width = count(a, argv[++i], 1, 1024);
    else if (a === '--data') {
      args.data = argv[++i];
      if (!args.data || !isNamedData(args.data)) throw new InputError(`landscape: --data takes a data set name (${DATA_NAMES}), got ${JSON.stringify(args.data ?? '')}`);
    } else if (a.startsWith('--')) throw new InputError(`landscape: unknown option ${a} (nnx landscape --help)`);
    else if (args.source === undefined) args.source = a;
    else throw new InputError(`landscape: one model expected, got ${args.source} and ${a}`);
  }
  if (args.source === undefined) throw new InputError(`landscape: missing SPEC.json, MODEL or ${PAIR} (nnx landscape --help)`);
  return { ...args, settings } as LandscapeArgs;
}

/** Fashion-MNIST fits a model reading [N, 1, 28, 28]. */
function takesImages(spec: ModelSpec): boolean {
  return spec.input.length === 4 && spec.input[1] === 1 && spec.input[2] === 28 && spec.input[3] === 28 && !spec.graph;
}

/** One run as `--json` prints it. */
function runJson(r: LandscapeRun, data: Dataset | null): Record<string, unknown> {
  return {
    arch: r.arch, spec: r.spec, data: data ? data.name : 'seeded',
    alphas: r.alphas, betas: r.betas, loss: r.loss, center_loss: r.center_loss,
    train_loss: r.train_loss, ms_per_point: r.ms_per_point, points: r.points, eval_batch: r.eval_batch,
  };
}

/** The grid as rows of losses, for people. */
function formatRun(r: LandscapeRun): string {
  const fmt = (v: number | null) => (v === null ? 'non-finite' : v.toPrecision(4)).padStart(10);
  const lines = [`${r.arch} (${r.spec.name ?? 'model'}): ${r.train_loss.length} training steps, last loss ${r.train_loss.at(-1)?.toPrecision(5) ?? '-'}; centre loss ${r.center_loss.toPrecision(6)} on ${r.eval_batch} evaluation samples; ${r.ms_per_point.toFixed(2)} ms per grid point`];
  lines.push(`${'α \\ β'.padStart(8)}${r.betas.map((b) => b.toFixed(3).padStart(10)).join('')}`);
  r.alphas.forEach((a, i) => lines.push(`${a.toFixed(3).padStart(8)}${r.loss[i].map(fmt).join('')}`));
  return lines.join('\n');
}

/** `nnx landscape SPEC|ZOO|plain-vs-residual [--grid N] [--span S] [--steps K] [--json]`. */
export async function landscapeCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args) {
    console.log(LANDSCAPE_USAGE);
    return 0;
  }
  const pair = args.source === PAIR;
  if (!pair && (argv.includes('--depth') || argv.includes('--width'))) throw new InputError(`landscape: --depth and --width apply to ${PAIR} only`);
  const entries: [string, ModelSpec][] = pair ? Object.entries(landscapePair(args.depth, args.width, args.settings.batch)) : [['model', loadModel(args.source)]];
  const dataName = args.data ?? (entries.every(([, s]) => takesImages(s)) ? 'fashion-mnist' : null);
  const ds = dataName ? loadNamedData(dataName, { seed: args.settings.seed }) : null;
  const rt = await GpuRuntime.create();
  try {
    const runs: LandscapeRun[] = [];
    for (const [arch, spec] of entries) {
      const batch = ds ? args.settings.batch : spec.input[spec.batch_dim ?? 0];
      runs.push(await trainAndMap(rt, arch, spec, ds, { ...args.settings, batch: spec.batch_dim === null || spec.graph || ds?.kind === 'graph' ? undefined : batch }));
    }
    if (args.json) {
      const out = pair ? { depth: args.depth, width: args.width, runs: runs.map((r) => runJson(r, ds)) } : runJson(runs[0], ds);
      await writeStdout(`${JSON.stringify(out)}\n`);
    } else {
      await writeStdout(`${runs.map(formatRun).join('\n\n')}\n`);
    }
  } finally {
    rt.destroy();
  }
  return 0;
}
