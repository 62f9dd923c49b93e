/** `gradcheck` over every registered op: analytic GPU gradients vs central differences of the GPU forward. */
import { describe, expect, test } from 'vitest';
import { GRADCHECK_CASES, gradcheckCase } from '../../src/ops/gradcheck.ts';
import { OPS } from '../../src/ops/registry.ts';
import { useGpu } from './gpu_harness.ts';

const gpu = useGpu();

describe('gradcheck', () => {
  test('every registered op has a built-in case', () => {
    expect(Object.keys(OPS).filter((op) => !GRADCHECK_CASES.some((c) => c.op === op))).toEqual([]);
  });

  test.each(GRADCHECK_CASES.map((c) => [c.op, c] as const))('%s', async (_op, c) => {
    const r = await gradcheckCase(gpu(), c, { probes: 4 });
    for (const i of r.inputs) expect(i.max_rel_error, `${c.op}.${i.input}: ${JSON.stringify(i.worst)}`).toBeLessThanOrEqual(r.tolerance);
  });

  test('a wrong gradient is caught', async () => {
    const c = GRADCHECK_CASES.find((x) => x.op === 'tanh')!;
    const r = await gradcheckCase(gpu(), c, { probes: 4, eps: 0.5 });
    // A huge eps makes the central difference a poor estimate: the check must notice.
    expect(r.passed).toBe(false);
  });
});
