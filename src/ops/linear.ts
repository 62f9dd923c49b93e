import { InputError } from '../analysis/errors.ts';
import { formatShape, numel } from '../analysis/tensor.ts';
import { matmul, plain, transposed } from '../kernels/matmul.ts';
import { checkAttrNames } from '../analysis/conv_shapes.ts';
import type { OpDefinition } from './op.ts';
import { WEIGHT_BIAS_INPUTS, weightBiasRun } from './weight_bias.ts';

/** `F.linear(x, weight, bias)`: y = x·Wᵀ + b over the last dimension of x [..., in]. */
export const linearOp: OpDefinition = {
  name: 'linear',
  inputs: WEIGHT_BIAS_INPUTS,
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
        return weightBiasRun(rt, 'linear', output, { x, weight, bias }, {
          gradX: (gradOutput, gradX) => matmul(rt, plain(gradOutput, outF), plain(weight, inF), null, gradX, rows, inF, outF),
          gradWeight: (gradOutput, gradWeight) => matmul(rt, transposed(gradOutput, outF), plain(x, inF), null, gradWeight, outF, inF, rows),
          biasSum: [rows, outF, 1],
        });
      },
    };
  },
};
