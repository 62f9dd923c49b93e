/**
 * `nnx train` through the real binary: every step's loss against PyTorch's trajectories
 * (test/fixtures/generate_train.py) with given weights and data, the --json contract, and
 * one-line errors. The table goes through the binary; everything else runs the same command
 * in-process on one runtime (SwiftShader compiles each pipeline once for the file).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nnx, useInProcessNnx, type CliResult } from './nnx_cli.ts';

interface TrainCase {
  name: string;
  family: string;
  spec: { name: string; input: number[]; layers: unknown[]; weights: Record<string, { shape: number[]; data: number[] }>; [key: string]: unknown };
  data: Record<string, { shape: number[]; data: number[]; dtype?: string }>;
  args: string[];
  steps: number;
  optimizer: Record<string, unknown>;
  expected_losses: number[];
}

const CASES: TrainCase[] = JSON.parse(readFileSync(new URL('../fixtures/train_cases.json', import.meta.url), 'utf8'));
const DIR = mkdtempSync(join(tmpdir(), 'nnx-train-'));
const cli = useInProcessNnx();

function write(name: string, value: unknown): string {
  const file = join(DIR, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

/** SwiftShader compiles every pipeline in the first step (tens of seconds for the conv GEMMs on a loaded machine). */
const TIMEOUT_MS = 400_000;

function trainArgs(c: TrainCase, extra: string[] = [], spec: unknown = c.spec, data: unknown = c.data): string[] {
  return ['train', write(`${c.name}.spec.json`, spec), '--data', write(`${c.name}.data.json`, data), '--steps', String(c.steps), ...c.args, ...extra];
}

function train(c: TrainCase, extra: string[] = [], spec: unknown = c.spec, data: unknown = c.data): Promise<CliResult> {
  return cli(trainArgs(c, extra, spec, data));
}

const byName = (name: string) => CASES.find((c) => c.name === name)!;

describe('nnx train reproduces PyTorch losses step by step', () => {
  test('the fixtures cover every family of the issue', () => {
    expect(new Set(CASES.map((c) => c.family))).toEqual(new Set(['vit', 'transformer', 'lstm', 'gcn', 'cnn', 'mlp']));
    expect(CASES.map((c) => c.optimizer.type)).toEqual(expect.arrayContaining(['sgd', 'adam', 'momentum']));
  });

  for (const c of CASES) {
    test(`${c.name} (${c.family}, ${c.optimizer.type} lr ${c.optimizer.lr}, ${c.steps} steps)`, async () => {
      const r = await train(c, ['--json']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out).sort()).toEqual(['memory', 'model', 'optimizer', 'params', 'steps']);
      expect(out.model).toBe(c.name);
      expect(out.params).toBe(Object.entries(c.spec.weights).filter(([k]) => !/running_(mean|var)$/.test(k)).reduce((s, [, t]) => s + t.data.length, 0));
      expect(out.optimizer).toEqual(c.optimizer);
      expect(out.steps.map((s: { step: number }) => s.step)).toEqual(c.expected_losses.map((_, i) => i + 1));
      out.steps.forEach((s: { loss: number; wall_ms: number; gpu_ms: number | null }, i: number) => {
        const want = c.expected_losses[i];
        expect(Math.abs(s.loss - want), `step ${i + 1}: nnx ${s.loss}, PyTorch ${want}`).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(want));
        expect(Object.keys(s).sort()).toEqual(['gpu_ms', 'loss', 'step', 'wall_ms']);
        expect(s.wall_ms).toBeGreaterThan(0);
        // Null only on an adapter without timestamp-query (SwiftShader has it).
        expect(s.gpu_ms === null || s.gpu_ms > 0).toBe(true);
      });
      // At least the parameters and their gradients are live during a step, in the plan and on the GPU.
      expect(out.memory.predicted_peak_bytes).toBeGreaterThanOrEqual(2 * 4 * out.params);
      expect(out.memory.measured_peak_bytes).toBeGreaterThanOrEqual(2 * 4 * out.params);
    }, TIMEOUT_MS);
  }
});

