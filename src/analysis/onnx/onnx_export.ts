/**
 * ModelSpec + weights → an ONNX file (opset 17, encoded with `onnx-proto`), as
 * torch.onnx.export would write the same PyTorch model in eval mode: Conv, Gemm/MatMul+Add,
 * BatchNormalization with the running statistics, LayerNormalization, pools, activations (GELU as
 * the Erf pattern), Flatten/Reshape/Transpose, Gather for Embedding and Select, ReduceMean,
 * Add/Mul/Concat/MatMul. Parameters are initializers named by their PyTorch state_dict names.
 * Recurrent layers become ONNX LSTM/GRU/RNN nodes (gates reordered), self-attention the packed
 * projection, per-head softmax(QKᵀ/√d)V and out_proj; a layer without a writer is a one-line error.
 */
import onnxProto from 'onnx-proto';
import type * as OnnxTypes from 'onnx-proto';
import { pairAttr } from '../conv_shapes.ts';
import { InputError } from '../errors.ts';
import { analyzeModel, type LayerNode } from '../graph.ts';
import { COMPOSITES } from '../layers/index.ts';
import { walkLayerList, type LayerSpec, type ModelSpec } from '../model_spec.ts';
import { numel } from '../tensor.ts';
import { ONNX_DTYPE } from './onnx_graph.ts';

const { onnx } = onnxProto;
type NodeProto = OnnxTypes.onnx.INodeProto;
type TensorProto = OnnxTypes.onnx.ITensorProto;

/** Weights by PyTorch state_dict name, as ModelSpec `weights` carries them. */
export type WeightMap = Record<string, { shape: number[]; data: ArrayLike<number> }>;

/** The opset the exporter writes (LayerNormalization needs 17). */
export const EXPORT_OPSET = 17;

function floatTensor(name: string, shape: number[], data: ArrayLike<number>): TensorProto {
  const values = Float32Array.from(data);
  return { name, dims: shape, dataType: ONNX_DTYPE.FLOAT, rawData: new Uint8Array(values.buffer) };
}

function int64Tensor(name: string, shape: number[], data: number[]): TensorProto {
  const values = BigInt64Array.from(data.map((v) => BigInt(v)));
  return { name, dims: shape, dataType: ONNX_DTYPE.INT64, rawData: new Uint8Array(values.buffer) };
}

/** An attribute value: an int, a float (`{ f }`, so 1.0 stays a float), ints or a string. */
type Attr = number | { f: number } | number[] | string | string[];

const float = (f: number): { f: number } => ({ f });

function attribute(name: string, value: Attr): OnnxTypes.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { name, type: T.STRINGS, strings: (value as string[]).map((v) => new TextEncoder().encode(v)) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value as number[] };
  if (typeof value === 'object') return { name, type: T.FLOAT, f: value.f };
  return { name, type: T.INT, i: value };
}

/**
 * Values for a parameter the caller gave none for: norm scales and running variances 1, 1-D biases
 * and running means 0, weights U(−1/√fan_in, 1/√fan_in) (PyTorch's Linear/Conv range) from a fixed seed.
 */
function defaultValues(local: string, shape: number[], seed: { state: number }): number[] {
  const n = numel(shape);
  if (shape.length === 1 && (local === 'weight' || local === 'running_var')) return new Array<number>(n).fill(1);
  if (shape.length === 1 && (local === 'bias' || local === 'running_mean')) return new Array<number>(n).fill(0);
  const bound = 1 / Math.sqrt(shape.length > 1 ? numel(shape.slice(1)) : shape[0]);
  return Array.from({ length: n }, () => {
    seed.state = (seed.state * 1664525 + 1013904223) >>> 0;
    return ((seed.state / 2 ** 32) * 2 - 1) * bound;
  });
}

