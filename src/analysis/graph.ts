import { InputError } from './errors.ts';
import { COMPOSITES, CONTAINER_TYPES, knownLayerTypes, LAYER_RULES } from './layers/index.ts';
import { Args, declCount, type InputInfo, type LayerOutcome, type NestedAnalysis, type RuleContext, type TensorDecl, type ValueKind } from './layers/types.ts';
import { checkShape, validateModelSpec, type LayerSpec, type ModelSpec } from './model_spec.ts';
import { formatShape, numel } from './tensor.ts';

/**
 * The model graph: walks a ModelSpec's layer tree (sequences, containers, DAG references),
 * infers every shape, and records per layer the parameters, MACs, FLOPs and which tensors
 * autograd keeps. Tensors are tracked by storage so a tensor saved by two ops (a ReLU's output
 * that the next conv also keeps) or kept through a view is counted once.
 */

/** Element kinds of a storage: floats take the model dtype's size, int64 8 bytes, bool 1. */
export type StorageKind = 'float' | 'int64' | 'bool';

/** A block of memory: the model input, a layer output, or a tensor an op saves for backward. */
export interface Storage {
  elements: number;
  kind: StorageKind;
  /** Who made it: "input", a layer name, or "layer name: what" for saved intermediates. */
  origin: string;
}

/** One tensor an op keeps for backward, resolved to its storage. */
export interface SavedTensor {
  what: string;
  storage: number;
  elements: number;
  kind: StorageKind;
}

/** One row of the model: a leaf layer or a container. */
export interface LayerNode {
  /** Dotted path as PyTorch's named_modules prints it (`layer1.0.conv1`). */
  name: string;
  type: string;
  /** 1 for top-level layers. */
  depth: number;
  container: boolean;
  /** Index of the enclosing container's row, or null at top level. */
  parent: number | null;
  inputShapes: number[][];
  inputKinds: ValueKind[];
  outputShape: number[];
  outputKind: ValueKind;
  /** Storage of the output; a view shares its input's. */
  outputStorage: number;
  view: boolean;
  /** The layer's own parameters and buffers (children's are on their rows). */
  params: TensorDecl[];
  buffers: TensorDecl[];
  trainable: boolean;
  paramCount: number;
  /** Parameters one token's forward pass touches (paramCount except for an MoE). */
  activeParamCount: number;
  bufferCount: number;
  /** Own MACs and FLOPs (a container's own are its merge, e.g. a Residual's add). */
  macs: number;
  flops: number;
  saved: SavedTensor[];
  /** Float elements of scratch memory beyond inputs and output. */
  workspace: number;
  /** Weight elements a forward pass reads (all parameters and buffers unless the op gathers). */
  weightsRead: number;
  derivation?: string[];
  notes?: string[];
}

/** The analyzed model. */
export interface ModelGraph {
  name: string;
  input: { shape: number[]; kind: ValueKind };
  output: { shape: number[]; kind: ValueKind };
  layers: LayerNode[];
  storages: Storage[];
  /** Storage id of the model input (always 0). */
  inputStorage: number;
}

/** Options that override the spec's input. */
export interface AnalyzeOptions {
  /** Replaces the spec's input shape. */
  input?: number[];
  /** Replaces the batch dimension (spec.batch_dim, default 0). */
  batch?: number;
}

/** An InputError already prefixed with the layer's path and type. */
export class LayerInputError extends InputError {
  constructor(readonly layerPath: string, readonly layerType: string, detail: string) {
    super(`layer "${layerPath}" (${layerType}): ${detail}`);
  }
}

interface Value {
  shape: number[];
  kind: ValueKind;
  storage: number;
}

class Scope {
  private readonly vars = new Map<string, Value>();
  constructor(private readonly parent: Scope | null) {}
  set(name: string, v: Value): void {
    this.vars.set(name, v);
  }
  get(name: string): Value | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }
  names(): string[] {
    return [...new Set([...this.vars.keys(), ...(this.parent?.names() ?? [])])];
  }
}

/** Closest known type name for a typo ("conv2d" → "Conv2d", "Conv2D" → "Conv2d"). */
function suggestType(type: string): string {
  const known = knownLayerTypes();
  const lower = type.toLowerCase();
  const hit = known.find((k) => k.toLowerCase() === lower);
  if (hit) return ` (did you mean "${hit}"?)`;
  return ` (known: ${known.join(', ')})`;
}

