import { InputError } from '../analysis/errors.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { GRADCHECK_CASES, gradcheckCase, type GradcheckResult } from '../ops/gradcheck.ts';
import { OPS } from '../ops/registry.ts';
import { writeStdout } from './run.ts';

/** `nnx gradcheck [op ...] [--json] [--probes N]`: exit 1 when any input's error exceeds its tolerance. */
export async function gradcheckCommand(argv: string[]): Promise<number> {
  const ops: string[] = [];
  let json = false;
  let probes = 6;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--probes') {
      probes = Number(argv[++i]);
      if (!Number.isInteger(probes) || probes < 1) throw new InputError(`gradcheck: --probes must be an integer >= 1, got ${JSON.stringify(argv[i] ?? '')}`);
    } else if (a.startsWith('--')) throw new InputError(`gradcheck: unknown option ${a} (options: --json, --probes N)`);
    else if (!OPS[a]) throw new InputError(`gradcheck: unknown op "${a}" (ops: ${Object.keys(OPS).join(', ')})`);
    else ops.push(a);
  }
  const cases = ops.length ? GRADCHECK_CASES.filter((c) => ops.includes(c.op)) : GRADCHECK_CASES;
  const missing = Object.keys(OPS).filter((o) => !GRADCHECK_CASES.some((c) => c.op === o));
  if (missing.length) throw new InputError(`gradcheck: no built-in case for ${missing.join(', ')}`);
  const rt = await GpuRuntime.create();
  const results: GradcheckResult[] = [];
  try {
    for (const c of cases) results.push(await gradcheckCase(rt, c, { probes }));
  } finally {
    rt.destroy();
  }
  const passed = results.every((r) => r.passed);
  if (json) await writeStdout(`${JSON.stringify({ passed, eps: 1e-2, results })}\n`);
  else {
    const lines = ['op            input        probes  max rel error  tolerance  result'];
    for (const r of results) {
      for (const inp of r.inputs) {
        lines.push(`${r.op.padEnd(13)} ${inp.input.padEnd(12)} ${String(inp.probes).padStart(6)}  ${inp.max_rel_error.toExponential(2).padStart(13)}  ${r.tolerance.toExponential(0).padStart(9)}  ${inp.max_rel_error <= r.tolerance ? 'ok' : `FAIL (index ${inp.worst.index}: analytic ${inp.worst.analytic}, numeric ${inp.worst.numeric})`}`);
      }
    }
    lines.push(passed ? `all ${results.length} ops passed` : `FAILED: ${results.filter((r) => !r.passed).map((r) => r.op).join(', ')}`);
    await writeStdout(`${lines.join('\n')}\n`);
  }
  return passed ? 0 : 1;
}
