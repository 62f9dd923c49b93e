import { InputError } from '../analysis/errors.ts';
import { formatShape, numel } from '../analysis/tensor.ts';
import { channelSum } from '../kernels/channel_sum.ts';
import { matmul, plain, transposed } from '../kernels/matmul.ts';
import { checkAttrNames } from '../analysis/conv_shapes.ts';
import type { OpDefinition } from './op.ts';

/** `F.linear(x, weight, bias)`: y = x·Wᵀ + b over the last dimension of x [..., in]. */
export const linearOp: OpDefinition = {
  name: 'linear',
  inputs: [
    { name: 'x', dtype: 'float32', differentiable: true },
    { name: 'weight', dtype: 'float32', differentiable: true },
    { name: 'bias', dtype: 'float32', optional: true, differentiable: true },
  ],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames('linear', attrs, []);
    const xs = inputs.x.shape;
    const ws = inputs.weight.shape;
    if (ws.length !== 2) throw new InputError(`linear: weight must be 2-D [out_features, in_features], got shape ${formatShape(ws)}`);
    if (xs.length < 1) throw new InputError('linear: x must have at least 1 dimension [..., in_features], got a scalar');
    const [outF, inF] = ws;
    if (xs[xs.length - 1] !== inF) {
      throw new InputError(`linear: x ${formatShape(xs)} has ${xs[xs.length - 1]} features in its last dimension but weight ${formatShape(ws)} expects in_features = ${inF}`);
    }
    const bs = inputs.bias?.shape;
    if (bs && (bs.length !== 1 || bs[0] !== outF)) throw new InputError(`linear: bias must have shape [${outF}] (out_features), got ${formatShape(bs)}`);
    const outShape = [...xs.slice(0, -1), outF];
    const rows = numel(xs.slice(0, -1));
    return {
      outputShapes: { output: outShape },
      async forward(rt, { x, weight, bias }) {
        const output = rt.tensor('linear.output', outShape);
        await matmul(rt, plain(x, inF), transposed(weight, inF), bias ?? null, output, rows, outF, inF);
        return {
          outputs: { output },
          trace: {},
          async backward({ output: gradOutput }, options) {
            const grads: Record<string, typeof x> = {};
            if (!options?.skip?.includes('x')) {
              grads.x = rt.tensor('linear.grad.x', x.shape);
              await matmul(rt, plain(gradOutput, outF), plain(weight, inF), null, grads.x, rows, inF, outF);
            }
            grads.weight = rt.tensor('linear.grad.weight', weight.shape);
            await matmul(rt, transposed(gradOutput, outF), plain(x, inF), null, grads.weight, outF, inF, rows);
            if (bias) {
              grads.bias = rt.tensor('linear.grad.bias', bias.shape);
              await channelSum(rt, gradOutput, grads.bias, rows, outF, 1);
            }
            return grads;
          },
        };
      },
    };
  },
};
