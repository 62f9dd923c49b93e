import { existsSync, readFileSync } from 'node:fs';
import { designSmells, formatDesignSmells } from '../analysis/design_smells.ts';
import { InputError } from '../analysis/errors.ts';
import { analyzeModel } from '../analysis/graph.ts';
import { parseDType, parseModelSpec, parseOptimizer, type ModelSpec } from '../analysis/model_spec.ts';
import { formatParallelPlan, parseStrategy, planParallel, type ParallelOptions } from '../analysis/parallel_plan.ts';
import { getDeviceProfile, LOCAL_DEVICE_FILE, parseDeviceProfile, type DeviceProfile } from '../analysis/roofline.ts';
import { buildSummary, formatSummaryTable } from '../analysis/summary.ts';
import { ZOO, zooModel } from '../analysis/zoo/index.ts';
import { isOnnxPath, loadOnnxModel } from './onnx_files.ts';
import { printSummaryCommand } from './summary_print.ts';

export const SUMMARY_USAGE = `usage: nnx summary MODEL|SPEC.json [options]

  MODEL            a zoo model (nnx summary --list), or a ModelSpec JSON file ("-" reads stdin)
  --print FILE     instead of MODEL: the text PyTorch's print(model) shows ("-" reads stdin); exact
                   parameters, and shapes and MACs when --input is given
  --input N,C,H,W  input shape (default: the spec's "input")
  --batch N        replace the batch dimension
  --dtype D        fp32 (default), fp16, bf16 or int8: bytes per element of weights and activations
  --optimizer O    adam (default), momentum or sgd: optimizer state in the memory plan
  --device NAME    roofline time on a built-in device (${'h100-sxm, a100-sxm-80gb, …'}), "local" (measured by nnx bench) or a JSON profile file
  --depth N        fold rows deeper than N into their container
  --json           print the report as JSON (raw numbers) instead of the table
  --spec           print the model's ModelSpec JSON and stop
  --list           list the zoo models
  --parallel S     plan training over GPUs: dp, zero1, zero2, zero3, tp:N, pp:N, comma-separated (zero1,tp:8);
                   adds per-GPU params/grads/optimizer/activation bytes and communication per step
  --gpus N         GPUs for --parallel (data-parallel degree = N / (tp·pp))
  --precision P    mixed (default: fp16 params, grads and activations, fp32 master copy) or fp32, for --parallel
  --checkpointing  --parallel keeps only each block's input (activation checkpointing)
  --params N       instead of MODEL: plan a model of N parameters (e.g. 7.5e9) with --parallel`;

interface SummaryArgs {
  model?: string;
  print?: string;
  input?: number[];
  batch?: number;
  dtype?: string;
  optimizer?: string;
  device?: string;
  depth?: number;
  parallel?: string;
  gpus?: number;
  precision?: string;
  params?: number;
  checkpointing: boolean;
  json: boolean;
  spec: boolean;
  list: boolean;
  help: boolean;
}

const VALUE_FLAGS = ['--input', '--batch', '--dtype', '--optimizer', '--device', '--depth', '--print', '--parallel', '--gpus', '--precision', '--params'];
const BOOL_FLAGS = ['--json', '--spec', '--list', '--help', '-h', '--checkpointing'];

function positiveInt(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InputError(`${flag} must be a positive integer, got "${text}"`);
  return Number(text);
}

/** Parses "1,3,224,224" (or "1x3x224x224"). */
export function parseShapeArg(text: string): number[] {
  const parts = text.split(/[,x×]/).map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw new InputError(`--input must be positive integers separated by commas, such as 1,3,224,224, got "${text}"`);
  }
  return parts.map(Number);
}

/** Parses a parameter count such as 7.5e9 or 7500000000. */
function parseParamCount(text: string): number {
  const n = Number(text);
  if (!/^[\d.eE+]+$/.test(text) || !Number.isFinite(n) || n < 1 || !Number.isInteger(n)) {
    throw new InputError(`--params must be a positive whole number of parameters such as 7.5e9, got "${text}"`);
  }
  return n;
}

/** The planner's options from `--parallel`, `--gpus`, `--precision`, `--optimizer`, `--checkpointing`; undefined without `--parallel`. */
function parallelOptions(args: SummaryArgs): ParallelOptions | undefined {
  if (args.parallel === undefined) {
    const stray = [args.gpus !== undefined && '--gpus', args.precision !== undefined && '--precision', args.checkpointing && '--checkpointing', args.params !== undefined && '--params'].filter(Boolean);
    if (stray.length) throw new InputError(`${stray.join(', ')} ${stray.length > 1 ? 'need' : 'needs'} --parallel (e.g. --parallel zero1 --gpus 64)`);
    return undefined;
  }
  if (args.gpus === undefined) throw new InputError('--parallel needs --gpus N');
  const precision = args.precision ?? 'mixed';
  if (precision !== 'mixed' && precision !== 'fp32') throw new InputError(`--precision must be mixed or fp32, got "${precision}"`);
  return {
    strategy: parseStrategy(args.parallel), gpus: args.gpus, precision,
    optimizer: args.optimizer !== undefined ? parseOptimizer(args.optimizer, '--optimizer').type : 'adam',
    checkpointing: args.checkpointing,
  };
}

