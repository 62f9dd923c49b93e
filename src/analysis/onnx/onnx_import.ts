/**
 * ONNX graph → ModelSpec + `weights`, for models exported by torch.onnx.export (opsets 11–18,
 * with or without constant folding, dynamic axes resolved by the input shape).
 *
 * The input shape fixes every shape, so the shape-computing subgraphs fold to constants
 * (onnx_fold.ts). What is left runs on tensors and maps to ModelSpec layers in DAG form (every
 * layer names its `inputs`): single ops one to one (Conv → Conv2d, Gemm → Linear, Transpose →
 * Permute, …) and the decomposed forms torch writes back into modules: MatMul(+Add) → Linear,
 * the ReduceMean/Sub/Pow/…/Add chain → LayerNorm, the Erf chain → GELU, LSTM/GRU/RNN with their
 * reshapes (gates reordered to PyTorch's i,f,g,o and r,z,n) → one recurrent layer per PyTorch
 * module, and the MatMul/Softmax/MatMul block of F.multi_head_attention_forward (or
 * scaled_dot_product_attention) with its in- and out-projections → MultiheadAttention.
 * A Conv whose BatchNorm the exporter folded into it (eval-mode export) becomes Conv2d(bias=False)
 * + BatchNorm2d again, with the folded bias as the BatchNorm's shift, so the parameter count is
 * the PyTorch model's when its conv had no bias (the usual conv–BN block).
 * An op that maps to no layer is a one-line error naming the node, its op type and its inputs.
 */
import { InputError } from '../errors.ts';
import type { LayerSpec, ModelSpec } from '../model_spec.ts';
import { numel } from '../tensor.ts';
import { foldNode, intAttr, intsAttr, nodeError, runtimeShapes, type OnnxValue } from './onnx_fold.ts';
import { decodeOnnx, type ConstTensor, type OnnxGraph, type OnnxNode } from './onnx_graph.ts';

/** Options of an import. */
export interface OnnxImportOptions {
  /** The full input shape; replaces symbolic dims (default 1 for each) and must match fixed ones. */
  input?: number[];
  /** The model name (default: the file name). */
  name?: string;
}

/** What an import returns: the spec (with `weights`), and what it restored or assumed. */
export interface OnnxImport {
  spec: ModelSpec;
  /** The graph's input and output value names. */
  inputName: string;
  outputName: string;
  opset: number;
  notes: string[];
}

const GLUE = new Set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Slice', 'Split', 'Gather', 'Identity', 'Mul', 'Div', 'Dropout']);

interface Projection {
  nodes: OnnxNode[];
  x: string;
  /** Weight as PyTorch stores it: [out, in]. */
  weight: ConstTensor;
  bias: ConstTensor | null;
}

function transpose2d(t: ConstTensor): ConstTensor {
  const [r, c] = t.shape;
  const data = new Array<number>(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j];
  return { shape: [c, r], data, dtype: t.dtype };
}

function rowsOf(t: ConstTensor, start: number, count: number): ConstTensor {
  const width = numel(t.shape.slice(1));
  return { shape: [count, ...t.shape.slice(1)], data: t.data.slice(start * width, (start + count) * width), dtype: t.dtype };
}

function concatRows(parts: ConstTensor[]): ConstTensor {
  return { shape: [parts.reduce((a, p) => a + p.shape[0], 0), ...parts[0].shape.slice(1)], data: parts.flatMap((p) => p.data), dtype: parts[0].dtype };
}

/** ONNX gate blocks → PyTorch's order: LSTM i,o,f,c → i,f,g(c),o; GRU z,r,h → r,z,n. */
const GATE_ORDER: Record<string, number[]> = { LSTM: [0, 2, 3, 1], GRU: [1, 0, 2], RNN: [0] };

function reorderGates(t: ConstTensor, cell: string, hidden: number): ConstTensor {
  return concatRows(GATE_ORDER[cell].map((g) => rowsOf(t, g * hidden, hidden)));
}

/** The module path a torch export gives a node ("/layer/self_attn/MatMul" → "layer.self_attn"). */
function scopeOf(node: OnnxNode): string {
  if (!node.name.startsWith('/')) return '';
  return node.name.split('/').slice(1, -1).join('.');
}

class Importer {
  readonly values = new Map<string, OnnxValue>();
  readonly producer = new Map<string, OnnxNode>();
  readonly consumers = new Map<string, OnnxNode[]>();
  readonly runtime: OnnxNode[] = [];
  readonly layers: LayerSpec[] = [];
  readonly weights: NonNullable<ModelSpec['weights']> = {};
  readonly notes: string[] = [];
  /** Value name → the layer id that produces it ('input' for the graph input). */
  readonly layerOf = new Map<string, string>();
  private readonly claimed = new Map<OnnxNode, { emit: () => void }>();
  private readonly done = new Set<OnnxNode>();
  private readonly names = new Set<string>(['input']);
  /** h_n outputs of forward recurrent layers → the sequence value whose last time step they are. */
  private readonly lastStep = new Map<string, string>();
  private readonly namedInitializers: boolean;

  constructor(private readonly g: OnnxGraph) {
    this.namedInitializers = [...g.initializers.keys()].some((k) => /\.(weight|bias)$/.test(k));
  }

  shape(value: string): number[] {
    const v = this.values.get(value);
    if (!v) throw new InputError(`ONNX value "${value}" is used before any node produces it`);
    return v.kind === 'const' ? v.t.shape : v.shape;
  }

  constOf(value: string): ConstTensor | null {
    const v = this.values.get(value);
    return v && v.kind === 'const' ? v.t : null;
  }

  isRuntime(value: string): boolean {
    return this.values.get(value)?.kind === 'runtime';
  }

  users(value: string): OnnxNode[] {
    return this.consumers.get(value) ?? [];
  }

  only(value: string): OnnxNode | null {
    const u = this.users(value);
    return u.length === 1 && !this.g.outputs.some((o) => o.name === value) ? u[0] : null;
  }

  scalar(value: string): number | null {
    const c = this.constOf(value);
    return c && c.data.length === 1 ? c.data[0] : null;
  }

