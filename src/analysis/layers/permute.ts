import { InputError } from '../errors.ts';
import { formatShape, numel } from '../tensor.ts';
import { Args, normDim, type LayerRule } from './types.ts';

/**
 * Permute {dims}: torch.permute (x.transpose(0, 1) is dims [1, 0, 2] on a 3-D input), made
 * contiguous as the next op needs it: a copy, no arithmetic. ONNX Transpose imports as this.
 */
export const permute: LayerRule = {
  args: ['dims'],
  infer(layer, [x]) {
    const a = new Args(layer, permute.args);
    const raw = a.raw('dims');
    const rank = x.shape.length;
    if (!Array.isArray(raw) || raw.length !== rank || raw.some((d) => typeof d !== 'number' || !Number.isInteger(d))) {
      throw new InputError(`dims must list ${rank} dimensions for the input ${formatShape(x.shape)}, got ${JSON.stringify(raw)}`);
    }
    const dims = (raw as number[]).map((d) => normDim(d, rank));
    if (new Set(dims).size !== rank) throw new InputError(`dims ${JSON.stringify(raw)} is not a permutation of 0..${rank - 1}`);
    return { outputShape: dims.map((d) => x.shape[d]), outputKind: x.kind, params: [], macs: 0, flops: 0, saved: [], notes: [`copies ${numel(x.shape)} elements`] };
  },
};
