/** `nnx bench --model` output contract on a tiny model (structure and consistency only: speed is never asserted). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nnx, useInProcessNnx } from './nnx_cli.ts';

const TINY = { name: 'tiny_cnn', input: [3, 1, 6, 5], optimizer: 'adam', layers: [
  { type: 'Conv2d', in_channels: 1, out_channels: 4, kernel_size: 3, padding: 1 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel_size: 2 },
  { type: 'Flatten' }, { type: 'Linear', in_features: 24, out_features: 5 }] };

describe('nnx bench --model', () => {
  const cli = useInProcessNnx();

  test('--train --json: a steady-state training step per part and kernel, no GPU buffer created, FLOPs against the peak', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nnx-bench-model-')), 'tiny.json');
    writeFileSync(file, JSON.stringify(TINY));
    const r = nnx(['bench', '--model', file, '--train', '--batch', '2', '--runs', '1', '--json'], undefined, 600_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { peak, model } = JSON.parse(r.stdout);
    expect(model).toMatchObject({ model: 'tiny_cnn', mode: 'train', batch: 2, runs: 1, gpu_buffers_created_per_step: 0 });
    expect(model.pool_hits_per_step).toBe(model.tensors_per_step);
    // Conv2d → ReLU → MaxPool2d runs as one fused layer (fused_layers.ts).
    expect(model.parts.map((p: { owner: string }) => p.owner)).toEqual(['forward 0+1+2', 'forward 4', 'loss', 'backward 4', 'backward 0+1+2', 'optimizer']);
    // The data input gets no gradient: conv2d's backward runs its weight gradient only.
    expect(model.kernels.map((k: { kernel: string }) => k.kernel)).not.toContain('conv2d_backward_input');
    expect(model.kernels.map((k: { kernel: string }) => k.kernel)).not.toContain('unit_max');
    expect(model.flops).toBe(model.parts.reduce((s: number, p: { flops: number }) => s + p.flops, 0));
    expect(model.flop_time_ms).toBeCloseTo(model.flops / (peak.gflops * 1e6), 9);
    expect(model.ratio_to_flop_time).toBeCloseTo(model.wall_ms / model.flop_time_ms, 6);
    expect(model.gpu_ms).toBeCloseTo(model.kernels.reduce((s: number, k: { gpu_ms: number }) => s + k.gpu_ms, 0), 6);
    const bad = await cli(['bench', '--train']);
    expect(bad.stderr).toMatch(/^nnx: bench: --train and --batch need --model SPEC\|ZOO/);
  }, 600_000);
});
