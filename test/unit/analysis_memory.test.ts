import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatSeconds, formatSI } from '../../src/analysis/format.ts';
import { analyzeModel } from '../../src/analysis/graph.ts';
import { memoryPlan, memoryPlans, savedActivationBytes } from '../../src/analysis/memory.ts';
import { DEVICE_PROFILES, getDeviceProfile, parseDeviceProfile, rooflinePoint, type DeviceProfile } from '../../src/analysis/roofline.ts';
import { buildSummary, formatSummaryTable } from '../../src/analysis/summary.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';

describe('training-memory plan, by hand', () => {
  // Linear(4, 3) on [2, 4]: 15 params; autograd keeps the input (8 floats);
  // largest working set = input 8 + output 6 floats.
  const g = analyzeModel({ input: [2, 4], layers: [{ type: 'Linear', in_features: 4, out_features: 3 }] });
  it('fp32 with Adam: params + grads + 2 states + saved + transient', () => {
    const p = memoryPlan(g, 'fp32', 'adam');
    expect(p).toMatchObject({
      parameter_bytes: 60, gradient_bytes: 60, optimizer_state_bytes: 120, saved_activation_bytes: 32,
      largest_transient_bytes: 56, largest_transient_layer: '0', peak_bytes: 60 + 60 + 120 + 32 + 56, inference_peak_bytes: 60 + 56,
    });
  });
  it('SGD keeps no state, momentum one buffer; fp16/bf16 halve, int8 quarters the float bytes', () => {
    expect(memoryPlan(g, 'fp32', 'sgd').peak_bytes).toBe(60 + 60 + 32 + 56);
    expect(memoryPlan(g, 'fp32', 'momentum').optimizer_state_bytes).toBe(60);
    const byDtype = Object.fromEntries(memoryPlans(g, 'adam').map((p) => [p.dtype, p.peak_bytes]));
    expect(byDtype).toEqual({ fp32: 328, fp16: 164, bf16: 164, int8: 82 });
  });
  it('a tensor two ops keep (ReLU output = next Linear input) counts once; frozen layers have no grads', () => {
    const g2 = analyzeModel({ input: [2, 4], layers: [
      { type: 'ReLU' }, { type: 'Linear', in_features: 4, out_features: 3, trainable: false },
    ] });
    expect(g2.layers[0].saved[0].storage).toBe(g2.layers[1].saved[0].storage);
    expect(savedActivationBytes(g2, 'fp32')).toBe(32);
    expect(memoryPlan(g2, 'fp32', 'adam')).toMatchObject({ gradient_bytes: 0, optimizer_state_bytes: 0, parameter_bytes: 60 });
  });
  it('int64 indices and bool masks keep their own sizes whatever the dtype', () => {
    const g3 = analyzeModel({ input: [1, 1, 4, 4], layers: [{ type: 'MaxPool2d', kernel_size: 2 }, { type: 'Dropout', p: 0.5 }] });
    // input 16 floats, indices 4 × int64, mask 4 × bool
    expect(savedActivationBytes(g3, 'fp32')).toBe(64 + 32 + 4);
    expect(savedActivationBytes(g3, 'fp16')).toBe(32 + 32 + 4);
  });
  it('a view keeps its whole base alive (Linear on the last GRU step keeps the GRU output)', () => {
    const gc = analyzeModel(zooModel('gru_classifier'));
    const fc = gc.layers.find((l) => l.name === 'fc');
    expect(fc?.saved[0].elements).toBe(32 * 100 * 512);
  });
  it('resnet18 at fp32 with Adam: parameters and optimizer state from the exact count', () => {
    const r = buildSummary(zooModel('resnet18'));
    expect(r.memory.parameter_bytes).toBe(11_689_512 * 4);
    expect(r.memory.optimizer_state_bytes).toBe(11_689_512 * 8);
    expect(r.memory.buffer_bytes).toBe(9600 * 4);
    expect(r.totals.training_peak_bytes).toBe(r.memory.peak_bytes);
    expect(r.memory.peak_bytes).toBeGreaterThan(r.memory.parameter_bytes * 4);
  });
});

