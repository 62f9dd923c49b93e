/** What `F.linear`, `F.conv2d` and `F.conv_transpose2d` share: their inputs and the shape of their backward pass. */
import { channelSum } from '../kernels/channel_sum.ts';
import type { GpuRuntime, GpuTensor } from '../kernels/runtime.ts';
import type { InputSpec, OpRun } from './op.ts';

/** x, weight and an optional bias, all differentiable. */
export const WEIGHT_BIAS_INPUTS: InputSpec[] = [
  { name: 'x', dtype: 'float32', differentiable: true },
  { name: 'weight', dtype: 'float32', differentiable: true },
  { name: 'bias', dtype: 'float32', optional: true, differentiable: true },
];

/** The kernels that fill ∂L/∂x and ∂L/∂weight from ∂L/∂output. */
export interface WeightBiasBackward {
  gradX(gradOutput: GpuTensor, gradX: GpuTensor): Promise<void>;
  gradWeight(gradOutput: GpuTensor, gradWeight: GpuTensor): Promise<void>;
  /** The output viewed as [outer, channels, inner]: ∂L/∂bias sums ∂L/∂output over outer and inner. */
  biasSum: [outer: number, channels: number, inner: number];
  /** Fills ∂L/∂weight and ∂L/∂bias in one pass, where the op's weight kernel can sum both (used when there is a bias). */
  gradWeightAndBias?(gradOutput: GpuTensor, gradWeight: GpuTensor, gradBias: GpuTensor): Promise<void>;
}

/**
 * The forward result of an op with a weight and an optional bias: backward allocates
 * `<op>.grad.x` (unless skipped), `<op>.grad.weight` and `<op>.grad.bias`, fills the first two
 * with the op's kernels and sums ∂L/∂output per channel into the bias gradient.
 */
export function weightBiasRun(
  rt: GpuRuntime, op: string, output: GpuTensor, inputs: { x: GpuTensor; weight: GpuTensor; bias?: GpuTensor | null }, passes: WeightBiasBackward,
): OpRun {
  const { x, weight, bias } = inputs;
  return {
    outputs: { output },
    trace: {},
    async backward({ output: gradOutput }, options) {
      const grads: Record<string, GpuTensor> = {};
      if (!options?.skip?.includes('x')) {
        grads.x = rt.tensor(`${op}.grad.x`, x.shape);
        await passes.gradX(gradOutput, grads.x);
      }
      grads.weight = rt.tensor(`${op}.grad.weight`, weight.shape);
      if (bias) grads.bias = rt.tensor(`${op}.grad.bias`, bias.shape);
      if (grads.bias && passes.gradWeightAndBias) {
        await passes.gradWeightAndBias(gradOutput, grads.weight, grads.bias);
      } else {
        await passes.gradWeight(gradOutput, grads.weight);
        if (grads.bias) await channelSum(rt, gradOutput, grads.bias, ...passes.biasSum);
      }
      return grads;
    },
  };
}
