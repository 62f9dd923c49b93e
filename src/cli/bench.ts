import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../analysis/errors.ts';
import { LOCAL_DEVICE_FILE, type DeviceProfile } from '../analysis/roofline.ts';
import { measureRoofline } from '../kernels/roofline.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { runBenchCase, parseBenchCases, type BenchCase, type BenchResult } from '../ops/bench.ts';
import { BUILTIN_CASES } from '../ops/bench_cases.ts';
import { runModelBench, type ModelBenchResult } from '../ops/bench_model.ts';
import { loadSpec } from './diagnose.ts';
import { OPS } from '../ops/registry.ts';
import { parseSpecText } from '../ops/spec.ts';
import { setAttentionPath, type AttentionPath } from '../ops/scaled_dot_product_attention.ts';
import { writeStdout } from './run.ts';

export interface BenchArgs {
  json: boolean;
  markdown: boolean;
  filter: string | null;
  casesFile: string | null;
  runs: number;
  /** `--model SPEC|ZOO`: a whole model instead of op cases. */
  model: string | null;
  train: boolean;
  batch: number | null;
  /** `--trace`: the op cases run with tracing on (to measure what tracing costs). */
  trace: boolean;
  /** `--attention fused|unfused`: forces the attention ops' path (default: the ops' own rule). */
  attention: AttentionPath;
}

