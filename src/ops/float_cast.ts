/**
 * float16 and bfloat16 simulated in float32: `x.half().float()` as `to_float16` and
 * `x.bfloat16().float()` as `to_bfloat16`, round to nearest even (float16 overflows to ±inf from
 * 65520 on). Backward is autograd's: the gradient takes the same round trip.
 */
import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { floatRoundTrip, type FloatFormat } from '../kernels/float_cast.ts';
import type { OpDefinition } from './op.ts';

function roundTripOp(name: string, format: FloatFormat): OpDefinition {
  return {
    name,
    inputs: [{ name: 'x', dtype: 'float32', differentiable: true }],
    outputs: ['output'],
    prepare(attrs, inputs) {
      checkAttrNames(name, attrs, []);
      const shape = inputs.x.shape;
      return {
        outputShapes: { output: shape },
        async forward(rt, { x }) {
          const output = rt.tensor(`${name}.output`, shape);
          await floatRoundTrip(rt, format, x, output);
          return {
            outputs: { output },
            trace: {},
            async backward({ output: gradOutput }) {
              const gradX = rt.tensor(`${name}.grad.x`, shape);
              await floatRoundTrip(rt, format, gradOutput, gradX);
              return { x: gradX };
            },
          };
        },
      };
    },
  };
}

/** `x.half().float()`: float16 precision and range, in float32. */
export const toFloat16Op = roundTripOp('to_float16', 'float16');
/** `x.bfloat16().float()`: bfloat16 precision (float32's range), in float32. */
export const toBfloat16Op = roundTripOp('to_bfloat16', 'bfloat16');
