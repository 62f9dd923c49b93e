/**
 * `nnx study residual`: its flags, usage and table (the entry study.ts lists in STUDIES).
 */
import { InputError } from '../analysis/errors.ts';
import { formatCount, renderTable } from '../analysis/format.ts';
import { loadFashionMnist } from '../data/files_node.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { RESIDUAL_ACTIVATIONS, RESIDUAL_DEFAULTS, runResidualStudy, type ResidualActivation, type ResidualStudyReport } from '../ops/studies/residual.ts';

const e = (v: number | null) => (v === null ? '-' : v === 0 ? '0' : v.toExponential(2));

/** The residual study's tables, for people: one line per depth and model, then each residual block's Jacobian terms. */
export function formatResidualStudy(r: ResidualStudyReport): string {
  const head = ['depth', 'model', 'params', 'ms/step', 'first ‖∂L/∂W‖', 'last ‖∂L/∂W‖', 'first/last', 'first ∂L/∂y rms', `loss after ${r.settings.steps}`];
  const rows: string[][] = [];
  const jac: string[][] = [['depth', 'block', '‖∂L/∂y·I‖', '‖∂L/∂y·∂F/∂x‖', '‖∂L/∂x‖']];
  for (const d of r.depths) {
    for (const m of [d.plain, d.residual]) {
      const first = m.layers[0];
      const last = m.layers[m.layers.length - 1];
      rows.push([String(d.depth), m.model, formatCount(m.params), m.step_ms.toFixed(1), e(first.grad_norm), e(last.grad_norm), e(m.first_to_last), e(first.grad_output_rms), m.loss[m.loss.length - 1].toPrecision(5)]);
    }
    for (const j of d.residual.jacobian ?? []) jac.push([String(d.depth), j.block, e(j.identity_norm), e(j.branch_norm), e(j.input_grad_norm)]);
  }
  const s = r.settings;
  return [
    `study residual: plain vs residual ${s.activation} MLPs of width ${s.width} on ${r.data.description}`,
    `${s.steps} SGD steps (lr ${s.lr}), batch ${s.batch}, seed ${s.seed}; gradients of the last step; first/last = ‖∂L/∂W‖ of the first weight layer over the last one's`, '',
    ...renderTable([head, ...rows], head.map((_, i) => (i === 1 ? 'l' : 'r'))), '',
    'Through a residual block y = x + F(x): ∂L/∂x = ∂L/∂y·I + ∂L/∂y·∂F/∂x (measured norms of both terms):',
    ...renderTable(jac, jac[0].map(() => 'r')),
  ].join('\n');
}

function activation(value: unknown): ResidualActivation {
  if (value === undefined) return RESIDUAL_DEFAULTS.activation;
  if (!(RESIDUAL_ACTIVATIONS as readonly unknown[]).includes(value)) throw new InputError(`study residual: --activation must be one of ${RESIDUAL_ACTIVATIONS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as ResidualActivation;
}

/** The `nnx study residual` entry of STUDIES. */
export const RESIDUAL_STUDY = {
  summary: 'plain vs residual MLPs at depths 10, 20, 50 on Fashion-MNIST: ‖∂L/∂W‖ per layer, first/last ratio, I vs ∂F/∂x through a block',
  usage: `usage: nnx study residual [options]

  --depths A,B,...  Linear layers per model (default ${RESIDUAL_DEFAULTS.depths.join(',')})
  --activation A    ${RESIDUAL_ACTIVATIONS.join(', ')} (default ${RESIDUAL_DEFAULTS.activation})
  --width W         hidden width of both models (default ${RESIDUAL_DEFAULTS.width})
  --batch N         mini-batch size (default ${RESIDUAL_DEFAULTS.batch})
  --steps K         SGD steps (lr ${RESIDUAL_DEFAULTS.lr}) per model (default ${RESIDUAL_DEFAULTS.steps})
  --seed S          seed of the initialization and the batches (default 0)
  --json            print the report as JSON
  JSON: {study, data, settings, depths[{depth, plain{model, params, layers[{name, grad_norm, grad_output_rms}], first_to_last, loss, step_ms}, residual{…, jacobian[{block, identity_norm, branch_norm, input_grad_norm}]}}]}`,
  flags: { depths: { ints: 3 }, activation: 'text', width: { int: 1 }, batch: { int: 1 }, steps: { int: 1 }, seed: { int: 0 }, json: 'bool' } as const,
  async run(rt: GpuRuntime, f: Record<string, unknown>, progress: (line: string) => void) {
    const d = RESIDUAL_DEFAULTS;
    const options = {
      ...d, depths: (f.depths as number[]) ?? d.depths, activation: activation(f.activation), width: (f.width as number) ?? d.width,
      batch: (f.batch as number) ?? d.batch, steps: (f.steps as number) ?? d.steps, seed: (f.seed as number) ?? d.seed,
    };
    const report = await runResidualStudy(rt, loadFashionMnist(), options, (row) => progress(`depth ${row.depth}: first/last plain ${e(row.plain.first_to_last)}, residual ${e(row.residual.first_to_last)}`));
    return { report, text: () => formatResidualStudy(report) };
  },
};
