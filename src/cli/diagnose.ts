import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../analysis/errors.ts';
import { formatBytes, formatCount, renderTable } from '../analysis/format.ts';
import { LOSSES, parseModelSpec, type LossName, type ModelSpec } from '../analysis/model_spec.ts';
import { ZOO, zooModel } from '../analysis/zoo/index.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { runDiagnosis, type DiagnoseReport } from '../ops/executor/diagnose.ts';
import { writeStdout } from './run.ts';

export const DIAGNOSE_USAGE = `usage: nnx diagnose SPEC.json|MODEL [options]

  SPEC.json|MODEL   a ModelSpec file ("-" reads stdin) or a zoo model the executor can run
  --steps K         training steps to run (default 1)
  --optimizer O     sgd, momentum or adam (default: the spec's, else sgd); --lr X its learning rate
  --loss L          cross_entropy or mse (default: the spec's, else cross_entropy for a [N, C] output)
  --seed N          seed of the initialization and the random data (default: the spec's, else 0)
  --batch N         replace the batch dimension
  --json            print {layers[], verdicts[], memory {predicted_peak_bytes, measured_peak_bytes, …}, …}`;

/** A ModelSpec from a file, stdin ("-") or the zoo, for `nnx COMMAND`. */
export function loadSpec(source: string, command = 'diagnose'): ModelSpec {
  if (source !== '-' && !existsSync(source) && ZOO[source]) return zooModel(source);
  let text: string;
  try {
    text = readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (e) {
    throw new InputError(`${command}: cannot read ${source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (and it is not a zoo model: ${Object.keys(ZOO).join(', ')})`);
  }
  return parseModelSpec(text, source);
}

function num(flag: string, text: string | undefined, integer: boolean, min: number): number {
  const v = Number(text);
  if (text === undefined || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min) throw new InputError(`diagnose: ${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(text ?? '')}`);
  return v;
}

function g(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(3);
}

/** The per-layer table, the verdicts and the memory comparison, for people. */
export function formatDiagnosis(r: DiagnoseReport): string {
  const lines: string[] = [];
  lines.push(`${r.model}: input [${r.input_shape.join(', ')}], loss ${r.loss_fn}, optimizer ${r.optimizer.type} (lr ${r.optimizer.lr}), init ${r.init}, seed ${r.seed}`);
  lines.push(`loss by step: ${r.steps.map((s) => g(s.loss)).join(' → ')}`);
  lines.push('');
  const rows = [['Layer', 'Type', 'Output', 'act mean', 'act std', '‖∂L/∂y‖ rms', '‖W‖', '‖∂L/∂W‖', '‖ΔW‖/‖W‖', 'dead/sat']];
  for (const l of r.layers) {
    const w = l.params.find((p) => p.shape.length >= 2) ?? l.params[0];
    const flag = l.dead_fraction !== undefined ? `${(100 * l.dead_fraction).toFixed(0)}% dead` : l.saturated_fraction !== undefined ? `${(100 * l.saturated_fraction).toFixed(0)}% sat` : '';
    rows.push([l.name, l.type, `[${l.output_shape.join(', ')}]`, g(l.activation.mean), g(l.activation.std), g(l.grad?.rms), g(w?.norm), g(w?.grad_norm), g(w?.update_ratio), flag]);
  }
  lines.push(...renderTable(rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']));
  for (const l of r.layers) if (l.grad_h_norm) lines.push(`${l.name}: ‖∂L/∂h_t‖ for t = 0…${l.grad_h_norm.length - 1}: ${l.grad_h_norm.map(g).join(' ')}`);
  lines.push('');
  if (r.verdicts.length === 0) lines.push('Verdict: healthy gradient flow (no vanishing, exploding, dead ReLU, saturation or non-finite values).');
  for (const v of r.verdicts) {
    lines.push(`[${v.kind}] ${v.layer}: ${v.message}`);
    lines.push(`  ${v.explanation}`);
    for (const rec of v.recommendations) lines.push(`  - ${rec}`);
  }
  lines.push('');
  const m = r.memory;
  lines.push(`Memory, first step (fp32; MB = 10^6 bytes): predicted peak ${formatBytes(m.predicted_peak_bytes)}, measured ${formatBytes(m.measured_peak_bytes)} (${m.relative_difference >= 0 ? '+' : ''}${(100 * m.relative_difference).toFixed(1)}%)`);
  for (const c of m.categories) {
    if (c.measured_bytes === 0 && !c.predicted_bytes) continue;
    lines.push(`  ${c.category.padEnd(34)} predicted ${c.predicted_bytes === null ? '-' : formatCount(c.predicted_bytes)} B, measured ${formatCount(c.measured_bytes)} B`);
  }
  return lines.join('\n');
}

/** `nnx diagnose SPEC.json|MODEL [--steps K] [--json]`. */
export async function diagnoseCommand(argv: string[]): Promise<number> {
  let source: string | null = null;
  let steps = 1;
  let json = false;
  let optimizer: string | undefined;
  let lr: number | undefined;
  let loss: LossName | undefined;
  let seed: number | undefined;
  let batch: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(DIAGNOSE_USAGE);
      return 0;
    } else if (a === '--json') json = true;
    else if (a === '--steps') steps = num('--steps', argv[++i], true, 1);
    else if (a === '--optimizer') optimizer = argv[++i];
    else if (a === '--lr') lr = num('--lr', argv[++i], false, 0);
    else if (a === '--seed') seed = num('--seed', argv[++i], true, 0);
    else if (a === '--batch') batch = num('--batch', argv[++i], true, 1);
    else if (a === '--loss') {
      const l = argv[++i];
      if (!(LOSSES as readonly string[]).includes(l)) throw new InputError(`diagnose: --loss must be one of ${LOSSES.join(', ')}, got ${JSON.stringify(l ?? '')}`);
      loss = l as LossName;
    } else if (a.startsWith('--')) throw new InputError(`diagnose: unknown option ${a} (nnx diagnose --help)`);
    else if (source === null) source = a;
    else throw new InputError(`diagnose: one spec expected, got ${source} and ${a}`);
  }
  if (!source) throw new InputError('diagnose: missing SPEC.json or MODEL (nnx diagnose --help)');
  const spec = loadSpec(source);
  const opt = optimizer ?? spec.optimizer ?? 'sgd';
  const optObj = typeof opt === 'string' ? { type: opt } : { ...opt };
  if (lr !== undefined) (optObj as { lr?: number }).lr = lr;
  const rt = await GpuRuntime.create();
  try {
    const report = await runDiagnosis(rt, spec, steps, { optimizer: optObj as never, loss, seed, batch });
    await writeStdout(json ? `${JSON.stringify(report)}\n` : `${formatDiagnosis(report)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
