import { readFileSync } from 'node:fs';
import { InputError } from '../analysis/errors.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { explainNeuron } from '../ops/explain.ts';
import { runSpec } from '../ops/run.ts';
import { parseSpecText } from '../ops/spec.ts';

/** Writes to stdout and waits until it is flushed (process.exit would cut a large pipe write). */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
}

/**
 * JSON text of a command's result. NaN and ±Infinity (a float32 overflow, a diverged loss), which
 * JSON cannot carry and JSON.stringify would silently turn into null, are written as the strings
 * "NaN", "Infinity" and "-Infinity" (Number() reads them back).
 */
export function resultJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** Parses `--explain 0,3,2,1` into an output index. */
function parseIndex(text: string | undefined): number[] {
  if (!text || !/^\d+(,\d+)*$/.test(text)) throw new InputError(`--explain needs an output index like 0,3,2,1, got ${JSON.stringify(text ?? '')}`);
  return text.split(',').map(Number);
}

/** `nnx run SPEC.json [--trace] [--explain I,J,...]`: prints the run's JSON to stdout. */
export async function runCommand(argv: string[]): Promise<number> {
  let file: string | null = null;
  let trace = false;
  let explain: number[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--trace') trace = true;
    else if (arg === '--explain') explain = parseIndex(argv[++i]);
    else if (arg.startsWith('--')) throw new InputError(`run: unknown option ${arg} (options: --trace, --explain I,J,...)`);
    else if (file === null) file = arg;
    else throw new InputError(`run: one spec file expected, got ${file} and ${arg}`);
  }
  if (!file) throw new InputError('run: missing SPEC.json (nnx run SPEC.json [--trace])');
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new InputError(`run: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const spec = parseSpecText(text, file);
  const rt = await GpuRuntime.create();
  try {
    const { result, readback } = await runSpec(rt, spec, { trace });
    const output = explain ? { ...result, explain: explainNeuron(result.op, ((spec as Record<string, unknown>).attrs ?? {}) as Record<string, unknown>, readback, explain) } : result;
    await writeStdout(`${resultJson(output)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
