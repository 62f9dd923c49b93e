/**
 * `nnx museum [EXHIBIT ...] [--json]`: the failure-case museum. Each exhibit trains (or runs) a
 * broken model and its fix on the GPU and prints the verdicts and the evidence beside each other.
 */
import { InputError } from '../analysis/errors.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { EXHIBITS, findExhibit, runMuseum, type MuseumExhibit, type MuseumSide } from '../ops/museum/index.ts';
import { writeStdout } from './run.ts';

export const MUSEUM_USAGE = `usage: nnx museum [EXHIBIT ...] [--json]

  EXHIBIT   run only these exhibits (default: all), one of:
${EXHIBITS.map((e) => `              ${e.name.padEnd(20)} ${e.title}`).join('\n')}
  --json    print {"exhibits": [{"exhibit", "title", "description", "broken": {"spec", "verdicts": [{"kind", "layer", "message"}], "evidence"}, "fixed": {…}}]}
            (non-finite evidence values are the strings "NaN", "Infinity", "-Infinity")`;

function specName(side: MuseumSide): string {
  const spec = side.spec as { name?: unknown; op?: unknown };
  return String(spec.name ?? spec.op ?? '');
}

function g(v: unknown): string {
  if (typeof v !== 'number') return String(v);
  if (v === 0) return '0';
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : Number(v.toPrecision(4)).toString();
}

/** The numbers of a side's evidence that fit on a line (scalars and short lists). */
function evidenceLine(evidence: Record<string, unknown>): string {
  return Object.entries(evidence)
    .filter(([, v]) => typeof v === 'number' || (Array.isArray(v) && v.length <= 8 && v.every((x) => typeof x !== 'object')))
    .map(([k, v]) => `${k} ${Array.isArray(v) ? `[${v.map(g).join(', ')}]` : g(v)}`)
    .join('; ');
}

/** One exhibit, for people: title, description, then each side's model, verdicts and evidence. */
export function formatExhibit(e: MuseumExhibit): string {
  const lines = [`== ${e.exhibit}: ${e.title}`, e.description];
  for (const [label, side] of [['broken', e.broken], ['fixed', e.fixed]] as const) {
    lines.push(`  ${label}: ${specName(side)}`);
    if (side.verdicts.length === 0) lines.push('    verdict: none (healthy)');
    for (const v of side.verdicts) lines.push(`    [${v.kind}] ${v.layer}: ${v.message}`);
    lines.push(`    evidence: ${evidenceLine(side.evidence)}`);
  }
  return lines.join('\n');
}

/** `nnx museum [EXHIBIT ...] [--json]`. */
export async function museumCommand(argv: string[]): Promise<number> {
  let json = false;
  const names: string[] = [];
  for (const a of argv) {
    if (a === '--help' || a === '-h') {
      console.log(MUSEUM_USAGE);
      return 0;
    }
    if (a === '--json') json = true;
    else if (a.startsWith('-')) throw new InputError(`museum: unknown option ${a} (nnx museum --help)`);
    else names.push(findExhibit(a).name);
  }
  const rt = await GpuRuntime.create();
  try {
    const report = await runMuseum(rt, names, json ? undefined : (e) => process.stdout.write(`${formatExhibit(e)}\n\n`));
    if (json) await writeStdout(`${JSON.stringify(report)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
