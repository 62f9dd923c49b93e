import { checkAttrNames, pairAttr, type Conv2dAttrs } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { formatShape, numel } from '../analysis/tensor.ts';
import { accumulate } from '../kernels/add.ts';
import { conv2dBackwardInput } from '../kernels/conv2d_backward_input.ts';
import { conv2dBackwardWeight } from '../kernels/conv2d_backward_weight.ts';
import { conv2dForward } from '../kernels/conv2d_forward.ts';
import { conv2dGemmBackwardInput, conv2dGemmBackwardWeight, conv2dGemmForward } from '../kernels/conv2d_gemm.ts';
import { stridedGather } from '../kernels/strided_copy.ts';
import { GEMM_MIN_COLUMNS, GEMM_MIN_WEIGHT_ROWS, useGemm } from './conv2d.ts';
import { intAttr } from './graph_common.ts';
import type { OpDefinition } from './op.ts';
import { WEIGHT_BIAS_INPUTS, weightBiasRun } from './weight_bias.ts';

/**
 * `F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation)` on
 * x [N, C_in, H, W], weight [C_in, C_out/groups, kh, kw] → [N, C_out, H_out, W_out] with
 * H_out = (H − 1)·s − 2p + d·(kh − 1) + output_padding + 1. It is conv2d with the roles swapped
 * (the conv2d whose input is this output and whose weight is `weight`), so it runs the conv2d
 * kernels: forward is conv2d's input gradient, the input gradient is conv2d's forward, the
 * weight gradient is conv2d's weight gradient with x and ∂L/∂output exchanged.
 */
export const convTranspose2dOp: OpDefinition = {
  name: 'conv_transpose2d',
  inputs: WEIGHT_BIAS_INPUTS,
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames('conv_transpose2d', attrs, ['stride', 'padding', 'output_padding', 'groups', 'dilation']);
    const stride = pairAttr('conv_transpose2d', 'stride', attrs.stride, [1, 1], 1);
    const padding = pairAttr('conv_transpose2d', 'padding', attrs.padding, [0, 0], 0);
    const outputPadding = pairAttr('conv_transpose2d', 'output_padding', attrs.output_padding, [0, 0], 0);
    const dilation = pairAttr('conv_transpose2d', 'dilation', attrs.dilation, [1, 1], 1);
    const groups = intAttr('conv_transpose2d', attrs, 'groups', 1, 1);
    const xs = inputs.x.shape;
    const w = inputs.weight.shape;
    if (xs.length !== 4) throw new InputError(`conv_transpose2d: x must be [N, C_in, H, W], got shape ${formatShape(xs)}`);
    if (w.length !== 4) throw new InputError(`conv_transpose2d: weight must be 4-D [C_in, C_out/groups, kh, kw], got shape ${formatShape(w)}`);
    if (w[0] !== xs[1]) throw new InputError(`conv_transpose2d: weight ${formatShape(w)} expects ${w[0]} input channels (dim 0) but x ${formatShape(xs)} has ${xs[1]}`);
    if (xs[1] % groups !== 0) throw new InputError(`conv_transpose2d: C_in ${xs[1]} is not divisible by groups ${groups}`);
    if (outputPadding[0] >= stride[0] && outputPadding[0] >= dilation[0] || outputPadding[1] >= stride[1] && outputPadding[1] >= dilation[1]) {
      throw new InputError(`conv_transpose2d: output padding must be smaller than either stride or dilation, but got output_padding (${outputPadding.join(', ')}), stride (${stride.join(', ')}), dilation (${dilation.join(', ')})`);
    }
    const outSize = (i: number) => (xs[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (w[2 + i] - 1) + outputPadding[i] + 1;
    const outShape = [xs[0], w[1] * groups, outSize(0), outSize(1)];
    if (outShape[2] < 1 || outShape[3] < 1) {
      throw new InputError(`conv_transpose2d: the output would be ${outShape[2]}×${outShape[3]} for x ${formatShape(xs)}, kernel ${w[2]}×${w[3]}, stride (${stride.join(', ')}), padding (${padding.join(', ')}), dilation (${dilation.join(', ')})`);
    }
    if (inputs.bias && formatShape(inputs.bias.shape) !== formatShape([outShape[1]])) {
      throw new InputError(`conv_transpose2d: bias must be [${outShape[1]}] (C_out = ${w[1]}·groups ${groups}), got ${formatShape(inputs.bias.shape)}`);
    }
    // The conv2d that maps this op's output back to its input: same weight, stride, padding, dilation, groups.
    const a: Conv2dAttrs = { stride, padTop: padding[0], padLeft: padding[1], padBottom: padding[0], padRight: padding[1], dilation, groups };
    const inPerGroup = w[1];
    const outPerGroup = w[0] / groups;
    const [n, cOut, oh, ow] = outShape;
    return {
      outputShapes: { output: outShape },
      async forward(rt, { x, weight, bias }) {
        const output = rt.tensor('conv_transpose2d.output', outShape);
        await (useGemm(inPerGroup, GEMM_MIN_COLUMNS) ? conv2dGemmBackwardInput : conv2dBackwardInput)(rt, x, weight, output, a);
        if (bias) {
          const broadcast = rt.tensor('conv_transpose2d.bias (broadcast)', outShape);
          await stridedGather(rt, bias, broadcast, { sizes: [n, cOut, oh * ow], strides: [0, 1, 0], offset: 0 });
          await accumulate(rt, broadcast, output);
          rt.releaseAfterSubmit(broadcast);
        }
        return weightBiasRun(rt, 'conv_transpose2d', output, { x, weight, bias }, {
          gradX: (gradOutput, gradX) => (useGemm(outPerGroup, GEMM_MIN_COLUMNS) ? conv2dGemmForward : conv2dForward)(rt, gradOutput, weight, null, gradX, a),
          gradWeight: (gradOutput, gradWeight) => (useGemm(outPerGroup, GEMM_MIN_WEIGHT_ROWS) ? conv2dGemmBackwardWeight : conv2dBackwardWeight)(rt, x, gradOutput, gradWeight, a),
          biasSum: [n, cOut, numel(outShape.slice(2))],
        });
      },
    };
  },
};