  /** Folds constants and propagates shapes through the whole graph. */
  propagate(inputShape: number[], inputInt: boolean, inputName: string): void {
    for (const [name, t] of this.g.initializers) this.values.set(name, { kind: 'const', t });
    this.values.set(inputName, { kind: 'runtime', shape: inputShape, int: inputInt });
    this.layerOf.set(inputName, 'input');
    for (const node of this.g.nodes) {
      if (node.domain && node.domain !== 'ai.onnx') throw nodeError(node, `is in the custom domain "${node.domain}", which has no ModelSpec layer`);
      const ins = node.inputs.map((n) => (n === '' ? null : this.values.get(n) ?? null));
      node.inputs.forEach((n, i) => {
        if (n !== '' && !ins[i]) throw nodeError(node, `input "${n}" is neither a graph input, an initializer nor an earlier node's output`);
      });
      const folded = foldNode(node, ins);
      if (folded) {
        node.outputs.forEach((o, i) => folded[i] && this.values.set(o, { kind: 'const', t: folded[i] }));
        continue;
      }
      const shapes = ins.map((v) => (v && v.kind === 'runtime' ? v.shape : null));
      const consts = ins.map((v) => (v && v.kind === 'const' ? v.t : null));
      let outs: number[][];
      try {
        outs = runtimeShapes(node, shapes, consts);
      } catch (error) {
        if (error instanceof InputError) throw error;
        throw nodeError(node, `its output shape cannot be worked out (${error instanceof Error ? error.message : String(error)})`);
      }
      const int = ins.some((v) => v && v.kind === 'runtime' && v.int) && !['Gather', 'Conv', 'MatMul', 'Gemm'].includes(node.opType)
        || (node.opType === 'Cast' && ![1, 10, 11].includes(intAttr(node, 'to', 1)));
      node.outputs.forEach((o, i) => {
        if (o) this.values.set(o, { kind: 'runtime', shape: outs[i] ?? outs[0], int: node.opType === 'Gather' ? !!(ins[0] && ins[0].kind === 'runtime' && ins[0].int) : int });
        if (o) this.producer.set(o, node);
      });
      node.inputs.forEach((n) => {
        if (n && this.isRuntime(n)) this.consumers.set(n, [...this.users(n), node]);
      });
      this.runtime.push(node);
    }
  }

  uniqueName(base: string): string {
    let name = base.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'layer';
    if (/^\d/.test(name)) name = `l${name}`;
    let out = name;
    for (let k = 2; this.names.has(out); k++) out = `${name}_${k}`;
    this.names.add(out);
    return out;
  }

  /** A layer name from a parameter's initializer name (`fc.weight` → fc), else the node's scope, else the type. */
  nameFor(node: OnnxNode, type: string, weightInput?: string): string {
    if (weightInput && /\.(weight|bias|in_proj_weight|weight_ih_l0)$/.test(weightInput) && !weightInput.startsWith('onnx::')) {
      return this.uniqueName(weightInput.slice(0, weightInput.lastIndexOf('.')));
    }
    const scope = scopeOf(node);
    const base = scope && this.names.has(scope.replace(/\./g, '_')) ? `${scope}_${type.toLowerCase()}` : scope;
    return this.uniqueName(base || type.toLowerCase());
  }

  layerInput(value: string, node: OnnxNode): string {
    const id = this.layerOf.get(value);
    if (!id) throw nodeError(node, `reads "${value}", which no mapped layer produces`);
    return id;
  }

  emit(layer: LayerSpec, inputs: string[], output: string, params: Record<string, ConstTensor>, node: OnnxNode): string {
    const name = layer.name as string;
    this.layers.push({ ...layer, inputs: inputs.map((v) => this.layerInput(v, node)) });
    for (const [local, t] of Object.entries(params)) this.weights[`${name}.${local}`] = { shape: t.shape, data: t.data };
    this.layerOf.set(output, name);
    return name;
  }

  claim(nodes: OnnxNode[], emit: () => void): void {
    const group = { emit };
    for (const n of nodes) this.claimed.set(n, group);
  }

  /** Checks that values made inside a fused group are read only inside it (besides its output). */
  closed(nodes: OnnxNode[], output: string): boolean {
    const set = new Set(nodes);
    for (const n of nodes) {
      for (const o of n.outputs) {
        if (!o || o === output) continue;
        if (this.users(o).some((u) => !set.has(u)) || this.g.outputs.some((go) => go.name === o)) return false;
      }
    }
    return nodes.every((n) => !this.claimed.has(n));
  }

  // ----- fused patterns -----

  /** MatMul(x, W) [+ Add(b)], or Gemm: a projection with the weight as [out, in]. */
  projectionAt(node: OnnxNode | undefined): Projection | null {
    if (!node) return null;
    if (node.opType === 'Gemm') {
      const w = this.constOf(node.inputs[1]);
      if (!w || !this.isRuntime(node.inputs[0]) || intAttr(node, 'transA', 0) !== 0) return null;
      const alpha = (node.attrs.alpha as number | undefined) ?? 1;
      const beta = (node.attrs.beta as number | undefined) ?? 1;
      if (alpha !== 1 || beta !== 1) return null;
      const c = node.inputs[2] ? this.constOf(node.inputs[2]) : null;
      if (node.inputs[2] && !c) return null;
      const weight = intAttr(node, 'transB', 0) ? w : transpose2d(w);
      return { nodes: [node], x: node.inputs[0], weight, bias: c ? { ...c, shape: [numel(c.shape)] } : null };
    }
    let add: OnnxNode | null = null;
    let mm = node;
    if (node.opType === 'Add') {
      const [a, b] = node.inputs;
      const bias = this.constOf(a) ?? this.constOf(b);
      const other = this.constOf(a) ? b : a;
      const p = this.producer.get(other);
      if (!bias || !p || p.opType !== 'MatMul' || this.users(other).length !== 1) return null;
      add = node;
      mm = p;
    }
    if (mm.opType !== 'MatMul') return null;
    const w = this.constOf(mm.inputs[1]);
    if (!w || w.shape.length !== 2 || !this.isRuntime(mm.inputs[0])) return null;
    let bias: ConstTensor | null = null;
    if (add) {
      const b = this.constOf(add.inputs[0]) ?? this.constOf(add.inputs[1])!;
      if (numel(b.shape) !== w.shape[1] || b.shape.slice(0, -1).some((d) => d !== 1)) return null;
      bias = { ...b, shape: [w.shape[1]] };
    }
    return { nodes: add ? [mm, add] : [mm], x: mm.inputs[0], weight: transpose2d(w), bias };
  }