/** Parses the options `nnx bench` and `nnx bench-peers` share. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { json: false, markdown: false, filter: null, casesFile: null, runs: 5, model: null, train: false, batch: null, trace: false, attention: 'auto' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new InputError(`bench: ${arg} needs a value`);
      return v;
    };
    if (arg === '--json') args.json = true;
    else if (arg === '--markdown') args.markdown = true;
    else if (arg === '--filter') args.filter = value();
    else if (arg === '--cases') args.casesFile = value();
    else if (arg === '--model') args.model = value();
    else if (arg === '--train') args.train = true;
    else if (arg === '--trace') args.trace = true;
    else if (arg === '--attention') {
      const v = value();
      if (v !== 'fused' && v !== 'unfused' && v !== 'auto') throw new InputError(`bench: --attention must be fused, unfused or auto, got ${v}`);
      args.attention = v;
    }
    else if (arg === '--batch') {
      const v = value();
      args.batch = Number(v);
      if (!Number.isInteger(args.batch) || args.batch < 1) throw new InputError(`bench: --batch must be a whole number >= 1, got ${v}`);
    }
    else if (arg === '--runs') {
      const v = value();
      args.runs = Number(v);
      if (!Number.isInteger(args.runs) || args.runs < 1) throw new InputError(`bench: --runs must be a whole number >= 1, got ${v}`);
    } else throw new InputError(`bench: unknown option ${arg} (options: --json, --markdown, --filter TEXT, --cases FILE.json, --runs N, --trace, --attention fused|unfused, --model SPEC|ZOO [--train] [--batch N])`);
  }
  if ((args.train || args.batch !== null) && !args.model) throw new InputError('bench: --train and --batch need --model SPEC|ZOO');
  return args;
}

export function fmt(value: number | null, digits = 2): string {
  return value === null ? '—' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(adapter: string, peak: { gflops: number; gbps: number }, results: BenchResult[], skipped: string[]): string {
  const header = ['case', 'GPU ms (median)', 'min–max', 'wall ms', 'GFLOP/s', 'GB/s', '% of peak', 'peak MB', 'dispatches'];
  const rows = results.map((r) => [
    r.name, fmt(r.gpu_ms, 3), `${fmt(r.gpu_ms_min, 3)}–${fmt(r.gpu_ms_max, 3)}`, fmt(r.wall_ms, 3), fmt(r.gflops), fmt(r.gbps),
    r.fraction_of_peak === null ? '—' : `${(100 * r.fraction_of_peak).toFixed(1)}%`, fmt(r.peak_bytes / 1e6, 2), String(r.dispatches),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    `adapter: ${adapter}`,
    `peak (measured): ${fmt(peak.gflops)} GFLOP/s FMA, ${fmt(peak.gbps)} GB/s copy (1 GB = 10^9 bytes)`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...results.flatMap((r) => r.kernels.length > 1 ? [`  ${r.name}: ${r.kernels.map((k) => `${k.kernel} ${fmt(k.gpu_ms, 3)} ms`).join(', ')}`] : []),
    ...skipped.map((s) => `skipped: ${s}`),
  ].join('\n');
}

/** The cases to run: the built-in set or `--cases`, narrowed by `--filter`, and those skipped. */
export function selectCases(args: BenchArgs): { cases: BenchCase[]; skipped: string[] } {
  let cases: BenchCase[] = BUILTIN_CASES;
  if (args.casesFile) {
    let text: string;
    try {
      text = readFileSync(args.casesFile, 'utf8');
    } catch (e) {
      throw new InputError(`bench: cannot read ${args.casesFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    cases = parseBenchCases(parseSpecText(text, args.casesFile), args.casesFile);
  }
  const skipped = cases.filter((c) => !OPS[c.op]).map((c) => `${c.name} (op ${c.op} is not implemented)`);
  cases = cases.filter((c) => OPS[c.op] && (!args.filter || c.name.toLowerCase().includes(args.filter.toLowerCase()) || c.op === args.filter));
  if (cases.length === 0) throw new InputError(`bench: no case matches${args.filter ? ` --filter ${args.filter}` : ''}`);
  return { cases, skipped };
}

function modelTable(adapter: string, peak: { gflops: number; gbps: number }, r: ModelBenchResult): string {
  const rows = r.parts.map((p) => [p.owner, fmt(p.gpu_ms, 3), fmt(p.flops / 1e6, 1), p.fraction_of_peak === null ? '—' : `${(100 * p.fraction_of_peak).toFixed(1)}%`]);
  const header = ['part', 'GPU ms', 'MFLOP', '% of peak'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    `adapter: ${adapter}`,
    `peak (measured): ${fmt(peak.gflops)} GFLOP/s FMA, ${fmt(peak.gbps)} GB/s copy`,
    `${r.model}, ${r.mode === 'train' ? 'training step' : 'forward pass'}, batch ${r.batch}: wall ${fmt(r.wall_ms, 1)} ms, GPU ${fmt(r.gpu_ms, 1)} ms, ${fmt(r.flops / 1e9, 3)} GFLOP in ${r.dispatches} dispatches`,
    `FLOP time at peak ${fmt(r.flop_time_ms, 1)} ms: wall / FLOP time = ${fmt(r.ratio_to_flop_time, 1)}×`,
    `per step: ${r.gpu_buffers_created_per_step} GPU buffers created, ${r.tensors_per_step} tensors (${r.pool_hits_per_step} from the pool)`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `kernels: ${r.kernels.map((k) => `${k.kernel} ${fmt(k.gpu_ms, 2)} ms (${k.calls}×)`).join(', ')}`,
  ].join('\n');
}

/** `nnx bench [--json] [--filter TEXT] [--cases FILE.json] [--runs N] [--trace] [--attention fused|unfused] [--model SPEC|ZOO [--train] [--batch N]]`. */
export async function benchCommand(argv: string[]): Promise<number> {
  const args = parseBenchArgs(argv);
  const spec = args.model ? loadSpec(args.model, 'bench') : null;
  const { cases, skipped } = spec ? { cases: [], skipped: [] } : selectCases(args);
  const rt = await GpuRuntime.create();
  setAttentionPath(args.attention);
  try {
    if (!rt.profiler.enabled) process.stderr.write('nnx: timestamp queries are unavailable on this adapter: GPU times are not measured, only wall times\n');
    const roofline = await measureRoofline(rt);
    const adapter = rt.adapter.description || `${rt.adapter.vendor} ${rt.adapter.architecture}`;
    const profile: DeviceProfile = {
      name: `local: ${adapter}`,
      peak_flops: { fp32: roofline.gflops * 1e9 },
      bandwidth_bytes_per_s: roofline.gbps * 1e9,
      source: `nnx bench roofline microbenchmarks (vec4 FMA chains, storage-buffer copy), ${new Date().toISOString().slice(0, 10)}`,
    };
    mkdirSync(dirname(LOCAL_DEVICE_FILE), { recursive: true });
    writeFileSync(LOCAL_DEVICE_FILE, `${JSON.stringify(profile, null, 2)}\n`);
    if (spec) {
      const peak = { gflops: roofline.gflops, gbps: roofline.gbps };
      const result = await runModelBench(rt, spec, { train: args.train, batch: args.batch ?? undefined, runs: args.runs, peak });
      await writeStdout(args.json ? `${JSON.stringify({ adapter: rt.adapter, peak, roofline, model: result })}\n` : `${modelTable(adapter, peak, result)}\n`);
      return 0;
    }
    const results: BenchResult[] = [];
    for (const c of cases) {
      results.push(await runBenchCase(rt, c, roofline, args.runs, 1, args.trace));
      if (!args.json) process.stderr.write(`  ${c.name}: ${fmt(results.at(-1)!.gpu_ms, 3)} ms\n`);
    }
    const peak = { gflops: roofline.gflops, gbps: roofline.gbps };
    await writeStdout(args.json
      ? `${JSON.stringify({ adapter: rt.adapter, peak, roofline, cases: results, skipped })}\n`
      : `${table(adapter, peak, results, skipped)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
