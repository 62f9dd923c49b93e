import { normalizePool2dAttrs, outputSizeDerivation, pool2dOutputShape, type Pool2dAttrs } from '../conv_shapes.ts';
import { InputError } from '../errors.ts';
import { numel } from '../tensor.ts';
import { Args, expectFloat, expectRank, type InputInfo, type LayerOutcome, type LayerRule } from './types.ts';

function derivation(x: InputInfo, p: Pool2dAttrs): string[] {
  const h = x.shape[x.shape.length - 2];
  const w = x.shape[x.shape.length - 1];
  return [
    outputSizeDerivation('H', h, p.padding[0], p.padding[0], p.kernel[0], p.stride[0], p.dilation[0], p.ceilMode),
    outputSizeDerivation('W', w, p.padding[1], p.padding[1], p.kernel[1], p.stride[1], p.dilation[1], p.ceilMode),
  ];
}

function poolAttrs(layer: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (layer[k] !== undefined) out[k] = layer[k];
  return out;
}

const MAX_ARGS = ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode'] as const;
const AVG_ARGS = ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'] as const;

/**
 * nn.MaxPool2d: (kh·kw − 1) comparisons per output. Autograd keeps the input and the argmax
 * indices (int64, one per output).
 */
export const maxPool2d: LayerRule = {
  args: [...MAX_ARGS, 'return_indices'],
  infer(layer, [x]): LayerOutcome {
    const a = new Args(layer, maxPool2d.args);
    if (a.bool('return_indices', false)) throw new InputError('return_indices=true is not supported in a model spec (the indices are not a layer output here)');
    expectFloat(x);
    expectRank(x, [3, 4], '[N, C, H, W] or [C, H, W]');
    const p = normalizePool2dAttrs('max_pool2d', poolAttrs(layer, MAX_ARGS));
    const out = pool2dOutputShape('max_pool2d', x.shape, p);
    const outElems = numel(out);
    return {
      outputShape: out, params: [], macs: 0,
      flops: outElems * (p.kernel[0] * p.kernel[1] - 1),
      saved: [{ what: 'input', input: 0 }, { what: 'indices', elements: outElems, kind: 'int64' }],
      derivation: derivation(x, p),
    };
  },
};

/** nn.AvgPool2d: kh·kw operations per output (kh·kw − 1 adds, one divide). Autograd keeps the input. */
export const avgPool2d: LayerRule = {
  args: AVG_ARGS,
  infer(layer, [x]): LayerOutcome {
    new Args(layer, avgPool2d.args);
    expectFloat(x);
    expectRank(x, [3, 4], '[N, C, H, W] or [C, H, W]');
    const p = normalizePool2dAttrs('avg_pool2d', poolAttrs(layer, AVG_ARGS));
    const out = pool2dOutputShape('avg_pool2d', x.shape, p);
    return {
      outputShape: out, params: [], macs: 0,
      flops: numel(out) * p.kernel[0] * p.kernel[1],
      saved: [{ what: 'input', input: 0 }],
      derivation: derivation(x, p),
    };
  },
};

/** Sum of PyTorch's adaptive window sizes along one axis: window i spans [⌊i·in/out⌋, ⌈(i+1)·in/out⌉). */
function adaptiveWindowSum(inSize: number, outSize: number): number {
  let total = 0;
  for (let i = 0; i < outSize; i++) {
    total += Math.ceil(((i + 1) * inSize) / outSize) - Math.floor((i * inSize) / outSize);
  }
  return total;
}

/**
 * nn.AdaptiveAvgPool2d(output_size): output_size is an int, a pair, or a pair with null
 * (keep that input size). FLOPs: every window's elements summed plus one divide, exactly.
 */
export const adaptiveAvgPool2d: LayerRule = {
  args: ['output_size'],
  infer(layer, [x]): LayerOutcome {
    const a = new Args(layer, adaptiveAvgPool2d.args);
    expectFloat(x);
    expectRank(x, [3, 4], '[N, C, H, W] or [C, H, W]');
    const h = x.shape[x.shape.length - 2];
    const w = x.shape[x.shape.length - 1];
    const raw = a.raw('output_size');
    if (raw === undefined) throw new InputError('argument output_size is required');
    const pairRaw = Array.isArray(raw) ? raw : [raw, raw];
    if (pairRaw.length !== 2) throw new InputError(`output_size must be an integer or a pair, got ${JSON.stringify(raw)}`);
    const size = pairRaw.map((v, i) => {
      if (v === null) return i === 0 ? h : w;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new InputError(`output_size must hold positive integers or null, got ${JSON.stringify(raw)}`);
      return v;
    });
    const out = [...x.shape.slice(0, -2), size[0], size[1]];
    const planes = numel(x.shape.slice(0, -2));
    // adds per plane: Σ over windows (win_h·win_w) − 1, plus one divide per output.
    const windowElems = adaptiveWindowSum(h, size[0]) * adaptiveWindowSum(w, size[1]);
    return {
      outputShape: out, params: [], macs: 0,
      flops: planes * windowElems,
      saved: [{ what: 'input', input: 0 }],
      derivation: [`adaptive: output ${size[0]}×${size[1]} from ${h}×${w}, window i spans [⌊i·in/out⌋, ⌈(i+1)·in/out⌉)`],
    };
  },
};
