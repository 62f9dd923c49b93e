import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { formatShape, numel } from '../analysis/tensor.ts';
import { mseBackward, mseForward } from '../kernels/mse.ts';
import type { OpDefinition } from './op.ts';

/** `F.mse_loss(x, target, reduction="mean")`: scale · Σ (x − target)² with scale 1/numel for "mean". */
export const mseLossOp: OpDefinition = {
  name: 'mse_loss',
  inputs: [
    { name: 'x', dtype: 'float32', differentiable: true },
    { name: 'target', dtype: 'float32', differentiable: false },
  ],
  outputs: ['loss'],
  prepare(attrs, inputs) {
    checkAttrNames('mse_loss', attrs, ['reduction']);
    const reduction = attrs.reduction ?? 'mean';
    if (reduction !== 'mean' && reduction !== 'sum') throw new InputError(`mse_loss: reduction must be "mean" or "sum", got ${JSON.stringify(reduction)}`);
    const xs = inputs.x.shape;
    if (formatShape(xs) !== formatShape(inputs.target.shape)) {
      throw new InputError(`mse_loss: target ${formatShape(inputs.target.shape)} must have the shape of x ${formatShape(xs)}`);
    }
    const count = numel(xs);
    if (count === 0) throw new InputError(`mse_loss: x ${formatShape(xs)} has no elements`);
    const scale = reduction === 'mean' ? 1 / count : 1;
    return {
      outputShapes: { loss: [] },
      async forward(rt, { x, target }) {
        const loss = rt.tensor('mse_loss.loss', []);
        await mseForward(rt, x, target, loss, scale);
        return {
          outputs: { loss },
          trace: {},
          async backward({ loss: gradLoss }) {
            const gradX = rt.tensor('mse_loss.grad.x', xs);
            await mseBackward(rt, x, target, gradLoss, gradX, scale);
            return { x: gradX };
          },
        };
      },
    };
  },
};
