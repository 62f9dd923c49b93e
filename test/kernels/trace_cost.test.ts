/**
 * Tracing is free when off: every registered op, run forward and backward on a small case with
 * and without trace, differs only by the traced tensors. Without trace no buffer is created and
 * no kernel dispatched that the traced run lacks; with trace, the extra buffers are at most the
 * traced tensors, and an op that traces nothing runs the very same dispatches. Checked on the
 * ledger and the profiler's dispatch list, never on time. Attention runs its unfused path both
 * ways here (untraced it would otherwise fuse: attention_paths.test.ts covers that path). The
 * runner's readback staging buffers for traced tensors are the reading's, not the op's. The norms
 * trade on purpose: untraced, backward recomputes xhat (one dispatch) instead of keeping it.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { benchInputs } from '../../src/ops/bench.ts';
import { GRADCHECK_CASES } from '../../src/ops/gradcheck.ts';
import { OPS } from '../../src/ops/registry.ts';
import { runSpec, type RunResult } from '../../src/ops/run.ts';
import { setAttentionPath } from '../../src/ops/scaled_dot_product_attention.ts';
import { useGpu } from './gpu_harness.ts';

const gpu = useGpu();
afterAll(() => setAttentionPath('auto'));

/** A spec with seeded values (the ops' own samplers) for gradcheck's small shapes, with an output gradient. */
function specFor(c: (typeof GRADCHECK_CASES)[number]) {
  const shapes = Object.fromEntries(Object.entries(c.inputs).map(([name, t]) => [name, t.shape]));
  const host = benchInputs({ name: c.op, op: c.op, attrs: c.attrs, shapes, backward: true });
  const inputs = Object.fromEntries(Object.entries(host).map(([name, t]) => {
    const given = c.inputs[name];
    const data = given.data ?? Array.from(t.data!);
    return [name, given.bool ? { shape: t.shape, data: data.map((x) => (x > 0 ? 1 : 0)), dtype: 'bool' } : { shape: t.shape, data, dtype: t.dtype }];
  }));
  const prepared = OPS[c.op].prepare(c.attrs, host);
  const gradOutput = Object.fromEntries(Object.entries(prepared.outputShapes).map(([name, shape]) => {
    const count = shape.reduce((a, b) => a * b, 1);
    return [name, { shape, data: Array.from({ length: count }, (_, i) => Math.sin(i + 1)) }];
  }));
  return { op: c.op, attrs: c.attrs, inputs, grad_output: gradOutput };
}

/** Whether `sub` appears in `all` in order (other items may sit between). */
function isSubsequence(sub: string[], all: string[]): boolean {
  let i = 0;
  for (const item of all) if (i < sub.length && item === sub[i]) i++;
  return i === sub.length;
}

/** The labels in `more` beyond those in `less` (as multisets), or null when `less` has one `more` lacks. */
function extraLabels(less: string[], more: string[]): string[] | null {
  const left = [...more];
  for (const label of less) {
    const at = left.indexOf(label);
    if (at < 0) return null;
    left.splice(at, 1);
  }
  return left;
}

/** What an untraced run recomputes in backward that a traced run keeps (less memory, as PyTorch): a kernel and its buffer. */
const RECOMPUTED: Record<string, { kernel: string; buffer: string }> = {
  ...Object.fromEntries(['batch_norm', 'layer_norm', 'group_norm'].map((op) => [op, { kernel: 'norm_normalize', buffer: `${op}.xhat` }])),
  conv_bn_relu2d: { kernel: 'norm_normalize', buffer: 'batch_norm.xhat' },
};

const kernels = (r: RunResult) => r.timings.dispatches.map((d) => d.kernel);
const labels = (r: RunResult) => r.memory.buffers.map((b) => b.label).filter((l) => l !== 'readback staging');

describe('tracing costs nothing when off', () => {
  test('every registered op has a case', () => {
    expect(Object.keys(OPS).filter((op) => !GRADCHECK_CASES.some((c) => c.op === op))).toEqual([]);
  });

  test.each(GRADCHECK_CASES.map((c) => [c.op, c] as const))('%s', async (_op, c) => {
    setAttentionPath('unfused');
    const spec = specFor(c);
    const off = (await runSpec(gpu(), spec)).result;
    const on = (await runSpec(gpu(), spec, { trace: true })).result;
    expect(off.trace, 'no trace in the untraced result').toBeUndefined();
    const traced = Object.keys(on.trace ?? {});
    const offKernels = kernels(off).filter((k) => k !== RECOMPUTED[c.op]?.kernel);
    if (RECOMPUTED[c.op]) expect(kernels(off).length - offKernels.length, 'recomputing dispatches').toBe(1);
    expect(isSubsequence(offKernels, kernels(on)), `untraced dispatches ${kernels(off).join(',')} within traced ${kernels(on).join(',')}`).toBe(true);
    if (traced.length === 0) expect(kernels(off)).toEqual(kernels(on));
    const offLabels = labels(off);
    if (RECOMPUTED[c.op]) {
      expect(offLabels.filter((l) => l === RECOMPUTED[c.op].buffer), 'xhat made in forward and again in backward').toHaveLength(2);
      offLabels.splice(offLabels.lastIndexOf(RECOMPUTED[c.op].buffer), 1);
    }
    const extra = extraLabels(offLabels, labels(on));
    expect(extra, `untraced buffers ${labels(off).join(',')} within traced ${labels(on).join(',')}`).not.toBeNull();
    expect(extra!.length, `extra buffers ${extra!.join(',')} for traced ${traced.join(',')}`).toBeLessThanOrEqual(traced.length);
    expect(off.memory.peak_bytes).toBeLessThanOrEqual(on.memory.peak_bytes);
    expect(off.outputs).toEqual(on.outputs);
    expect(off.grads).toEqual(on.grads);
  });
});
