/**
 * The GPU side of `nnx fuse`: every Conv2d → BatchNorm2d (→ ReLU) chain of a model runs unfused
 * (conv2d, batch_norm in eval mode, relu: the ops a model runs today) and fused (the BatchNorm
 * folded into the conv's weight and bias in float64, then one implicit-GEMM dispatch with the
 * bias and ReLU in its epilogue) on the same input; the outputs are compared and both are timed.
 */
import { normalizeConv2dAttrs, type Conv2dAttrs } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { findConvBnChains, foldConvBn, type BatchNormEval, type ConvBnChain } from '../analysis/fusion.ts';
import { analyzeModel, type AnalyzeOptions } from '../analysis/graph.ts';
import type { ModelSpec } from '../analysis/model_spec.ts';
import { mulberry32 } from '../analysis/random.ts';
import { numel } from '../analysis/tensor.ts';
import { conv2dGemmForward } from '../kernels/conv2d_gemm.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import { median } from './bench.ts';
import { conv2dOp } from './conv2d.ts';
import { batchNormOp } from './norm.ts';
import { reluOp } from './relu.ts';

/** Timing and traffic of one way of running a chain (medians over the timed runs). */
export interface ChainTiming {
  /** Median GPU time of one forward pass of the chain, from timestamp queries (null without them). */
  gpu_ms: number | null;
  gpu_ms_min: number | null;
  gpu_ms_max: number | null;
  /** Bytes the kernels read and write, from their cost model. */
  bytes: number;
  flops: number;
  dispatches: number;
  kernels: { kernel: string; gpu_ms: number | null }[];
}

/** One fused chain: what was folded, how far fused and unfused outputs are apart, and both timings. */
export interface FusedChainReport {
  conv: string;
  bn: string;
  relu: string | null;
  input_shape: number[];
  output_shape: number[];
  weight_shape: number[];
  groups: number;
  /** max |fused − unfused| over the chain's output. */
  max_abs_diff: number;
  /** max |unfused| (the scale max_abs_diff is measured against). */
  max_abs_output: number;
  unfused: ChainTiming;
  fused: ChainTiming;
  /** unfused.gpu_ms / fused.gpu_ms. */
  speedup: number | null;
}

/** What `nnx fuse --json` prints (with the adapter added by the command). */
export interface FuseReport {
  model: string;
  input: number[];
  /** "spec" when the spec's `weights` gave every folded tensor, else how they were drawn. */
  weights: string;
  runs: number;
  chains: FusedChainReport[];
  totals: { unfused_gpu_ms: number | null; fused_gpu_ms: number | null; unfused_bytes: number; fused_bytes: number; unfused_dispatches: number; fused_dispatches: number };
}

const SEEDED = 'seeded: conv weight and bias U(±1/√fan_in) as PyTorch initializes them, BatchNorm γ U(0.5, 1.5), β U(−0.5, 0.5), running_mean U(−0.5, 0.5), running_var U(0.5, 1.5); input U(−1, 1)';

interface ChainParams {
  weight: Float32Array;
  bias: Float32Array | null;
  bn: BatchNormEval;
}

/** The chain's parameters from the spec's `weights` (PyTorch state_dict names) or seeded draws. */
function chainParams(spec: ModelSpec, chain: ConvBnChain, weightShape: number[], random: () => number): { params: ChainParams; given: boolean } {
  const w = spec.weights ?? {};
  const get = (name: string) => (w[name] ? Float32Array.from(w[name].data as ArrayLike<number>) : null);
  const out = weightShape[0];
  const hasBias = chain.convLayer.bias !== false;
  const affine = chain.bnLayer.affine !== false;
  const eps = typeof chain.bnLayer.eps === 'number' ? chain.bnLayer.eps : 1e-5;
  const names = [`${chain.conv}.weight`, `${chain.bn}.running_mean`, `${chain.bn}.running_var`, ...(hasBias ? [`${chain.conv}.bias`] : []), ...(affine ? [`${chain.bn}.weight`, `${chain.bn}.bias`] : [])];
  const given = names.every((n) => w[n]);
  if (given) {
    return {
      given,
      params: {
        weight: get(`${chain.conv}.weight`)!, bias: hasBias ? get(`${chain.conv}.bias`) : null,
        bn: { weight: affine ? get(`${chain.bn}.weight`) : null, bias: affine ? get(`${chain.bn}.bias`) : null, runningMean: get(`${chain.bn}.running_mean`)!, runningVar: get(`${chain.bn}.running_var`)!, eps },
      },
    };
  }
  const bound = 1 / Math.sqrt(numel(weightShape.slice(1)));
  const uniform = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * random());
  return {
    given,
    params: {
      weight: uniform(numel(weightShape), -bound, bound),
      bias: hasBias ? uniform(out, -bound, bound) : null,
      bn: { weight: affine ? uniform(out, 0.5, 1.5) : null, bias: affine ? uniform(out, -0.5, 0.5) : null, runningMean: uniform(out, -0.5, 0.5), runningVar: uniform(out, 0.5, 1.5), eps },
    },
  };
}

