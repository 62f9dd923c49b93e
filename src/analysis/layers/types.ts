import { pairAttr } from '../conv_shapes.ts';
import { checkExactInteger, InputError } from '../errors.ts';
import { COMMON_LAYER_KEYS, type LayerSpec } from '../model_spec.ts';
import { formatShape } from '../tensor.ts';

/** Element type of a value flowing between layers. */
export type ValueKind = 'float' | 'int';

/** What a layer rule sees of one input. */
export interface InputInfo {
  shape: number[];
  kind: ValueKind;
}

/** A named parameter or buffer, with PyTorch's name and shape (`weight` [64, 3, 7, 7]). */
export interface TensorDecl {
  name: string;
  shape: number[];
}

/**
 * One tensor an op keeps for its backward pass (what autograd saves):
 * an input (by position), the op's output, or a new tensor it allocates (mean/invstd,
 * pooling indices, dropout masks, gate activations, attention probabilities).
 * `kind` sizes new tensors: `float` in the model's dtype, `int64` (indices), `bool` (masks).
 */
export type SavedDecl =
  | { what: string; input: number }
  | { what: string; output: true }
  | { what: string; elements: number; kind: 'float' | 'int64' | 'bool' };

/** What a layer rule computes for one layer. */
export interface LayerOutcome {
  outputShape: number[];
  /** Output element type (default float). */
  outputKind?: ValueKind;
  /** True when the output is a view of input 0 (Flatten, Select, Dropout with p = 0): no new memory. */
  view?: boolean;
  params: TensorDecl[];
  buffers?: TensorDecl[];
  /** Multiply-accumulates of conv, linear, attention, recurrent and message-passing matmuls. */
  macs: number;
  /** All arithmetic: 2 per MAC plus biases, norms, activations, pooling, softmax. */
  flops: number;
  saved: SavedDecl[];
  /** Float elements of scratch memory the op needs beyond its inputs and output (e.g. attention scores). */
  workspace?: number;
  /** Weight elements a forward pass reads, when not all of them (an Embedding gathers rows). */
  weightsRead?: number;
  /** Parameters one token's forward pass touches, when not all of them (an MoE uses top_k of its experts). */
  activeParams?: number;
  /** Output-size derivation with the layer's numbers substituted, one line per axis. */
  derivation?: string[];
  notes?: string[];
}

/** Context a rule gets beyond its arguments and input shapes. */
export interface RuleContext {
  /** Graph size for message-passing layers (from the spec's `graph`). */
  graph?: { numNodes?: number; numEdges: number };
  /** Analyzes a nested layer list on an input (an MoE's expert); the graph walker provides it. */
  analyzeLayers?: (layers: LayerSpec[], input: InputInfo) => NestedAnalysis;
}

/** Shape and totals of a nested layer list (an MoE's expert), with its parameters named by path. */
export interface NestedAnalysis {
  outputShape: number[];
  params: TensorDecl[];
  macs: number;
  flops: number;
  /** Float elements autograd keeps inside the list (its input too, when a layer keeps it), each tensor once. */
  savedElements: number;
}

/** Shape and cost rule of one layer type. */
export interface LayerRule {
  /** Constructor arguments the type accepts (besides the common keys). */
  args: readonly string[];
  /** Allowed number of inputs [min, max] (default [1, 1]). */
  arity?: [number, number];
  infer(layer: LayerSpec, inputs: InputInfo[], ctx: RuleContext): LayerOutcome;
}

/**
 * Reads a layer's constructor arguments with PyTorch's defaults, rejecting unknown names and
 * wrong types with one-line messages (the graph walker prefixes the layer's path and type).
 */
export class Args {
  constructor(private readonly layer: LayerSpec, known: readonly string[]) {
    for (const key of Object.keys(layer)) {
      if (!(COMMON_LAYER_KEYS as readonly string[]).includes(key) && !known.includes(key)) {
        throw new InputError(`unknown argument "${key}" (known: ${known.length ? known.join(', ') : 'none'})`);
      }
    }
  }

  has(name: string): boolean {
    return this.layer[name] !== undefined && this.layer[name] !== null;
  }

  raw(name: string): unknown {
    return this.layer[name];
  }

  /** An integer argument; required when `fallback` is undefined. */
  int(name: string, fallback?: number, min = 1): number {
    const v = this.layer[name];
    if (v === undefined || v === null) {
      if (fallback === undefined) throw new InputError(`argument ${name} is required`);
      return fallback;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new InputError(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    }
    checkExactInteger(name, v);
    return v;
  }

  /** A dimension index (may be negative), unchecked against a rank. */
  dim(name: string, fallback?: number): number {
    const v = this.layer[name];
    if (v === undefined || v === null) {
      if (fallback === undefined) throw new InputError(`argument ${name} is required`);
      return fallback;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new InputError(`${name} must be an integer, got ${JSON.stringify(v)}`);
    checkExactInteger(name, v);
    return v;
  }

  num(name: string, fallback: number, min = -Infinity, max = Infinity): number {
    const v = this.layer[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      const range = min === -Infinity && max === Infinity ? 'a finite number' : max === Infinity ? `a number >= ${min}` : `a number in [${min}, ${max}]`;
      throw new InputError(`${name} must be ${range}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.layer[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new InputError(`${name} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.layer[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      throw new InputError(`${name} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  }

  /** An int-or-pair argument (kernel_size, stride, …), with conv_shapes' checks. */
  pair(name: string, fallback: [number, number] | undefined, min: number): [number, number] {
    const v = this.layer[name];
    if ((v === undefined || v === null) && fallback === undefined) throw new InputError(`argument ${name} is required`);
    return pairAttr('', name, v, fallback ?? [0, 0], min);
  }

  /** A list of positive integers, or one integer (LayerNorm's normalized_shape). */
  intList(name: string): number[] {
    const v = this.layer[name];
    if (v === undefined || v === null) throw new InputError(`argument ${name} is required`);
    const arr = typeof v === 'number' ? [v] : v;
    if (!Array.isArray(arr) || arr.length === 0 || arr.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1)) {
      throw new InputError(`${name} must be a positive integer or a list of them, got ${JSON.stringify(v)}`);
    }
    for (const x of arr as number[]) checkExactInteger(name, x);
    return arr as number[];
  }
}

/** Checks the rank of an input, naming the expected layout. */
export function expectRank(x: InputInfo, ranks: number[], layout: string): void {
  if (!ranks.includes(x.shape.length)) {
    throw new InputError(`expects a ${ranks.join('-D or ')}-D input ${layout}, got ${formatShape(x.shape)}`);
  }
}

/** Checks an input holds floats (everything but Embedding). */
export function expectFloat(x: InputInfo): void {
  if (x.kind !== 'float') {
    throw new InputError(`expects a float input, got integer token ids ${formatShape(x.shape)} (only Embedding takes integer input)`);
  }
}

/** Normalizes a possibly negative dimension index against a rank. */
export function normDim(dim: number, rank: number, name = 'dim'): number {
  if (dim < -rank || dim >= rank) throw new InputError(`${name} ${dim} is out of range for a ${rank}-D input (allowed ${-rank}..${rank - 1})`);
  return dim < 0 ? dim + rank : dim;
}

/** numel of the shapes of a list of tensor declarations. */
export function declCount(decls: readonly TensorDecl[] | undefined): number {
  let n = 0;
  for (const d of decls ?? []) n += d.shape.reduce((a, b) => a * b, 1);
  return n;
}
