/** The runtime's ledger, batched readback, profiler and typed errors on a real adapter. */
import { describe, expect, test } from 'vitest';
import { BufferLimitError, DeviceLostError, WgslCompileError } from '../../src/kernels/errors.ts';
import { Ledger, usageNames } from '../../src/kernels/ledger.ts';
import { reluForward, reluForwardKernel } from '../../src/kernels/relu.ts';
import { GpuRuntime, grid1d, sizeClass } from '../../src/kernels/runtime.ts';
import { runSpec } from '../../src/ops/run.ts';
import { useGpu } from './gpu_harness.ts';

const gpu = useGpu();

describe('ledger', () => {
  test('tracks live and peak bytes through creation and destruction', () => {
    const ledger = new Ledger();
    const a = ledger.create('a', 'op', 100, 0x80 | 0x04);
    const b = ledger.create('b', 'op', 300, 0x40);
    ledger.destroy(a);
    ledger.destroy(a);
    ledger.create('c', 'op', 50, 0x01);
    expect(ledger.liveBytes).toBe(350);
    expect(ledger.peakBytes).toBe(400);
    expect(ledger.entries.map((e) => [e.label, e.created, e.destroyed])).toEqual([['a', 0, 2], ['b', 1, null], ['c', 3, null]]);
    ledger.destroy(b);
    ledger.resetPeak();
    expect(ledger.peakBytes).toBe(50);
    expect(usageNames(0x80 | 0x04)).toEqual(['COPY_SRC', 'STORAGE']);
  });

  test('records every buffer of a run, with its owner, and frees them all afterwards', async () => {
    const rt = gpu();
    const before = rt.ledger.liveBytes;
    const { result } = await runSpec(rt, {
      op: 'conv2d',
      inputs: { x: { shape: [1, 2, 5, 5], data: new Array(50).fill(1) }, weight: { shape: [3, 2, 3, 3], data: new Array(54).fill(0.5) } },
      grad_output: { output: { shape: [1, 3, 3, 3], data: new Array(27).fill(1) } },
    });
    const labels = result.memory.buffers.map((b) => b.label);
    expect(labels).toEqual(expect.arrayContaining(['x', 'weight', 'conv2d.output', 'grad_output.output', 'conv2d.grad.x', 'conv2d.grad.weight']));
    expect(result.memory.buffers.find((b) => b.label === 'x')).toMatchObject({ owner: 'conv2d', bytes: 200 });
    // x, weight, output, grad_output, grad x, grad weight are live together at the end.
    expect(result.memory.peak_bytes).toBeGreaterThanOrEqual(4 * (50 + 54 + 27 + 27 + 50 + 54));
    expect(rt.ledger.entries.filter((e) => e.owner === 'conv2d' && e.destroyed === null)).toEqual([]);
    expect(rt.ledger.liveBytes - before).toBeLessThanOrEqual(rt.ledger.entries.filter((e) => e.owner === 'readback' && e.destroyed === null).reduce((s, e) => s + e.bytes, 0));
  });
});

describe('readback', () => {
  test('reads many tensors in one batch and reuses pooled staging buffers', async () => {
    const rt = gpu();
    const a = rt.tensor('a', [3], 'float32', [1.5, -2, 3]);
    const b = rt.tensor('b', [2, 2], 'int32', [7, -8, 9, 2147483647]);
    const empty = rt.tensor('empty', [0]);
    const [av, bv, ev] = await rt.read([a, b, empty]);
    expect(Array.from(av)).toEqual([1.5, -2, 3]);
    expect(bv).toBeInstanceOf(Int32Array);
    expect(Array.from(bv)).toEqual([7, -8, 9, 2147483647]);
    expect(ev.length).toBe(0);
    const created = rt.ledger.gpu.buffers_created;
    const staged = rt.ledger.entries.filter((e) => e.label === 'readback staging').length;
    await rt.read([a, b]);
    // Two more logical staging buffers, both from the pool: no new GPU buffer.
    const staging = rt.ledger.entries.filter((e) => e.label === 'readback staging');
    expect(staging.length).toBe(staged + 2);
    expect(staging.slice(-2).map((e) => [e.pool_hit, e.destroyed !== null])).toEqual([[true, true], [true, true]]);
    expect(rt.ledger.gpu.buffers_created).toBe(created);
    rt.release(a, b, empty);
  });
});

