import { InputError } from '../analysis/errors.ts';
import { formatCount, renderTable } from '../analysis/format.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { fuseModel, type FuseReport } from '../ops/fusion.ts';
import { loadSpec } from './diagnose.ts';
import { writeStdout } from './run.ts';
import { parseShapeArg } from './summary.ts';

export const FUSE_USAGE = `usage: nnx fuse SPEC.json|MODEL [options]

  --input N,C,H,W   input shape (default: the spec's "input")
  --batch N         replaces the batch dimension
  --runs N          timed runs per chain and variant, after one warm-up (default 5)
  --json            print {model, input, weights, runs, adapter, chains: [{conv, bn, relu, input_shape,
                    output_shape, weight_shape, groups, max_abs_diff, max_abs_output,
                    unfused: {gpu_ms, gpu_ms_min, gpu_ms_max, bytes, flops, dispatches, kernels},
                    fused: {…}, speedup}], totals}

Every Conv2d directly followed by a BatchNorm2d (and the ReLU after it, when there is one) is
folded as torch.nn.utils.fusion.fuse_conv_bn_eval does (float64), then run on the GPU two ways on
the same input: unfused (conv2d → batch_norm in eval mode → relu, the ops a model runs) and fused
(one implicit-GEMM dispatch with the folded bias and ReLU in its epilogue). GPU times are medians
of timestamp queries; bytes are the kernels' cost model (reads + writes). Weights come from the
spec's "weights" when it has them, else they are seeded.`;

interface FuseArgs {
  model: string;
  input?: number[];
  batch?: number;
  runs: number;
  json: boolean;
}

function positive(flag: string, text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < 1) throw new InputError(`fuse: ${flag} must be a whole number >= 1, got ${JSON.stringify(text ?? '')}`);
  return Number(text);
}

function parseArgs(argv: string[]): FuseArgs | null {
  const args: Partial<FuseArgs> = { runs: 5, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return null;
    else if (a === '--json') args.json = true;
    else if (a === '--input') args.input = parseShapeArg(argv[++i] ?? '');
    else if (a === '--batch') args.batch = positive(a, argv[++i]);
    else if (a === '--runs') args.runs = positive(a, argv[++i]);
    else if (a.startsWith('--')) throw new InputError(`fuse: unknown option ${a} (options: --input N,C,H,W, --batch N, --runs N, --json)`);
    else if (args.model === undefined) args.model = a;
    else throw new InputError(`fuse: one SPEC.json or MODEL expected, got ${args.model} and ${a}`);
  }
  if (args.model === undefined) throw new InputError('fuse: missing SPEC.json or MODEL (nnx fuse --help)');
  return args as FuseArgs;
}

function ms(v: number | null): string {
  return v === null ? '—' : v.toFixed(3);
}

/** The per-chain table for people. */
export function formatFuse(r: FuseReport, adapter: string): string {
  const rows = [['chain', 'output', 'max |fused − unfused|', 'max |out|', 'unfused ms', 'fused ms', 'speed-up', 'unfused MB', 'fused MB', 'dispatches']];
  for (const c of r.chains) {
    rows.push([
      [c.conv, c.bn, c.relu].filter(Boolean).join(' → '), `[${c.output_shape.join(',')}]`, c.max_abs_diff.toExponential(2), c.max_abs_output.toPrecision(3),
      ms(c.unfused.gpu_ms), ms(c.fused.gpu_ms), c.speedup === null ? '—' : `${c.speedup.toFixed(2)}×`,
      (c.unfused.bytes / 1e6).toFixed(2), (c.fused.bytes / 1e6).toFixed(2), `${c.unfused.dispatches} → ${c.fused.dispatches}`,
    ]);
  }
  const t = r.totals;
  rows.push(['total', '', '', '', ms(t.unfused_gpu_ms), ms(t.fused_gpu_ms), t.unfused_gpu_ms !== null && t.fused_gpu_ms ? `${(t.unfused_gpu_ms / t.fused_gpu_ms).toFixed(2)}×` : '—', (t.unfused_bytes / 1e6).toFixed(2), (t.fused_bytes / 1e6).toFixed(2), `${t.unfused_dispatches} → ${t.fused_dispatches}`]);
  return [
    `adapter: ${adapter}`,
    `${r.model}, input [${r.input.join(', ')}]: ${formatCount(r.chains.length)} Conv2d → BatchNorm2d chains (${r.chains.filter((c) => c.relu).length} with ReLU), GPU ms = median of ${r.runs} runs, MB = 10^6 bytes read + written (cost model)`,
    `weights: ${r.weights}`,
    '',
    ...renderTable(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']),
  ].join('\n');
}

/** `nnx fuse SPEC|MODEL [--input N,C,H,W] [--batch N] [--runs N] [--json]`. */
export async function fuseCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args) {
    console.log(FUSE_USAGE);
    return 0;
  }
  const spec = loadSpec(args.model, 'fuse');
  const rt = await GpuRuntime.create();
  try {
    if (!rt.profiler.enabled) process.stderr.write('nnx: timestamp queries are unavailable on this adapter: GPU times are not measured\n');
    const report = await fuseModel(rt, spec, { input: args.input, batch: args.batch, runs: args.runs });
    const adapter = rt.adapter.description || `${rt.adapter.vendor} ${rt.adapter.architecture}`;
    await writeStdout(args.json ? `${JSON.stringify({ ...report, adapter: rt.adapter })}\n` : `${formatFuse(report, adapter)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
