import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { formatShape, numel } from '../analysis/tensor.ts';
import { softmaxBackward, softmaxForward, softmaxView } from '../kernels/softmax.ts';
import type { GpuTensor } from '../kernels/runtime.ts';
import type { OpDefinition } from './op.ts';

function softmaxFamilyOp(name: 'softmax' | 'log_softmax'): OpDefinition {
  const log = name === 'log_softmax';
  return {
    name,
    inputs: [{ name: 'x', dtype: 'float32', differentiable: true }],
    outputs: ['output'],
    prepare(attrs, inputs) {
      checkAttrNames(name, attrs, ['dim']);
      const shape = inputs.x.shape;
      if (attrs.dim === undefined) throw new InputError(`${name}: attribute "dim" is required (the dimension to normalize over; -1 for the last of x ${formatShape(shape)})`);
      const view = softmaxView(name, shape, attrs.dim);
      if (numel(shape) === 0) throw new InputError(`${name}: x ${formatShape(shape)} has no elements`);
      const statsShape = shape.filter((_, i) => i !== view.dim);
      return {
        outputShapes: { output: shape },
        async forward(rt, { x }, { trace }) {
          const output = rt.tensor(`${name}.output`, shape);
          const rowMax = rt.tensor(`${name}.max`, statsShape);
          const sumExp = rt.tensor(`${name}.sum_exp`, statsShape);
          await softmaxForward(rt, x, output, rowMax, sumExp, view, log);
          const traced: Record<string, GpuTensor> = {};
          if (trace) Object.assign(traced, { max: rowMax, sum_exp: sumExp });
          else rt.releaseAfterSubmit(rowMax, sumExp);
          return {
            outputs: { output },
            trace: traced,
            async backward({ output: gradOutput }) {
              const gradX = rt.tensor(`${name}.grad.x`, shape);
              await softmaxBackward(rt, output, gradOutput, gradX, view, log);
              return { x: gradX };
            },
          };
        },
      };
    },
  };
}

/** `F.softmax(x, dim)`, stable (max subtracted); trace `max` and `sum_exp` per row (x's shape without dim). */
export const softmaxOp = softmaxFamilyOp('softmax');
/** `F.log_softmax(x, dim)` = x − max − log Σ exp(x − max); same trace. */
export const logSoftmaxOp = softmaxFamilyOp('log_softmax');
