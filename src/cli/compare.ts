import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../analysis/errors.ts';
import { formatCount, renderTable } from '../analysis/format.ts';
import { DEFAULT_SEQUENCE_LENGTH, LINEUPS, lineup, type Lineup, type TaskShape } from '../analysis/zoo/compare_lineups.ts';
import type { Dataset } from '../data/dataset.ts';
import { loadNamedData } from '../data/files_node.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { runCompare, taskShape, type CompareEntry, type CompareReport, type CompareSettings } from '../ops/compare.ts';
import { writeStdout } from './run.ts';
import { loadModel } from './summary.ts';

export const COMPARE_USAGE = `usage: nnx compare TASK [options]

  TASK              ${Object.values(LINEUPS).map((l) => `${l.task} (${Object.keys(l.archs).join(', ')})`).join('; ')}
  --archs A,B,...   architectures of the line-up and/or ModelSpec files (default: the whole line-up)
  --steps K         optimizer steps per architecture (default: the line-up's)
  --batch N         mini-batch size (image and sequence tasks)
  --seed S          seed of the initialization, the data and the batches (default 0)
  --length T        sequence task: the adding problem's length (default ${DEFAULT_SEQUENCE_LENGTH})
  --dataset NAME    graph task: karate (default) or sbm:V
  --eval-every M    steps between test evaluations (the last step is always evaluated)
  --json            print {task, data, baseline_loss, settings, runs[{arch, spec, params, macs, flops,
                    predicted_peak_bytes, measured_peak_bytes, step_ms, curve, evals, final,
                    gradient_flow}]}`;

interface CompareArgs {
  task: string;
  archs?: string[];
  steps?: number;
  batch?: number;
  seed: number;
  length?: number;
  dataset?: string;
  evalEvery?: number;
  json: boolean;
}

function num(flag: string, text: string | undefined, min: number): number {
  const v = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(v) || v < min) throw new InputError(`compare: ${flag} must be an integer >= ${min}, got ${JSON.stringify(text ?? '')}`);
  return v;
}

function parseArgs(argv: string[]): CompareArgs | null {
  const args: Partial<CompareArgs> = { seed: 0, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return null;
    else if (a === '--json') args.json = true;
    else if (a === '--steps') args.steps = num(a, argv[++i], 1);
    else if (a === '--batch') args.batch = num(a, argv[++i], 1);
    else if (a === '--seed') args.seed = num(a, argv[++i], 0);
    else if (a === '--length') args.length = num(a, argv[++i], 2);
    else if (a === '--eval-every') args.evalEvery = num(a, argv[++i], 1);
    else if (a === '--dataset') {
      args.dataset = argv[++i];
      if (!args.dataset) throw new InputError('compare: --dataset needs a name (karate or sbm:V)');
    } else if (a === '--archs') {
      const list = argv[++i];
      if (!list) throw new InputError('compare: --archs needs a comma-separated list of architectures or ModelSpec files');
      args.archs = list.split(',').map((s) => s.trim()).filter(Boolean);
      if (!args.archs.length) throw new InputError('compare: --archs is empty');
    } else if (a.startsWith('--')) throw new InputError(`compare: unknown option ${a} (nnx compare --help)`);
    else if (args.task === undefined) args.task = a;
    else throw new InputError(`compare: one task expected, got ${args.task} and ${a}`);
  }
  if (args.task === undefined) throw new InputError(`compare: missing TASK (${Object.keys(LINEUPS).join(', ')}; nnx compare --help)`);
  return args as CompareArgs;
}

/** The data set of the task: the line-up's, the adding problem at --length, or the graph of --dataset. */
function taskData(l: Lineup, args: CompareArgs): Dataset {
  if (args.length !== undefined && l.task !== 'sequence') throw new InputError(`compare: --length is for the sequence task, not ${l.task}`);
  if (args.dataset !== undefined && l.task !== 'graph') throw new InputError(`compare: --dataset is for the graph task (karate or sbm:V), not ${l.task}`);
  if (args.batch !== undefined && l.batch === undefined) throw new InputError(`compare: --batch does not apply to the ${l.task} task: every step sees the whole graph`);
  let name = l.data;
  if (l.task === 'sequence') name = `adding:${args.length ?? DEFAULT_SEQUENCE_LENGTH}`;
  if (args.dataset !== undefined) {
    if (!/^(karate|sbm:.*)$/.test(args.dataset)) throw new InputError(`compare: --dataset must be karate or sbm:V, got ${JSON.stringify(args.dataset)}`);
    name = args.dataset;
  }
  return loadNamedData(name, { seed: args.seed });
}