class Walker {
  readonly layers: LayerNode[] = [];
  readonly storages: Storage[] = [];

  constructor(private readonly ctx: RuleContext) {}

  newStorage(elements: number, kind: StorageKind, origin: string): number {
    this.storages.push({ elements, kind, origin });
    return this.storages.length - 1;
  }

  runSequence(layers: LayerSpec[], input: Value, parentPath: string, depth: number, parent: number | null, outer: Scope | null, trainable: boolean): Value {
    const scope = new Scope(outer);
    scope.set('input', input);
    let prev = input;
    layers.forEach((layer, i) => {
      const name = layer.name ?? layer.id ?? String(i);
      const path = parentPath ? `${parentPath}.${name}` : name;
      const ins = (layer.inputs ?? null)?.map((ref) => {
        const v = scope.get(ref);
        if (!v) throw new LayerInputError(path, layer.type, `input "${ref}" is not defined before it here (defined: ${scope.names().join(', ')})`);
        return v;
      }) ?? [prev];
      prev = this.runLayer(layer, ins, path, depth, parent, scope, trainable);
      const key = layer.id ?? layer.name;
      if (key) scope.set(key, prev);
    });
    return prev;
  }

  private containerNode(type: string, inputs: Value[], path: string, depth: number, parent: number | null, trainable: boolean): number {
    this.layers.push({
      name: path, type, depth, container: true, parent,
      inputShapes: inputs.map((v) => v.shape), inputKinds: inputs.map((v) => v.kind), outputShape: [], outputKind: 'float', outputStorage: -1, view: false,
      params: [], buffers: [], trainable, paramCount: 0, activeParamCount: 0, bufferCount: 0, macs: 0, flops: 0, saved: [], workspace: 0, weightsRead: 0,
    });
    return this.layers.length - 1;
  }

  runLayer(layer: LayerSpec, inputs: Value[], path: string, depth: number, parent: number | null, scope: Scope, parentTrainable: boolean): Value {
    const trainable = parentTrainable && layer.trainable !== false;
    const fail = (detail: string): never => {
      throw new LayerInputError(path, layer.type, detail);
    };
    try {
      if ((CONTAINER_TYPES as readonly string[]).includes(layer.type) || Object.hasOwn(COMPOSITES, layer.type)) {
        if (inputs.length !== 1) fail(`takes one input, got ${inputs.length}`);
        const x = inputs[0];
        const index = this.containerNode(layer.type, inputs, path, depth, parent, trainable);
        let out: Value;
        if (layer.type === 'Sequential') {
          const a = new Args(layer, ['layers']);
          const children = a.raw('layers');
          if (!Array.isArray(children) || children.length === 0) fail('layers must be a non-empty list of layers');
          out = this.runSequence(children as LayerSpec[], x, path, depth + 1, index, scope, trainable);
        } else if (layer.type === 'Residual') {
          out = this.runResidual(layer, x, path, depth, index, scope, trainable);
        } else {
          const expanded = COMPOSITES[layer.type](layer, [{ shape: x.shape, kind: x.kind }]);
          out = this.runSequence(expanded, x, path, depth + 1, index, scope, trainable);
        }
        const node = this.layers[index];
        node.outputShape = out.shape;
        node.outputKind = out.kind;
        node.outputStorage = out.storage;
        return out;
      }
      // Own keys only: a type named "constructor" or "toString" is unknown, not Object.prototype's.
      const rule = Object.hasOwn(LAYER_RULES, layer.type) ? LAYER_RULES[layer.type] : fail(`unknown layer type "${layer.type}"${suggestType(layer.type)}`);
      const [min, max] = rule.arity ?? [1, 1];
      if (inputs.length < min || inputs.length > max) {
        fail(min === max ? `takes ${min} input${min > 1 ? 's' : ''}, got ${inputs.length}` : `takes ${min} to ${max} inputs, got ${inputs.length}`);
      }
      const infos: InputInfo[] = inputs.map((v) => ({ shape: v.shape, kind: v.kind }));
      const outcome = rule.infer(layer, infos, this.ctx);
      return this.record(layer, outcome, inputs, path, depth, parent, trainable);
    } catch (error) {
      if (error instanceof LayerInputError || !(error instanceof InputError)) throw error;
      // Messages from the shared conv/pool helpers start with the functional op name ("conv2d: ").
      throw new LayerInputError(path, layer.type, error.message.replace(/^[a-z0-9_]*: /, ''));
    }
  }

