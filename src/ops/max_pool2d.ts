import { normalizePool2dAttrs, pool2dOutputShape } from '../analysis/conv_shapes.ts';
import { maxPool2dBackward, maxPool2dForward } from '../kernels/max_pool2d.ts';
import type { OpDefinition } from './op.ts';

/** `F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)`; trace: `indices`. */
export const maxPool2dOp: OpDefinition = {
  name: 'max_pool2d',
  inputs: [{ name: 'x', dtype: 'float32', differentiable: true }],
  outputs: ['output'],
  prepare(attrs, inputs) {
    const a = normalizePool2dAttrs('max_pool2d', attrs);
    const outShape = pool2dOutputShape('max_pool2d', inputs.x.shape, a);
    return {
      outputShapes: { output: outShape },
      async forward(rt, { x }) {
        const output = rt.tensor('max_pool2d.output', outShape);
        // The window's winner is needed by backward, so it is computed (and shown) always.
        const indices = rt.tensor('max_pool2d.indices', outShape, 'int32');
        await maxPool2dForward(rt, x, output, indices, a);
        return {
          outputs: { output },
          trace: { indices },
          async backward({ output: gradOutput }) {
            const gradX = rt.tensor('max_pool2d.grad.x', x.shape);
            await maxPool2dBackward(rt, gradOutput, indices, x, gradX, a);
            return { x: gradX };
          },
        };
      },
    };
  },
};