  matchLinear(node: OnnxNode): boolean {
    if (node.opType !== 'MatMul' && node.opType !== 'Gemm') return false;
    let proj = this.projectionAt(node);
    if (!proj) return false;
    if (node.opType === 'MatMul') {
      const next = this.only(node.outputs[0]);
      const withBias = next && next.opType === 'Add' ? this.projectionAt(next) : null;
      if (withBias) proj = withBias;
    }
    const p = proj;
    const last = p.nodes[p.nodes.length - 1];
    this.claim(p.nodes, () => {
      const biasName = last.opType === 'Gemm' ? last.inputs[2] : last.inputs.find((i) => this.constOf(i));
      const name = this.nameFor(last, 'linear', last.opType === 'Gemm' ? last.inputs[1] : biasName);
      const params: Record<string, ConstTensor> = { weight: p.weight };
      if (p.bias) params.bias = p.bias;
      this.emit({ type: 'Linear', name, in_features: p.weight.shape[1], out_features: p.weight.shape[0], bias: !!p.bias }, [p.x], last.outputs[0], params, last);
    });
    return true;
  }

  /** Walks back from an attention matmul operand through reshapes and scalings to its projection. */
  private attentionSide(value: string, region: OnnxNode[], scale: { v: number }): Projection | null {
    let v = value;
    for (let guard = 0; guard < 32; guard++) {
      const p = this.producer.get(v);
      if (!p) return null;
      const proj = this.projectionAt(p);
      if (proj) {
        region.push(...proj.nodes);
        return proj;
      }
      if (!GLUE.has(p.opType)) return null;
      if (p.opType === 'Mul' || p.opType === 'Div') {
        const c = this.scalar(p.inputs[1]) ?? (p.opType === 'Mul' ? this.scalar(p.inputs[0]) : null);
        if (c === null) return null;
        scale.v *= p.opType === 'Mul' ? c : 1 / c;
      }
      if (p.opType === 'Gather' && !this.constOf(p.inputs[1])) return null;
      region.push(p);
      v = p.inputs.find((i) => this.isRuntime(i))!;
    }
    return null;
  }

  matchAttention(softmax: OnnxNode): boolean {
    if (softmax.opType !== 'Softmax') return false;
    const region: OnnxNode[] = [softmax];
    const scale = { v: 1 };
    let v = softmax.inputs[0];
    let scores: OnnxNode | undefined;
    for (let guard = 0; guard < 8; guard++) {
      const p = this.producer.get(v);
      if (!p) return false;
      if (p.opType === 'MatMul') {
        scores = p;
        break;
      }
      if (p.opType !== 'Mul' && p.opType !== 'Div') return false;
      const c = this.scalar(p.inputs[1]);
      if (c === null) return false;
      scale.v *= p.opType === 'Mul' ? c : 1 / c;
      region.push(p);
      v = p.inputs[0];
    }
    const mix = this.only(softmax.outputs[0]);
    if (!scores || !mix || mix.opType !== 'MatMul' || mix.inputs[0] !== softmax.outputs[0]) return false;
    region.push(scores, mix);
    const q = this.attentionSide(scores.inputs[0], region, scale);
    const k = this.attentionSide(scores.inputs[1], region, scale);
    const val = this.attentionSide(mix.inputs[1], region, scale);
    if (!q || !k || !val || q.x !== k.x || k.x !== val.x) return false;
    const x = q.x;
    const e = this.shape(x)[this.shape(x).length - 1];
    const headDim = this.shape(scores.inputs[0])[this.shape(scores.inputs[0]).length - 1];
    if (e % headDim !== 0 || Math.abs(scale.v * Math.sqrt(headDim) - 1) > 1e-4) return false;
    let weight: ConstTensor;
    let bias: ConstTensor | null;
    if (q === k || (q.nodes[0] === k.nodes[0] && k.nodes[0] === val.nodes[0])) {
      weight = q.weight;
      bias = q.bias;
    } else {
      weight = concatRows([q.weight, k.weight, val.weight]);
      bias = q.bias && k.bias && val.bias ? concatRows([q.bias, k.bias, val.bias]) : null;
    }
    if (weight.shape[0] !== 3 * e || weight.shape[1] !== e) return false;
    // Forward: reshapes back to [tokens, E], the out-projection, reshapes to the input's shape.
    let out = mix.outputs[0];
    let outProj: Projection | null = null;
    for (let guard = 0; guard < 16 && !outProj; guard++) {
      const c = this.only(out);
      if (!c) return false;
      if (c.opType === 'MatMul' || c.opType === 'Gemm') {
        const next = c.opType === 'MatMul' ? this.only(c.outputs[0]) : null;
        outProj = (next && next.opType === 'Add' ? this.projectionAt(next) : null) ?? this.projectionAt(c);
        if (!outProj) return false;
        region.push(...outProj.nodes);
        out = outProj.nodes[outProj.nodes.length - 1].outputs[0];
      } else if (['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity'].includes(c.opType)) {
        region.push(c);
        out = c.outputs[0];
      } else return false;
    }
    const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
    for (let guard = 0; guard < 4 && !same(this.shape(out), this.shape(x)); guard++) {
      const c = this.only(out);
      if (!c || c.opType !== 'Reshape') return false;
      region.push(c);
      out = c.outputs[0];
    }
    if (!outProj || !same(this.shape(out), this.shape(x)) || outProj.weight.shape.join() !== `${e},${e}`) return false;
    const nodes = [...new Set(region)];
    if (!this.closed(nodes, out)) return false;
    const heads = e / headDim;
    const op = outProj;
    const last = this.producer.get(out)!;
    this.claim(nodes, () => {
      const name = this.nameFor(softmax, 'self_attn');
      const params: Record<string, ConstTensor> = { in_proj_weight: weight };
      if (bias) params.in_proj_bias = bias;
      params['out_proj.weight'] = op.weight;
      if (op.bias) params['out_proj.bias'] = op.bias;
      if (!bias !== !op.bias) throw nodeError(softmax, 'attention with a bias on only one of its projections has no MultiheadAttention equivalent');
      this.emit({ type: 'MultiheadAttention', name, embed_dim: e, num_heads: heads, bias: !!bias }, [x], out, params, last);
    });
    return true;
  }

