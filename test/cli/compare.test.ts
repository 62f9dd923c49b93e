/**
 * `nnx compare` with short runs: the JSON contract, params/MACs/FLOPs and predicted memory
 * against `nnx summary --json` of the specs it printed, that each line-up learns (test loss well
 * below the trivial predictor's), ModelSpec files in --archs, and one-line errors. The graph
 * line-up runs through the real binary, the rest in-process on one runtime.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nnx, useInProcessNnx, type CliResult } from './nnx_cli.ts';

const DIR = mkdtempSync(join(tmpdir(), 'nnx-compare-'));
/** SwiftShader compiles every pipeline in the first step. */
const TIMEOUT_MS = 300_000;
const cli = useInProcessNnx();

interface Run {
  arch: string;
  spec: { name: string; input: number[]; [key: string]: unknown };
  params: number;
  macs: number;
  flops: number;
  predicted_peak_bytes: number;
  measured_peak_bytes: number;
  step_ms: number;
  curve: { step: number; loss: number; wall_ms: number }[];
  evals: { step: number; train_loss: number; test_loss: number; test_accuracy: number | null }[];
  final: { test_loss: number; test_accuracy: number | null };
  gradient_flow: { steps: [number, number]; layers: { layer: string; type: string; params: Record<string, [number, number]>; grad_norm: [number, number]; grad_h_norm?: { first: number[]; last: number[] } }[] };
}

interface Report {
  task: string;
  data: { name: string; description: string };
  baseline_loss: number;
  settings: { steps: number; batch?: number; seed: number; evalEvery: number };
  runs: Run[];
}

