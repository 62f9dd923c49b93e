/**
 * `nnx bench` output contract (structure and consistency only: speed is never asserted): the
 * first case list through the binary, the rest in-process on one runtime.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { adapterPrefersBlocked } from '../../src/kernels/adapter.ts';
import { nnx, useInProcessNnx } from './nnx_cli.ts';

/** Each run first measures the roofline (a 256 MiB copy among them): minutes on SwiftShader when other jobs load the machine. */
const TIMEOUT_MS = 600_000;

describe('nnx bench', () => {
  const cli = useInProcessNnx();

  test('--json --cases reports the roofline and every case with FLOPs, bytes and times', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnx-bench-'));
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify([
      { op: 'conv2d', attrs: { padding: 1 }, shapes: { x: [1, 16, 9, 7], weight: [16, 16, 3, 3] }, backward: true },
      { name: 'pool', op: 'max_pool2d', attrs: { kernel_size: 2 }, shapes: { x: [1, 3, 8, 8] } },
      { op: 'cross_entropy', shapes: { logits: [5, 7], target: [5] }, backward: true },
    ]));
    const r = nnx(['bench', '--json', '--cases', file, '--runs', '2'], undefined, TIMEOUT_MS);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.adapter.description.length).toBeGreaterThan(0);
    expect(out.peak.gflops).toBeGreaterThan(0);
    expect(out.peak.gbps).toBeGreaterThan(0);
    expect(out.cases.map((c: { name: string }) => c.name)).toEqual(['conv2d x[1,16,9,7] weight[16,16,3,3] +bwd', 'pool', 'cross_entropy logits[5,7] target[5] +bwd']);
    const [conv, pool] = out.cases;
    // conv2d forward + both gradients: 3 passes of 2·(1·16·9·7)·(16·3·3) FLOPs.
    expect(conv.flops).toBe(3 * 2 * 1008 * 144);
    // SwiftShader runs the blocked conv kernels (each correlation after a weight pack), other adapters the implicit GEMM.
    expect(conv.kernels.map((k: { kernel: string }) => k.kernel)).toEqual(adapterPrefersBlocked(out.adapter)
      ? ['conv2d_blocked_pack_weights', 'conv2d_blocked_forward', 'conv2d_blocked_backward_input', 'conv2d_blocked_weight_grad']
      : ['conv2d_gemm_forward', 'conv2d_gemm_backward_input', 'conv2d_gemm_backward_weight']);
    for (const c of out.cases) {
      for (const key of ['name', 'op', 'shapes', 'backward', 'gpu_ms', 'wall_ms', 'gflops', 'gbps', 'fraction_of_peak']) expect(c).toHaveProperty(key);
      expect(c.gpu_ms).toBeGreaterThan(0);
      expect(c.gpu_ms_min).toBeLessThanOrEqual(c.gpu_ms);
      expect(c.gflops).toBeCloseTo(c.flops / (c.gpu_ms * 1e6), 6);
    }
    expect(pool.backward).toBe(false);
  }, TIMEOUT_MS);

  test('--trace and --attention: the attention path each takes, buffers and dispatches per call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnx-bench-'));
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify([{ op: 'scaled_dot_product_attention', shapes: { q: [2, 2, 5, 4], k: [2, 2, 7, 4], v: [2, 2, 7, 3] }, backward: true }]));
    const kernelsOf = async (args: string[]) => {
      const r = await cli(['bench', '--json', '--cases', file, '--runs', '1', ...args]);
      expect(r.stderr).toBe('');
      const [c] = JSON.parse(r.stdout).cases;
      expect(c.peak_bytes).toBeGreaterThan(0);
      return { trace: c.trace, dispatches: c.dispatches, kernels: c.kernels.map((k: { kernel: string }) => k.kernel) };
    };
    expect(await kernelsOf(['--attention', 'fused'])).toEqual({
      trace: false, dispatches: 4, kernels: ['attention_fused_forward', 'attention_fused_backward_query', 'attention_fused_backward_key', 'attention_fused_backward_value'],
    });
    // Traced, the scores, softmax and their gradients are materialized: q·kᵀ as vec4 dot products, the rest as direct products.
    expect(await kernelsOf(['--attention', 'fused', '--trace'])).toEqual({
      trace: true, dispatches: 8, kernels: ['matmul_direct_dot4', 'attention_softmax', 'matmul_direct', 'attention_softmax_backward', 'matmul_direct_cols4'],
    });
    expect((await cli(['bench', '--attention', 'flash'])).stderr).toMatch(/--attention must be fused, unfused or auto, got flash/);
  }, TIMEOUT_MS);

  test('bad cases are refused with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnx-bench-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify([{ op: 'conv2d', shapes: { x: [1, 2, 0, 4], weight: [1, 2, 3, 3] } }]));
    expect((await cli(['bench', '--cases', file])).stderr).toMatch(/case 0: shape of "x" must be a list of whole numbers >= 1, got \[1,2,0,4\]/);
    expect((await cli(['bench', '--filter', 'no-such-case'])).stderr).toMatch(/no case matches --filter no-such-case/);
    expect((await cli(['bench', '--runs', '0'])).stderr).toMatch(/--runs must be a whole number >= 1, got 0/);
  });
});