  /** ReduceMean → Sub → Pow(2) → ReduceMean → Add(eps) → Sqrt → Div [→ Mul(γ) → Add(β)]: LayerNorm. */
  matchLayerNorm(mean: OnnxNode): boolean {
    if (mean.opType !== 'ReduceMean') return false;
    const x = mean.inputs[0];
    const rank = this.shape(x).length;
    const axes = (intsAttr(mean, 'axes') ?? this.constOf(mean.inputs[1] ?? '')?.data ?? []).map((a) => (a < 0 ? a + rank : a)).sort();
    if (!axes.length || axes.some((a, i) => a !== rank - axes.length + i)) return false;
    const sub = this.users(mean.outputs[0]).find((u) => u.opType === 'Sub' && u.inputs[0] === x);
    if (!sub || this.users(mean.outputs[0]).length !== 1) return false;
    const subUsers = this.users(sub.outputs[0]);
    const pow = subUsers.find((u) => u.opType === 'Pow' && this.scalar(u.inputs[1]) === 2);
    const div = subUsers.find((u) => u.opType === 'Div' && u.inputs[0] === sub.outputs[0]);
    if (!pow || !div || subUsers.length !== 2) return false;
    const mean2 = this.only(pow.outputs[0]);
    const addEps = mean2 && mean2.opType === 'ReduceMean' ? this.only(mean2.outputs[0]) : null;
    const eps = addEps && addEps.opType === 'Add' ? this.scalar(addEps.inputs[1]) ?? this.scalar(addEps.inputs[0]) : null;
    const sqrt = addEps ? this.only(addEps.outputs[0]) : null;
    if (!mean2 || eps === null || !sqrt || sqrt.opType !== 'Sqrt' || div.inputs[1] !== sqrt.outputs[0]) return false;
    const nodes = [mean, sub, pow, mean2, addEps!, sqrt, div];
    let out = div.outputs[0];
    const normalized = this.shape(x).slice(rank - axes.length);
    const affine = (op: string): ConstTensor | null => {
      const c = this.only(out);
      if (!c || c.opType !== op) return null;
      const t = this.constOf(c.inputs[1]) ?? this.constOf(c.inputs[0]);
      if (!t || numel(t.shape) !== numel(normalized)) return null;
      nodes.push(c);
      out = c.outputs[0];
      return { ...t, shape: normalized };
    };
    const gamma = affine('Mul');
    const beta = gamma ? affine('Add') : null;
    if (!this.closed(nodes, out)) return false;
    const output = out;
    this.claim(nodes, () => {
      const name = this.nameFor(mean, 'layer_norm');
      const params: Record<string, ConstTensor> = {};
      if (gamma) params.weight = gamma;
      if (beta) params.bias = beta;
      this.emit({ type: 'LayerNorm', name, normalized_shape: normalized, eps, elementwise_affine: !!gamma, bias: !!beta }, [x], output, params, mean);
    });
    return true;
  }

  /** x/√2 → Erf → +1 → ·x → ·0.5 (either order of the two products): GELU. */
  matchGelu(erf: OnnxNode): boolean {
    if (erf.opType !== 'Erf') return false;
    const div = this.producer.get(erf.inputs[0]);
    if (!div) return false;
    const c = this.scalar(div.inputs[1]);
    const isScale = (div.opType === 'Div' && c !== null && Math.abs(c - Math.SQRT2) < 1e-4) || (div.opType === 'Mul' && c !== null && Math.abs(c - Math.SQRT1_2) < 1e-4);
    if (!isScale) return false;
    const x = div.inputs[0];
    const add = this.only(erf.outputs[0]);
    if (!add || add.opType !== 'Add' || (this.scalar(add.inputs[1]) ?? this.scalar(add.inputs[0])) !== 1) return false;
    const m1 = this.only(add.outputs[0]);
    if (!m1 || m1.opType !== 'Mul') return false;
    const other = m1.inputs[0] === add.outputs[0] ? m1.inputs[1] : m1.inputs[0];
    const nodes = [div, erf, add, m1];
    let out: string;
    if (other === x) {
      const m2 = this.only(m1.outputs[0]);
      if (!m2 || m2.opType !== 'Mul' || (this.scalar(m2.inputs[1]) ?? this.scalar(m2.inputs[0])) !== 0.5) return false;
      nodes.push(m2);
      out = m2.outputs[0];
    } else {
      const half = this.producer.get(other);
      if (!half || half.opType !== 'Mul' || half.inputs[0] !== x || this.scalar(half.inputs[1]) !== 0.5) return false;
      nodes.push(half);
      out = m1.outputs[0];
    }
    if (!this.closed(nodes, out)) return false;
    this.claim(nodes, () => this.emit({ type: 'GELU', name: this.nameFor(erf, 'gelu') }, [x], out, {}, erf));
    return true;
  }