describe('nnx train: optimizer flags and the table', () => {
  const c = byName('mlp_momentum');

  test('the spec\'s optimizer without flags; --lr overrides its learning rate only', async () => {
    const spec = { ...c.spec, optimizer: { type: 'adam', lr: 0.02, betas: [0.8, 0.99] } };
    const out = JSON.parse((await cli(['train', write('adam.json', spec), '--steps', '1', '--json', '--lr', '0.003'])).stdout);
    expect(out.optimizer).toEqual({ type: 'adam', lr: 0.003, momentum: 0, betas: [0.8, 0.99], eps: 1e-8, weight_decay: 0 });
    expect(out.steps).toHaveLength(1);
  }, TIMEOUT_MS);

  test('the binary: the table, one row per step and the final loss', () => {
    const r = nnx(trainArgs(c), undefined, TIMEOUT_MS);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/step\s+loss\s+wall ms\s+GPU ms/);
    const last = c.expected_losses[c.expected_losses.length - 1];
    const final = Number(/final loss (\S+) after 5 steps/.exec(r.stdout)?.[1]);
    expect(Math.abs(final - last)).toBeLessThanOrEqual(2e-4 + 2e-3 * last);
  }, TIMEOUT_MS);
});

describe('nnx train one-line errors', () => {
  const c = byName('mlp_momentum');
  const weights = c.spec.weights;

  test('an unknown weight name, with the nearest name', async () => {
    const { ['2.weight']: w, ...rest } = weights;
    const r = await train(c, [], { ...c.spec, weights: { ...rest, '2.wieght': w } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nnx: weights: .*"2\.wieght".*2\.weight/);
    expect(r.stderr.split('\n')).toHaveLength(1);
  });

  test('a weight of the wrong shape, with both shapes', async () => {
    const r = await train(c, [], { ...c.spec, weights: { ...weights, '0.weight': { shape: [7, 10], data: weights['0.weight'].data } } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nnx: weights: .*0\.weight.*\[7, 10\].*\[10, 7\]/);
  });

  test('data whose shape disagrees with the spec, with both shapes', async () => {
    const inputs = { shape: [6, 6], data: c.data.inputs.data.slice(0, 36) };
    const r = await train(c, [], c.spec, { ...c.data, inputs });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nnx: train: --data inputs has shape \[6, 6\], the model's input is \[6, 7\]/);
    const targets = { shape: [5], data: [0, 1, 2, 3, 0], dtype: 'int32' };
    const t = await train(c, [], c.spec, { ...c.data, targets });
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(/^nnx: train: --data targets has shape \[5\], .*\[6, 4\] needs \[6\]/);
  });

  test('data of the wrong kind: float inputs for a token model, a graph model without edge_index', async () => {
    const tokens = byName('token_classifier');
    const floats = { ...tokens.data.inputs, dtype: 'float32' };
    expect((await train(tokens, [], tokens.spec, { ...tokens.data, inputs: floats })).stderr).toBe('nnx: train: --data inputs are float32, the model reads int32 token ids (it starts with an Embedding)');
    const gcn = byName('gcn2_masked');
    const { edge_index: _edges, ...noEdges } = gcn.data;
    expect((await train(gcn, [], gcn.spec, noEdges)).stderr).toBe('nnx: train: --data has no "edge_index" [2, E], which the graph model needs');
  }, TIMEOUT_MS);

  test('the data\'s batch dimension replaces the spec\'s; --batch must then agree', async () => {
    const inputs = { shape: [2, 7], data: c.data.inputs.data.slice(0, 14) };
    const targets = { shape: [2], data: c.data.targets.data.slice(0, 2), dtype: 'int32' };
    const r = await train(c, ['--json', '--steps', '1'], c.spec, { inputs, targets });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).steps).toHaveLength(1);
    expect((await train(c, ['--batch', '3'], c.spec, { inputs, targets })).stderr).toMatch(/^nnx: train: --batch 3 disagrees with the batch of --data inputs \[2, 7\] \(2\)/);
  }, TIMEOUT_MS);

  test('bad --steps, --optimizer and a missing data file', async () => {
    for (const steps of ['0', '1.5', 'x']) {
      const r = await cli(['train', write('s.json', c.spec), '--steps', steps]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`nnx: train: --steps must be an integer >= 1, got "${steps}"`);
    }
    expect((await cli(['train', write('s.json', c.spec), '--optimizer', 'rmsprop'])).stderr).toMatch(/^nnx: train: --optimizer must be one of sgd, momentum, adam/);
    expect((await cli(['train', write('s.json', c.spec), '--data', join(DIR, 'missing.json')])).stderr).toMatch(/^nnx: train: cannot read --data .*missing\.json: ENOENT/);
  });
});
