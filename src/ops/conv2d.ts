import { conv2dOutputShape, normalizeConv2dAttrs, type Conv2dAttrs } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { formatShape } from '../analysis/tensor.ts';
import { conv2dBackwardInput } from '../kernels/conv2d_backward_input.ts';
import { conv2dBackwardWeight } from '../kernels/conv2d_backward_weight.ts';
import { BLOCKED_WEIGHT_GRAD_MAX_TAPS, blockedInputGradApplies, conv2dBlockedBackwardInput, conv2dBlockedBackwardWeight, conv2dBlockedForward } from '../kernels/conv2d_blocked.ts';
import { adapterPrefersBlocked } from '../kernels/adapter.ts';
import { conv2dForward } from '../kernels/conv2d_forward.ts';
import { conv2dGemmBackwardInput, conv2dGemmBackwardWeight, conv2dGemmForward } from '../kernels/conv2d_gemm.ts';
import { conv2dSmallKBackwardWeight, conv2dSmallKForward, usesSmallK } from '../kernels/conv2d_small_k.ts';
import { reluForward } from '../kernels/relu.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import type { OpDefinition } from './op.ts';
import { WEIGHT_BIAS_INPUTS, weightBiasRun, type WeightBiasBackward } from './weight_bias.ts';

/**
 * Which kernels conv2d uses: chosen per pass from the shapes, or forced (tests, benchmarks).
 * `small_k` forces the small-K kernels where they apply (groups 1, K ≤ 32) and the choice by
 * shape elsewhere; `blocked` forces the register-blocked kernels where they apply (input
 * gradient at stride 1, weight gradient up to 9 taps) and the choice by shape elsewhere.
 */
export type Conv2dAlgorithm = 'auto' | 'direct' | 'gemm' | 'small_k' | 'blocked';

let forced: Conv2dAlgorithm = 'auto';

/** Forces the direct or the implicit-GEMM kernels for every pass, or restores the choice by shape. */
export function setConv2dAlgorithm(algorithm: Conv2dAlgorithm): void {
  forced = algorithm;
}

/**
 * The implicit GEMM computes 64×64 tiles, so it pays off once the GEMM's columns (the output
 * channels per group for forward, the input channels per group for the input gradient) fill a
 * fair part of a tile. The weight gradient's alternative reduces one weight per workgroup,
 * whose barriers cost more than tile waste unless the conv is depthwise. Measured on
 * SwiftShader (best of 3, direct vs GEMM): 8→8 channels at 32×32 forward 15.8 vs 17.6 ms, input
 * gradient 13.6 vs 20.6 ms; 16→16 forward 23.0 vs 10.0 ms, input gradient 22.1 vs 11.3 ms;
 * weight gradient of [2,4,9,11]⊛[6,2,3,2] 4.2 vs 1.0 ms; depthwise [1,32,112,112] 47 vs 1,491 ms.
 */
export const GEMM_MIN_COLUMNS = 16;
export const GEMM_MIN_WEIGHT_ROWS = 2;

/** Whether a pass whose GEMM columns (or weight rows) number `size` uses the implicit GEMM (see the thresholds). */
export function useGemm(size: number, threshold: number): boolean {
  return forced === 'gemm' || (forced !== 'direct' && size >= threshold);
}

/**
 * Whether the forward and weight-gradient passes take the small-K kernels: a narrow conv reading
 * few channels (a network's first layer on 1- or 3-channel images) wastes most of a GEMM
 * tile's K steps and columns (`usesSmallK` has the measurements).
 */
function useSmallK(inPerGroup: number, outChannels: number, kernelH: number, kernelW: number, groups: number): boolean {
  return (forced === 'auto' || forced === 'small_k') && usesSmallK(inPerGroup, outChannels, kernelH, kernelW, groups);
}

/** Fewest channels per group (of the pass's output) for which `auto` picks the blocked kernels: a block is 4 (or 8) channels wide. */
export const BLOCKED_MIN_CHANNELS = 4;

/**
 * Whether a pass whose output has `perGroup` channels per group takes the register-blocked
 * kernels: forced, or chosen on an adapter that runs them faster (`adapterPrefersBlocked`).
 */