class OnnxWriter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly seed = { state: 12345 };
  private readonly byPath = new Map<string, LayerNode>();

  constructor(private readonly weights: WeightMap, nodes: LayerNode[]) {
    for (const n of nodes) this.byPath.set(n.name, n);
  }

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  node(opType: string, inputs: string[], name: string, attrs: Record<string, Attr | undefined> = {}, output?: string): string {
    const out = output ?? this.fresh(`/${name}/${opType}_output`);
    const attribute_ = Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => attribute(k, v as Attr));
    this.nodes.push({ name: `/${name}/${opType}_${this.nodes.length}`, opType, input: inputs, output: [out], attribute: attribute_ });
    return out;
  }

  ints(name: string, data: number[], shape = [data.length]): string {
    const id = this.fresh(name);
    this.initializers.push(int64Tensor(id, shape, data));
    return id;
  }

  floats(name: string, data: number[], shape: number[]): string {
    const id = this.fresh(name);
    this.initializers.push(floatTensor(id, shape, data));
    return id;
  }

  /** A parameter's or buffer's values (given, else defaultValues) with its declared shape. */
  values(path: string, local: string): { shape: number[]; data: ArrayLike<number> } {
    const node = this.byPath.get(path);
    const decl = [...(node?.params ?? []), ...(node?.buffers ?? [])].find((p) => p.name === local);
    if (!decl) throw new InputError(`export: layer "${path}" has no parameter "${local}"`);
    const full = path ? `${path}.${local}` : local;
    const given = this.weights[full];
    if (given && (given.shape.length !== decl.shape.length || given.shape.some((s, i) => s !== decl.shape[i]))) {
      throw new InputError(`export: weights "${full}" has shape [${given.shape.join(', ')}], the model expects [${decl.shape.join(', ')}]`);
    }
    const data = given ? given.data : defaultValues(local, decl.shape, this.seed);
    if (data.length !== numel(decl.shape)) throw new InputError(`export: weights "${full}" has ${data.length} values for shape [${decl.shape.join(', ')}]`);
    return { shape: decl.shape, data };
  }

  /** A parameter or buffer of a layer as an initializer named `path.local`, transposed when asked (2-D only). */
  param(path: string, local: string, transpose = false): string {
    const { shape, data } = this.values(path, local);
    const full = path ? `${path}.${local}` : local;
    if (!transpose) {
      this.initializers.push(floatTensor(full, shape, data));
      return full;
    }
    const [r, c] = shape;
    const t = new Array<number>(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = data[i * c + j];
    return this.floats(`onnx::MatMul_${full}`, t, [c, r]);
  }

  layerNode(path: string): LayerNode {
    const n = this.byPath.get(path);
    if (!n) throw new InputError(`export: no analysis row for layer "${path}"`);
    return n;
  }
}

/** A Reshape target that keeps dim 0 (0 = copy, as torch writes a batch) when the layer keeps the batch size. */
function batchFreeShape(node: LayerNode): number[] {
  const out = [...node.outputShape];
  if (out.length > 1 && node.inputShapes[0][0] === out[0]) out[0] = 0;
  return out;
}

function pair(layer: LayerSpec, key: string, fallback: [number, number], min: number): [number, number] {
  return pairAttr('export', key, layer[key], fallback, min);
}

/** PyTorch gate blocks → ONNX's order: LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h. */
const ONNX_GATES: Record<string, number[]> = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2], RNN: [0] };

function gateRows(t: { data: ArrayLike<number> }, cell: string, hidden: number, width: number, offset = 0): number[] {
  const out: number[] = [];
  for (const g of ONNX_GATES[cell]) {
    for (let i = (offset + g * hidden) * width; i < (offset + (g + 1) * hidden) * width; i++) out.push(t.data[i]);
  }
  return out;
}

