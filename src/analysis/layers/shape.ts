import { InputError } from '../errors.ts';
import { formatShape, numel } from '../tensor.ts';
import { Args, normDim, type LayerRule } from './types.ts';

/** nn.Flatten(start_dim=1, end_dim=-1): a view, no arithmetic. */
export const flatten: LayerRule = {
  args: ['start_dim', 'end_dim'],
  infer(layer, [x]) {
    const a = new Args(layer, flatten.args);
    const rank = x.shape.length;
    const start = normDim(a.dim('start_dim', 1), rank, 'start_dim');
    const end = normDim(a.dim('end_dim', -1), rank, 'end_dim');
    if (start > end) throw new InputError(`start_dim ${a.dim('start_dim', 1)} comes after end_dim ${a.dim('end_dim', -1)} for the input ${formatShape(x.shape)}`);
    const out = [...x.shape.slice(0, start), numel(x.shape.slice(start, end + 1)), ...x.shape.slice(end + 1)];
    return { outputShape: out, outputKind: x.kind, view: true, params: [], macs: 0, flops: 0, saved: [] };
  },
};

/**
 * Select {dim, index}: torch.select, i.e. `x[:, -1]` (the last time step of an RNN output) or
 * `x[:, 0]` (ViT's class token). A view.
 */
export const select: LayerRule = {
  args: ['dim', 'index'],
  infer(layer, [x]) {
    const a = new Args(layer, select.args);
    const dim = normDim(a.dim('dim'), x.shape.length);
    const size = x.shape[dim];
    const index = a.dim('index');
    if (index < -size || index >= size) throw new InputError(`index ${index} is out of range for dim ${dim} of size ${size} (input ${formatShape(x.shape)})`);
    return { outputShape: x.shape.filter((_, i) => i !== dim), outputKind: x.kind, view: true, params: [], macs: 0, flops: 0, saved: [] };
  },
};

/** Reshape {shape}: torch.reshape with at most one -1. Treated as a view. */
export const reshape: LayerRule = {
  args: ['shape'],
  infer(layer, [x]) {
    const a = new Args(layer, reshape.args);
    const raw = a.raw('shape');
    if (!Array.isArray(raw) || raw.length === 0 || raw.some((v) => typeof v !== 'number' || !Number.isInteger(v) || (v < 1 && v !== -1))) {
      throw new InputError(`shape must be a list of positive integers with at most one -1, got ${JSON.stringify(raw)}`);
    }
    const shape = raw as number[];
    const free = shape.filter((v) => v === -1).length;
    if (free > 1) throw new InputError(`shape ${formatShape(shape)} has more than one -1`);
    const known = numel(shape.filter((v) => v !== -1));
    const total = numel(x.shape);
    if (free === 1 ? total % known !== 0 : known !== total) {
      throw new InputError(`cannot reshape the input ${formatShape(x.shape)} (${total} elements) to ${formatShape(shape)}`);
    }
    return { outputShape: shape.map((v) => (v === -1 ? total / known : v)), outputKind: x.kind, view: true, params: [], macs: 0, flops: 0, saved: [] };
  },
};

/** Mean {dim, keepdim=false}: torch.mean over one or more dims (e.g. mean pooling over tokens). */
export const mean: LayerRule = {
  args: ['dim', 'keepdim'],
  infer(layer, [x]) {
    const a = new Args(layer, mean.args);
    const raw = a.raw('dim');
    const dims = (Array.isArray(raw) ? raw : [raw]).map((d) => {
      if (typeof d !== 'number' || !Number.isInteger(d)) throw new InputError(`dim must be an integer or a list of integers, got ${JSON.stringify(raw)}`);
      return normDim(d, x.shape.length);
    });
    if (new Set(dims).size !== dims.length) throw new InputError(`dim ${JSON.stringify(raw)} names a dimension twice`);
    const keep = a.bool('keepdim', false);
    const out = keep ? x.shape.map((v, i) => (dims.includes(i) ? 1 : v)) : x.shape.filter((_, i) => !dims.includes(i));
    if (x.kind !== 'float') throw new InputError(`expects a float input, got integer token ids ${formatShape(x.shape)}`);
    // (k − 1) adds and one divide per output = k operations per output = numel(input).
    return { outputShape: out, params: [], macs: 0, flops: numel(x.shape), saved: [] };
  },
};
