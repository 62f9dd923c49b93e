import { InputError } from '../errors.ts';
import { formatShape, numel } from '../tensor.ts';
import { Args, expectFloat, expectRank, type LayerRule, type TensorDecl } from './types.ts';

/**
 * FLOPs per element of a normalization in training mode: mean (1 add), variance (subtract,
 * square, add: 3), normalize (subtract, multiply by 1/σ: 2), affine (multiply, add: 2).
 */
export const NORM_FLOPS_PER_ELEMENT = { statistics: 6, affine: 2 } as const;

function normFlops(elements: number, affine: boolean): number {
  return elements * (NORM_FLOPS_PER_ELEMENT.statistics + (affine ? NORM_FLOPS_PER_ELEMENT.affine : 0));
}

function batchNorm(ranks: number[], layout: string): LayerRule {
  const rule: LayerRule = {
    args: ['num_features', 'eps', 'momentum', 'affine', 'track_running_stats'],
    infer(layer, [x]) {
      const a = new Args(layer, rule.args);
      const c = a.int('num_features');
      a.num('eps', 1e-5, 0);
      if (a.raw('momentum') !== null) a.num('momentum', 0.1, 0, 1);
      const affine = a.bool('affine', true);
      const track = a.bool('track_running_stats', true);
      expectFloat(x);
      expectRank(x, ranks, layout);
      if (x.shape[1] !== c) throw new InputError(`num_features is ${c} but the input ${formatShape(x.shape)} has ${x.shape[1]} channel${x.shape[1] === 1 ? '' : 's'} (dim 1)`);
      const params: TensorDecl[] = affine ? [{ name: 'weight', shape: [c] }, { name: 'bias', shape: [c] }] : [];
      const buffers: TensorDecl[] = track ? [{ name: 'running_mean', shape: [c] }, { name: 'running_var', shape: [c] }] : [];
      return {
        outputShape: [...x.shape], params, buffers, macs: 0,
        flops: normFlops(numel(x.shape), affine),
        saved: [{ what: 'input', input: 0 }, { what: 'save_mean, save_invstd', elements: 2 * c, kind: 'float' }],
      };
    },
  };
  return rule;
}

/** nn.BatchNorm1d on [N, C] or [N, C, L]. Autograd keeps the input and per-channel mean and 1/σ. */
export const batchNorm1d = batchNorm([2, 3], '[N, C] or [N, C, L]');
/** nn.BatchNorm2d on [N, C, H, W]. */
export const batchNorm2d = batchNorm([4], '[N, C, H, W]');

/**
 * nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True): normalizes the
 * trailing dims. Autograd keeps the input and per-row mean and 1/σ.
 */
export const layerNorm: LayerRule = {
  args: ['normalized_shape', 'eps', 'elementwise_affine', 'bias'],
  infer(layer, [x]) {
    const a = new Args(layer, layerNorm.args);
    const shape = a.intList('normalized_shape');
    a.num('eps', 1e-5, 0);
    const affine = a.bool('elementwise_affine', true);
    const bias = a.bool('bias', true);
    expectFloat(x);
    const tail = x.shape.slice(x.shape.length - shape.length);
    if (x.shape.length < shape.length || tail.some((v, i) => v !== shape[i])) {
      throw new InputError(`normalized_shape ${formatShape(shape)} does not match the trailing dimensions of the input ${formatShape(x.shape)}`);
    }
    const rows = numel(x.shape) / numel(shape);
    const params: TensorDecl[] = [];
    if (affine) {
      params.push({ name: 'weight', shape: [...shape] });
      if (bias) params.push({ name: 'bias', shape: [...shape] });
    }
    return {
      outputShape: [...x.shape], params, macs: 0,
      flops: normFlops(numel(x.shape), affine),
      saved: [{ what: 'input', input: 0 }, { what: 'mean, rstd', elements: 2 * rows, kind: 'float' }],
    };
  },
};

/** nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True) on [N, C, *]. */
export const groupNorm: LayerRule = {
  args: ['num_groups', 'num_channels', 'eps', 'affine'],
  infer(layer, [x]) {
    const a = new Args(layer, groupNorm.args);
    const g = a.int('num_groups');
    const c = a.int('num_channels');
    a.num('eps', 1e-5, 0);
    const affine = a.bool('affine', true);
    expectFloat(x);
    if (x.shape.length < 2) throw new InputError(`expects an input [N, C, *], got ${formatShape(x.shape)}`);
    if (c % g !== 0) throw new InputError(`num_channels ${c} is not divisible by num_groups ${g}`);
    if (x.shape[1] !== c) throw new InputError(`num_channels is ${c} but the input ${formatShape(x.shape)} has ${x.shape[1]} channel${x.shape[1] === 1 ? '' : 's'} (dim 1)`);
    return {
      outputShape: [...x.shape],
      params: affine ? [{ name: 'weight', shape: [c] }, { name: 'bias', shape: [c] }] : [],
      macs: 0,
      flops: normFlops(numel(x.shape), affine),
      saved: [{ what: 'input', input: 0 }, { what: 'mean, rstd', elements: 2 * x.shape[0] * g, kind: 'float' }],
    };
  },
};
