import { checkExactInteger, InputError } from './errors.ts';

/**
 * ModelSpec: a JSON description of a model, shared by the analysis engine and the GPU executor.
 *
 * Layer `type` names and argument names are PyTorch's module class and constructor argument
 * names (`{"type": "Conv2d", "in_channels": 1, "out_channels": 10, "kernel_size": 5}`), so a
 * user can transcribe `print(model)`. `layers` is a sequence; containers nest (`Sequential`,
 * `Residual`) and any layer can name its inputs (`id`, `inputs`) to form a DAG.
 * docs/analysis.md documents the format with examples.
 */

/** Weight-initialization schemes the executor understands. */
export const INIT_SCHEMES = ['pytorch', 'xavier_uniform', 'xavier_normal', 'kaiming_uniform', 'kaiming_normal', 'normal', 'uniform', 'zeros', 'ones'] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

/** `init` as an object, e.g. `{"scheme": "normal", "std": 0.02}`. */
export interface InitObject {
  scheme: InitScheme;
  /** `normal`: standard deviation (default 1). */
  std?: number;
  /** `normal`: mean (default 0). */
  mean?: number;
  /** `uniform`: lower bound (default 0). */
  a?: number;
  /** `uniform`: upper bound (default 1). */
  b?: number;
  /** `xavier_*`: gain (default 1). */
  gain?: number;
  /** `kaiming_*`: negative slope of the rectifier (default 0). */
  negative_slope?: number;
  /** `kaiming_*`: `fan_in` (default) or `fan_out`. */
  mode?: 'fan_in' | 'fan_out';
}

/** `init` as a bare scheme name or an object. */
export type InitSpec = InitScheme | InitObject;

/** Loss functions a training step can use. */
export const LOSSES = ['cross_entropy', 'mse'] as const;
export type LossName = (typeof LOSSES)[number];

/** Optimizers the memory plan (and later the executor) knows. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** An optimizer with its hyper-parameters; a bare name takes the defaults. */
export interface OptimizerObject {
  type: OptimizerName;
  lr?: number;
  momentum?: number;
  betas?: [number, number];
  eps?: number;
  weight_decay?: number;
}
export type OptimizerSpec = OptimizerName | OptimizerObject;

/** Storage precisions the memory plan and roofline can assume. */
export const DTYPES = ['fp32', 'fp16', 'bf16', 'int8'] as const;
export type DType = (typeof DTYPES)[number];

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<DType, number> = { fp32: 4, fp16: 2, bf16: 2, int8: 1 };

/** Accepted spellings of each dtype. */
const DTYPE_ALIASES: Record<string, DType> = {
  fp32: 'fp32', float32: 'fp32', float: 'fp32', f32: 'fp32',
  fp16: 'fp16', float16: 'fp16', half: 'fp16', f16: 'fp16',
  bf16: 'bf16', bfloat16: 'bf16',
  int8: 'int8', i8: 'int8',
};

/** Normalizes a dtype spelling (`float32`, `fp32`, `half`, `bfloat16`, …). */
export function parseDType(value: unknown, where = 'dtype'): DType {
  if (typeof value === 'string' && DTYPE_ALIASES[value.toLowerCase()]) return DTYPE_ALIASES[value.toLowerCase()];
  throw new InputError(`${where} must be one of ${DTYPES.join(', ')}, got ${JSON.stringify(value)}`);
}

/**
 * One layer. `type` is a PyTorch module class name (or one of the spec's own: `Residual`, `Add`,
 * `Mul`, `Concat`, `MatMul`, `Select`, `Reshape`, `Mean`, `PatchEmbedding`, `PatchTokens`); the
 * other keys are the constructor's arguments. Common keys:
 * - `name`: the row name (PyTorch's attribute name, e.g. `conv1`); default: the index in its list;
 * - `id`: the key other layers use in `inputs` (default: `name`);
 * - `inputs`: names of the values this layer reads (default: the previous layer's output;
 *   `"input"` is the enclosing container's input);
 * - `init`: weight initialization for the executor;
 * - `trainable`: false freezes the layer's parameters (and its children's).
 */
export interface LayerSpec {
  type: string;
  name?: string;
  id?: string;
  inputs?: string[];
  init?: InitSpec;
  trainable?: boolean;
  [arg: string]: unknown;
}