/** Line-up names build their spec for the data; anything else must be a ModelSpec file. */
function entries(l: Lineup, names: string[], shape: TaskShape): CompareEntry[] {
  return names.map((name) => {
    const build = l.archs[name];
    if (build) return { arch: name, spec: build(shape) };
    if (!/\.json$/i.test(name) && !existsSync(name)) throw new InputError(`compare: unknown architecture ${JSON.stringify(name)} for ${l.task} (known: ${Object.keys(l.archs).join(', ')}, or a ModelSpec .json file)`);
    const spec = loadModel(name);
    return { arch: spec.name ?? basename(name).replace(/\.json$/i, ''), spec };
  });
}

const metric = (v: number | null) => (v === null ? '-' : v.toFixed(4));
const lossText = (v: number) => v.toPrecision(5);

/** The side-by-side table, for people. */
export function formatCompare(r: CompareReport): string {
  const regression = r.runs[0]?.final.test_accuracy === null;
  const lines = [`compare ${r.task}: ${r.data.description}`, `${r.settings.steps} steps each, seed ${r.settings.seed}${r.settings.batch ? `, batch ${r.settings.batch}` : ''}; trivial test loss ${lossText(r.baseline_loss)}`, ''];
  const head = ['arch', 'params', 'MACs', 'FLOPs', 'peak MB pred', 'peak MB meas', 'ms/step', 'first loss', 'last loss', regression ? 'test MSE' : 'test loss', ...(regression ? [] : ['test acc'])];
  const rows = r.runs.map((run) => [
    run.arch, formatCount(run.params), formatCount(run.macs), formatCount(run.flops),
    (run.predicted_peak_bytes / 1e6).toFixed(2), (run.measured_peak_bytes / 1e6).toFixed(2), run.step_ms.toFixed(1),
    lossText(run.curve[0].loss), lossText(run.curve[run.curve.length - 1].loss), lossText(run.final.test_loss),
    ...(regression ? [] : [metric(run.final.test_accuracy)]),
  ]);
  lines.push(...renderTable([head, ...rows], head.map((_, i) => (i === 0 ? 'l' : 'r'))));
  for (const run of r.runs) {
    const flows = run.gradient_flow.layers.map((l) => `${l.layer} ${l.grad_norm[0].toExponential(2)} → ${l.grad_norm[1].toExponential(2)}`);
    lines.push('', `${run.arch}: ‖∂L/∂W‖ step 1 → ${run.gradient_flow.steps[1]}: ${flows.join(', ')}`);
    for (const l of run.gradient_flow.layers) {
      const h = l.grad_h_norm?.last;
      if (h) lines.push(`  ${l.layer} ‖∂L/∂h_t‖ at the last step: t=1 ${h[0].toExponential(2)}, t=${h.length} ${h[h.length - 1].toExponential(2)} (ratio ${(h[0] / h[h.length - 1]).toExponential(2)})`);
    }
  }
  return lines.join('\n');
}

/** `nnx compare TASK [--archs a,b,…] [--steps K] [--batch N] [--seed S] [--length T] [--dataset NAME] [--eval-every M] [--json]`. */
export async function compareCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args) {
    console.log(COMPARE_USAGE);
    return 0;
  }
  const l = lineup(args.task);
  const ds = taskData(l, args);
  const runEntries = entries(l, args.archs ?? Object.keys(l.archs), taskShape(ds));
  const settings: CompareSettings = { steps: args.steps ?? l.steps, ...(l.batch !== undefined ? { batch: args.batch ?? l.batch } : {}), seed: args.seed, evalEvery: args.evalEvery ?? l.evalEvery, optimizer: l.optimizer };
  const rt = await GpuRuntime.create();
  try {
    const report = await runCompare(rt, l.task, runEntries, ds, settings, args.json ? {} : { onEval: (arch, e) => process.stderr.write(`${arch} step ${e.step}: test loss ${lossText(e.test_loss)}${e.test_accuracy === null ? '' : `, accuracy ${metric(e.test_accuracy)}`}\n`) });
    await writeStdout(args.json ? `${JSON.stringify(report)}\n` : `${formatCompare(report)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}