/** Times `forward` (warm-up once, then `runs` times): each call's outputs are released after it. */
async function timeChain(rt: GpuRuntime, runs: number, forward: () => Promise<GpuTensor[]>): Promise<ChainTiming> {
  const gpu: number[] = [];
  const perKernel = new Map<string, number[]>();
  let bytes = 0;
  let flops = 0;
  let dispatches = 0;
  await rt.submit();
  await rt.timings();
  for (let i = 0; i < runs + 1; i++) {
    const made = await forward();
    await rt.submit();
    await rt.device.queue.onSubmittedWorkDone();
    rt.release(...made);
    const report = await rt.timings();
    if (i === 0) continue;
    if (report.total_gpu_ns !== null) gpu.push(report.total_gpu_ns / 1e6);
    bytes = report.dispatches.reduce((s, d) => s + d.bytes, 0);
    flops = report.dispatches.reduce((s, d) => s + d.flops, 0);
    dispatches = report.dispatches.length;
    const calls = new Map<string, number>();
    for (const d of report.dispatches) calls.set(d.kernel, (calls.get(d.kernel) ?? 0) + (d.gpu_ns ?? 0) / 1e6);
    for (const [kernel, ms] of calls) perKernel.set(kernel, [...(perKernel.get(kernel) ?? []), ms]);
  }
  return {
    gpu_ms: gpu.length ? median(gpu) : null,
    gpu_ms_min: gpu.length ? Math.min(...gpu) : null,
    gpu_ms_max: gpu.length ? Math.max(...gpu) : null,
    bytes, flops, dispatches,
    kernels: [...perKernel].map(([kernel, ms]) => ({ kernel, gpu_ms: gpu.length ? median(ms) : null })),
  };
}

/** conv2d → batch_norm (eval) → relu (when `relu`) with the ops a model runs; returns every tensor made, the output first. */
async function unfusedForward(rt: GpuRuntime, x: GpuTensor, t: Record<string, GpuTensor>, attrs: Record<string, unknown>, eps: number, relu: boolean): Promise<GpuTensor[]> {
  const host = (g: GpuTensor) => ({ shape: g.shape, dtype: g.dtype });
  const convInputs: Record<string, GpuTensor> = { x, weight: t.weight, ...(t.bias ? { bias: t.bias } : {}) };
  const conv = await conv2dOp.prepare(attrs, Object.fromEntries(Object.entries(convInputs).map(([k, v]) => [k, host(v)]))).forward(rt, convInputs, { trace: false });
  const y = conv.outputs.output;
  const bnInputs: Record<string, GpuTensor> = { x: y, running_mean: t.running_mean, running_var: t.running_var, ...(t.bn_weight ? { weight: t.bn_weight, bias: t.bn_bias } : {}) };
  const bn = await batchNormOp.prepare({ training: false, eps }, Object.fromEntries(Object.entries(bnInputs).map(([k, v]) => [k, host(v)]))).forward(rt, bnInputs, { trace: false });
  const made = [y, bn.outputs.output, ...Object.values(bn.trace)];
  if (!relu) return [bn.outputs.output, ...made.filter((m) => m !== bn.outputs.output)];
  const r = await reluOp.prepare({}, { x: host(bn.outputs.output) }).forward(rt, { x: bn.outputs.output }, { trace: false });
  return [r.outputs.output, ...made];
}

/** The conv attributes of a Conv2d layer spec, as conv2d takes them (padding as explicit numbers). */
function convAttrs(layer: Record<string, unknown>): Record<string, unknown> {
  if (layer.padding_mode !== undefined && layer.padding_mode !== 'zeros') throw new InputError(`fuse: padding_mode ${JSON.stringify(layer.padding_mode)} is not supported (zeros only)`);
  const attrs: Record<string, unknown> = {};
  for (const k of ['stride', 'padding', 'dilation', 'groups']) if (layer[k] !== undefined) attrs[k] = layer[k];
  return attrs;
}

/**
 * Runs every Conv2d → BatchNorm2d (→ ReLU) chain of `spec` unfused and fused on the same seeded
 * input at the chain's place in the model (shapes from the analysis), `runs` timed runs each.
 */
