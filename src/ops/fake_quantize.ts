/**
 * `torch.fake_quantize_per_tensor_affine` and `torch.fake_quantize_per_channel_affine`: x
 * quantized to integer codes and back, forward as PyTorch 1.13 rounds it and the straight-through
 * backward (grad_output where the code fell inside [quant_min, quant_max], 0 elsewhere). The trace
 * holds `q`, the clamped integer codes, and `mask`, 1 where the code was in range.
 */
import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { channelView, checkAxis, checkQuantRange, checkScale, checkZeroPoint } from '../analysis/quant_params.ts';
import { formatShape } from '../analysis/tensor.ts';
import { fakeQuantizeBackward, fakeQuantizeForward, type FakeQuantizeSpec } from '../kernels/fake_quantize.ts';
import type { GpuTensor } from '../kernels/runtime.ts';
import { uniformIn } from './input_samplers.ts';
import type { InputSampler, OpDefinition, PreparedOp } from './op.ts';

/** Zero points drawn inside the attributes' [quant_min, quant_max] (benchmarks draw valid inputs). */
const zeroPointsInRange: InputSampler = ({ count, attrs, random }) => {
  const lo = typeof attrs.quant_min === 'number' ? attrs.quant_min : 0;
  const hi = typeof attrs.quant_max === 'number' ? attrs.quant_max : lo;
  return Int32Array.from({ length: count }, () => lo + Math.floor(random() * (hi - lo + 1)));
};

function prepareFakeQuantize(name: string, shape: number[], spec: FakeQuantizeSpec): PreparedOp {
  return {
    outputShapes: { output: shape },
    async forward(rt, { x }, { trace }) {
      const output = rt.tensor(`${name}.output`, shape);
      const codes = rt.tensor(`${name}.q`, shape);
      const mask = rt.tensor(`${name}.mask`, shape);
      await fakeQuantizeForward(rt, x, output, codes, mask, spec);
      // The mask is what backward reads, so it stays in the trace (the runner frees it) even untraced.
      const traced: Record<string, GpuTensor> = { mask };
      if (trace) traced.q = codes;
      else rt.releaseAfterSubmit(codes);
      return {
        outputs: { output },
        trace: traced,
        async backward({ output: gradOutput }) {
          const gradX = rt.tensor(`${name}.grad.x`, shape);
          await fakeQuantizeBackward(rt, mask, gradOutput, gradX, spec);
          return { x: gradX };
        },
      };
    },
  };
}

/** `torch.fake_quantize_per_tensor_affine(x, scale, zero_point, quant_min, quant_max)`. */
export const fakeQuantizePerTensorAffineOp: OpDefinition = {
  name: 'fake_quantize_per_tensor_affine',
  inputs: [{ name: 'x', dtype: 'float32', differentiable: true }],
  outputs: ['output'],
  prepare(attrs, inputs) {
    const name = this.name;
    checkAttrNames(name, attrs, ['scale', 'zero_point', 'quant_min', 'quant_max']);
    const { quantMin, quantMax } = checkQuantRange(name, attrs.quant_min, attrs.quant_max);
    const scale = checkScale(name, 'scale', attrs.scale);
    const zeroPoint = checkZeroPoint(name, 'zero_point', attrs.zero_point, quantMin, quantMax);
    const shape = inputs.x.shape;
    return prepareFakeQuantize(name, shape, { scale: [scale], zeroPoint: [zeroPoint], quantMin, quantMax, channels: 1, inner: shape.reduce((a, b) => a * b, 1) });
  },
};

/** `torch.fake_quantize_per_channel_affine(x, scale, zero_point, axis, quant_min, quant_max)`: scale float32 [C], zero_point int32 [C], C = x.shape[axis]. */
export const fakeQuantizePerChannelAffineOp: OpDefinition = {
  name: 'fake_quantize_per_channel_affine',
  inputs: [
    { name: 'x', dtype: 'float32', differentiable: true },
    { name: 'scale', dtype: 'float32', differentiable: false, sample: uniformIn(0.01, 0.1) },
    { name: 'zero_point', dtype: 'int32', differentiable: false, sample: zeroPointsInRange },
  ],
  outputs: ['output'],
  prepare(attrs, inputs) {
    const name = this.name;
    checkAttrNames(name, attrs, ['axis', 'quant_min', 'quant_max']);
    const { quantMin, quantMax } = checkQuantRange(name, attrs.quant_min, attrs.quant_max);
    const shape = inputs.x.shape;
    const axis = checkAxis(name, attrs.axis, shape);
    const { channels, inner } = channelView(shape, axis);
    for (const input of ['scale', 'zero_point'] as const) {
      const t = inputs[input];
      if (t.shape.length !== 1 || t.shape[0] !== channels) throw new InputError(`${name}: ${input} ${formatShape(t.shape)} must have one value per channel, [${channels}] (x ${formatShape(shape)} along axis ${axis})`);
      if (!t.data) throw new InputError(`${name}: ${input} must be given with its values (they are checked and packed on the host)`);
    }
    const scale = Array.from(inputs.scale.data!, (s, c) => checkScale(name, `scale[${c}]`, s));
    const zeroPoint = Array.from(inputs.zero_point.data!, (z, c) => checkZeroPoint(name, `zero_point[${c}]`, z, quantMin, quantMax));
    return prepareFakeQuantize(name, shape, { scale, zeroPoint, quantMin, quantMax, channels, inner });
  },
};