/**
 * Walks a layer list the way every ModelSpec reader does: `"input"` names the list's input, a
 * layer reads its `inputs` by name (else the previous layer's output), and its `id` or `name`
 * names its output for the layers after it. `visit` gives a layer's output from its inputs;
 * `path` is the layer's dotted PyTorch module path. Returns the last layer's output.
 */
export function walkLayerList<T>(
  layers: LayerSpec[], input: T, parentPath: string, outer: Map<string, T>,
  visit: (layer: LayerSpec, ins: T[], path: string, scope: Map<string, T>) => T,
): T {
  const scope = new Map(outer);
  scope.set('input', input);
  let prev = input;
  layers.forEach((layer, i) => {
    const name = layer.name ?? layer.id ?? String(i);
    const path = parentPath ? `${parentPath}.${name}` : name;
    const ins = layer.inputs?.map((ref) => scope.get(ref)!) ?? [prev];
    prev = visit(layer, ins, path, scope);
    const key = layer.id ?? layer.name;
    if (key) scope.set(key, prev);
  });
  return prev;
}

/** Graph size for graph layers (GCNConv, GATConv, SAGEConv): the input is [num_nodes, features]. */
export interface GraphSpec {
  num_nodes?: number;
  /** Directed edges as in PyG's `edge_index` (an undirected edge counts twice). */
  num_edges: number;
}

/** A whole model. */
export interface ModelSpec {
  name?: string;
  /** Free text, ignored by the analysis. */
  description?: string;
  /** Input shape, e.g. [N, C, H, W]; integer token ids when the first layer is an Embedding. */
  input: number[];
  /** `int64` for token ids, else `float32`; default: int64 when the first layer is an Embedding. */
  input_dtype?: 'float32' | 'int64';
  /** Which input dimension `--batch` replaces (default 0); null when there is none (graphs). */
  batch_dim?: number | null;
  graph?: GraphSpec;
  layers: LayerSpec[];
  init?: InitSpec;
  loss?: LossName;
  optimizer?: OptimizerSpec;
  seed?: number;
  dtype?: DType | string;
  /** Given values for parameters and buffers by PyTorch state_dict name (the executor loads them; the analysis ignores them). */
  weights?: Record<string, { shape: number[]; data: unknown; dtype?: string }>;
}

/** Keys every layer may carry, whatever its type. */
export const COMMON_LAYER_KEYS = ['type', 'name', 'id', 'inputs', 'init', 'trainable'] as const;

const MODEL_KEYS = ['name', 'input', 'input_dtype', 'batch_dim', 'graph', 'layers', 'init', 'loss', 'optimizer', 'seed', 'dtype', 'description', 'weights'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a shape: a non-empty array of positive integers. */
export function checkShape(value: unknown, where: string): number[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
    throw new InputError(`${where} must be a non-empty list of positive integers, got ${JSON.stringify(value)}`);
  }
  for (const v of value as number[]) checkExactInteger(where, v);
  return value as number[];
}