/** Parses `nnx summary` arguments. */
export function parseSummaryArgs(argv: string[]): SummaryArgs {
  const args: SummaryArgs = { json: false, spec: false, list: false, help: false, checkpointing: false };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (VALUE_FLAGS.includes(arg)) {
      if (value === undefined) {
        value = argv[++i];
        if (value === undefined) throw new InputError(`${arg} needs a value (nnx summary --help)`);
      }
      if (arg === '--input') args.input = parseShapeArg(value);
      else if (arg === '--batch') args.batch = positiveInt(arg, value);
      else if (arg === '--depth') args.depth = positiveInt(arg, value);
      else if (arg === '--dtype') args.dtype = value;
      else if (arg === '--optimizer') args.optimizer = value;
      else if (arg === '--print') args.print = value;
      else if (arg === '--parallel') args.parallel = value;
      else if (arg === '--gpus') args.gpus = positiveInt(arg, value);
      else if (arg === '--precision') args.precision = value;
      else if (arg === '--params') args.params = parseParamCount(value);
      else args.device = value;
    } else if (BOOL_FLAGS.includes(arg)) {
      if (value !== undefined) throw new InputError(`${arg} takes no value`);
      if (arg === '--json') args.json = true;
      else if (arg === '--spec') args.spec = true;
      else if (arg === '--list') args.list = true;
      else if (arg === '--checkpointing') args.checkpointing = true;
      else args.help = true;
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new InputError(`unknown option "${arg}" for summary (options: ${[...VALUE_FLAGS, ...BOOL_FLAGS.slice(0, 3)].join(', ')})`);
    } else {
      if (args.model !== undefined) throw new InputError(`summary takes one model, got "${args.model}" and "${arg}"`);
      args.model = arg;
    }
  }
  return args;
}

function readText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${path === '-' ? 'stdin' : `"${path}"`}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/** A zoo model by name, a ModelSpec JSON file, or an ONNX file imported for `input` (its full shape). */
export function loadModel(model: string, input?: number[]): ModelSpec {
  if (ZOO[model]) return zooModel(model);
  if (isOnnxPath(model)) return loadOnnxModel(model, input).spec;
  if (model === '-' || existsSync(model)) return parseModelSpec(readText(model), model === '-' ? 'stdin' : model);
  throw new InputError(`"${model}" is neither a zoo model (${Object.keys(ZOO).join(', ')}) nor a spec file that exists`);
}

/** A built-in device by name, or a JSON profile file (e.g. measured by `nnx bench`). */
export function loadDevice(device: string): DeviceProfile {
  if (device === 'local') {
    if (!existsSync(LOCAL_DEVICE_FILE)) throw new InputError(`--device local needs the adapter's measured roofline in ${LOCAL_DEVICE_FILE}: run \`nnx bench\` first`);
    return loadDevice(LOCAL_DEVICE_FILE);
  }
  if (device.endsWith('.json') || (existsSync(device) && !/^[a-z0-9-]+$/i.test(device))) {
    const text = readText(device);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InputError(`${device}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    return parseDeviceProfile(value, device);
  }
  return getDeviceProfile(device);
}

/** `nnx summary`: prints a torchinfo-style table (or JSON) for a zoo model or a spec file. */
export async function summaryCommand(argv: string[]): Promise<void> {
  const args = parseSummaryArgs(argv);
  if (args.help) {
    console.log(SUMMARY_USAGE);
    return;
  }
  if (args.list) {
    const width = Math.max(...Object.keys(ZOO).map((k) => k.length));
    for (const [name, entry] of Object.entries(ZOO)) console.log(`${name.padEnd(width)}  ${entry.description}`);
    return;
  }
  if (args.print !== undefined) {
    if (args.model !== undefined) throw new InputError(`summary takes a model or --print FILE, got both "${args.model}" and --print ${args.print}`);
    printSummaryCommand(readText(args.print), args.print === '-' ? 'stdin' : args.print, {
      input: args.input, batch: args.batch, json: args.json, maxDepth: args.depth,
      dtype: args.dtype, optimizer: args.optimizer, device: args.device !== undefined ? loadDevice(args.device) : undefined,
    });
    return;
  }
  const parallel = parallelOptions(args);
  if (args.params !== undefined && parallel) {
    if (args.model !== undefined) throw new InputError(`summary takes a model or --params N, got both "${args.model}" and --params ${args.params}`);
    const plan = planParallel(args.params, null, parallel);
    console.log(args.json ? JSON.stringify({ params: args.params, parallel: plan }, null, 2) : formatParallelPlan(plan));
    return;
  }
  if (!args.model) throw new InputError('summary needs a model name or a spec file (nnx summary --list; nnx summary --help)');
  const spec = loadModel(args.model, args.input);
  if (args.spec) {
    console.log(JSON.stringify(spec, null, 2));
    return;
  }
  const dtype = args.dtype !== undefined ? parseDType(args.dtype, '--dtype') : undefined;
  const optimizer = args.optimizer !== undefined ? parseOptimizer(args.optimizer, '--optimizer').type : undefined;
  const device = args.device !== undefined ? loadDevice(args.device) : undefined;
  const report = buildSummary(spec, { input: args.input, batch: args.batch, dtype, optimizer, device });
  const warnings = designSmells(spec, { input: args.input, batch: args.batch });
  const plan = parallel ? planParallel(report.totals.params, analyzeModel(spec, { input: args.input, batch: args.batch }), parallel) : undefined;
  if (args.json) console.log(JSON.stringify({ ...report, warnings, ...(plan ? { parallel: plan } : {}) }, null, 2));
  else console.log([formatSummaryTable(report, { maxDepth: args.depth }), formatDesignSmells(warnings), plan ? formatParallelPlan(plan) : ''].filter(Boolean).join('\n'));
}
