import { normalizeConv2dAttrs } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { explainConv2d } from './conv2d_explain.ts';
import type { NeuronExplanation } from './explain_types.ts';
import { explainLinear } from './linear_explain.ts';
import type { RunReadback } from './run.ts';

/** Explains one output element of a finished `nnx run` from its read-back GPU values. */
export function explainNeuron(op: string, attrs: Record<string, unknown>, readback: RunReadback, index: number[]): NeuronExplanation {
  const { x, weight, bias } = readback.inputs;
  const output = readback.outputs.output;
  try {
    if (op === 'conv2d') {
      const a = normalizeConv2dAttrs(attrs, weight.shape[2], weight.shape[3]);
      return explainConv2d(x, weight, bias ?? null, output, a, index);
    }
    if (op === 'linear') return explainLinear(x, weight, bias ?? null, output, index);
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(e.message);
    throw e;
  }
  throw new InputError(`--explain works for conv2d and linear, not ${op}`);
}