export async function fuseModel(rt: GpuRuntime, spec: ModelSpec, options: AnalyzeOptions & { runs?: number; seed?: number } = {}): Promise<FuseReport> {
  const graph = analyzeModel(spec, options);
  const chains = findConvBnChains(spec);
  if (chains.length === 0) throw new InputError(`fuse: model "${spec.name ?? 'spec'}" has no Conv2d directly followed by a BatchNorm2d over its channels`);
  const runs = options.runs ?? 5;
  const random = mulberry32(options.seed ?? 0);
  const reports: FusedChainReport[] = [];
  let allGiven = true;
  for (const chain of chains) {
    const node = graph.layers.find((l) => l.name === chain.conv)!;
    const weightShape = node.params.find((p) => p.name === 'weight')!.shape;
    const { params, given } = chainParams(spec, chain, weightShape, random);
    allGiven &&= given;
    const folded = foldConvBn({ shape: weightShape, data: Float64Array.from(params.weight) }, params.bias, params.bn);
    const attrs = convAttrs(chain.convLayer);
    const a: Conv2dAttrs = normalizeConv2dAttrs(attrs, weightShape[2], weightShape[3]);
    const inShape = node.inputShapes[0];
    const report = await rt.withOwner(`fuse ${chain.conv}`, async () => {
      const x = rt.tensor('x', inShape, 'float32', Float32Array.from({ length: numel(inShape) }, () => random() * 2 - 1));
      const t: Record<string, GpuTensor> = {
        weight: rt.tensor('conv.weight', weightShape, 'float32', params.weight),
        running_mean: rt.tensor('bn.running_mean', [weightShape[0]], 'float32', params.bn.runningMean),
        running_var: rt.tensor('bn.running_var', [weightShape[0]], 'float32', params.bn.runningVar),
        folded_weight: rt.tensor('folded.weight', weightShape, 'float32', folded.weight.data),
        folded_bias: rt.tensor('folded.bias', [weightShape[0]], 'float32', folded.bias.data),
      };
      if (params.bias) t.bias = rt.tensor('conv.bias', [weightShape[0]], 'float32', params.bias);
      if (params.bn.weight) t.bn_weight = rt.tensor('bn.weight', [weightShape[0]], 'float32', params.bn.weight);
      if (params.bn.bias) t.bn_bias = rt.tensor('bn.bias', [weightShape[0]], 'float32', params.bn.bias);
      const relu = chain.relu !== null;
      const fusedForward = async () => {
        const y = rt.tensor('fused.output', node.outputShape);
        await conv2dGemmForward(rt, x, t.folded_weight, t.folded_bias, y, a, relu);
        return [y];
      };
      const [unfusedMade, fusedMade] = [await unfusedForward(rt, x, t, attrs, params.bn.eps, relu), await fusedForward()];
      const [u, f] = await rt.read([unfusedMade[0], fusedMade[0]]);
      rt.release(...unfusedMade, ...fusedMade);
      let maxDiff = 0;
      let maxOut = 0;
      for (let i = 0; i < u.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(u[i] - f[i]));
        maxOut = Math.max(maxOut, Math.abs(u[i]));
      }
      const unfused = await timeChain(rt, runs, () => unfusedForward(rt, x, t, attrs, params.bn.eps, relu));
      const fused = await timeChain(rt, runs, fusedForward);
      rt.release(x, ...Object.values(t));
      return {
        conv: chain.conv, bn: chain.bn, relu: chain.relu,
        input_shape: inShape, output_shape: node.outputShape, weight_shape: weightShape, groups: a.groups,
        max_abs_diff: maxDiff, max_abs_output: maxOut, unfused, fused,
        speedup: unfused.gpu_ms !== null && fused.gpu_ms ? unfused.gpu_ms / fused.gpu_ms : null,
      };
    });
    reports.push(report);
  }
  const sum = (f: (r: FusedChainReport) => number | null) => (reports.every((r) => f(r) !== null) ? reports.reduce((s, r) => s + f(r)!, 0) : null);
  return {
    model: spec.name ?? 'model',
    input: graph.input.shape,
    weights: allGiven ? 'spec' : SEEDED,
    runs,
    chains: reports,
    totals: {
      unfused_gpu_ms: sum((r) => r.unfused.gpu_ms), fused_gpu_ms: sum((r) => r.fused.gpu_ms),
      unfused_bytes: sum((r) => r.unfused.bytes)!, fused_bytes: sum((r) => r.fused.bytes)!,
      unfused_dispatches: sum((r) => r.unfused.dispatches)!, fused_dispatches: sum((r) => r.fused.dispatches)!,
    },
  };
}
