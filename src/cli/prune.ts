import { InputError } from '../analysis/errors.ts';
import { formatCount, renderTable } from '../analysis/format.ts';
import { checkSparsity } from '../analysis/pruning.ts';
import { loadNamedData } from '../data/files_node.ts';
import { GpuRuntime } from '../kernels/runtime.ts';
import { pruneStudy, type PruneReport, type PruneSettings } from '../ops/prune.ts';
import { loadSpec } from './diagnose.ts';
import { writeStdout } from './run.ts';

export const PRUNE_USAGE = `usage: nnx prune SPEC.json|MODEL [options]

  --sparsity S1,S2,…   fractions of the prunable weights to remove, each in [0, 1) (default 0.5,0.7,0.9)
  --structured         remove whole conv filters (smallest L1 norm) with the next layer's input channels,
                       giving a smaller model (a plain sequence of layers); default: unstructured magnitude
  --global             unstructured: rank |w| over all Conv2d and Linear weights together (default: per layer)
  --steps K            dense training steps before pruning (default 300)
  --finetune K         fine-tune steps after pruning, the mask kept fixed (default 50; 0: none)
  --batch N            mini-batch size (default 64)
  --lr X               Adam learning rate (default 0.002)
  --seed S             seed of the initialization and the batches (default 0)
  --json               print {model, data, settings, dense: {params, macs, test_accuracy, test_loss, step_ms},
                       rows: [{sparsity, layers: [{name, numel, zeros, sparsity}], achieved_sparsity, params,
                       nonzero_params, macs, test_accuracy, test_loss, finetuned, channels?, spec?}]}

The model trains on the shipped Fashion-MNIST subset (4,000 training, 1,000 test images) on the GPU,
then its trained Conv2d and Linear weights are pruned at each sparsity and the test split is scored
as pruned and after the fine-tune. Structured rows give params and MACs from the analysis of the
smaller spec; unstructured rows count the zeros read back from the GPU after the fine-tune.`;

function whole(flag: string, text: string | undefined, min: number): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min) throw new InputError(`prune: ${flag} must be a whole number >= ${min}, got ${JSON.stringify(text ?? '')}`);
  return Number(text);
}

function parseArgs(argv: string[]): { model: string; settings: PruneSettings; json: boolean } | null {
  const settings: PruneSettings = { sparsities: [0.5, 0.7, 0.9], structured: false, scope: 'layer', steps: 300, finetune: 50, batch: 64, seed: 0, optimizer: { type: 'adam', lr: 0.002 } };
  let model: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return null;
    else if (a === '--json') json = true;
    else if (a === '--structured') settings.structured = true;
    else if (a === '--global') settings.scope = 'global';
    else if (a === '--steps') settings.steps = whole(a, argv[++i], 1);
    else if (a === '--finetune') settings.finetune = whole(a, argv[++i], 0);
    else if (a === '--batch') settings.batch = whole(a, argv[++i], 1);
    else if (a === '--seed') settings.seed = whole(a, argv[++i], 0);
    else if (a === '--lr') {
      const text = argv[++i];
      const lr = Number(text);
      if (text === undefined || !Number.isFinite(lr) || lr <= 0) throw new InputError(`prune: --lr must be a number > 0, got ${JSON.stringify(text ?? '')}`);
      settings.optimizer = { type: 'adam', lr };
    } else if (a === '--sparsity') {
      const text = argv[++i] ?? '';
      settings.sparsities = text.split(',').map((s) => {
        if (!/^\s*(0|1)?(\.\d+)?\s*$/.test(s) || s.trim() === '') throw new InputError(`prune: --sparsity must be numbers in [0, 1) separated by commas, such as 0.5,0.7,0.9, got ${JSON.stringify(text)}`);
        return checkSparsity(Number(s), 'prune: --sparsity');
      });
    } else if (a.startsWith('--')) throw new InputError(`prune: unknown option ${a} (nnx prune --help)`);
    else if (model === undefined) model = a;
    else throw new InputError(`prune: one SPEC.json or MODEL expected, got ${model} and ${a}`);
  }
  if (model === undefined) throw new InputError('prune: missing SPEC.json or MODEL (nnx prune --help)');
  if (settings.structured && settings.scope === 'global') throw new InputError('prune: --global ranks single weights; it does not apply to --structured');
  return { model, settings, json };
}

function pct(v: number | null): string {
  return v === null ? '—' : `${(100 * v).toFixed(1)}%`;
}

/** The table for people. */
export function formatPrune(r: PruneReport): string {
  const s = r.settings;
  const rows = [['sparsity', 'achieved', 'params', 'non-zero params', 'MACs', 'test acc', `after ${s.finetune} fine-tune steps`]];
  rows.push(['dense', '0.0%', formatCount(r.dense.params), formatCount(r.dense.params), formatCount(r.dense.macs), pct(r.dense.test_accuracy), '']);
  for (const row of r.rows) {
    rows.push([pct(row.sparsity), pct(row.achieved_sparsity), formatCount(row.params), formatCount(row.nonzero_params), formatCount(row.macs), pct(row.test_accuracy), row.finetuned ? pct(row.finetuned.test_accuracy) : '—']);
  }
  const lines = [
    `${r.model} on ${r.data}: ${s.structured ? 'structured (conv filters by L1 norm)' : `unstructured magnitude, ${s.scope === 'global' ? 'global' : 'per layer'}`}; ${s.steps} dense steps, batch ${s.batch}, Adam lr ${s.optimizer.lr}, seed ${s.seed}; MACs per forward pass of the spec's input`,
    '',
    ...renderTable(rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']),
    '',
    'per layer (zeros / weights):',
  ];
  for (const row of r.rows) {
    lines.push(`  ${pct(row.sparsity)}: ${row.layers.map((l) => `${l.name} ${formatCount(l.zeros)}/${formatCount(l.numel)} (${pct(l.sparsity)})`).join(', ')}`);
    for (const c of row.channels ?? []) lines.push(`    ${c.conv}: removed ${c.removed.length} of ${c.out_channels} filters [${c.removed.join(', ')}] with ${c.followers.join(', ')}`);
  }
  return lines.join('\n');
}

/** `nnx prune SPEC|MODEL [--sparsity …] [--structured] [--global] [--finetune K] [--json]`. */
export async function pruneCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args) {
    console.log(PRUNE_USAGE);
    return 0;
  }
  const spec = loadSpec(args.model, 'prune');
  const ds = loadNamedData('fashion-mnist');
  const rt = await GpuRuntime.create();
  try {
    const report = await pruneStudy(rt, spec, ds, args.settings, args.json ? undefined : (line) => process.stderr.write(`  ${line}\n`));
    await writeStdout(args.json ? `${JSON.stringify(report)}\n` : `${formatPrune(report)}\n`);
  } finally {
    rt.destroy();
  }
  return 0;
}