  /** LSTM/GRU/RNN with zero initial states and the Squeeze (or Transpose+Reshape) torch puts after Y. */
  matchRecurrent(node: OnnxNode): boolean {
    const cell = node.opType;
    if (cell !== 'LSTM' && cell !== 'GRU' && cell !== 'RNN') return false;
    const fail = (why: string): never => {
      throw nodeError(node, why);
    };
    const w = this.constOf(node.inputs[1]);
    const r = this.constOf(node.inputs[2]);
    const b = node.inputs[3] ? this.constOf(node.inputs[3]) : null;
    if (!w || !r || (node.inputs[3] && !b)) fail('needs constant W, R and B');
    if (node.inputs[4]) fail('sequence_lens is not read (every sequence runs its full length)');
    for (const i of [5, 6]) {
      if (!node.inputs[i]) continue;
      const s = this.constOf(node.inputs[i]);
      if (!s || s.data.some((v) => v !== 0)) fail('a non-zero initial state has no ModelSpec equivalent (PyTorch modules start from zeros)');
    }
    const direction = (node.attrs.direction as string | undefined) ?? 'forward';
    if (direction === 'reverse') fail('direction "reverse" has no PyTorch module equivalent');
    if (node.attrs.clip !== undefined) fail('clip has no PyTorch equivalent');
    if (cell === 'LSTM' && intAttr(node, 'input_forget', 0)) fail('input_forget has no PyTorch equivalent');
    if (cell === 'GRU' && intAttr(node, 'linear_before_reset', 0) !== 1) fail('linear_before_reset=0 is not PyTorch\'s GRU');
    const acts = (node.attrs.activations as string[] | undefined)?.map((a) => a.toLowerCase());
    const expected = { LSTM: ['sigmoid', 'tanh', 'tanh'], GRU: ['sigmoid', 'tanh'], RNN: ['tanh'] }[cell];
    let nonlinearity = 'tanh';
    if (acts && cell === 'RNN' && acts[0] === 'relu') nonlinearity = 'relu';
    else if (acts && acts.some((a, i) => a !== expected[i % expected.length])) fail(`activations ${JSON.stringify(node.attrs.activations)} differ from PyTorch's`);
    const dirs = direction === 'bidirectional' ? 2 : 1;
    const [, yh, yc] = node.outputs;
    if (yc && this.users(yc).length) fail(`reads output "${yc}" (c_n), which a ModelSpec layer does not pass on`);
    if (yh && this.users(yh).length && dirs === 2) fail(`reads output "${yh}" (h_n) of a bidirectional layer, which a ModelSpec layer does not pass on`);
    const hidden = intAttr(node, 'hidden_size', 0);
    const nodes = [node];
    let out = node.outputs[0];
    const first = this.only(out);
    if (!this.users(out).length) {
      // Only h_n is read: the sequence output gets a name of its own.
      out = `${node.outputs[0]}#sequence`;
      this.values.set(out, { kind: 'runtime', shape: [this.shape(node.inputs[0])[0], this.shape(node.inputs[0])[1], hidden], int: false });
    } else if (dirs === 1 && first && first.opType === 'Squeeze') {
      nodes.push(first);
      out = first.outputs[0];
    } else if (dirs === 2 && first && first.opType === 'Transpose' && intsAttr(first, 'perm')?.join() === '0,2,1,3') {
      const reshape = this.only(first.outputs[0]);
      if (!reshape || reshape.opType !== 'Reshape') fail('its bidirectional output is not reshaped to [T, N, 2·hidden]');
      nodes.push(first, reshape!);
      out = reshape!.outputs[0];
    } else fail('its output Y is not squeezed (or transposed and reshaped) to [T, N, directions·hidden] as torch exports it');
    if (this.shape(out).join() !== [this.shape(node.inputs[0])[0], this.shape(node.inputs[0])[1], dirs * hidden].join()) fail(`its output reshapes to [${this.shape(out).join(', ')}], not [T, N, ${dirs * hidden}]`);
    const output = out;
    // h_n of a forward layer is its last time step: Select(dim 0, index -1) of the sequence output.
    if (yh && this.users(yh).length) this.lastStep.set(yh, output);
    this.claim(nodes, () => {
      const x = node.inputs[0];
      const inputSize = this.shape(x)[2];
      const params: Record<string, ConstTensor> = {};
      const prev = this.layers[this.layers.length - 1];
      const stack = prev && prev.type === cell && this.layerOf.get(x) === prev.name && this.users(x).length === 1
        && prev.hidden_size === hidden && !!prev.bidirectional === (dirs === 2) && prev.bias === !!b && (prev.nonlinearity ?? 'tanh') === (cell === 'RNN' ? nonlinearity : 'tanh');
      const layerIndex = stack ? (prev.num_layers as number) : 0;
      for (let d = 0; d < dirs; d++) {
        const sfx = `l${layerIndex}${d === 1 ? '_reverse' : ''}`;
        const gates = { LSTM: 4, GRU: 3, RNN: 1 }[cell];
        params[`weight_ih_${sfx}`] = reorderGates(rowsOf({ ...w!, shape: w!.shape.slice(1) }, d * gates * hidden, gates * hidden), cell, hidden);
        params[`weight_hh_${sfx}`] = reorderGates(rowsOf({ ...r!, shape: r!.shape.slice(1) }, d * gates * hidden, gates * hidden), cell, hidden);
        if (b) {
          const both = rowsOf({ ...b, shape: [numel(b.shape)] }, d * 2 * gates * hidden, 2 * gates * hidden);
          params[`bias_ih_${sfx}`] = reorderGates(rowsOf(both, 0, gates * hidden), cell, hidden);
          params[`bias_hh_${sfx}`] = reorderGates(rowsOf(both, gates * hidden, gates * hidden), cell, hidden);
        }
      }
      if (stack) {
        prev.num_layers = layerIndex + 1;
        for (const [local, t] of Object.entries(params)) this.weights[`${prev.name}.${local}`] = { shape: t.shape, data: t.data };
        this.layerOf.set(output, prev.name as string);
        return;
      }
      const name = this.nameFor(node, cell.toLowerCase());
      const layer: LayerSpec = { type: cell, name, input_size: inputSize, hidden_size: hidden, num_layers: 1, bias: !!b, bidirectional: dirs === 2 };
      if (cell === 'RNN') layer.nonlinearity = nonlinearity;
      this.emit(layer, [x], output, params, node);
    });
    return true;
  }

