import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { formatShape } from '../analysis/tensor.ts';
import { crossEntropyBackward, crossEntropyRows, crossEntropyTotal } from '../kernels/cross_entropy.ts';
import type { GpuTensor } from '../kernels/runtime.ts';
import type { OpDefinition } from './op.ts';
import { indicesBelow } from './input_samplers.ts';

const REDUCTIONS = ['mean', 'sum', 'none'];

/**
 * `F.cross_entropy(logits, target, reduction, ignore_index)` for logits [N, C] (or [C]) and
 * int32 class indices. Trace: `probs` (softmax) and `loss_per_sample`.
 */
export const crossEntropyOp: OpDefinition = {
  name: 'cross_entropy',
  inputs: [
    { name: 'logits', dtype: 'float32', differentiable: true },
    { name: 'target', dtype: 'int32', differentiable: false, sample: indicesBelow((s) => s.logits?.at(-1)) },
  ],
  outputs: ['loss'],
  prepare(attrs, inputs) {
    checkAttrNames('cross_entropy', attrs, ['reduction', 'ignore_index']);
    const reduction = (attrs.reduction ?? 'mean') as string;
    if (!REDUCTIONS.includes(reduction)) throw new InputError(`cross_entropy: reduction must be "mean", "sum" or "none", got ${JSON.stringify(attrs.reduction)}`);
    const ignoreIndex = attrs.ignore_index ?? -100;
    if (typeof ignoreIndex !== 'number' || !Number.isInteger(ignoreIndex)) throw new InputError(`cross_entropy: ignore_index must be an integer, got ${JSON.stringify(ignoreIndex)}`);
    // The kernel compares it with int32 targets: a wider value would wrap around and ignore the wrong class.
    if (ignoreIndex < -(2 ** 31) || ignoreIndex > 2 ** 31 - 1) throw new InputError(`cross_entropy: ignore_index must be in the int32 range like the targets, got ${ignoreIndex}`);
    const ls = inputs.logits.shape;
    const ts = inputs.target.shape;
    if (ls.length !== 2 && ls.length !== 1) throw new InputError(`cross_entropy: logits must be [N, C] or [C], got shape ${formatShape(ls)}`);
    const rows = ls.length === 2 ? ls[0] : 1;
    const classes = ls[ls.length - 1];
    const expected = ls.length === 2 ? [rows] : [];
    if (ts.length !== expected.length || (ts.length === 1 && ts[0] !== rows)) {
      throw new InputError(`cross_entropy: target must have shape ${formatShape(expected)} for logits ${formatShape(ls)}, got ${formatShape(ts)}`);
    }
    if (classes < 1) throw new InputError(`cross_entropy: logits need at least 1 class, got shape ${formatShape(ls)}`);
    let counted = rows;
    const t = inputs.target.data;
    if (t) {
      counted = 0;
      for (let i = 0; i < t.length; i++) {
        if (t[i] === ignoreIndex) continue;
        if (t[i] < 0 || t[i] >= classes) throw new InputError(`cross_entropy: target[${i}] = ${t[i]} is not a class index in [0, ${classes})`);
        counted++;
      }
      if (counted === 0 && reduction === 'mean') throw new InputError(`cross_entropy: every target equals ignore_index ${ignoreIndex}, so the mean loss is 0/0`);
    }
    const shape = { rows, classes, ignoreIndex, scale: reduction === 'mean' ? 1 / counted : 1 };
    const lossShape = reduction === 'none' ? expected : [];
    return {
      outputShapes: { loss: lossShape },
      async forward(rt, { logits, target }) {
        const probs = rt.tensor('cross_entropy.probs', ls);
        const perSample = rt.tensor('cross_entropy.loss_per_sample', [rows]);
        await crossEntropyRows(rt, logits, target, probs, perSample, shape);
        let loss = perSample;
        if (reduction !== 'none') {
          loss = rt.tensor('cross_entropy.loss', []);
          await crossEntropyTotal(rt, perSample, loss, shape);
        }
        const trace: Record<string, GpuTensor> = { probs };
        if (reduction !== 'none') trace.loss_per_sample = perSample;
        return {
          outputs: { loss: reduction === 'none' ? { ...perSample, shape: lossShape } : loss },
          trace,
          async backward({ loss: gradLoss }) {
            const gradLogits = rt.tensor('cross_entropy.grad.logits', ls);
            await crossEntropyBackward(rt, probs, target, gradLoss, gradLogits, shape, reduction === 'none');
            return { logits: gradLogits };
          },
        };
      },
    };
  },
};
