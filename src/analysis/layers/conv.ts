import {
  conv2dOutputShape, convTransposeOutputSize, normalizeConv2dAttrs, outputSizeDerivation, transposeOutputSizeDerivation,
} from '../conv_shapes.ts';
import { InputError } from '../errors.ts';
import { formatShape, numel } from '../tensor.ts';
import { Args, expectFloat, expectRank, type LayerRule, type TensorDecl } from './types.ts';

const PADDING_MODES = ['zeros', 'reflect', 'replicate', 'circular'] as const;

/**
 * nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
 * bias=True, padding_mode='zeros'). MACs: one per output element per (in_channels/groups)·kh·kw tap.
 * Autograd keeps the input (and the weight, which is a parameter, not an activation).
 */
export const conv2d: LayerRule = {
  args: ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias', 'padding_mode'],
  infer(layer, [x]) {
    const a = new Args(layer, conv2d.args);
    const inCh = a.int('in_channels');
    const outCh = a.int('out_channels');
    const [kh, kw] = a.pair('kernel_size', undefined, 1);
    const bias = a.bool('bias', true);
    a.choice('padding_mode', PADDING_MODES, 'zeros');
    expectFloat(x);
    expectRank(x, [4], '[N, C, H, W]');
    if (x.shape[1] !== inCh) throw new InputError(`in_channels is ${inCh} but the input ${formatShape(x.shape)} has ${x.shape[1]} channel${x.shape[1] === 1 ? '' : 's'} (dim 1)`);
    const groups = a.int('groups', 1);
    if (inCh % groups !== 0) throw new InputError(`in_channels ${inCh} is not divisible by groups ${groups}`);
    if (outCh % groups !== 0) throw new InputError(`out_channels ${outCh} is not divisible by groups ${groups}`);
    const attrs = normalizeConv2dAttrs({ stride: a.raw('stride'), padding: a.raw('padding'), dilation: a.raw('dilation'), groups }, kh, kw);
    const weight = [outCh, inCh / groups, kh, kw];
    const out = conv2dOutputShape(x.shape, weight, attrs);
    const outElems = numel(out);
    const macs = outElems * (inCh / groups) * kh * kw;
    const params: TensorDecl[] = [{ name: 'weight', shape: weight }];
    if (bias) params.push({ name: 'bias', shape: [outCh] });
    return {
      outputShape: out, params, macs,
      flops: 2 * macs + (bias ? outElems : 0),
      saved: [{ what: 'input', input: 0 }],
      derivation: [
        outputSizeDerivation('H', x.shape[2], attrs.padTop, attrs.padBottom, kh, attrs.stride[0], attrs.dilation[0]),
        outputSizeDerivation('W', x.shape[3], attrs.padLeft, attrs.padRight, kw, attrs.stride[1], attrs.dilation[1]),
      ],
    };
  },
};

/**
 * nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
 * output_padding=0, groups=1, bias=True, dilation=1). Weight [in, out/groups, kh, kw].
 * MACs: every input element is multiplied into (out_channels/groups)·kh·kw outputs.
 */
export const convTranspose2d: LayerRule = {
  args: ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'output_padding', 'groups', 'bias', 'dilation', 'padding_mode'],
  infer(layer, [x]) {
    const a = new Args(layer, convTranspose2d.args);
    const inCh = a.int('in_channels');
    const outCh = a.int('out_channels');
    const k = a.pair('kernel_size', undefined, 1);
    const s = a.pair('stride', [1, 1], 1);
    const p = a.pair('padding', [0, 0], 0);
    const op = a.pair('output_padding', [0, 0], 0);
    const d = a.pair('dilation', [1, 1], 1);
    const groups = a.int('groups', 1);
    const bias = a.bool('bias', true);
    a.choice('padding_mode', ['zeros'] as const, 'zeros');
    expectFloat(x);
    expectRank(x, [4], '[N, C, H, W]');
    if (x.shape[1] !== inCh) throw new InputError(`in_channels is ${inCh} but the input ${formatShape(x.shape)} has ${x.shape[1]} channel${x.shape[1] === 1 ? '' : 's'} (dim 1)`);
    if (inCh % groups !== 0) throw new InputError(`in_channels ${inCh} is not divisible by groups ${groups}`);
    if (outCh % groups !== 0) throw new InputError(`out_channels ${outCh} is not divisible by groups ${groups}`);
    for (let i = 0; i < 2; i++) {
      if (op[i] >= s[i] && op[i] >= d[i]) {
        throw new InputError(`output_padding ${op[i]} must be smaller than stride ${s[i]} or dilation ${d[i]}`);
      }
    }
    const oh = convTransposeOutputSize(x.shape[2], p[0], k[0], s[0], d[0], op[0]);
    const ow = convTransposeOutputSize(x.shape[3], p[1], k[1], s[1], d[1], op[1]);
    if (oh < 1 || ow < 1) {
      throw new InputError(`output would be ${oh}×${ow}: padding ${p[0]}×${p[1]} removes more than (H − 1)·S + D·(K − 1) + OP + 1 = ${oh + 2 * p[0]}×${ow + 2 * p[1]}`);
    }
    const weight = [inCh, outCh / groups, k[0], k[1]];
    const out = [x.shape[0], outCh, oh, ow];
    const macs = numel(x.shape) * (outCh / groups) * k[0] * k[1];
    const params: TensorDecl[] = [{ name: 'weight', shape: weight }];
    if (bias) params.push({ name: 'bias', shape: [outCh] });
    return {
      outputShape: out, params, macs,
      flops: 2 * macs + (bias ? numel(out) : 0),
      saved: [{ what: 'input', input: 0 }],
      derivation: [
        transposeOutputSizeDerivation('H', x.shape[2], p[0], k[0], s[0], d[0], op[0]),
        transposeOutputSizeDerivation('W', x.shape[3], p[1], k[1], s[1], d[1], op[1]),
      ],
    };
  },
};