describe('buffer pool', () => {
  test('size classes waste at most a quarter', () => {
    expect([1, 256, 257, 320, 321, 1000, 1024, 1025].map(sizeClass)).toEqual([256, 256, 320, 320, 384, 1024, 1024, 1280]);
    for (let bytes = 256; bytes < 1e7; bytes = Math.ceil(bytes * 1.37)) expect(sizeClass(bytes) / bytes).toBeLessThanOrEqual(1.25);
  });

  test('a released buffer is reused for the same size class, zeroed when no data is given, and the ledger keeps each logical tensor', async () => {
    const rt = gpu();
    const first = rt.ledger.entries.length;
    const a = rt.tensor('a', [70], 'float32', Array.from({ length: 70 }, (_, i) => i + 1));
    await rt.submit();
    const created = rt.ledger.gpu.buffers_created;
    rt.release(a);
    rt.release(a);
    const b = rt.tensor('b', [65]);
    const c = rt.tensor('c', [66]);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
    expect(rt.ledger.gpu.buffers_created).toBe(created + 1);
    const [bv] = await rt.read([b]);
    expect(Array.from(bv)).toEqual(new Array(65).fill(0));
    const entries = rt.ledger.entries.slice(first).filter((e) => ['a', 'b', 'c'].includes(e.label));
    expect(entries.map((e) => [e.label, e.bytes, e.pool_hit, e.destroyed !== null])).toEqual([['a', 280, false, true], ['b', 260, true, false], ['c', 264, false, false]]);
    rt.release(b, c);
  });

  test('repeating the same dispatches creates no GPU buffer (uniforms cached, pool reused)', async () => {
    const rt = gpu();
    const round = async () => {
      const x = rt.tensor('x', [100], 'float32', new Array(100).fill(-1));
      const y = rt.tensor('y', [100]);
      await reluForward(rt, x, y);
      await rt.submit();
      const [yv] = await rt.read([y]);
      rt.release(x, y);
      return yv;
    };
    await round();
    await round();
    const created = rt.ledger.gpu.buffers_created;
    expect(Array.from(await round())).toEqual(new Array(100).fill(0));
    expect(rt.ledger.gpu.buffers_created).toBe(created);
    await rt.timings();
  });
});

describe('profiler', () => {
  test('times each dispatch with timestamp queries and carries the kernel cost', async () => {
    const rt = gpu();
    expect(rt.device.features.has('timestamp-query')).toBe(true);
    const x = rt.tensor('x', [1000], 'float32', new Array(1000).fill(-1));
    const y = rt.tensor('y', [1000]);
    await reluForward(rt, x, y);
    await reluForward(rt, y, x);
    const report = await rt.timings();
    expect(report.timestamps).toBe('available');
    expect(report.dispatches.map((d) => d.kernel)).toEqual(['relu_forward', 'relu_forward']);
    for (const d of report.dispatches) {
      expect(d.gpu_ns).toBeGreaterThan(0);
      expect(d.flops).toBe(1000);
      expect(d.bytes).toBe(8000);
    }
    expect(report.total_gpu_ns).toBe(report.dispatches.reduce((s, d) => s + d.gpu_ns!, 0));
    rt.release(x, y);
  });

  test('grid1d folds more than 65,535 workgroups into y', () => {
    expect(grid1d(64 * 70000, 64)).toEqual([65535, 2, 1]);
    expect(grid1d(1, 64)).toEqual([1, 1, 1]);
    expect(grid1d(0, 64)).toEqual([1, 1, 1]);
  });
});

describe('typed errors', () => {
  test('a WGSL compile error names the kernel and the line', async () => {
    const broken = { ...reluForwardKernel, name: 'broken_kernel', code: reluForwardKernel.code.replace('let v = x[index];', 'let v = x[index] + undefinedThing;') };
    const line = broken.code.split('\n').findIndex((l) => l.includes('undefinedThing')) + 1;
    const error = await gpu().compile(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WgslCompileError);
    expect((error as WgslCompileError).kernel).toBe('broken_kernel');
    expect((error as WgslCompileError).line).toBe(line);
    expect((error as Error).message).toMatch(/^WGSL compile error in kernel broken_kernel at line \d+: .*undefinedThing/);
  });

  test('a buffer above the adapter limit is refused before allocation, with the numbers', () => {
    const r = gpu();
    const entries = r.ledger.entries.length;
    const limit = r.limits.maxStorageBufferBindingSize;
    expect(() => r.tensor('huge', [limit / 4 + 1])).toThrow(BufferLimitError);
    expect(() => r.tensor('huge', [limit / 4 + 1])).toThrow(/buffer "huge" needs [\d,]+ bytes, above this adapter's max\w+ of [\d,]+ bytes/);
    expect(r.ledger.entries.length).toBe(entries);
  });

  test('device loss surfaces as DeviceLostError on the next call', async () => {
    const lost = await GpuRuntime.create();
    lost.device.destroy();
    await lost.device.lost;
    expect(() => lost.tensor('x', [4])).toThrow(DeviceLostError);
    await expect(lost.dispatch(reluForwardKernel, { count: 1 }, [], [1, 1, 1], { flops: 0, bytesRead: 0, bytesWritten: 0 })).rejects.toThrow(/GPU device lost \(destroyed/);
  });
});
