import { normalizePool2dAttrs, pool2dOutputShape } from '../analysis/conv_shapes.ts';
import { avgPool2dBackward, avgPool2dForward } from '../kernels/avg_pool2d.ts';
import type { OpDefinition } from './op.ts';

/** `F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`. */
export const avgPool2dOp: OpDefinition = {
  name: 'avg_pool2d',
  inputs: [{ name: 'x', dtype: 'float32', differentiable: true }],
  outputs: ['output'],
  prepare(attrs, inputs) {
    const a = normalizePool2dAttrs('avg_pool2d', attrs);
    const outShape = pool2dOutputShape('avg_pool2d', inputs.x.shape, a);
    return {
      outputShapes: { output: outShape },
      async forward(rt, { x }) {
        const output = rt.tensor('avg_pool2d.output', outShape);
        await avgPool2dForward(rt, x, output, a);
        return {
          outputs: { output },
          trace: {},
          async backward({ output: gradOutput }) {
            const gradX = rt.tensor('avg_pool2d.grad.x', x.shape);
            await avgPool2dBackward(rt, gradOutput, gradX, a);
            return { x: gradX };
          },
        };
      },
    };
  },
};
