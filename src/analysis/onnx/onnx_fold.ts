/**
 * Constant folding and shape propagation for ONNX graphs once the input shape is known: the
 * shape-computing subgraphs torch.onnx.export writes (Shape → Gather → Unsqueeze → Concat →
 * Reshape, ConstantOfShape for zero states, Transpose/Slice/Concat of weights when exported
 * without constant folding) evaluate on the CPU to constants; every other value gets its shape.
 */
import { InputError } from '../errors.ts';
import { broadcastShapes } from '../layers/merge.ts';
import { numel } from '../tensor.ts';
import type { AttrValue, ConstTensor, OnnxNode } from './onnx_graph.ts';

/** A value of the graph: a folded constant, or a runtime tensor with its shape. */
export type OnnxValue = { kind: 'const'; t: ConstTensor } | { kind: 'runtime'; shape: number[]; int: boolean };

/** A one-line error naming an ONNX node, its op type and its inputs. */
export function nodeError(node: OnnxNode, detail: string): InputError {
  return new InputError(`ONNX node "${node.name}" (${node.opType}, inputs ${node.inputs.filter(Boolean).join(', ') || 'none'}): ${detail}`);
}

/** Reads an int attribute with a default. */
export function intAttr(node: OnnxNode, name: string, fallback: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : fallback;
}

/** Reads an ints attribute (undefined when absent). */
export function intsAttr(node: OnnxNode, name: string): number[] | undefined {
  const v = node.attrs[name];
  return Array.isArray(v) ? (v as number[]) : undefined;
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let k = shape.length - 2; k >= 0; k--) s[k] = s[k + 1] * shape[k + 1];
  return s;
}