  /** Conv whose weight the exporter made (a folded BatchNorm): Conv2d(bias=False) + BatchNorm2d. */
  private convWithFoldedNorm(node: OnnxNode, layer: LayerSpec, w: ConstTensor, bias: ConstTensor | null): boolean {
    if (!this.namedInitializers || !node.inputs[1].startsWith('onnx::') || !bias) return false;
    const convId = layer.name as string;
    const name = this.uniqueName(`${convId}_bn`);
    const c = w.shape[0];
    this.layers.push({ ...layer, bias: false, inputs: [this.layerInput(node.inputs[0], node)] });
    this.weights[`${convId}.weight`] = { shape: w.shape, data: w.data };
    const eps = 1e-5;
    this.layers.push({ type: 'BatchNorm2d', name, num_features: c, eps, inputs: [convId] });
    this.weights[`${name}.weight`] = { shape: [c], data: new Array<number>(c).fill(1) };
    this.weights[`${name}.bias`] = { shape: [c], data: bias.data };
    this.weights[`${name}.running_mean`] = { shape: [c], data: new Array<number>(c).fill(0) };
    this.weights[`${name}.running_var`] = { shape: [c], data: new Array<number>(c).fill(1 - eps) };
    this.layerOf.set(node.outputs[0], name);
    this.notes.push(`${convId}: the exporter folded a BatchNorm into this Conv; restored as Conv2d(bias=False) + BatchNorm2d ${name} (identity statistics, the folded bias as its shift)`);
    return true;
  }

  // ----- single ops -----

  /** A Reshape target with dim 0 as -1 when it keeps the input's dim 0 (the batch), so `--batch` can change it. */
  batchFreeTarget(input: number[], out: number[]): number[] {
    return out.length > 1 && input.length > 0 && out[0] === input[0] ? [-1, ...out.slice(1)] : out;
  }