  private runResidual(layer: LayerSpec, x: Value, path: string, depth: number, index: number, scope: Scope, trainable: boolean): Value {
    const a = new Args(layer, ['body', 'shortcut']);
    const body = a.raw('body');
    if (!Array.isArray(body) || body.length === 0) throw new InputError('body must be a non-empty list of layers');
    const main = this.runSequence(body as LayerSpec[], x, path, depth + 1, index, scope, trainable);
    let skip = x;
    const sc = a.raw('shortcut');
    if (Array.isArray(sc)) {
      if (sc.length === 0) throw new InputError('shortcut must be a layer or a non-empty list of layers');
      skip = this.runLayer({ type: 'Sequential', name: 'shortcut', layers: sc }, [x], `${path}.shortcut`, depth + 1, index, scope, trainable);
    } else if (sc !== undefined && sc !== null) {
      const s = sc as LayerSpec;
      skip = this.runLayer(s, [x], `${path}.${s.name ?? 'shortcut'}`, depth + 1, index, scope, trainable);
    }
    if (main.shape.length !== skip.shape.length || main.shape.some((v, i) => v !== skip.shape[i])) {
      throw new InputError(`body output ${formatShape(main.shape)} and shortcut output ${formatShape(skip.shape)} differ, so they cannot be added (give the shortcut a strided 1×1 Conv2d)`);
    }
    const node = this.layers[index];
    node.flops = numel(main.shape);
    node.notes = ['sums body and shortcut: one add per output element'];
    node.inputShapes = [main.shape, skip.shape];
    node.inputKinds = ['float', 'float'];
    return { shape: main.shape, kind: 'float', storage: this.newStorage(numel(main.shape), 'float', path) };
  }

  private record(layer: LayerSpec, o: LayerOutcome, inputs: Value[], path: string, depth: number, parent: number | null, trainable: boolean): Value {
    const outKind: ValueKind = o.outputKind ?? 'float';
    const storage = o.view ? inputs[0].storage : this.newStorage(numel(o.outputShape), outKind === 'int' ? 'int64' : 'float', path);
    const saved: SavedTensor[] = o.saved.map((s) => {
      let id: number;
      if ('input' in s) id = inputs[s.input].storage;
      else if ('output' in s) id = storage;
      else id = this.newStorage(s.elements, s.kind, `${path}: ${s.what}`);
      return { what: s.what, storage: id, elements: this.storages[id].elements, kind: this.storages[id].kind };
    });
    const buffers = o.buffers ?? [];
    this.layers.push({
      name: path, type: layer.type, depth, container: false, parent,
      inputShapes: inputs.map((v) => v.shape), inputKinds: inputs.map((v) => v.kind), outputShape: o.outputShape, outputKind: outKind, outputStorage: storage, view: !!o.view,
      params: o.params, buffers, trainable,
      paramCount: declCount(o.params), activeParamCount: o.activeParams ?? declCount(o.params), bufferCount: declCount(buffers),
      macs: o.macs, flops: o.flops, saved, workspace: o.workspace ?? 0,
      weightsRead: o.weightsRead ?? declCount(o.params) + declCount(buffers),
      derivation: o.derivation, notes: o.notes,
    });
    return { shape: o.outputShape, kind: outKind, storage };
  }
}

/** The first leaf layer a spec's input reaches (to tell whether the input is token ids). */
function firstLeafType(layers: LayerSpec[]): string | undefined {
  const first = layers[0];
  if (!first) return undefined;
  if (first.type === 'Sequential' && Array.isArray(first.layers)) return firstLeafType(first.layers as LayerSpec[]);
  if (first.type === 'Residual' && Array.isArray(first.body)) return firstLeafType(first.body as LayerSpec[]);
  return first.type;
}

