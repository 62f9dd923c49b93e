import { InputError } from '../errors.ts';
import { formatShape, numel } from '../tensor.ts';
import { Args, expectFloat, normDim, type LayerRule, type SavedDecl } from './types.ts';

/**
 * FLOPs per element, counting each arithmetic instruction and each call to exp, tanh or erf
 * as one operation:
 * ReLU max(x, 0): 1 · ReLU6 min(max(x, 0), 6): 2 · LeakyReLU x>0 ? x : a·x: 2 ·
 * ELU x>0 ? x : α(exp(x) − 1): 3 + select = 4 · Sigmoid 1/(1 + exp(−x)): 4 (neg, exp, add, div) ·
 * Tanh: 1 · SiLU x·σ(x): 5 · GELU x·½(1 + erf(x/√2)): 5 (mul, erf, add, mul, mul) ·
 * GELU tanh: ½x(1 + tanh(√(2/π)(x + 0.044715x³))): 9 · Softmax/LogSoftmax per element:
 * max, subtract, exp, sum, divide (or log-subtract): 5.
 */
export const ELEMENTWISE_FLOPS = {
  ReLU: 1, ReLU6: 2, LeakyReLU: 2, ELU: 4, Sigmoid: 4, Tanh: 1, SiLU: 5, GELU: 5, GELU_tanh: 9, Softmax: 5, LogSoftmax: 5, Identity: 0,
} as const;

/**
 * What autograd keeps for each activation (PyTorch's derivatives.yaml): the result for ReLU,
 * Sigmoid, Tanh, Softmax, LogSoftmax (their gradients are functions of the output), the input
 * for the others. An in-place LeakyReLU or ELU keeps its result instead, the same size.
 */
const KEEPS: Record<string, 'input' | 'output' | 'none'> = {
  ReLU: 'output', ReLU6: 'input', LeakyReLU: 'input', ELU: 'input', Sigmoid: 'output', Tanh: 'output',
  SiLU: 'input', GELU: 'input', Softmax: 'output', LogSoftmax: 'output', Identity: 'none',
};

function activation(type: keyof typeof KEEPS, args: string[]): LayerRule {
  const rule: LayerRule = {
    args,
    infer(layer, [x]) {
      const a = new Args(layer, args);
      a.bool('inplace', false);
      let perElement: number = ELEMENTWISE_FLOPS[type as keyof typeof ELEMENTWISE_FLOPS];
      if (type === 'LeakyReLU') a.num('negative_slope', 0.01);
      if (type === 'ELU') a.num('alpha', 1);
      if (type === 'GELU' && a.choice('approximate', ['none', 'tanh'] as const, 'none') === 'tanh') perElement = ELEMENTWISE_FLOPS.GELU_tanh;
      if (type === 'Softmax' || type === 'LogSoftmax') {
        if (!a.has('dim')) throw new InputError('argument dim is required (PyTorch\'s implicit dim choice is deprecated)');
        normDim(a.dim('dim'), x.shape.length);
      }
      expectFloat(x);
      const saved: SavedDecl[] = KEEPS[type] === 'output' ? [{ what: 'result', output: true }] : KEEPS[type] === 'input' ? [{ what: 'input', input: 0 }] : [];
      return {
        outputShape: [...x.shape], params: [], macs: 0,
        flops: numel(x.shape) * perElement,
        saved,
        view: type === 'Identity',
      };
    },
  };
  return rule;
}

export const relu = activation('ReLU', ['inplace']);
export const relu6 = activation('ReLU6', ['inplace']);
export const leakyRelu = activation('LeakyReLU', ['negative_slope', 'inplace']);
export const elu = activation('ELU', ['alpha', 'inplace']);
export const gelu = activation('GELU', ['approximate']);
export const silu = activation('SiLU', ['inplace']);
export const sigmoid = activation('Sigmoid', []);
export const tanh = activation('Tanh', []);
export const softmax = activation('Softmax', ['dim']);
export const logSoftmax = activation('LogSoftmax', ['dim']);
export const identity = activation('Identity', []);

function dropout(feature: boolean): LayerRule {
  const rule: LayerRule = {
    args: ['p', 'inplace'],
    infer(layer, [x]) {
      const a = new Args(layer, rule.args);
      const p = a.num('p', 0.5, 0, 1);
      a.bool('inplace', false);
      expectFloat(x);
      if (feature && x.shape.length !== 3 && x.shape.length !== 4) {
        throw new InputError(`expects a 3-D or 4-D input [N, C, H, W], got ${formatShape(x.shape)}`);
      }
      // PyTorch returns the input unchanged when p = 0 (no mask, no arithmetic).
      if (p === 0) return { outputShape: [...x.shape], params: [], macs: 0, flops: 0, saved: [], view: true, notes: ['p = 0: returns its input'] };
      const n = numel(x.shape);
      // Dropout keeps a bool mask per element; Dropout2d multiplies by a float noise tensor
      // of one value per channel ([N, C, 1, 1]).
      const maskElems = feature ? numel(x.shape.slice(0, x.shape.length - 2)) : n;
      return {
        outputShape: [...x.shape], params: [], macs: 0,
        flops: n,
        saved: [{ what: 'mask', elements: maskElems, kind: feature ? 'float' : 'bool' }],
        notes: ['training mode (eval mode is the identity)'],
      };
    },
  };
  return rule;
}

/** nn.Dropout(p=0.5): one multiply per element in training; keeps a bool mask. */
export const dropout1 = dropout(false);
/** nn.Dropout2d(p=0.5): zeroes whole channels; keeps one scale per channel. */
export const dropout2d = dropout(true);
