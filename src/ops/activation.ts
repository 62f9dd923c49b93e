/**
 * Elementwise activations as ops (`torch.tanh`, `torch.sigmoid`, `F.gelu` (erf or tanh form),
 * `F.silu`, `F.leaky_relu`, `F.relu6`, `F.elu`), the residual sum `torch.add` and
 * `torch.flatten` as a no-copy view.
 */
import { checkAttrNames } from '../analysis/conv_shapes.ts';
import { InputError } from '../analysis/errors.ts';
import { formatShape, numel } from '../analysis/tensor.ts';
import { activationBackward, activationForward, activationSaves, type ActivationKind } from '../kernels/activation.ts';
import { addTensors } from '../kernels/add.ts';
import type { OpDefinition } from './op.ts';

/** A finite number attribute (leaky_relu's negative_slope, elu's alpha), or its default. */
function numberAttr(op: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError(`${op}: ${name} must be a finite number, got ${JSON.stringify(value)}`);
  return value;
}

/** The shader kind of gelu for its `approximate` attribute ("none" the erf form, "tanh"). */
function geluKind(approximate: unknown): ActivationKind {
  if (approximate === undefined || approximate === 'none') return 'gelu';
  if (approximate === 'tanh') return 'gelu_tanh';
  throw new InputError(`gelu: approximate must be "none" (the erf form) or "tanh", got ${JSON.stringify(approximate)}`);
}

function activationOp(name: Exclude<ActivationKind, 'gelu_tanh'>, attrNames: string[] = []): OpDefinition {
  return {
    name,
    inputs: [{ name: 'x', dtype: 'float32', differentiable: true }],
    outputs: ['output'],
    prepare(attrs, inputs) {
      checkAttrNames(name, attrs, attrNames);
      const kind = name === 'gelu' ? geluKind(attrs.approximate) : name;
      let slope = 0.01;
      if (name === 'leaky_relu') slope = numberAttr(name, 'negative_slope', attrs.negative_slope, 0.01);
      if (name === 'elu') slope = numberAttr(name, 'alpha', attrs.alpha, 1);
      const shape = inputs.x.shape;
      return {
        outputShapes: { output: shape },
        async forward(rt, { x }) {
          const output = rt.tensor(`${name}.output`, shape);
          await activationForward(rt, kind, x, output, slope);
          return {
            outputs: { output },
            trace: {},
            async backward({ output: gradOutput }) {
              const gradX = rt.tensor(`${name}.grad.x`, shape);
              await activationBackward(rt, kind, activationSaves(kind) === 'output' ? output : x, gradOutput, gradX, slope);
              return { x: gradX };
            },
          };
        },
      };
    },
  };
}

/** `torch.tanh(x)`; backward from the output: 1 − y². */
export const tanhOp = activationOp('tanh');
/** `torch.sigmoid(x)`; backward from the output: y(1 − y). */
export const sigmoidOp = activationOp('sigmoid');
/** `F.gelu(x, approximate="none")` (exact, erf form) or `approximate="tanh"`. */
export const geluOp = activationOp('gelu', ['approximate']);
/** `F.silu(x)` = x·σ(x). */
export const siluOp = activationOp('silu');
/** `F.leaky_relu(x, negative_slope=0.01)`. */
export const leakyReluOp = activationOp('leaky_relu', ['negative_slope']);
/** `F.relu6(x)` = min(max(x, 0), 6); gradient only for 0 < x < 6. */
export const relu6Op = activationOp('relu6');
/** `F.elu(x, alpha=1.0)`; backward from the input: 1 for x > 0, α·eˣ otherwise. */
export const eluOp = activationOp('elu', ['alpha']);

/** `torch.add(x, other)` for two tensors of the same shape (a residual connection). */
export const addOp: OpDefinition = {
  name: 'add',
  inputs: [
    { name: 'x', dtype: 'float32', differentiable: true },
    { name: 'other', dtype: 'float32', differentiable: true },
  ],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames('add', attrs, []);
    const shape = inputs.x.shape;
    if (formatShape(shape) !== formatShape(inputs.other.shape)) {
      throw new InputError(`add: x ${formatShape(shape)} and other ${formatShape(inputs.other.shape)} must have the same shape (broadcasting is not supported)`);
    }
    return {
      outputShapes: { output: shape },
      async forward(rt, { x, other }) {
        const output = rt.tensor('add.output', shape);
        await addTensors(rt, x, other, output);
        return {
          outputs: { output },
          trace: {},
          async backward({ output: gradOutput }) {
            // The gradient flows unchanged to both summands: two copies, so each is owned once.
            const gx = rt.tensor('add.grad.x', shape);
            const go = rt.tensor('add.grad.other', shape);
            rt.copy(gradOutput.buffer, gx.buffer, 4 * numel(shape));
            rt.copy(gradOutput.buffer, go.buffer, 4 * numel(shape));
            return { x: gx, other: go };
          },
        };
      },
    };
  },
};

function dimAttr(name: string, value: unknown, fallback: number, rank: number): number {
  if (value === undefined) return fallback < 0 ? fallback + rank : fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -rank || value >= rank) {
    throw new InputError(`flatten: ${name} must be an integer in [${-rank}, ${rank - 1}], got ${JSON.stringify(value)}`);
  }
  return value < 0 ? value + rank : value;
}

/**
 * `torch.flatten(x, start_dim=0, end_dim=-1)`: a view. The output shares x's buffer (no copy,
 * no new memory) and the gradient shares grad_output's.
 */
export const flattenOp: OpDefinition = {
  name: 'flatten',
  inputs: [{ name: 'x', dtype: 'float32', differentiable: true }],
  outputs: ['output'],
  prepare(attrs, inputs) {
    checkAttrNames('flatten', attrs, ['start_dim', 'end_dim']);
    const xs = inputs.x.shape;
    const rank = Math.max(1, xs.length);
    const start = dimAttr('start_dim', attrs.start_dim, 0, rank);
    const end = dimAttr('end_dim', attrs.end_dim, -1, rank);
    if (start > end) throw new InputError(`flatten: start_dim ${start} comes after end_dim ${end} for x ${formatShape(xs)}`);
    const outShape = xs.length === 0 ? [1] : [...xs.slice(0, start), numel(xs.slice(start, end + 1)), ...xs.slice(end + 1)];
    return {
      outputShapes: { output: outShape },
      async forward(_rt, { x }) {
        return {
          outputs: { output: { ...x, shape: outShape, label: 'flatten.output (view)' } },
          trace: {},
          async backward({ output: gradOutput }) {
            return { x: { ...gradOutput, shape: [...xs], label: 'flatten.grad.x (view)' } };
          },
        };
      },
    };
  },
};
