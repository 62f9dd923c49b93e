import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/analysis/errors.ts';
import { analyzeModel } from '../../src/analysis/graph.ts';
import { activationBytes, modelBlocks, parseStrategy, planParallel, smallestFit, type ParallelOptions } from '../../src/analysis/parallel_plan.ts';
import { zooModel } from '../../src/analysis/zoo/index.ts';
import { summaryCommand } from '../../src/cli/summary.ts';

/**
 * The planner against the ZeRO paper (Rajbhandari et al., SC'20): Figure 1 and §5 give the
 * per-GPU model states of a 7.5B-parameter model with mixed-precision Adam on 64 GPUs as
 * 120 GB (baseline DP), 31.4 GB (P_os), 16.6 GB (P_os+g) and 1.88 GB (P_os+g+p); §7 gives the
 * communication: 2Ψ elements per step for DP and ZeRO-1/2, 3Ψ for ZeRO-3.
 */

const PSI = 7.5e9;
const opts = (strategy: string, gpus: number, extra: Partial<ParallelOptions> = {}): ParallelOptions => ({
  strategy: parseStrategy(strategy), gpus, precision: 'mixed', optimizer: 'adam', checkpointing: false, ...extra,
});
/** Rounded to three significant figures, as the paper prints GB. */
const paperGB = (bytes: number): number => Number((bytes / 1e9).toPrecision(3));

describe('ZeRO paper, 7.5B parameters, mixed-precision Adam, 64 GPUs', () => {
  const expected: Record<string, number> = { dp: 120, zero1: 31.4, zero2: 16.6, zero3: 1.88 };
  for (const [strategy, gb] of Object.entries(expected)) {
    it(`${strategy}: model states ${gb} GB per GPU`, () => {
      const plan = planParallel(PSI, null, opts(strategy, 64));
      expect(paperGB(plan.per_gpu.model_states_bytes)).toBe(gb);
      expect(plan.per_gpu.model_states_bytes).toBe(plan.per_gpu.params_bytes + plan.per_gpu.grads_bytes + plan.per_gpu.optimizer_bytes);
    });
  }

  it('bytes per parameter are 2 + 2 + 12 (mixed Adam) and 4 + 4 + 8 (fp32 Adam)', () => {
    expect(planParallel(PSI, null, opts('dp', 1)).bytes_per_param).toEqual({ params: 2, grads: 2, optimizer: 12 });
    expect(planParallel(PSI, null, opts('dp', 1, { precision: 'fp32' })).bytes_per_param).toEqual({ params: 4, grads: 4, optimizer: 8 });
    expect(planParallel(PSI, null, opts('dp', 1, { optimizer: 'sgd' })).bytes_per_param).toEqual({ params: 2, grads: 2, optimizer: 4 });
  });

  it('communication: 2Ψ fp16 elements for DP and ZeRO-1/2, 3Ψ for ZeRO-3 (ring collectives, (N−1)/N of it per GPU)', () => {
    const ring = 63 / 64;
    for (const s of ['dp', 'zero1', 'zero2']) {
      expect(planParallel(PSI, null, opts(s, 64)).communication_bytes_per_step).toBeCloseTo(2 * PSI * 2 * ring, -3);
    }
    const z3 = planParallel(PSI, null, opts('zero3', 64));
    expect(z3.communication_bytes_per_step).toBeCloseTo(3 * PSI * 2 * ring, -3);
    expect(z3.collectives.map((c) => [c.collective, c.count])).toEqual([['reduce-scatter', 1], ['all-gather', 2]]);
  });
});

