import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { reluBackward, reluForward } from '../kernels/relu.ts';
import type { OpDefinition } from './op.ts';

/** `F.relu(x)`. */
export const reluOp: OpDefinition = {
  name: 'relu',
  inputs: [{ name: 'x', dtype: 'float32', differentiable: true }],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames('relu', attrs, []);
    const shape = inputs.x.shape;
    return {
      outputShapes: { output: shape },
      async forward(rt, { x }) {
        const output = rt.tensor('relu.output', shape);
        await reluForward(rt, x, output);
        return {
          outputs: { output },
          trace: {},
          async backward({ output: gradOutput }) {
            const gradX = rt.tensor('relu.grad.x', shape);
            await reluBackward(rt, x, gradOutput, gradX);
            return { x: gradX };
          },
        };
      },
    };
  },
};