function reportOf(r: CliResult): Report {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

async function compare(args: string[]): Promise<Report> {
  return reportOf(await cli(['compare', ...args, '--json']));
}

function checkContract(report: Report, steps: number, evalSteps: number[]): void {
  for (const run of report.runs) {
    expect(Object.keys(run).sort()).toEqual(['arch', 'curve', 'evals', 'final', 'flops', 'gradient_flow', 'macs', 'measured_peak_bytes', 'params', 'predicted_peak_bytes', 'spec', 'step_ms'].sort());
    expect(run.curve.map((p) => p.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    for (const p of run.curve) {
      expect(Number.isFinite(p.loss)).toBe(true);
      expect(p.wall_ms).toBeGreaterThan(0);
    }
    expect(run.evals.map((e) => e.step)).toEqual(evalSteps);
    expect(run.final).toEqual({ test_loss: run.evals.at(-1)!.test_loss, test_accuracy: run.evals.at(-1)!.test_accuracy });
    expect(run.step_ms).toBeGreaterThan(0);
    expect(run.measured_peak_bytes).toBeGreaterThan(0);
    expect(run.gradient_flow.steps).toEqual([1, steps]);
    // Every trained layer reports its weight gradient norm at both ends, nonzero at step 1.
    expect(run.gradient_flow.layers.length).toBeGreaterThan(0);
    for (const l of run.gradient_flow.layers) {
      expect(l.grad_norm[0]).toBeGreaterThan(0);
      expect(Number.isFinite(l.grad_norm[1])).toBe(true);
      const fromParams = Math.sqrt(Object.values(l.params).reduce((s, [first]) => s + first ** 2, 0));
      expect(l.grad_norm[0]).toBeCloseTo(fromParams, 6);
    }
  }
}

/** params, MACs, FLOPs and predicted peak memory are the analysis' numbers for the spec the run printed. */
async function checkAgainstSummary(run: Run): Promise<void> {
  const file = join(DIR, `${run.arch}.json`);
  writeFileSync(file, JSON.stringify(run.spec));
  const r = await cli(['summary', file, '--json']);
  expect(r.status).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(run.params).toBe(summary.totals.trainable_params);
  expect(run.macs).toBe(summary.totals.macs);
  expect(run.flops).toBe(summary.totals.flops);
  expect(run.predicted_peak_bytes).toBe(summary.memory.peak_bytes);
}

describe('nnx compare', () => {
  test('graph through the binary: JSON contract, numbers from nnx summary, and every GNN learns karate', async () => {
    const report = reportOf(nnx(['compare', 'graph', '--steps', '30', '--eval-every', '20', '--json'], undefined, TIMEOUT_MS));
    expect(report.task).toBe('graph');
    expect(report.data.name).toBe('karate');
    expect(report.baseline_loss).toBeCloseTo(Math.log(2), 12);
    expect(report.runs.map((r) => r.arch)).toEqual(['gcn', 'gat', 'sage']);
    checkContract(report, 30, [20, 30]);
    for (const run of report.runs) {
      await checkAgainstSummary(run);
      expect(run.spec.input).toEqual([34, 34]);
      // 6 labelled nodes train, 28 are scored: well below ln 2 and better than chance.
      expect(run.final.test_loss, run.arch).toBeLessThan(0.6 * report.baseline_loss);
      expect(run.final.test_accuracy!, run.arch).toBeGreaterThanOrEqual(0.7);
      expect(run.curve.at(-1)!.loss).toBeLessThan(0.2 * run.curve[0].loss);
    }
  }, TIMEOUT_MS);

  test('sequence: gated and recurrent runs report dL/dh_t per step; a ModelSpec file trains beside a line-up name', async () => {
    const first = await compare(['sequence', '--archs', 'rnn', '--length', '6', '--steps', '2', '--batch', '4']);
    const specFile = join(DIR, 'my_rnn.json');
    writeFileSync(specFile, JSON.stringify({ ...first.runs[0].spec, name: 'my_rnn' }));
    const report = await compare(['sequence', '--archs', `lstm,${specFile}`, '--length', '6', '--steps', '2', '--batch', '4', '--eval-every', '1']);
    expect(report.data.name).toBe('adding:6');
    expect(report.settings.batch).toBe(4);
    expect(report.runs.map((r) => r.arch)).toEqual(['lstm', 'my_rnn']);
    checkContract(report, 2, [1, 2]);
    // Same seed, same spec: the file reproduces the line-up's run step for step.
    expect(report.runs[1].curve.map((p) => p.loss)).toEqual(first.runs[0].curve.map((p) => p.loss));
    for (const run of report.runs) {
      await checkAgainstSummary(run);
      expect(run.final.test_accuracy).toBeNull();
      const rnn = run.gradient_flow.layers.find((l) => l.layer === 'rnn')!;
      expect(rnn.grad_h_norm!.first).toHaveLength(6);
      expect(rnn.grad_h_norm!.last).toHaveLength(6);
      expect(rnn.grad_h_norm!.last.every((v) => v > 0)).toBe(true);
    }
  }, TIMEOUT_MS);

  test('sequence: a GRU learns the adding problem (T = 5) well below the mean predictor', async () => {
    const report = await compare(['sequence', '--archs', 'gru', '--length', '5', '--batch', '64', '--steps', '100', '--eval-every', '100']);
    // Var(U + U) = 1/6 for the marked sum; the 1,000 test targets' variance is near it.
    expect(report.baseline_loss).toBeGreaterThan(0.14);
    expect(report.baseline_loss).toBeLessThan(0.2);
    expect(report.runs[0].final.test_loss).toBeLessThan(0.5 * report.baseline_loss);
    expect(report.runs[0].curve.at(-1)!.loss).toBeLessThan(0.5 * report.baseline_loss);
  }, TIMEOUT_MS);

  test('one-line errors', async () => {
    const bad = join(DIR, 'bad.json');
    writeFileSync(bad, '{"input": [1, 5, 2], "layers": [');
    const wrongFeatures = join(DIR, 'wrong_features.json');
    writeFileSync(wrongFeatures, JSON.stringify({ name: 'wide', input: [4, 10, 3], layers: [{ type: 'LSTM', input_size: 3, hidden_size: 4, batch_first: true }, { type: 'Select', dim: 1, index: -1 }, { type: 'Linear', in_features: 4, out_features: 1 }] }));
    const cases: [string[], RegExp][] = [
      [['compare', 'audio'], /^nnx: compare: unknown task "audio" \(tasks: .*sequence.*graph/],
      [['compare', 'graph', '--archs', 'gcn,mlp'], /^nnx: compare: unknown architecture "mlp" for graph \(known: gcn, gat, sage, or a ModelSpec \.json file\)$/],
      [['compare', 'sequence', '--archs', bad], /^nnx: .*bad\.json.*JSON/],
      [['compare', 'sequence', '--archs', join(DIR, 'missing.json')], /^nnx: .*missing\.json/],
      [['compare', 'sequence', '--archs', wrongFeatures, '--length', '5'], /^nnx: --data adding:5 gives \[16, 5, 2\], the model's input is \[4, 10, 3\]/],
      [['compare', 'graph', '--length', '10'], /^nnx: compare: --length is for the sequence task, not graph$/],
      [['compare', 'graph', '--batch', '4'], /^nnx: compare: --batch does not apply to the graph task/],
      [['compare', 'graph', '--dataset', 'cora'], /^nnx: compare: --dataset must be karate or sbm:V, got "cora"$/],
      [['compare', 'sequence', '--steps', '0'], /^nnx: compare: --steps must be an integer >= 1, got "0"$/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  }, TIMEOUT_MS);
});