/** nn.RNN/LSTM/GRU as one ONNX node per layer (zero initial states), Y reshaped to [T, N, D·H] as torch does. */
function writeRecurrent(w: OnnxWriter, layer: LayerSpec, x: string, path: string, node: LayerNode): string {
  const cell = layer.type;
  const hidden = layer.hidden_size as number;
  const layers = (layer.num_layers as number | undefined) ?? 1;
  const dirs = layer.bidirectional ? 2 : 1;
  const gates = { LSTM: 4, GRU: 3, RNN: 1 }[cell]!;
  if (node.inputShapes[0].length !== 3) throw new InputError(`export: layer "${path}" (${cell}): only batched 3-D input is written`);
  if (((layer.proj_size as number | undefined) ?? 0) > 0) throw new InputError(`export: layer "${path}" (LSTM): proj_size is not written`);
  const hasBias = layer.bias !== false;
  let y = layer.batch_first ? w.node('Transpose', [x], path, { perm: [1, 0, 2] }) : x;
  for (let k = 0; k < layers; k++) {
    const width = k === 0 ? (layer.input_size as number) : dirs * hidden;
    const wData: number[] = [];
    const rData: number[] = [];
    const bData: number[] = [];
    for (let d = 0; d < dirs; d++) {
      const sfx = `l${k}${d === 1 ? '_reverse' : ''}`;
      wData.push(...gateRows(w.values(path, `weight_ih_${sfx}`), cell, hidden, width));
      rData.push(...gateRows(w.values(path, `weight_hh_${sfx}`), cell, hidden, hidden));
      if (hasBias) bData.push(...gateRows(w.values(path, `bias_ih_${sfx}`), cell, hidden, 1), ...gateRows(w.values(path, `bias_hh_${sfx}`), cell, hidden, 1));
    }
    const inputs = [y, w.floats(`${path}.W_l${k}`, wData, [dirs, gates * hidden, width]), w.floats(`${path}.R_l${k}`, rData, [dirs, gates * hidden, hidden])];
    if (hasBias) inputs.push(w.floats(`${path}.B_l${k}`, bData, [dirs, 2 * gates * hidden]));
    const attrs: Record<string, Attr | undefined> = { hidden_size: hidden, direction: dirs === 2 ? 'bidirectional' : 'forward' };
    if (cell === 'GRU') attrs.linear_before_reset = 1;
    if (cell === 'RNN' && layer.nonlinearity === 'relu') attrs.activations = dirs === 2 ? ['Relu', 'Relu'] : ['Relu'];
    const out = w.node(cell, inputs, path, attrs);
    y = dirs === 1
      ? w.node('Squeeze', [out, w.ints('axes', [1])], path)
      : w.node('Reshape', [w.node('Transpose', [out], path, { perm: [0, 2, 1, 3] }), w.ints('shape', [0, 0, -1])], path);
  }
  return layer.batch_first ? w.node('Transpose', [y], path, { perm: [1, 0, 2] }) : y;
}

/** Self-attention as F.multi_head_attention_forward computes it: packed projection, per-head softmax(QKᵀ/√d)V, out_proj. */
function writeAttention(w: OnnxWriter, layer: LayerSpec, ins: string[], path: string, node: LayerNode): string {
  const e = layer.embed_dim as number;
  const heads = layer.num_heads as number;
  const d = e / heads;
  const unsupported = ['add_bias_kv', 'add_zero_attn'].filter((k) => layer[k]);
  if (ins.length !== 1 || node.inputShapes[0].length !== 3 || unsupported.length || node.params.some((p) => p.name === 'q_proj_weight')) {
    throw new InputError(`export: layer "${path}" (MultiheadAttention): only batched self-attention with a packed projection is written`);
  }
  const hasBias = node.params.some((p) => p.name === 'in_proj_bias');
  let x = layer.batch_first ? w.node('Transpose', [ins[0]], path, { perm: [1, 0, 2] }) : ins[0];
  let qkv = w.node('MatMul', [x, w.param(path, 'in_proj_weight', true)], path);
  if (hasBias) qkv = w.node('Add', [w.param(path, 'in_proj_bias'), qkv], path);
  const split = w.node('Transpose', [w.node('Reshape', [qkv, w.ints('shape', [0, 0, 3, heads, d])], path)], path, { perm: [2, 1, 3, 0, 4] });
  const part = (i: number) => w.node('Gather', [split, w.ints('index', [i], [])], path, { axis: 0 });
  const q = w.node('Mul', [part(0), w.floats('scale', [1 / Math.sqrt(d)], [])], path);
  const scores = w.node('MatMul', [q, w.node('Transpose', [part(1)], path, { perm: [0, 1, 3, 2] })], path);
  const mixed = w.node('MatMul', [w.node('Softmax', [scores], path, { axis: -1 }), part(2)], path);
  const merged = w.node('Reshape', [w.node('Transpose', [mixed], path, { perm: [2, 0, 1, 3] }), w.ints('shape', [0, 0, e])], path);
  x = w.node('MatMul', [merged, w.param(path, 'out_proj.weight', true)], path);
  if (hasBias) x = w.node('Add', [w.param(path, 'out_proj.bias'), x], path);
  return layer.batch_first ? w.node('Transpose', [x], path, { perm: [1, 0, 2] }) : x;
}

