import { InputError } from '../errors.ts';
import { formatShape, numel } from '../tensor.ts';
import { Args, expectFloat, normDim, type InputInfo, type LayerRule } from './types.ts';

/** NumPy/PyTorch broadcasting of several shapes, with a one-line error naming them. */
export function broadcastShapes(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let size = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v === 1) continue;
      if (size !== 1 && size !== v) {
        throw new InputError(`input shapes ${shapes.map(formatShape).join(', ')} do not broadcast (dimension ${i - rank}: ${size} vs ${v})`);
      }
      size = v;
    }
    out.push(size);
  }
  return out;
}

function elementwise(op: 'Add' | 'Mul'): LayerRule {
  const rule: LayerRule = {
    args: [],
    arity: [2, 16],
    infer(layer, inputs) {
      new Args(layer, rule.args);
      inputs.forEach(expectFloat);
      const out = broadcastShapes(inputs.map((x) => x.shape));
      return {
        outputShape: out, params: [], macs: 0,
        flops: numel(out) * (inputs.length - 1),
        // The gradient of a product needs the other factors; a sum needs nothing.
        saved: op === 'Mul' ? inputs.map((_, i) => ({ what: `input ${i}`, input: i })) : [],
      };
    },
  };
  return rule;
}

/** Add: the elementwise sum of its inputs (residual add), with broadcasting. */
export const add = elementwise('Add');
/** Mul: the elementwise product of its inputs (gating, squeeze-excitation), with broadcasting. */
export const mul = elementwise('Mul');

/** Concat {dim=0}: torch.cat of its inputs (dim 1 for channels). Copies, no arithmetic. */
export const concat: LayerRule = {
  args: ['dim'],
  arity: [1, 64],
  infer(layer, inputs) {
    const a = new Args(layer, concat.args);
    const first = inputs[0];
    const dim = normDim(a.dim('dim', 0), first.shape.length);
    let size = 0;
    for (const x of inputs) {
      if (x.kind !== first.kind) throw new InputError('cannot concatenate float and integer inputs');
      if (x.shape.length !== first.shape.length || x.shape.some((v, i) => i !== dim && v !== first.shape[i])) {
        throw new InputError(`inputs ${inputs.map((t) => formatShape(t.shape)).join(', ')} differ outside dim ${dim}`);
      }
      size += x.shape[dim];
    }
    const out = [...first.shape];
    out[dim] = size;
    return { outputShape: out, outputKind: first.kind, params: [], macs: 0, flops: 0, saved: [] };
  },
};

/**
 * MatMul: torch.matmul of two inputs (batched, broadcasting leading dims), for attention written
 * in DAG form. MACs: batch·m·k·n. Autograd keeps both inputs.
 */
export const matmul: LayerRule = {
  args: [],
  arity: [2, 2],
  infer(layer, inputs: InputInfo[]) {
    new Args(layer, matmul.args);
    inputs.forEach(expectFloat);
    const [a, b] = inputs.map((x) => x.shape);
    if (a.length < 1 || b.length < 1) throw new InputError('inputs must be at least 1-D');
    const aa = a.length === 1 ? [1, a[0]] : a;
    const bb = b.length === 1 ? [b[0], 1] : b;
    const [m, k] = aa.slice(-2);
    const [k2, n] = bb.slice(-2);
    if (k !== k2) throw new InputError(`inner dimensions differ: ${formatShape(a)} @ ${formatShape(b)} (${k} vs ${k2})`);
    const batch = broadcastShapes([aa.slice(0, -2), bb.slice(0, -2)]);
    const out = [...batch, ...(a.length === 1 ? [] : [m]), ...(b.length === 1 ? [] : [n])];
    const macs = numel(batch) * m * k * n;
    return {
      outputShape: out, params: [], macs, flops: 2 * macs,
      saved: [{ what: 'input 0', input: 0 }, { what: 'input 1', input: 1 }],
    };
  },
};