describe('tensor and pipeline parallelism on a model graph', () => {
  const graph = analyzeModel(zooModel('llama2_7b'), { input: [1, 16] });
  const params = 6_738_415_616;

  it('finds the 32 decoder layers as blocks', () => {
    expect(modelBlocks(graph)).toHaveLength(32);
  });

  it('splits model states over tp·pp and the rest over the data-parallel degree', () => {
    const plan = planParallel(params, graph, opts('zero1,tp:4,pp:2', 48));
    expect(plan.degrees).toEqual({ data: 6, tensor: 4, pipeline: 2 });
    const shard = params / 8;
    expect(plan.per_gpu.params_bytes).toBe(2 * shard);
    expect(plan.per_gpu.optimizer_bytes).toBeCloseTo((12 * shard) / 6, 3);
  });

  it('activations: fp16 bytes per micro-batch, divided by tp; checkpointing keeps far less', () => {
    const full = planParallel(params, graph, opts('dp', 1)).per_gpu.activation_bytes;
    expect(full).toBe(activationBytes(graph, 'fp16', false));
    expect(planParallel(params, graph, opts('dp,tp:4', 4)).per_gpu.activation_bytes).toBe(full / 4);
    const ckpt = planParallel(params, graph, opts('dp', 1, { checkpointing: true })).per_gpu.activation_bytes;
    // Kept: each layer's input [1, 16, 4096] in fp16, plus one layer recomputed.
    expect(ckpt).toBeGreaterThan(32 * 16 * 4096 * 2);
    expect(ckpt).toBeLessThan(full / 8);
  });

  it('tensor-parallel all-reduces of the block output and pipeline sends, with their groups', () => {
    const plan = planParallel(params, graph, opts('dp,tp:2,pp:4', 8));
    const tp = plan.collectives.find((c) => c.group === 'tensor');
    const blockOut = 16 * 4096 * 2;
    // 8 blocks per stage × 4 all-reduces × 4 micro-batches; ring all-reduce sends 2(t−1)/t of the message
    expect(tp).toMatchObject({ collective: 'all-reduce', group_size: 2, count: 128, message_bytes: blockOut, bytes_per_gpu: 128 * blockOut });
    const pp = plan.collectives.find((c) => c.group === 'pipeline');
    expect(pp).toMatchObject({ collective: 'send/recv', count: 8, message_bytes: blockOut / 2 });
    expect(plan.collectives.some((c) => c.group === 'data')).toBe(false);
  });

  it('smallest fit: the first GPU count whose per-GPU total fits', () => {
    const fit = smallestFit(params, graph, { strategy: parseStrategy('zero3'), precision: 'mixed', optimizer: 'adam', checkpointing: false }, 16e9);
    expect(fit).not.toBeNull();
    const n = fit!.gpus;
    expect(fit!.per_gpu.total_bytes).toBeLessThanOrEqual(16e9);
    expect(planParallel(params, graph, opts('zero3', n - 1)).per_gpu.total_bytes).toBeGreaterThan(16e9);
  });
});

describe('bad input', () => {
  it('names the problem and the numbers', () => {
    expect(() => parseStrategy('zero4')).toThrow(/unknown strategy "zero4"/);
    expect(() => parseStrategy('zero1,zero2')).toThrow(/more than one of dp, zero1, zero2, zero3/);
    expect(() => parseStrategy('tp:0')).toThrow(/tp:0 needs a degree >= 1/);
    expect(() => planParallel(PSI, null, opts('tp:3', 8))).toThrow(/--gpus 8 is not divisible by tp 3 × pp 1 = 3/);
    const small = analyzeModel(zooModel('lenet5'));
    expect(() => planParallel(61706, analyzeModel(zooModel('vit_tiny')), opts('pp:16', 16))).toThrow(/pp 16 is more stages than the model's 12 blocks/);
    expect(planParallel(61706, small, opts('dp,tp:2', 2)).notes.join(' ')).toMatch(/no repeated blocks/);
  });
});

describe('nnx summary --parallel', () => {
  let out: string[] = [];
  beforeEach(() => {
    out = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      out.push(args.join(' '));
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('--params 7.5e9 --json gives the plan alone; a model adds "parallel" to its report', async () => {
    await summaryCommand(['--params', '7.5e9', '--parallel', 'zero2', '--gpus', '64', '--precision', 'mixed', '--optimizer', 'adam', '--json']);
    const alone = JSON.parse(out.join('\n'));
    expect(paperGB(alone.parallel.per_gpu.model_states_bytes)).toBe(16.6);
    expect(Object.keys(alone.parallel.per_gpu)).toEqual(['params_bytes', 'grads_bytes', 'optimizer_bytes', 'model_states_bytes', 'activation_bytes', 'total_bytes']);
    out = [];
    await summaryCommand(['lenet5', '--parallel', 'zero1', '--gpus', '4', '--json']);
    const report = JSON.parse(out.join('\n'));
    expect(report.parallel.strategy).toBe('zero1');
    expect(report.parallel.params).toBe(report.totals.params);
    expect(report.parallel.per_gpu.activation_bytes).toBeGreaterThan(0);
  });

  it('flags that need each other are refused with one line', async () => {
    await expect(summaryCommand(['lenet5', '--gpus', '8'])).rejects.toThrow(InputError);
    await expect(summaryCommand(['lenet5', '--parallel', 'dp'])).rejects.toThrow('--parallel needs --gpus N');
    await expect(summaryCommand(['lenet5', '--params', '7.5e9', '--parallel', 'dp', '--gpus', '2'])).rejects.toThrow(/a model or --params N, got both/);
    await expect(summaryCommand(['--params', 'many', '--parallel', 'dp', '--gpus', '2'])).rejects.toThrow(/--params must be a positive whole number/);
    await expect(summaryCommand(['lenet5', '--parallel', 'dp', '--gpus', '2', '--precision', 'fp8'])).rejects.toThrow(/--precision must be mixed or fp32, got "fp8"/);
  });
});
