/**
 * The runtime when things go wrong: a device destroyed mid-run (the NNX_TEST_DESTROY_DEVICE_AFTER
 * hook) fails the run with DeviceLostError and frees every buffer; specs and models whose
 * tensors exceed the adapter's buffer limits are refused before anything is allocated, naming
 * the tensor, its bytes and the limit; work that throws mid-run leaves the ledger at zero.
 */
import { beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import { BufferLimitError, DeviceLostError, KernelError } from '../../src/kernels/errors.ts';
import { deviceLossReason, GpuRuntime } from '../../src/kernels/runtime.ts';
import { Executor } from '../../src/ops/executor/executor.ts';
import { runSpec } from '../../src/ops/run.ts';
import { useGpu } from './gpu_harness.ts';

const gpu = useGpu();
/** Runtimes whose device the test hook destroys at their second dispatch (relu backward) and fifth (mid training step). */
let doomed: GpuRuntime | null = null;
let doomedModel: GpuRuntime | null = null;

async function runtimeLostAfter(dispatches: number): Promise<GpuRuntime> {
  process.env.NNX_TEST_DESTROY_DEVICE_AFTER = String(dispatches);
  try {
    return await GpuRuntime.create();
  } finally {
    delete process.env.NNX_TEST_DESTROY_DEVICE_AFTER;
  }
}

beforeAll(async () => {
  doomed = await runtimeLostAfter(2);
  doomedModel = await runtimeLostAfter(5);
});
afterAll(() => {
  doomed?.destroy();
  doomedModel?.destroy();
});

const relu = {
  op: 'relu',
  attrs: {},
  inputs: { x: { shape: [3, 7], data: Array.from({ length: 21 }, (_, i) => i - 10) } },
  grad_output: { output: { shape: [3, 7], data: new Array(21).fill(1) } },
};

/** The error `promise` rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection, the call succeeded');
}

describe('device loss', () => {
  it('a device destroyed mid-run fails the run with DeviceLostError, frees its buffers and later calls fail the same way', async () => {
    const rt = doomed!;
    const error = await rejection(runSpec(rt, relu));
    expect(error).toBeInstanceOf(DeviceLostError);
    expect(error.message).toMatch(/^GPU device lost \(destroyed/);
    expect(rt.lost).toBe(true);
    expect(rt.ledger.liveBytes).toBe(0);
    expect(rt.ledger.entries.length).toBeGreaterThan(0);
    expect(deviceLossReason()).toMatch(/^destroyed/);
    const again = await rejection(runSpec(rt, relu));
    expect(again).toBeInstanceOf(DeviceLostError);
    expect(rt.ledger.liveBytes).toBe(0);
  });

  it('a model whose device is lost mid training step fails with DeviceLostError; disposing it frees every buffer', async () => {
    const rt = doomedModel!;
    const spec = { name: 'mlp', input: [4, 6], layers: [{ type: 'Linear', in_features: 6, out_features: 5 }, { type: 'ReLU' }, { type: 'Linear', in_features: 5, out_features: 3 }] };
    const ex = await Executor.create(rt, spec as never);
    const error = await rejection(ex.step());
    expect(error).toBeInstanceOf(DeviceLostError);
    ex.dispose();
    expect(rt.ledger.liveBytes).toBe(0);
  });
});

describe('limits are checked before allocation', () => {
  it('a conv2d whose output exceeds the buffer limits is refused with the size and the limit, allocating nothing', async () => {
    const rt = gpu();
    const before = rt.ledger.entries.length;
    const spec = { op: 'conv2d', attrs: { padding: 40000 }, inputs: { x: { shape: [1, 1, 1, 1], data: [1] }, weight: { shape: [1, 1, 1, 1], data: [1] } } };
    const error = await rejection(runSpec(rt, spec));
    expect(error).toBeInstanceOf(BufferLimitError);
    const bytes = 80001 * 80001 * 4;
    const limit = Math.min(rt.limits.maxBufferSize, rt.limits.maxStorageBufferBindingSize);
    expect(bytes).toBeGreaterThan(limit);
    expect(error.message).toContain(`buffer "conv2d.output" needs ${bytes.toLocaleString('en-US')} bytes, above this adapter's max`);
    expect(error.message).toMatch(/maxBufferSize of [\d,]+ bytes|maxStorageBufferBindingSize of [\d,]+ bytes/);
    expect(rt.ledger.entries.length).toBe(before);
  });

  it('a model with a parameter over the limits is refused before any of its buffers is created', async () => {
    const rt = gpu();
    const before = rt.ledger.entries.length;
    const spec = {
      name: 'too_wide',
      input: [2, 8],
      layers: [
        { type: 'Embedding', name: 'embed', num_embeddings: 300_000_000, embedding_dim: 4 },
        { type: 'Linear', name: 'fc', in_features: 4, out_features: 3 },
      ],
    };
    const error = await rejection(Executor.create(rt, spec as never));
    expect(error).toBeInstanceOf(BufferLimitError);
    expect(error.message).toContain(`buffer "embed.weight" needs ${(1_200_000_000 * 4).toLocaleString('en-US')} bytes, above this adapter's max`);
    expect(rt.ledger.entries.length).toBe(before);
  });
});

describe('the ledger returns to zero after failures', () => {
  it('a spec that fails validation allocates nothing; a run after it frees everything', async () => {
    const rt = gpu();
    const bad = { ...relu, grad_output: { output: { shape: [7, 3], data: new Array(21).fill(1) } } };
    await expect(runSpec(rt, bad)).rejects.toThrow(/relu: grad_output.output has shape \[7, 3\] but output has shape \[3, 7\]/);
    expect(rt.ledger.liveBytes).toBe(0);
    const { result } = await runSpec(rt, relu);
    expect(result.outputs.output.data).toEqual(relu.inputs.x.data.map((v) => Math.max(v, 0)));
    expect(rt.ledger.liveBytes).toBe(0);
  });

  it('an op whose second kernel fails mid-run (relu backward) frees every buffer of the run', async () => {
    const rt = gpu();
    const dispatch = rt.dispatch.bind(rt);
    let calls = 0;
    const failing = vi.spyOn(rt, 'dispatch').mockImplementation((...args: Parameters<GpuRuntime['dispatch']>) => {
      if (++calls === 2) return Promise.reject(new KernelError('kernel relu_backward: simulated failure'));
      return dispatch(...args);
    });
    try {
      await expect(runSpec(rt, relu)).rejects.toThrow(/simulated failure/);
    } finally {
      failing.mockRestore();
    }
    expect(calls).toBe(2);
    expect(rt.ledger.liveBytes).toBe(0);
    const { result } = await runSpec(rt, relu);
    expect(result.grads?.x.data).toEqual(relu.inputs.x.data.map((v) => (v > 0 ? 1 : 0)));
    expect(rt.ledger.liveBytes).toBe(0);
  });

  it('work that throws after allocating and encoding frees its buffers, and its unsubmitted work never runs', async () => {
    const rt = gpu();
    const target = rt.tensor('kept', [4], 'float32', [1, 2, 3, 4]);
    const live = rt.ledger.liveBytes;
    const error = await rejection(rt.releasingOnError(async () => {
      const scratch = rt.tensor('scratch', [64, 64]);
      rt.tensor('more scratch', [1000]);
      rt.copy(scratch.buffer, target.buffer, 16);
      throw new Error('failed mid-op');
    }));
    expect(error.message).toBe('failed mid-op');
    expect(rt.ledger.liveBytes).toBe(live);
    expect(Array.from(await rt.readFloat(target))).toEqual([1, 2, 3, 4]);
    rt.release(target);
    expect(rt.ledger.liveBytes).toBe(0);
  });
});