/** A value as JSON for an error message; "nothing" for a missing one. */
function given(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function finiteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Validates an `init` field and returns it normalized to an object. */
export function parseInit(value: unknown, where: string): InitObject {
  const scheme = typeof value === 'string' ? value : isObject(value) ? value.scheme : undefined;
  if (typeof scheme !== 'string' || !(INIT_SCHEMES as readonly string[]).includes(scheme)) {
    throw new InputError(`${where}: init scheme must be one of ${INIT_SCHEMES.join(', ')}, got ${JSON.stringify(scheme ?? value)}`);
  }
  const out: InitObject = { scheme: scheme as InitScheme };
  if (!isObject(value)) return out;
  const allowed: Record<InitScheme, string[]> = {
    pytorch: [], zeros: [], ones: [],
    normal: ['std', 'mean'], uniform: ['a', 'b'],
    xavier_uniform: ['gain'], xavier_normal: ['gain'],
    kaiming_uniform: ['negative_slope', 'mode'], kaiming_normal: ['negative_slope', 'mode'],
  };
  for (const [key, v] of Object.entries(value)) {
    if (key === 'scheme') continue;
    if (!allowed[out.scheme].includes(key)) {
      throw new InputError(`${where}: init "${out.scheme}" takes ${allowed[out.scheme].length ? allowed[out.scheme].join(', ') : 'no arguments'}, got "${key}"`);
    }
    if (key === 'mode') {
      if (v !== 'fan_in' && v !== 'fan_out') throw new InputError(`${where}: init mode must be "fan_in" or "fan_out", got ${JSON.stringify(v)}`);
      out.mode = v;
      continue;
    }
    if (!finiteNumber(v)) throw new InputError(`${where}: init ${key} must be a finite number, got ${JSON.stringify(v)}`);
    (out as unknown as Record<string, number>)[key] = v;
  }
  if (out.std !== undefined && out.std < 0) throw new InputError(`${where}: init std must be >= 0, got ${out.std}`);
  if (out.a !== undefined && out.b !== undefined && out.a > out.b) {
    throw new InputError(`${where}: init uniform needs a <= b, got a = ${out.a}, b = ${out.b}`);
  }
  return out;
}

/** Validates an `optimizer` field and returns it as an object. */
export function parseOptimizer(value: unknown, where = 'optimizer'): OptimizerObject {
  const type = typeof value === 'string' ? value : isObject(value) ? value.type : undefined;
  if (typeof type !== 'string' || !(OPTIMIZERS as readonly string[]).includes(type)) {
    throw new InputError(`${where} must be one of ${OPTIMIZERS.join(', ')}, got ${JSON.stringify(type ?? value)}`);
  }
  const out: OptimizerObject = { type: type as OptimizerName };
  if (!isObject(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'type') continue;
    if (key === 'betas') {
      if (!Array.isArray(v) || v.length !== 2 || !v.every((b) => finiteNumber(b) && b >= 0 && b < 1)) {
        throw new InputError(`${where}: betas must be two numbers in [0, 1), got ${JSON.stringify(v)}`);
      }
      out.betas = [v[0], v[1]];
    } else if (['lr', 'momentum', 'eps', 'weight_decay'].includes(key)) {
      if (!finiteNumber(v) || v < 0) throw new InputError(`${where}: ${key} must be a number >= 0, got ${JSON.stringify(v)}`);
      (out as unknown as Record<string, number>)[key] = v;
    } else {
      throw new InputError(`${where}: unknown key "${key}" (known: type, lr, momentum, betas, eps, weight_decay)`);
    }
  }
  return out;
}

/** Child layer lists of a layer, by the key that holds them (for walking the tree). */
export function childLayerLists(layer: LayerSpec): { key: string; layers: LayerSpec[] }[] {
  const out: { key: string; layers: LayerSpec[] }[] = [];
  for (const key of ['layers', 'body', 'shortcut', 'encoder_layer', 'norm']) {
    const v = layer[key];
    if (Array.isArray(v)) out.push({ key, layers: v as LayerSpec[] });
    else if (isObject(v) && typeof v.type === 'string') out.push({ key, layers: [v as LayerSpec] });
  }
  return out;
}

function checkLayerTree(layers: unknown, where: string): void {
  if (!Array.isArray(layers) || layers.length === 0) throw new InputError(`${where} must be a non-empty list of layers`);
  layers.forEach((layer, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(layer)) throw new InputError(`${at} must be an object with a "type", got ${JSON.stringify(layer)}`);
    if (typeof layer.type !== 'string' || layer.type === '') throw new InputError(`${at} needs a "type" (a PyTorch module name such as "Conv2d"), got ${given(layer.type)}`);
    for (const key of ['name', 'id'] as const) {
      if (layer[key] !== undefined && (typeof layer[key] !== 'string' || layer[key] === '' || (layer[key] as string).includes('.'))) {
        throw new InputError(`${at} (${layer.type}): ${key} must be a non-empty string without dots, got ${JSON.stringify(layer[key])}`);
      }
    }
    if (layer.inputs !== undefined && (!Array.isArray(layer.inputs) || layer.inputs.length === 0 || layer.inputs.some((s) => typeof s !== 'string'))) {
      throw new InputError(`${at} (${layer.type}): inputs must be a non-empty list of layer names, got ${JSON.stringify(layer.inputs)}`);
    }
    if (layer.trainable !== undefined && typeof layer.trainable !== 'boolean') {
      throw new InputError(`${at} (${layer.type}): trainable must be true or false, got ${JSON.stringify(layer.trainable)}`);
    }
    if (layer.init !== undefined) parseInit(layer.init, `${at} (${layer.type})`);
    for (const child of childLayerLists(layer as LayerSpec)) checkLayerTree(child.layers, `${at}.${child.key}`);
  });
}