function useBlocked(rt: GpuRuntime, perGroup: number): boolean {
  return forced === 'blocked' || (forced === 'auto' && perGroup >= BLOCKED_MIN_CHANNELS && adapterPrefersBlocked(rt.adapter));
}

/** Whether conv2d's forward takes the register-blocked kernels for this weight here (and so the fused conv2d_relu_pool may stand in for it). */
export function conv2dForwardIsBlocked(rt: GpuRuntime, weightShape: number[], a: Conv2dAttrs): boolean {
  return useBlocked(rt, weightShape[0] / a.groups);
}

/** The kernels of conv2d's backward for these shapes on this adapter (chosen as `conv2dOp` chooses them), for weightBiasRun. */
export function conv2dBackwardPasses(rt: GpuRuntime, x: GpuTensor, weight: GpuTensor, a: Conv2dAttrs, outShape: number[]): WeightBiasBackward {
  const w = weight.shape;
  const outPerGroup = w[0] / a.groups;
  const inPerGroup = w[1];
  const smallK = useSmallK(inPerGroup, w[0], w[2], w[3], a.groups);
  const blockedWeight = w[2] * w[3] <= BLOCKED_WEIGHT_GRAD_MAX_TAPS && useBlocked(rt, outPerGroup);
  return {
    gradX: (gradOutput, gradX) => (blockedInputGradApplies(a) && useBlocked(rt, inPerGroup) ? conv2dBlockedBackwardInput : useGemm(inPerGroup, GEMM_MIN_COLUMNS) ? conv2dGemmBackwardInput : conv2dBackwardInput)(rt, gradOutput, weight, gradX, a),
    gradWeight: (gradOutput, gradWeight) => {
      const weightKernel = blockedWeight ? conv2dBlockedBackwardWeight : smallK ? conv2dSmallKBackwardWeight : useGemm(outPerGroup, GEMM_MIN_WEIGHT_ROWS) ? conv2dGemmBackwardWeight : conv2dBackwardWeight;
      return weightKernel(rt, gradOutput, x, gradWeight, a);
    },
    biasSum: [outShape[0], outShape[1], outShape[2] * outShape[3]],
    // The blocked weight gradient reads every gradY value anyway: it sums the bias gradient too.
    gradWeightAndBias: blockedWeight ? (gradOutput, gradWeight, gradBias) => conv2dBlockedBackwardWeight(rt, gradOutput, x, gradWeight, a, gradBias) : undefined,
  };
}

/** `F.conv2d(x, weight, bias, stride, padding, dilation, groups)` on NCHW tensors. */
export const conv2dOp: OpDefinition = {
  name: 'conv2d',
  inputs: WEIGHT_BIAS_INPUTS,
  outputs: ['output'],
  prepare(attrs, inputs) {
    const w = inputs.weight.shape;
    if (w.length !== 4) throw new InputError(`conv2d: weight must be 4-D [out, in/groups, kh, kw], got shape ${formatShape(w)}`);
    const a = normalizeConv2dAttrs(attrs, w[2], w[3]);
    const outShape = conv2dOutputShape(inputs.x.shape, w, a, inputs.bias?.shape);
    const outPerGroup = w[0] / a.groups;
    return {
      outputShapes: { output: outShape },
      async forward(rt, { x, weight, bias }, options) {
        const relu = options.epilogue === 'relu';
        let output = rt.tensor('conv2d.output', outShape);
        const smallK = useSmallK(w[1], w[0], w[2], w[3], a.groups);
        if (useBlocked(rt, outPerGroup)) await conv2dBlockedForward(rt, x, weight, bias ?? null, output, a, relu);
        else if (!smallK && useGemm(outPerGroup, GEMM_MIN_COLUMNS)) await conv2dGemmForward(rt, x, weight, bias ?? null, output, a, relu);
        else {
          await (smallK ? conv2dSmallKForward : conv2dForward)(rt, x, weight, bias ?? null, output, a);
          if (relu) {
            const activated = rt.tensor('conv2d.output (ReLU)', outShape);
            await reluForward(rt, output, activated);
            rt.releaseAfterSubmit(output);
            output = activated;
          }
        }
        return weightBiasRun(rt, 'conv2d', output, { x, weight, bias }, conv2dBackwardPasses(rt, x, weight, a, outShape));
      },
    };
  },
};