/** Writes one leaf layer; returns its output value name. */
function writeLeaf(w: OnnxWriter, layer: LayerSpec, ins: string[], path: string): string {
  const node = w.layerNode(path);
  const x = ins[0];
  const rank = node.inputShapes[0]?.length ?? 0;
  const has = (local: string) => node.params.some((p) => p.name === local);
  const t = layer.type;
  switch (t) {
    case 'Conv2d': case 'ConvTranspose2d': {
      if (typeof layer.padding === 'string') throw new InputError(`export: layer "${path}" (${t}): padding "${layer.padding}" is not written; give numbers`);
      const [ph, pw] = pair(layer, 'padding', [0, 0], 0);
      const kernel = pair(layer, 'kernel_size', [1, 1], 1);
      const inputs = [x, w.param(path, 'weight')];
      if (has('bias')) inputs.push(w.param(path, 'bias'));
      return w.node(t === 'Conv2d' ? 'Conv' : 'ConvTranspose', inputs, path, {
        kernel_shape: kernel, strides: pair(layer, 'stride', [1, 1], 1), pads: [ph, pw, ph, pw],
        dilations: pair(layer, 'dilation', [1, 1], 1), group: (layer.groups as number | undefined) ?? 1,
        output_padding: t === 'ConvTranspose2d' ? pair(layer, 'output_padding', [0, 0], 0) : undefined,
      });
    }
    case 'Linear': {
      if (rank === 2) {
        const inputs = [x, w.param(path, 'weight')];
        if (has('bias')) inputs.push(w.param(path, 'bias'));
        return w.node('Gemm', inputs, path, { alpha: float(1), beta: float(1), transB: 1 });
      }
      const mm = w.node('MatMul', [x, w.param(path, 'weight', true)], path);
      return has('bias') ? w.node('Add', [w.param(path, 'bias'), mm], path) : mm;
    }
    case 'ReLU': return w.node('Relu', [x], path);
    case 'Sigmoid': return w.node('Sigmoid', [x], path);
    case 'Tanh': return w.node('Tanh', [x], path);
    case 'ReLU6': return w.node('Clip', [x, w.floats('min', [0], []), w.floats('max', [6], [])], path);
    case 'LeakyReLU': return w.node('LeakyRelu', [x], path, { alpha: float((layer.negative_slope as number | undefined) ?? 0.01) });
    case 'ELU': return w.node('Elu', [x], path, { alpha: float((layer.alpha as number | undefined) ?? 1) });
    case 'SiLU': return w.node('Mul', [x, w.node('Sigmoid', [x], path)], path);
    case 'GELU': {
      if (layer.approximate === 'tanh') throw new InputError(`export: layer "${path}" (GELU): approximate="tanh" is not written yet`);
      const erf = w.node('Erf', [w.node('Div', [x, w.floats('sqrt2', [Math.SQRT2], [])], path)], path);
      const half = w.node('Mul', [x, w.node('Add', [erf, w.floats('one', [1], [])], path)], path);
      return w.node('Mul', [half, w.floats('half', [0.5], [])], path);
    }
    case 'Softmax': case 'LogSoftmax':
      return w.node(t, [x], path, { axis: (layer.dim as number | undefined) ?? -1 });
    case 'Identity': case 'Dropout': case 'Dropout2d':
      return w.node('Identity', [x], path);
    case 'Flatten': {
      const start = (layer.start_dim as number | undefined) ?? 1;
      const end = (layer.end_dim as number | undefined) ?? -1;
      if (start === 1 && (end === -1 || end === rank - 1)) return w.node('Flatten', [x], path, { axis: 1 });
      return w.node('Reshape', [x, w.ints('shape', batchFreeShape(node))], path);
    }
    case 'Reshape':
      return w.node('Reshape', [x, w.ints('shape', batchFreeShape(node))], path);
    case 'Permute':
      return w.node('Transpose', [x], path, { perm: (layer.dims as number[]).map((d) => (d < 0 ? d + rank : d)) });
    case 'MaxPool2d': case 'AvgPool2d': {
      const kernel = pair(layer, 'kernel_size', [1, 1], 1);
      const [ph, pw] = pair(layer, 'padding', [0, 0], 0);
      if (layer.divisor_override !== undefined && layer.divisor_override !== null) throw new InputError(`export: layer "${path}" (AvgPool2d): divisor_override has no ONNX equivalent`);
      return w.node(t === 'MaxPool2d' ? 'MaxPool' : 'AveragePool', [x], path, {
        kernel_shape: kernel, strides: pair(layer, 'stride', kernel, 1), pads: [ph, pw, ph, pw],
        ceil_mode: layer.ceil_mode ? 1 : 0,
        dilations: t === 'MaxPool2d' ? pair(layer, 'dilation', [1, 1], 1) : undefined,
        count_include_pad: t === 'AvgPool2d' ? (layer.count_include_pad === false ? 0 : 1) : undefined,
      });
    }
    case 'AdaptiveAvgPool2d': {
      const [h, wd] = node.inputShapes[0].slice(-2);
      const [oh, ow] = node.outputShape.slice(-2);
      if (oh === 1 && ow === 1) return w.node('GlobalAveragePool', [x], path);
      if (h % oh !== 0 || wd % ow !== 0) throw new InputError(`export: layer "${path}" (AdaptiveAvgPool2d): ${h}×${wd} → ${oh}×${ow} has uneven windows, which one ONNX pool cannot write`);
      return w.node('AveragePool', [x], path, { kernel_shape: [h / oh, wd / ow], strides: [h / oh, wd / ow] });
    }
    case 'BatchNorm1d': case 'BatchNorm2d': {
      if (!has('weight') || !node.buffers.length) throw new InputError(`export: layer "${path}" (${t}): only affine BatchNorm with running statistics is written`);
      return w.node('BatchNormalization', [x, w.param(path, 'weight'), w.param(path, 'bias'), w.param(path, 'running_mean'), w.param(path, 'running_var')], path, {
        epsilon: float((layer.eps as number | undefined) ?? 1e-5), momentum: float(1 - ((layer.momentum as number | undefined) ?? 0.1)),
      });
    }
    case 'LayerNorm': {
      const dims = Array.isArray(layer.normalized_shape) ? layer.normalized_shape.length : 1;
      if (!has('weight') || !has('bias')) throw new InputError(`export: layer "${path}" (LayerNorm): only elementwise_affine with bias is written`);
      return w.node('LayerNormalization', [x, w.param(path, 'weight'), w.param(path, 'bias')], path, { axis: -dims, epsilon: float((layer.eps as number | undefined) ?? 1e-5) });
    }
    case 'Embedding':
      return w.node('Gather', [w.param(path, 'weight'), x], path);
    case 'Select':
      return w.node('Gather', [x, w.ints('index', [layer.index as number], [])], path, { axis: layer.dim as number });
    case 'Mean': {
      const dims = Array.isArray(layer.dim) ? (layer.dim as number[]) : [layer.dim as number];
      return w.node('ReduceMean', [x], path, { axes: dims, keepdims: layer.keepdim ? 1 : 0 });
    }
    case 'Add': case 'Mul': case 'MatMul':
      return ins.slice(1).reduce((acc, other) => w.node(t, [acc, other], path), x);
    case 'Concat':
      return w.node('Concat', ins, path, { axis: (layer.dim as number | undefined) ?? 0 });
    case 'LSTM': case 'GRU': case 'RNN':
      return writeRecurrent(w, layer, x, path, node);
    case 'MultiheadAttention':
      return writeAttention(w, layer, ins, path, node);
    default:
      throw new InputError(`export: layer "${path}" (${t}) has no ONNX writer yet (written: Conv2d, ConvTranspose2d, Linear, activations, pools, norms, Embedding, shape layers, Add, Mul, MatMul, Concat, RNN/LSTM/GRU, MultiheadAttention)`);
  }
}