describe('roofline', () => {
  const device: DeviceProfile = { name: 'test', peak_flops: { fp32: 1e12 }, bandwidth_bytes_per_s: 1e11, source: 'test' };
  it('a big matmul is compute-bound, ReLU memory-bound', () => {
    const spec = { input: [1024, 1024], layers: [{ type: 'Linear', in_features: 1024, out_features: 1024 }, { type: 'ReLU' }] };
    const r = buildSummary(spec, { device });
    const [lin, relu] = r.layers;
    expect(lin.flops).toBe(2 * 1024 ** 3 + 1024 ** 2);
    expect(lin.bytes_accessed).toBe(3 * 4 * 1024 ** 2 + 4 * 1024);
    expect(lin.roofline).toEqual({ time_s: lin.flops / 1e12, bound: 'compute' });
    expect(relu.bytes_accessed).toBe(8 * 1024 ** 2);
    expect(relu.roofline).toEqual({ time_s: relu.bytes_accessed / 1e11, bound: 'memory' });
    expect(r.roofline).toEqual({ time_s: lin.flops / 1e12 + relu.bytes_accessed / 1e11, compute_bound_layers: 1, memory_bound_layers: 1 });
    expect(r.device?.ridge_point_flops_per_byte).toBe(10);
  });
  it('an Embedding reads only the rows it gathers', () => {
    const r = buildSummary({ input: [8, 35], layers: [{ type: 'Embedding', num_embeddings: 1000, embedding_dim: 64 }] }, { device });
    // int64 ids + one 64-float row per token + the output
    expect(r.layers[0].bytes_accessed).toBe(280 * 8 + 280 * 64 * 4 + 280 * 64 * 4);
    expect(r.layers[0].weight_bytes).toBe(64_000 * 4);
  });
  it('rooflinePoint: intensity and the bound', () => {
    expect(rooflinePoint(100, 10, device, 'fp32')).toEqual({ arithmetic_intensity: 10, compute_time_s: 1e-10, memory_time_s: 1e-10, time_s: 1e-10, bound: 'compute' });
    expect(rooflinePoint(0, 0, device, 'fp32').bound).toBe('none');
    expect(() => rooflinePoint(1, 1, device, 'bf16')).toThrow('device "test" has no bf16 peak (it has fp32)');
  });
  it('built-in profiles have a bandwidth and an fp32 peak, and cite a source', () => {
    for (const p of Object.values(DEVICE_PROFILES)) {
      expect(p.bandwidth_bytes_per_s).toBeGreaterThan(1e11);
      expect(p.peak_flops.fp32).toBeGreaterThan(1e12);
      expect(p.source.length).toBeGreaterThan(10);
    }
    expect(getDeviceProfile('H100-SXM').peak_flops.bf16).toBe(989.4e12);
  });
  it('a measured profile is accepted as JSON', () => {
    const p = parseDeviceProfile({ name: 'local', peak_flops: { fp32: 2e12, fp16: 4e12 }, bandwidth_bytes_per_s: 3e11, source: 'nnx bench' });
    expect(p.peak_flops).toEqual({ fp32: 2e12, fp16: 4e12 });
  });
});

describe('summary report and table', () => {
  it('rows sum to the totals; JSON fields the CLI promises', () => {
    const r = buildSummary(zooModel('mobilenet_v2'), { dtype: 'bf16', optimizer: 'sgd' });
    const s = (f: (x: (typeof r.layers)[number]) => number): number => r.layers.reduce((a, x) => a + f(x), 0);
    expect(r.totals).toMatchObject({ params: 3_504_872, trainable_params: 3_504_872, non_trainable_params: 0, buffers: 34_112 });
    expect(s((x) => x.macs)).toBe(r.totals.macs);
    expect(s((x) => x.flops)).toBe(r.totals.flops);
    expect(r.totals.param_bytes).toBe(3_504_872 * 2);
    expect(r.layers[0]).toMatchObject({ name: 'features', type: 'Sequential', is_container: true });
    for (const key of ['name', 'type', 'output_shape', 'params', 'macs', 'flops']) expect(r.layers[5]).toHaveProperty(key);
    expect(r.layers.find((x) => x.name === 'features.0.0')?.derivation).toHaveLength(2);
    expect(r.memory_by_dtype.map((p) => p.dtype)).toEqual(['fp32', 'fp16', 'bf16', 'int8']);
  });
  it('the table: indented names, separators, MB and MiB labelled; --depth folds containers', () => {
    const r = buildSummary(zooModel('resnet18'), { device: getDeviceProfile('a100-sxm-80gb') });
    const text = formatSummaryTable(r);
    expect(text).toContain('Total params:         11,689,512 (trainable 11,689,512, non-trainable 0)');
    expect(text).toContain('Total MACs:           1,814,073,344 (1.81 GMACs)');
    expect(text).toContain('MB = 10^6 bytes, MiB = 2^20 bytes');
    expect(text).toMatch(/\n {4}conv1 \(Conv2d\) +\[1, 64, 56, 56\] +36,864 +115,605,504/);
    expect(text).toContain('Roofline on NVIDIA A100 SXM4 80GB');
    const folded = formatSummaryTable(r, { maxDepth: 1 });
    expect(folded).toMatch(/\nlayer1 \(Sequential\) +\[1, 64, 56, 56\] +147,968 +462,422,016/);
    expect(folded).not.toContain('conv2 (Conv2d)');
  });
  it('number formatting', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatSI(17_563_828_224)).toBe('17.56 G');
    expect(formatBytes(46_758_048)).toBe('46.76 MB (44.59 MiB)');
    expect(formatSeconds(2.5e-6)).toBe('2.50 µs');
    expect(formatSeconds(6.28e-7)).toBe('628 ns');
    expect(formatSeconds(0.0123)).toBe('12.30 ms');
  });
});
