import { formatCount } from '../analysis/format.ts';
import { parseDType, parseOptimizer } from '../analysis/model_spec.ts';
import type { DeviceProfile } from '../analysis/roofline.ts';
import { formatSummaryTable } from '../analysis/summary.ts';
import { parseTorchPrint, summarizeTorchPrint, type PrintIssue } from '../analysis/torch_print.ts';

/** Options `nnx summary --print` passes on. */
export interface PrintSummaryOptions {
  input?: number[];
  batch?: number;
  json: boolean;
  maxDepth?: number;
  dtype?: string;
  optimizer?: string;
  device?: DeviceProfile;
}

function issueLine(i: PrintIssue): string {
  return `  line ${i.line}: ${i.path || '(top)'} (${i.className}): ${i.reason}`;
}

/**
 * `nnx summary --print FILE`: exact parameters from a `print(model)` text, and the per-layer
 * table when an input shape is given and every module can be placed.
 */
export function printSummaryCommand(text: string, source: string, opts: PrintSummaryOptions): void {
  const dtype = opts.dtype !== undefined ? parseDType(opts.dtype, '--dtype') : undefined;
  const optimizer = opts.optimizer !== undefined ? parseOptimizer(opts.optimizer, '--optimizer').type : undefined;
  const result = opts.input
    ? summarizeTorchPrint(text, opts.input, { batch: opts.batch, dtype, optimizer, device: opts.device })
    : { ...parseTorchPrint(text), summary: null };
  if (opts.json) {
    console.log(JSON.stringify({ source, ...result }, null, 2));
    return;
  }
  const out: string[] = [];
  if (result.summary) out.push(formatSummaryTable(result.summary, { maxDepth: opts.maxDepth }));
  out.push(`${result.model} from print(model) text (${source})`);
  out.push(`Total params: ${formatCount(result.params)}${result.params_exact ? ' (exact: every printed module is known)' : ' (NOT exact: unknown module classes below are not counted)'}`);
  if (!result.summary) {
    for (const c of result.children) out.push(`  ${c.name || '(top)'} (${c.className}, line ${c.line}): ${formatCount(c.params)}`);
  }
  if (result.unknown_modules.length) out.push('Unknown module classes:', ...result.unknown_modules.map(issueLine));
  if (result.unplaced.length) out.push('Could not place (no shapes or MACs):', ...result.unplaced.map(issueLine));
  if (!opts.input && result.spec) out.push('Give --input N,C,H,W for shapes, MACs and memory.');
  if (result.notes.length) out.push('Assumptions:', ...result.notes.map((n) => `  ${n}`));
  console.log(out.join('\n'));
}