function writeSequence(w: OnnxWriter, layers: LayerSpec[], input: string, parentPath: string, outer: Map<string, string>): string {
  return walkLayerList(layers, input, parentPath, outer, (layer, ins, path, scope) => writeLayer(w, layer, ins, path, scope));
}

function writeLayer(w: OnnxWriter, layer: LayerSpec, ins: string[], path: string, scope: Map<string, string>): string {
  if (layer.type === 'Sequential') return writeSequence(w, layer.layers as LayerSpec[], ins[0], path, scope);
  if (layer.type === 'Residual') {
    const main = writeSequence(w, layer.body as LayerSpec[], ins[0], path, scope);
    const sc = layer.shortcut;
    let skip = ins[0];
    if (Array.isArray(sc)) skip = writeSequence(w, sc as LayerSpec[], ins[0], `${path}.shortcut`, scope);
    else if (sc) skip = writeLayer(w, sc as LayerSpec, [ins[0]], `${path}.${(sc as LayerSpec).name ?? 'shortcut'}`, scope);
    return w.node('Add', [main, skip], path);
  }
  if (COMPOSITES[layer.type]) {
    const node = w.layerNode(path);
    const expanded = COMPOSITES[layer.type](layer, [{ shape: node.inputShapes[0], kind: node.inputKinds[0] }]);
    return writeSequence(w, expanded, ins[0], path, scope);
  }
  return writeLeaf(w, layer, ins, path);
}

