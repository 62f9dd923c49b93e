/** `nnx diagnose` and `nnx gradcheck`: one run of each through the real binary, the rest in-process on one runtime. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nnx, useInProcessNnx } from './nnx_cli.ts';

const cli = useInProcessNnx();

describe('nnx diagnose', () => {
  test('--json on a 20-layer sigmoid MLP: vanishing with recommendations, memory predicted and measured', () => {
    const layers: unknown[] = [];
    for (let i = 0; i < 20; i++) layers.push({ type: 'Linear', in_features: i ? 32 : 8, out_features: 32 }, { type: 'Sigmoid' });
    layers.push({ type: 'Linear', in_features: 32, out_features: 4 });
    const file = join(mkdtempSync(join(tmpdir(), 'nnx-diag-')), 'sigmoid.json');
    writeFileSync(file, JSON.stringify({ name: 'sigmoid20', input: [16, 8], layers }));
    const r = nnx(['diagnose', file, '--json', '--steps', '2']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.layers).toHaveLength(41);
    expect(out.steps).toHaveLength(2);
    const v = out.verdicts.find((x: { kind: string }) => x.kind === 'vanishing');
    expect(v.layer).toBe('0');
    expect(v.recommendations.length).toBeGreaterThan(1);
    expect(out.memory.predicted_peak_bytes).toBeGreaterThan(0);
    expect(Math.abs(out.memory.measured_peak_bytes / out.memory.predicted_peak_bytes - 1)).toBeLessThan(0.1);
  });

  test('the table on a zoo-free spec from stdin, and one-line errors', async () => {
    const spec = { input: [4, 6], init: 'kaiming_normal', layers: [{ type: 'Linear', in_features: 6, out_features: 8 }, { type: 'ReLU' }, { type: 'Linear', in_features: 8, out_features: 3 }] };
    const r = await cli(['diagnose', '-'], JSON.stringify(spec));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Layer\s+Type\s+Output/);
    expect(r.stdout).toMatch(/Memory, first step/);
    const bad = await cli(['diagnose', 'resnet_18']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^nnx: diagnose: cannot read resnet_18: ENOENT \(and it is not a zoo model: resnet18, /);
    expect((await cli(['diagnose', '-', '--steps', '0'], '{}')).stderr).toMatch(/--steps must be an integer >= 1/);
  });
});

describe('nnx gradcheck', () => {
  test('passes for the named ops and prints the max relative error per input', async () => {
    const r = nnx(['gradcheck', 'tanh', 'mse_loss', 'linear', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.passed).toBe(true);
    expect(out.results.map((x: { op: string }) => x.op)).toEqual(['linear', 'tanh', 'mse_loss']);
    expect(out.results[0].inputs.map((x: { input: string }) => x.input)).toEqual(['x', 'weight', 'bias']);
    for (const res of out.results) for (const i of res.inputs) expect(i.max_rel_error).toBeLessThan(res.tolerance);
    expect((await cli(['gradcheck', 'nope'])).stderr).toMatch(/unknown op "nope"/);
  });
});
