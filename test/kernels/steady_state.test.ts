/**
 * A training step after the second creates no GPU buffer: tensors come from the runtime's
 * pool, uniforms from its content cache. The ledger still records every logical tensor.
 */
import { describe, expect, test } from 'vitest';
import type { ModelSpec } from '../../src/analysis/model_spec.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { useGpu } from './gpu_harness.ts';

const gpu = useGpu();

/** The small CNN of issue 16 (batch 2 here, 64 in the benchmark). */
const CNN: ModelSpec = { name: 'small_cnn', input: [2, 1, 28, 28], layers: [
  { type: 'Conv2d', in_channels: 1, out_channels: 16, kernel_size: 3, padding: 1 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel_size: 2 },
  { type: 'Conv2d', in_channels: 16, out_channels: 32, kernel_size: 3, padding: 1 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel_size: 2 },
  { type: 'Flatten' }, { type: 'Linear', in_features: 1568, out_features: 10 }] };

describe('steady state', () => {
  test.each([
    ['the small CNN with SGD', CNN],
    ['a 4-layer MLP with Adam (its params change every step)', { name: 'mlp', input: [5, 7], optimizer: 'adam', layers: [
      { type: 'Linear', in_features: 7, out_features: 9 }, { type: 'ReLU' }, { type: 'Linear', in_features: 9, out_features: 9 }, { type: 'Tanh' },
      { type: 'Linear', in_features: 9, out_features: 9 }, { type: 'ReLU' }, { type: 'Linear', in_features: 9, out_features: 3 }] } as ModelSpec],
  ])('%s: step 3 creates no GPU buffer, and the ledger shows its tensors as pool hits', async (_, spec) => {
    const rt = gpu();
    const ex = await Executor.create(rt, spec);
    try {
      await ex.step();
      await ex.step();
      const created = rt.ledger.gpu.buffers_created;
      const first = rt.ledger.entries.length;
      const r = await ex.step();
      expect(rt.ledger.gpu.buffers_created).toBe(created);
      const step = rt.ledger.entries.slice(first);
      expect(step.length).toBeGreaterThan(10);
      expect(step.every((e) => e.pool_hit)).toBe(true);
      expect(step.some((e) => e.owner.startsWith('backward '))).toBe(true);
      // Every logical tensor of the step is freed by its end but the input batch.
      expect(step.filter((e) => e.destroyed === null && e.owner !== 'forward input')).toEqual([]);
      expect(r.peak_bytes).toBeGreaterThan(0);
      expect(rt.ledger.gpu.bytes).toBeGreaterThanOrEqual(rt.ledger.liveBytes);
    } finally {
      ex.dispose();
    }
  }, 120_000);
});