/**
 * Writes a ModelSpec and its weights (PyTorch state_dict names; `spec.weights` when `weights` is
 * omitted) as an ONNX model: input "input" with the spec's input shape (dim 0 a symbolic batch
 * unless the spec's batch_dim says otherwise), output "output".
 * Parameters without given values get PyTorch's default ranges from a fixed seed.
 */
export function exportOnnx(spec: ModelSpec, weights?: WeightMap): Uint8Array {
  const graph = analyzeModel(spec);
  const given = weights ?? (spec.weights as WeightMap | undefined) ?? {};
  const w = new OnnxWriter(given, graph.layers);
  const output = writeSequence(w, spec.layers, 'input', '', new Map());
  const last = w.nodes[w.nodes.length - 1];
  if (!last || !last.output?.includes(output)) w.node('Identity', [output], 'output', {}, 'output');
  else last.output = ['output'];
  const elemType = graph.input.kind === 'int' ? ONNX_DTYPE.INT64 : ONNX_DTYPE.FLOAT;
  // Dim 0 is a symbolic "batch" when the spec has a batch dimension there (the default).
  const batched = (spec.batch_dim ?? 0) === 0 && graph.input.shape.length > 1;
  const info = (name: string, shape: number[], type: number): OnnxTypes.onnx.IValueInfoProto => ({
    name, type: { tensorType: { elemType: type, shape: { dim: shape.map((d, i) => (batched && i === 0 ? { dimParam: 'batch' } : { dimValue: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'nn-math-explorer',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    graph: {
      name: spec.name ?? 'model',
      node: w.nodes,
      initializer: w.initializers,
      input: [info('input', graph.input.shape, elemType)],
      output: [info('output', graph.output.shape, graph.output.kind === 'int' ? ONNX_DTYPE.INT64 : ONNX_DTYPE.FLOAT)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
