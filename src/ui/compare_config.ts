/**
 * The Compare page's set-up and its URL form: task, architectures, budget, data. Defaults are
 * short runs (a few steps, small batches, a few test samples) so a first run finishes quickly
 * on a CPU WebGPU adapter; the person raises them.
 */
import { LINEUPS } from '../analysis/zoo/compare_lineups.ts';

export type CompareTask = 'image' | 'sequence' | 'graph';
export const TASKS: readonly CompareTask[] = ['image', 'sequence', 'graph'];

export interface CompareConfig {
  task: CompareTask;
  archs: string[];
  steps: number;
  /** Mini-batch (image and sequence). */
  batch: number;
  seed: number;
  evalEvery: number;
  /** Sequence task: the adding problem's T. */
  length: number;
  /** Graph task: karate or sbm:V. */
  dataset: string;
  /** Image and sequence tasks: test samples scored (the first N of the test split). */
  test: number;
  /** A ModelSpec JSON of the person's own (e.g. sent by the Builder), trained beside the line-up as `custom`; '' for none. */
  spec: string;
}

/** Per task: the page's short default run. */
export const TASK_DEFAULTS: Record<CompareTask, Omit<CompareConfig, 'task' | 'spec'>> = {
  image: { archs: ['cnn', 'vit'], steps: 3, batch: 8, seed: 0, evalEvery: 3, length: 50, dataset: 'karate', test: 64 },
  sequence: { archs: ['rnn', 'lstm', 'gru', 'transformer'], steps: 20, batch: 16, seed: 0, evalEvery: 10, length: 10, dataset: 'karate', test: 64 },
  graph: { archs: ['gcn', 'gat', 'sage'], steps: 30, batch: 1, seed: 0, evalEvery: 5, length: 50, dataset: 'karate', test: 64 },
};

/** Inclusive bounds of the numeric settings. */
export const COMPARE_LIMITS = { steps: [1, 5000], batch: [1, 512], seed: [0, 2 ** 31 - 1], evalEvery: [1, 5000], length: [2, 500], test: [1, 10_000], sbm: [8, 100_000] } as const;

function int(text: string | undefined, [min, max]: readonly [number, number], fallback: number): number {
  const v = Number(text);
  return text !== undefined && /^\d+$/.test(text) ? Math.min(max, Math.max(min, v)) : fallback;
}

/** The architectures a set-up can train, in the page's order: the task's line-up, then `custom` when it has a spec. */
export function archOrder(task: CompareTask, spec: string): string[] {
  return [...Object.keys(LINEUPS[task].archs), ...(spec ? ['custom'] : [])];
}

/** The set-up from URL params; anything missing or invalid takes the task's default. */
export function parseCompareConfig(params: Record<string, string>): CompareConfig {
  const task = (TASKS as readonly string[]).includes(params.task) ? (params.task as CompareTask) : 'graph';
  const d = TASK_DEFAULTS[task];
  const spec = params.spec ?? '';
  const known = archOrder(task, spec);
  const archs = params.archs === undefined ? [...d.archs, ...(spec ? ['custom'] : [])] : params.archs.split(',').filter((a, i, all) => known.includes(a) && all.indexOf(a) === i);
  const sbm = /^sbm:(\d+)$/.exec(params.data ?? '');
  const dataset = sbm ? `sbm:${int(sbm[1], COMPARE_LIMITS.sbm, 1000)}` : 'karate';
  return {
    task, archs,
    steps: int(params.steps, COMPARE_LIMITS.steps, d.steps),
    batch: int(params.batch, COMPARE_LIMITS.batch, d.batch),
    seed: int(params.seed, COMPARE_LIMITS.seed, d.seed),
    evalEvery: int(params.every, COMPARE_LIMITS.evalEvery, d.evalEvery),
    length: int(params.T, COMPARE_LIMITS.length, d.length),
    dataset,
    test: int(params.test, COMPARE_LIMITS.test, d.test),
    spec,
  };
}

/** URL params of a set-up: only the settings its task uses. */
export function formatCompareConfig(c: CompareConfig): Record<string, string> {
  const p: Record<string, string> = { task: c.task, archs: c.archs.join(','), steps: String(c.steps) };
  if (c.task !== 'graph') p.batch = String(c.batch);
  if (c.task === 'sequence') p.T = String(c.length);
  if (c.task === 'graph') p.data = c.dataset;
  else p.test = String(c.test);
  p.every = String(c.evalEvery);
  p.seed = String(c.seed);
  if (c.spec) p.spec = c.spec;
  return p;
}