/**
 * Validates a parsed JSON value as a ModelSpec (top-level fields, the layer tree's structure,
 * every `init`). Layer arguments are checked during shape inference, where the error can name
 * the layer's path and the shapes involved.
 */
export function validateModelSpec(value: unknown): ModelSpec {
  if (!isObject(value)) throw new InputError(`a model spec must be a JSON object with "input" and "layers", got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  for (const key of Object.keys(value)) {
    if (!MODEL_KEYS.includes(key)) throw new InputError(`spec: unknown key "${key}" (known: ${MODEL_KEYS.join(', ')})`);
  }
  if (value.name !== undefined && typeof value.name !== 'string') throw new InputError(`spec: name must be a string, got ${JSON.stringify(value.name)}`);
  if (value.description !== undefined && typeof value.description !== 'string') throw new InputError(`spec: description must be a string, got ${JSON.stringify(value.description)}`);
  if (value.input === undefined) throw new InputError('spec: "input" (the input shape, e.g. [1, 3, 224, 224]) is required');
  checkShape(value.input, 'spec: input');
  if (value.input_dtype !== undefined && value.input_dtype !== 'float32' && value.input_dtype !== 'int64') {
    throw new InputError(`spec: input_dtype must be "float32" or "int64", got ${JSON.stringify(value.input_dtype)}`);
  }
  const input = value.input as number[];
  if (value.batch_dim !== undefined && value.batch_dim !== null) {
    const b = value.batch_dim;
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b >= input.length) {
      throw new InputError(`spec: batch_dim must be null or an integer in [0, ${input.length - 1}] for input ${JSON.stringify(input)}, got ${JSON.stringify(b)}`);
    }
  }
  if (value.graph !== undefined) {
    const g = value.graph;
    if (!isObject(g)) throw new InputError(`spec: graph must be an object {"num_nodes", "num_edges"}, got ${JSON.stringify(g)}`);
    for (const key of Object.keys(g)) {
      if (key !== 'num_nodes' && key !== 'num_edges') throw new InputError(`spec: graph: unknown key "${key}" (known: num_nodes, num_edges)`);
    }
    if (typeof g.num_edges !== 'number' || !Number.isInteger(g.num_edges) || g.num_edges < 0) {
      throw new InputError(`spec: graph.num_edges must be an integer >= 0, got ${given(g.num_edges)}`);
    }
    if (g.num_nodes !== undefined) {
      if (typeof g.num_nodes !== 'number' || !Number.isInteger(g.num_nodes) || g.num_nodes < 1) {
        throw new InputError(`spec: graph.num_nodes must be an integer >= 1, got ${JSON.stringify(g.num_nodes)}`);
      }
    }
  }
  checkLayerTree(value.layers, 'spec: layers');
  if (value.init !== undefined) parseInit(value.init, 'spec');
  if (value.loss !== undefined && !(LOSSES as readonly unknown[]).includes(value.loss)) {
    throw new InputError(`spec: loss must be one of ${LOSSES.join(', ')}, got ${JSON.stringify(value.loss)}`);
  }
  if (value.optimizer !== undefined) parseOptimizer(value.optimizer, 'spec: optimizer');
  if (value.seed !== undefined && (typeof value.seed !== 'number' || !Number.isInteger(value.seed) || value.seed < 0)) {
    throw new InputError(`spec: seed must be an integer >= 0, got ${JSON.stringify(value.seed)}`);
  }
  if (value.dtype !== undefined) parseDType(value.dtype, 'spec: dtype');
  if (value.weights !== undefined) {
    if (!isObject(value.weights)) throw new InputError(`spec: weights must be an object {name: {"shape", "data"}}, got ${JSON.stringify(value.weights)?.slice(0, 60)}`);
    for (const [name, t] of Object.entries(value.weights)) {
      if (!isObject(t) || t.data === undefined) throw new InputError(`spec: weights: ${name} must be {"shape": [...], "data": [...]}, got ${JSON.stringify(t)?.slice(0, 60)}`);
      if (!Array.isArray(t.shape) || t.shape.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
        throw new InputError(`spec: weights: ${name}: shape must be a list of whole numbers, got ${JSON.stringify(t.shape)}`);
      }
    }
  }
  return value as unknown as ModelSpec;
}

/** Parses JSON text as a ModelSpec, with a one-line error for malformed JSON. */
export function parseModelSpec(text: string, source = 'spec'): ModelSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return validateModelSpec(value);
}