function norm(axis: number, rank: number, node: OnnxNode): number {
  if (axis < -rank || axis >= rank) throw nodeError(node, `axis ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Visits every index of `shape` in row-major order. */
function forEachIndex(shape: number[], visit: (index: number[], flat: number) => void): void {
  const n = numel(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    visit(index, flat);
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++index[k] < shape[k]) break;
      index[k] = 0;
    }
  }
}

function broadcastRead(t: ConstTensor, out: number[]): (index: number[]) => number {
  const st = strides(t.shape);
  const offset = out.length - t.shape.length;
  return (index) => {
    let at = 0;
    for (let k = 0; k < t.shape.length; k++) if (t.shape[k] !== 1) at += index[k + offset] * st[k];
    return t.data[at];
  };
}

const BINARY: Record<string, (a: number, b: number, int: boolean) => number> = {
  Add: (a, b) => a + b, Sub: (a, b) => a - b, Mul: (a, b) => a * b,
  Div: (a, b, int) => (int ? Math.trunc(a / b) : a / b), Pow: (a, b) => a ** b,
  Equal: (a, b) => Number(a === b), Less: (a, b) => Number(a < b), Greater: (a, b) => Number(a > b),
  Min: (a, b) => Math.min(a, b), Max: (a, b) => Math.max(a, b), Mod: (a, b) => a % b,
};

const UNARY: Record<string, (a: number) => number> = {
  Sqrt: Math.sqrt, Neg: (a) => -a, Floor: Math.floor, Ceil: Math.ceil, Abs: Math.abs, Not: (a) => Number(!a),
  Relu: (a) => Math.max(a, 0), Exp: Math.exp, Reciprocal: (a) => 1 / a,
};

function gatherConst(data: ConstTensor, indices: ConstTensor, axis: number): ConstTensor {
  const outShape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  const st = strides(data.shape);
  const out: number[] = [];
  forEachIndex(outShape, (index) => {
    let at = 0;
    for (let k = 0; k < axis; k++) at += index[k] * st[k];
    let flatIdx = 0;
    const ist = strides(indices.shape);
    for (let k = 0; k < indices.shape.length; k++) flatIdx += index[axis + k] * ist[k];
    let i = indices.data[flatIdx];
    if (i < 0) i += data.shape[axis];
    at += i * st[axis];
    for (let k = axis + 1; k < data.shape.length; k++) at += index[k + indices.shape.length - 1] * st[k];
    out.push(data.data[at]);
  });
  return { shape: outShape, data: out, dtype: data.dtype };
}

/** Start, end and step per axis of an ONNX Slice, clamped as ONNX clamps them. */
export function sliceRanges(shape: number[], starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined, node: OnnxNode): { start: number; step: number; size: number }[] {
  const ranges = shape.map((size) => ({ start: 0, step: 1, size }));
  starts.forEach((s, i) => {
    const axis = norm(axes ? axes[i] : i, shape.length, node);
    const dim = shape[axis];
    const step = steps ? steps[i] : 1;
    if (step === 0) throw nodeError(node, 'a step of 0');
    let start = s < 0 ? s + dim : s;
    let end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = Math.min(Math.max(start, 0), dim);
      end = Math.min(Math.max(end, 0), dim);
    } else {
      start = Math.min(Math.max(start, 0), dim - 1);
      end = Math.min(Math.max(end, -1), dim - 1);
    }
    ranges[axis] = { start, step, size: Math.max(0, Math.ceil((end - start) / step)) };
  });
  return ranges;
}

/** Resolves an ONNX Reshape target (0 copies the input's dim, one -1 is inferred). */
export function reshapeTarget(input: number[], target: number[], node: OnnxNode): number[] {
  const out = target.map((v, i) => (v === 0 ? input[i] : v));
  const known = numel(out.filter((v) => v !== -1));
  const total = numel(input);
  const free = out.filter((v) => v === -1).length;
  if (free > 1 || (free === 1 ? total % known !== 0 : known !== total)) {
    throw nodeError(node, `cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`);
  }
  return out.map((v) => (v === -1 ? total / known : v));
}

function permuteConst(t: ConstTensor, perm: number[]): ConstTensor {
  const shape = perm.map((p) => t.shape[p]);
  const st = strides(t.shape);
  const out: number[] = [];
  forEachIndex(shape, (index) => {
    let at = 0;
    for (let k = 0; k < perm.length; k++) at += index[k] * st[perm[k]];
    out.push(t.data[at]);
  });
  return { shape, data: out, dtype: t.dtype };
}

/** Axes of Squeeze/Unsqueeze/Reduce*: the attribute before opset 13 (18 for reductions), else input 1. */
export function axesOf(node: OnnxNode, consts: (ConstTensor | null)[]): number[] | undefined {
  return intsAttr(node, 'axes') ?? consts[1]?.data;
}

function splitSizes(node: OnnxNode, dim: number, consts: (ConstTensor | null)[]): number[] {
  const given = intsAttr(node, 'split') ?? consts[1]?.data;
  if (given) return given;
  const parts = node.outputs.length;
  const size = Math.ceil(dim / parts);
  return Array.from({ length: parts }, (_, i) => Math.min(size, dim - i * size));
}

/**
 * Evaluates a node whose inputs are all constants (Shape also on a runtime input); returns null
 * when the op is not one the folder knows (the caller then treats it as a runtime op).
 */
export function foldNode(node: OnnxNode, ins: (OnnxValue | null)[]): ConstTensor[] | null {
  const consts = ins.map((v) => (v && v.kind === 'const' ? v.t : null));
  const x = consts[0];
  const op = node.opType;
  if (op === 'Constant') {
    const v: AttrValue | undefined = node.attrs.value ?? node.attrs.value_float ?? node.attrs.value_int ?? node.attrs.value_ints ?? node.attrs.value_floats;
    if (v === undefined) throw nodeError(node, 'has no value attribute this reader handles');
    if (typeof v === 'number') return [{ shape: [], data: [v], dtype: node.attrs.value_int !== undefined ? 'int' : 'float' }];
    if (Array.isArray(v)) return [{ shape: [v.length], data: v as number[], dtype: node.attrs.value_ints !== undefined ? 'int' : 'float' }];
    return [v as ConstTensor];
  }
  if (op === 'Shape' && ins[0]) {
    const shape = ins[0].kind === 'const' ? ins[0].t.shape : ins[0].shape;
    const start = intAttr(node, 'start', 0);
    const end = node.attrs.end === undefined ? shape.length : intAttr(node, 'end', shape.length);
    const s = start < 0 ? start + shape.length : start;
    const e = end < 0 ? end + shape.length : end;
    const dims = shape.slice(s, e);
    return [{ shape: [dims.length], data: dims, dtype: 'int' }];
  }
  if (op === 'ConstantOfShape' && x) {
    const value = node.attrs.value as ConstTensor | undefined;
    return [{ shape: x.data, data: new Array<number>(numel(x.data)).fill(value ? value.data[0] : 0), dtype: value?.dtype ?? 'float' }];
  }
  if (ins.some((v, i) => node.inputs[i] !== '' && (!v || v.kind !== 'const'))) return null;
  if (!x) return null;
  if (op === 'Identity' || op === 'Dropout') return [x];
  if (op === 'Cast') {
    const to = intAttr(node, 'to', 1);
    const float = to === 1 || to === 10 || to === 11;
    return [{ shape: x.shape, data: float ? x.data : x.data.map(Math.trunc), dtype: float ? 'float' : 'int' }];
  }
  if (BINARY[op] && consts[1]) {
    const b = consts[1];
    const shape = broadcastShapes([x.shape, b.shape]);
    const ra = broadcastRead(x, shape);
    const rb = broadcastRead(b, shape);
    const int = x.dtype === 'int' && b.dtype === 'int';
    const out: number[] = [];
    forEachIndex(shape, (index) => out.push(BINARY[op](ra(index), rb(index), int)));
    const compare = op === 'Equal' || op === 'Less' || op === 'Greater';
    return [{ shape, data: out, dtype: compare || int ? 'int' : 'float' }];
  }
  if (UNARY[op]) return [{ shape: x.shape, data: x.data.map(UNARY[op]), dtype: x.dtype }];
  if (op === 'Where' && consts[1] && consts[2]) {
    const shape = broadcastShapes([x.shape, consts[1].shape, consts[2].shape]);
    const [rc, ra, rb] = [x, consts[1], consts[2]].map((t) => broadcastRead(t, shape));
    const out: number[] = [];
    forEachIndex(shape, (index) => out.push(rc(index) ? ra(index) : rb(index)));
    return [{ shape, data: out, dtype: consts[1].dtype }];
  }
  if (op === 'Gather' && consts[1]) return [gatherConst(x, consts[1], norm(intAttr(node, 'axis', 0), x.shape.length, node))];
  if (op === 'Unsqueeze' || op === 'Squeeze' || op === 'Reshape' || op === 'Flatten') {
    return [{ shape: viewShape(node, x.shape, consts), data: x.data, dtype: x.dtype }];
  }
  if (op === 'Concat') {
    const axis = norm(intAttr(node, 'axis', 0), x.shape.length, node);
    const parts = consts as ConstTensor[];
    const shape = [...x.shape];
    shape[axis] = parts.reduce((a, t) => a + t.shape[axis], 0);
    const outer = numel(x.shape.slice(0, axis));
    const out: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const t of parts) {
        const chunk = numel(t.shape.slice(axis));
        out.push(...t.data.slice(o * chunk, (o + 1) * chunk));
      }
    }
    return [{ shape, data: out, dtype: x.dtype }];
  }
  if (op === 'Transpose') {
    const perm = intsAttr(node, 'perm') ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    return [permuteConst(x, perm)];
  }
  if (op === 'Slice') {
    const ranges = node.inputs.length > 1
      ? sliceRanges(x.shape, consts[1]!.data, consts[2]!.data, consts[3]?.data, consts[4]?.data, node)
      : sliceRanges(x.shape, intsAttr(node, 'starts')!, intsAttr(node, 'ends')!, intsAttr(node, 'axes'), undefined, node);
    const st = strides(x.shape);
    const shape = ranges.map((r) => r.size);
    const out: number[] = [];
    forEachIndex(shape, (index) => {
      let at = 0;
      for (let k = 0; k < shape.length; k++) at += (ranges[k].start + index[k] * ranges[k].step) * st[k];
      out.push(x.data[at]);
    });
    return [{ shape, data: out, dtype: x.dtype }];
  }
  if (op === 'Expand' && consts[1]) {
    const shape = broadcastShapes([x.shape, consts[1].data]);
    const read = broadcastRead(x, shape);
    const out: number[] = [];
    forEachIndex(shape, (index) => out.push(read(index)));
    return [{ shape, data: out, dtype: x.dtype }];
  }
  if (op === 'Range' && consts[1] && consts[2]) {
    const [start, limit, delta] = [x.data[0], consts[1].data[0], consts[2].data[0]];
    const n = Math.max(Math.ceil((limit - start) / delta), 0);
    return [{ shape: [n], data: Array.from({ length: n }, (_, i) => start + i * delta), dtype: x.dtype }];
  }
  if (op === 'Split') {
    const axis = norm(intAttr(node, 'axis', 0), x.shape.length, node);
    const sizes = splitSizes(node, x.shape[axis], consts);
    let at = 0;
    return sizes.map((size) => {
      const ranges = x.shape.map((d, k) => (k === axis ? { start: at, step: 1, size } : { start: 0, step: 1, size: d }));
      at += size;
      const st = strides(x.shape);
      const shape = ranges.map((r) => r.size);
      const out: number[] = [];
      forEachIndex(shape, (index) => {
        let o = 0;
        for (let k = 0; k < shape.length; k++) o += (ranges[k].start + index[k]) * st[k];
        out.push(x.data[o]);
      });
      return { shape, data: out, dtype: x.dtype };
    });
  }
  return null;
}

/** Output shape of the view ops (Reshape, Flatten, Squeeze, Unsqueeze) on an input shape. */
export function viewShape(node: OnnxNode, shape: number[], consts: (ConstTensor | null)[]): number[] {
  const op = node.opType;
  if (op === 'Reshape') {
    if (!consts[1]) throw nodeError(node, 'the target shape is not a constant once the input shape is known');
    return reshapeTarget(shape, consts[1].data, node);
  }
  if (op === 'Flatten') {
    const axis = intAttr(node, 'axis', 1);
    const a = axis < 0 ? axis + shape.length : axis;
    return [numel(shape.slice(0, a)), numel(shape.slice(a))];
  }
  const axes = axesOf(node, consts);
  if (op === 'Squeeze') {
    const drop = (axes ?? shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => norm(a, shape.length, node));
    return shape.filter((_, i) => !drop.includes(i));
  }
  if (!axes) throw nodeError(node, 'Unsqueeze without axes');
  const rank = shape.length + axes.length;
  const at = axes.map((a) => norm(a, rank, node));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(at.includes(i) ? 1 : shape[j++]);
  return out;
}

function poolDim(size: number, k: number, s: number, p0: number, p1: number, d: number, ceil: boolean): number {
  const span = size + p0 + p1 - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= size + p0) out--;
  return out;
}

/** Output shapes of a runtime node from its input shapes (and the constants among its inputs). */
export function runtimeShapes(node: OnnxNode, shapes: (number[] | null)[], consts: (ConstTensor | null)[]): number[][] {
  const op = node.opType;
  const x = shapes[0] ?? consts[0]?.shape ?? [];
  const rank = x.length;
  switch (op) {
    case 'Conv': case 'MaxPool': case 'AveragePool': case 'ConvTranspose': {
      const w = shapes[1] ?? consts[1]?.shape ?? [];
      const spatial = rank - 2;
      const kernel = intsAttr(node, 'kernel_shape') ?? w.slice(2);
      const stride = intsAttr(node, 'strides') ?? new Array(spatial).fill(1);
      const pads = intsAttr(node, 'pads') ?? new Array(2 * spatial).fill(0);
      const dil = intsAttr(node, 'dilations') ?? new Array(spatial).fill(1);
      if (typeof node.attrs.auto_pad === 'string' && node.attrs.auto_pad !== 'NOTSET') throw nodeError(node, `auto_pad "${node.attrs.auto_pad}" is not read; explicit pads only`);
      const ceil = intAttr(node, 'ceil_mode', 0) === 1;
      const dims = x.slice(2).map((size, i) => {
        if (op === 'ConvTranspose') {
          const outPad = (intsAttr(node, 'output_padding') ?? [])[i] ?? 0;
          return (size - 1) * stride[i] - pads[i] - pads[i + spatial] + dil[i] * (kernel[i] - 1) + outPad + 1;
        }
        return poolDim(size, kernel[i], stride[i], pads[i], pads[i + spatial], dil[i], ceil);
      });
      const channels = op === 'Conv' ? w[0] : op === 'ConvTranspose' ? w[1] * intAttr(node, 'group', 1) : x[1];
      return [[x[0], channels, ...dims]];
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool':
      return [[x[0], x[1], ...x.slice(2).map(() => 1)]];
    case 'Gemm': {
      const b = shapes[1] ?? consts[1]!.shape;
      const m = intAttr(node, 'transA', 0) ? x[1] : x[0];
      const n = intAttr(node, 'transB', 0) ? b[0] : b[1];
      return [[m, n]];
    }
    case 'MatMul': {
      const b = shapes[1] ?? consts[1]!.shape;
      const aa = x.length === 1 ? [1, x[0]] : x;
      const bb = b.length === 1 ? [b[0], 1] : b;
      const batch = broadcastShapes([aa.slice(0, -2), bb.slice(0, -2)]);
      return [[...batch, ...(x.length === 1 ? [] : [aa[aa.length - 2]]), ...(b.length === 1 ? [] : [bb[bb.length - 1]])]];
    }
    case 'Add': case 'Sub': case 'Mul': case 'Div': case 'Pow': case 'Where':
      return [broadcastShapes(node.inputs.map((_, i) => shapes[i] ?? consts[i]!.shape))];
    case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': {
      const axes = (axesOf(node, consts) ?? x.map((_, i) => i)).map((a) => norm(a, rank, node));
      const keep = intAttr(node, 'keepdims', 1) === 1;
      return [keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))];
    }
    case 'Reshape': case 'Flatten': case 'Squeeze': case 'Unsqueeze':
      return [viewShape(node, x, consts)];
    case 'Transpose': {
      const perm = intsAttr(node, 'perm') ?? x.map((_, i) => rank - 1 - i);
      return [perm.map((p) => x[p])];
    }
    case 'Concat': {
      const axis = norm(intAttr(node, 'axis', 0), rank, node);
      const out = [...x];
      out[axis] = node.inputs.reduce((a, _, i) => a + (shapes[i] ?? consts[i]!.shape)[axis], 0);
      return [out];
    }
    case 'Gather': {
      const axis = norm(intAttr(node, 'axis', 0), rank, node);
      const idx = shapes[1] ?? consts[1]!.shape;
      return [[...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]];
    }
    case 'Slice': {
      const ranges = node.inputs.length > 1
        ? sliceRanges(x, consts[1]!.data, consts[2]!.data, consts[3]?.data, consts[4]?.data, node)
        : sliceRanges(x, intsAttr(node, 'starts')!, intsAttr(node, 'ends')!, intsAttr(node, 'axes'), undefined, node);
      return [ranges.map((r) => r.size)];
    }
    case 'Split': {
      const axis = norm(intAttr(node, 'axis', 0), rank, node);
      return splitSizes(node, x[axis], consts).map((size) => x.map((d, k) => (k === axis ? size : d)));
    }
    case 'Expand':
      return [broadcastShapes([x, consts[1]!.data])];
    case 'LSTM': case 'GRU': case 'RNN': {
      const hidden = intAttr(node, 'hidden_size', 0);
      const dirs = node.attrs.direction === 'bidirectional' ? 2 : 1;
      if (intAttr(node, 'layout', 0) !== 0) throw nodeError(node, 'layout=1 (batch-major) is not read');
      const [t, n] = x;
      return [[t, dirs, n, hidden], [dirs, n, hidden], [dirs, n, hidden]];
    }
    default:
      return [[...x]];
  }
}