/** The model input's shape after `--input` and `--batch` overrides. */
export function resolveInputShape(spec: ModelSpec, opts: AnalyzeOptions = {}): number[] {
  const shape = opts.input ? [...checkShape(opts.input, 'input shape')] : [...spec.input];
  if (opts.batch !== undefined) {
    if (!Number.isInteger(opts.batch) || opts.batch < 1) throw new InputError(`batch must be an integer >= 1, got ${opts.batch}`);
    const dim = spec.batch_dim === undefined ? 0 : spec.batch_dim;
    if (dim === null) throw new InputError(`model "${spec.name ?? 'spec'}" has no batch dimension (its input ${formatShape(shape)} is a whole graph)`);
    if (dim >= shape.length) throw new InputError(`batch_dim ${dim} is out of range for the input ${formatShape(shape)}`);
    shape[dim] = opts.batch;
  }
  return shape;
}

/**
 * Infers every layer's shapes and costs. Throws an InputError naming the layer path, its type
 * and the numbers when the configuration is impossible.
 */
export function analyzeModel(specIn: ModelSpec, opts: AnalyzeOptions = {}): ModelGraph {
  const spec = validateModelSpec(specIn);
  const shape = resolveInputShape(spec, opts);
  const kind: ValueKind = spec.input_dtype === 'int64' || (spec.input_dtype === undefined && firstLeafType(spec.layers) === 'Embedding') ? 'int' : 'float';
  const ctx: RuleContext = spec.graph ? { graph: { numNodes: spec.graph.num_nodes, numEdges: spec.graph.num_edges } } : {};
  ctx.analyzeLayers = (layers, input) => analyzeNested(ctx, layers, input);
  const walker = new Walker(ctx);
  const inputStorage = walker.newStorage(numel(shape), kind === 'int' ? 'int64' : 'float', 'input');
  const out = walker.runSequence(spec.layers, { shape, kind, storage: inputStorage }, '', 1, null, null, true);
  return {
    name: spec.name ?? 'model',
    input: { shape, kind },
    output: { shape: out.shape, kind: out.kind },
    layers: walker.layers,
    storages: walker.storages,
    inputStorage,
  };
}

/** Walks a nested layer list (an MoE's expert) on its own input: its shape, named parameters and totals. */
function analyzeNested(ctx: RuleContext, layers: LayerSpec[], input: InputInfo): NestedAnalysis {
  const walker = new Walker(ctx);
  const inputStorage = walker.newStorage(numel(input.shape), input.kind === 'int' ? 'int64' : 'float', 'input');
  const out = walker.runSequence(layers, { ...input, storage: inputStorage }, '', 1, null, null, true);
  const saved = new Set<number>();
  for (const l of walker.layers) for (const t of l.saved) if (t.kind === 'float') saved.add(t.storage);
  return {
    outputShape: out.shape,
    params: walker.layers.flatMap((l) => l.params.map((p) => ({ name: `${l.name}.${p.name}`, shape: p.shape }))),
    macs: walker.layers.reduce((s, l) => s + l.macs, 0),
    flops: walker.layers.reduce((s, l) => s + l.flops, 0),
    savedElements: [...saved].reduce((s, id) => s + walker.storages[id].elements, 0),
  };
}

/** Output shape of a spec (and every layer's), without the cost columns. */
export function inferShapes(spec: ModelSpec, opts: AnalyzeOptions = {}): { output: number[]; layers: { name: string; type: string; outputShape: number[] }[] } {
  const g = analyzeModel(spec, opts);
  return { output: g.output.shape, layers: g.layers.map((l) => ({ name: l.name, type: l.type, outputShape: l.outputShape })) };
}

/** Sums of a node and everything inside it: params, buffers, MACs, FLOPs. */
export interface Inclusive {
  params: number;
  trainableParams: number;
  buffers: number;
  macs: number;
  flops: number;
}

/** Per-row inclusive totals (a container's row includes its children). */
export function inclusiveTotals(g: ModelGraph): Inclusive[] {
  const inc: Inclusive[] = g.layers.map((l) => ({
    params: l.paramCount, trainableParams: l.trainable ? l.paramCount : 0, buffers: l.bufferCount, macs: l.macs, flops: l.flops,
  }));
  // Children come after their parent, so walking backwards accumulates bottom-up.
  for (let i = g.layers.length - 1; i >= 0; i--) {
    const p = g.layers[i].parent;
    if (p === null) continue;
    inc[p].params += inc[i].params;
    inc[p].trainableParams += inc[i].trainableParams;
    inc[p].buffers += inc[i].buffers;
    inc[p].macs += inc[i].macs;
    inc[p].flops += inc[i].flops;
  }
  return inc;
}