  mapSingle(node: OnnxNode): void {
    const op = node.opType;
    const x = node.inputs[0];
    const xs = this.shape(x);
    const out = node.outputs[0];
    const alias = () => this.layerOf.set(out, this.layerInput(x, node));
    const simple = (type: string, args: Record<string, unknown> = {}, inputs = [x]) => this.emit({ type, name: this.nameFor(node, type), ...args }, inputs, out, {}, node);
    const unmappable = (why: string): never => {
      throw nodeError(node, `cannot be mapped to a ModelSpec layer (${why})`);
    };
    const pads2d = (): [number, number] => {
      const pads = intsAttr(node, 'pads') ?? [0, 0, 0, 0];
      if (pads.length !== 4 || pads[0] !== pads[2] || pads[1] !== pads[3]) unmappable(`pads [${pads.join(', ')}] are not symmetric 2-D padding`);
      return [pads[0], pads[1]];
    };
    const pair = (name: string, fallback: number[]) => intsAttr(node, name) ?? fallback;
    if (this.mapLastStep(node)) return;
    if (xs.length !== 4 && ['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'GlobalAveragePool'].includes(op)) unmappable(`a ${xs.length}-D input [${xs.join(', ')}]: only 2-D images [N, C, H, W] map to *2d layers`);
    switch (op) {
      case 'Identity': case 'Dropout': return void alias();
      case 'Cast': if (![1, 10, 11].includes(intAttr(node, 'to', 1))) unmappable('a cast to integers'); return void alias();
      case 'Conv': case 'ConvTranspose': {
        const w = this.constOf(node.inputs[1]);
        const bias = node.inputs[2] ? this.constOf(node.inputs[2]) : null;
        if (!w || (node.inputs[2] && !bias)) unmappable('a weight that is not a constant');
        const group = intAttr(node, 'group', 1);
        if (op === 'ConvTranspose' && node.attrs.output_shape) unmappable('output_shape is not read; give pads and output_padding');
        const name = this.nameFor(node, op === 'Conv' ? 'conv' : 'conv_transpose', node.inputs[1]);
        const layer: LayerSpec = {
          type: op === 'Conv' ? 'Conv2d' : 'ConvTranspose2d', name,
          in_channels: op === 'Conv' ? w!.shape[1] * group : w!.shape[0], out_channels: op === 'Conv' ? w!.shape[0] : w!.shape[1] * group,
          kernel_size: w!.shape.slice(2), stride: pair('strides', [1, 1]), padding: pads2d(), dilation: pair('dilations', [1, 1]), groups: group, bias: !!bias,
        };
        if (op === 'ConvTranspose') layer.output_padding = pair('output_padding', [0, 0]);
        if (op === 'Conv' && this.convWithFoldedNorm(node, layer, w!, bias)) return;
        const params: Record<string, ConstTensor> = { weight: w! };
        if (bias) params.bias = bias;
        return void this.emit(layer, [x], out, params, node);
      }
      case 'BatchNormalization': {
        const [scale, shift, mean, variance] = node.inputs.slice(1, 5).map((n) => this.constOf(n));
        if (!scale || !shift || !mean || !variance) unmappable('statistics or affine parameters that are not constants');
        if (intAttr(node, 'training_mode', 0)) unmappable('training_mode=1');
        if (node.outputs.slice(1).some((o) => o && this.users(o).length)) unmappable('it reads the running statistics outputs');
        const type = xs.length === 4 ? 'BatchNorm2d' : xs.length === 2 || xs.length === 3 ? 'BatchNorm1d' : unmappable(`a ${xs.length}-D input`);
        const eps = (node.attrs.epsilon as number | undefined) ?? 1e-5;
        const name = this.nameFor(node, 'bn', node.inputs[1]);
        return void this.emit({ type, name, num_features: xs[1], eps }, [x], out, { weight: scale!, bias: shift!, running_mean: mean!, running_var: variance! }, node);
      }
      case 'LayerNormalization': {
        const axis = intAttr(node, 'axis', -1);
        const normalized = xs.slice(axis < 0 ? axis + xs.length : axis);
        const scale = this.constOf(node.inputs[1]);
        const shift = node.inputs[2] ? this.constOf(node.inputs[2]) : null;
        if (!scale) unmappable('a scale that is not a constant');
        const params: Record<string, ConstTensor> = { weight: { ...scale!, shape: normalized } };
        if (shift) params.bias = { ...shift, shape: normalized };
        return void this.emit({ type: 'LayerNorm', name: this.nameFor(node, 'layer_norm', node.inputs[1]), normalized_shape: normalized, eps: (node.attrs.epsilon as number | undefined) ?? 1e-5, bias: !!shift }, [x], out, params, node);
      }
      case 'Relu': return void simple('ReLU');
      case 'Sigmoid': return void simple('Sigmoid');
      case 'Tanh': return void simple('Tanh');
      case 'Gelu': return void simple('GELU', node.attrs.approximate === 'tanh' ? { approximate: 'tanh' } : {});
      case 'LeakyRelu': return void simple('LeakyReLU', { negative_slope: (node.attrs.alpha as number | undefined) ?? 0.01 });
      case 'Elu': return void simple('ELU', { alpha: (node.attrs.alpha as number | undefined) ?? 1 });
      case 'Softmax': case 'LogSoftmax': {
        const axis = intAttr(node, 'axis', this.g.opset >= 13 ? -1 : 1);
        const dim = axis < 0 ? axis + xs.length : axis;
        if (this.g.opset < 13 && dim !== xs.length - 1) unmappable(`opset ${this.g.opset} ${op} over the flattened dims from axis ${axis}`);
        return void simple(op === 'Softmax' ? 'Softmax' : 'LogSoftmax', { dim });
      }
      case 'MaxPool': case 'AveragePool': {
        if (op === 'MaxPool' && node.outputs[1] && this.users(node.outputs[1]).length) unmappable('it reads the pooling indices');
        const kernel = intsAttr(node, 'kernel_shape')!;
        const args: Record<string, unknown> = { kernel_size: kernel, stride: pair('strides', [1, 1]), padding: pads2d(), ceil_mode: intAttr(node, 'ceil_mode', 0) === 1 };
        if (op === 'MaxPool') args.dilation = pair('dilations', [1, 1]);
        else args.count_include_pad = intAttr(node, 'count_include_pad', 0) === 1;
        const padded = this.producer.get(x);
        if (op === 'AveragePool' && padded && padded.opType === 'Pad' && this.claimed.get(padded)) {
          return void this.emit({ type: 'AvgPool2d', name: this.nameFor(node, 'avg_pool'), ...args }, [padded.inputs[0]], out, {}, node);
        }
        return void simple(op === 'MaxPool' ? 'MaxPool2d' : 'AvgPool2d', args);
      }
      case 'GlobalAveragePool': return void simple('AdaptiveAvgPool2d', { output_size: 1 });
      case 'Flatten':
        if (intAttr(node, 'axis', 1) === 1) return void simple('Flatten');
        return void simple('Reshape', { shape: this.batchFreeTarget(xs, this.shape(out)) });
      case 'Reshape': case 'Squeeze': case 'Unsqueeze':
        return void simple('Reshape', { shape: this.batchFreeTarget(xs, this.shape(out)) });
      case 'Transpose': {
        const perm = intsAttr(node, 'perm') ?? xs.map((_, i) => xs.length - 1 - i);
        return void simple('Permute', { dims: perm });
      }
      case 'Add': case 'Mul': case 'MatMul': {
        const rt = node.inputs.filter((n) => this.isRuntime(n));
        if (rt.length !== 2) unmappable(`${op} with a constant operand outside a recognised Linear, norm or activation pattern`);
        return void simple(op, {}, node.inputs);
      }
      case 'Concat':
        if (!node.inputs.every((n) => this.isRuntime(n))) unmappable('a constant concatenated to a tensor');
        return void simple('Concat', { dim: intAttr(node, 'axis', 0) }, node.inputs);
      case 'Gather': {
        const table = this.constOf(x);
        const index = this.constOf(node.inputs[1]);
        const axis = intAttr(node, 'axis', 0);
        if (table && !index && table.dtype === 'float' && table.shape.length === 2 && axis === 0) {
          const name = this.nameFor(node, 'embedding', x);
          return void this.emit({ type: 'Embedding', name, num_embeddings: table.shape[0], embedding_dim: table.shape[1] }, [node.inputs[1]], out, { weight: table }, node);
        }
        if (!table && index && index.data.length === 1 && index.shape.length === 0) return void simple('Select', { dim: axis < 0 ? axis + xs.length : axis, index: index.data[0] });
        return unmappable('only an embedding lookup (constant table, token ids) or one constant index (x[:, i]) map to layers');
      }
      case 'ReduceMean': {
        const axes = intsAttr(node, 'axes') ?? this.constOf(node.inputs[1] ?? '')?.data;
        if (!axes) unmappable('a mean over every axis');
        return void simple('Mean', { dim: axes!.length === 1 ? axes![0] : axes, keepdim: intAttr(node, 'keepdims', 1) === 1 });
      }
      case 'Pad': {
        const pads = this.constOf(node.inputs[1] ?? '')?.data ?? intsAttr(node, 'pads');
        const value = node.inputs[2] ? this.scalar(node.inputs[2]) : 0;
        if (pads && pads.every((p) => p === 0)) return void alias();
        return unmappable(`padding [${pads?.join(', ') ?? '?'}] with value ${value} outside an AvgPool2d`);
      }
      default:
        unmappable(`no layer runs ${op}`);
    }
  }

  /**
   * h_n read as torch writes h_n[-1] / h_n.squeeze(0): Concat of the layers' h_n then Gather(last),
   * or Squeeze/Gather of a one-layer h_n. Maps to Select(dim 0, index -1) of the last layer's output.
   */
  private mapLastStep(node: OnnxNode): boolean {
    const hn = node.inputs.filter((i) => this.lastStep.has(i));
    if (!hn.length) return false;
    const unmappable = (): never => {
      throw nodeError(node, 'reads h_n in a way other than h_n[-1] or h_n.squeeze(0), which has no ModelSpec layer');
    };
    let pick = node;
    let last = hn[hn.length - 1];
    if (node.opType === 'Concat') {
      const gather = this.only(node.outputs[0]);
      const index = gather && gather.opType === 'Gather' ? this.scalar(gather.inputs[1]) : null;
      if (hn.length !== node.inputs.length || intAttr(node, 'axis', 0) !== 0 || !gather || intAttr(gather, 'axis', 0) !== 0 || (index !== -1 && index !== hn.length - 1)) unmappable();
      this.done.add(gather!);
      pick = gather!;
      last = node.inputs[node.inputs.length - 1];
    } else if (!(node.opType === 'Squeeze' && (this.constOf(node.inputs[1] ?? '')?.data ?? intsAttr(node, 'axes') ?? [0]).join() === '0')
      && !(node.opType === 'Gather' && intAttr(node, 'axis', 0) === 0 && [0, -1].includes(this.scalar(node.inputs[1]) ?? NaN))) unmappable();
    const sequence = this.lastStep.get(last)!;
    const layer = this.layers.find((l) => l.name === this.layerOf.get(sequence));
    if (!layer || this.layerOf.get(sequence) !== this.layerOf.get(this.lastStep.get(hn[0])!) || (node.opType !== 'Concat' && (layer.num_layers as number) > 1)) unmappable();
    this.emit({ type: 'Select', name: this.nameFor(node, 'h_n'), dim: 0, index: -1 }, [sequence], pick.outputs[0], {}, node);
    return true;
  }

  /** Pad(zeros) right before an AveragePool: torch's AvgPool2d(padding=p, count_include_pad=True). */
  matchPaddedPool(pad: OnnxNode): boolean {
    if (pad.opType !== 'Pad') return false;
    const pool = this.only(pad.outputs[0]);
    const pads = this.constOf(pad.inputs[1] ?? '')?.data ?? intsAttr(pad, 'pads');
    if (!pool || pool.opType !== 'AveragePool' || !pads || pads.length !== 8) return false;
    if ((pad.attrs.mode ?? 'constant') !== 'constant' || (pad.inputs[2] && this.scalar(pad.inputs[2]) !== 0)) return false;
    const [, , t, l, , , b, r] = pads;
    if (pads[0] || pads[1] || pads[4] || pads[5] || t !== b || l !== r || (intsAttr(pool, 'pads') ?? []).some((p) => p !== 0)) return false;
    pool.attrs = { ...pool.attrs, pads: [t, l, b, r], count_include_pad: 1 };
    this.claim([pad], () => undefined);
    return true;
  }

  /** Recognises the fused patterns, then maps every runtime node in file order. */
  map(): void {
    for (const node of this.runtime) if (!this.claimed.has(node)) this.matchAttention(node);
    for (const node of this.runtime) {
      if (this.claimed.has(node)) continue;
      for (const match of [this.matchLayerNorm, this.matchGelu, this.matchRecurrent, this.matchLinear, this.matchPaddedPool]) {
        if (match.call(this, node)) break;
      }
    }
    for (const node of this.runtime) {
      if (this.done.has(node)) continue;
      const group = this.claimed.get(node);
      if (group) {
        for (const [n, g] of this.claimed) if (g === group) this.done.add(n);
        group.emit();
        continue;
      }
      this.done.add(node);
      this.mapSingle(node);
    }
  }
}

function resolveInput(graph: OnnxGraph, source: string, given: number[] | undefined, notes: string[]): number[] {
  const input = graph.inputs[0];
  if (!input.dims) {
    if (!given) throw new InputError(`${source}: the input "${input.name}" has no stored shape; give --input`);
    return given;
  }
  if (given) {
    if (given.length !== input.dims.length) throw new InputError(`${source}: --input [${given.join(', ')}] has ${given.length} dims, the model's input "${input.name}" has ${input.dims.length}`);
    input.dims.forEach((d, i) => {
      if (d !== null && d !== given[i]) throw new InputError(`${source}: --input [${given.join(', ')}] differs from the model's fixed input [${input.dims!.map((v) => v ?? '?').join(', ')}] at dim ${i}`);
    });
    return given;
  }
  if (input.dims.some((d) => d === null)) notes.push(`input "${input.name}": symbolic dims set to 1 (give --input to choose them)`);
  return input.dims.map((d) => d ?? 1);
}

/** Imports a decoded ONNX graph as a ModelSpec with weights. */
export function importOnnxGraph(graph: OnnxGraph, options: OnnxImportOptions = {}, source = 'model.onnx'): OnnxImport {
  if (graph.inputs.length !== 1) throw new InputError(`${source}: the graph has ${graph.inputs.length} inputs (${graph.inputs.map((i) => i.name).join(', ')}); a ModelSpec takes one`);
  if (graph.outputs.length !== 1) throw new InputError(`${source}: the graph has ${graph.outputs.length} outputs (${graph.outputs.map((o) => o.name).join(', ')}); a ModelSpec passes on one`);
  if (graph.opset < 7 || graph.opset > 21) throw new InputError(`${source}: opset ${graph.opset} is outside the 7–21 this importer reads`);
  const notes: string[] = [];
  const inputShape = resolveInput(graph, source, options.input, notes);
  const elem = graph.inputs[0].elemType;
  const intInput = elem === 6 || elem === 7;
  if (!intInput && elem !== 1 && elem !== 0) throw new InputError(`${source}: the input "${graph.inputs[0].name}" has element type ${elem}; float32 or integer token ids expected`);
  const im = new Importer(graph);
  im.propagate(inputShape, intInput, graph.inputs[0].name);
  im.map();
  const outputName = graph.outputs[0].name;
  const last = im.layerOf.get(outputName);
  if (!last) throw new InputError(`${source}: the output "${outputName}" is ${im.values.get(outputName)?.kind === 'const' ? 'a constant' : 'not produced by any mapped layer'}`);
  if (last === 'input' || im.layers[im.layers.length - 1]?.name !== last) im.layers.push({ type: 'Identity', name: im.uniqueName('output'), inputs: [last] });
  const spec: ModelSpec = {
    name: options.name ?? source.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, ''),
    description: `imported from ONNX (opset ${graph.opset}${graph.producer ? `, ${graph.producer}` : ''})`,
    input: inputShape,
    ...(intInput ? { input_dtype: 'int64' as const } : {}),
    layers: im.layers,
    weights: im.weights,
  };
  return { spec, inputName: graph.inputs[0].name, outputName, opset: graph.opset, notes: [...im.notes, ...notes] };
}

/** Decodes and imports ONNX bytes (see importOnnxGraph). */
export function importOnnx(bytes: Uint8Array, options: OnnxImportOptions = {}, source = 'model.onnx'): OnnxImport {
  return importOnnxGraph(decodeOnnx(bytes, source), options, source);
}
