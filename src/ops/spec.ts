import { InputError } from '../analysis/errors.ts';
import { formatShape, numel } from '../analysis/tensor.ts';
import type { DType } from '../kernels/runtime.ts';
import type { HostTensor, OpDefinition } from './op.ts';

/** A tensor as JSON carries it: `{"shape", "data", "dtype"?}`, data flat or nested row-major. */
export interface JsonTensor {
  shape: number[];
  data: number[];
  dtype?: DType;
}

/** The `nnx run` input. */
export interface RunSpec {
  op: string;
  attrs?: Record<string, unknown>;
  inputs: Record<string, JsonTensor>;
  grad_output?: Record<string, JsonTensor> | JsonTensor;
}

/** A validated host tensor with typed data. */
export interface ParsedTensor extends HostTensor {
  data: Float32Array | Int32Array;
}

/** Input names PyTorch's functional API also uses for `x`. */
const ALIASES: Record<string, string> = { input: 'x' };

/** Output names accepted for a single-output op's gradient besides its own name. */
const OUTPUT_ALIASES = ['output', 'out', 'y'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function flatten(value: unknown, out: unknown[]): void {
  if (Array.isArray(value)) for (const v of value) flatten(v, out);
  else out.push(value);
}

/**
 * Parses one JSON tensor: the shape must be whole numbers >= 0, the data must hold exactly
 * numel(shape) finite numbers (integers in int32 range for int32 tensors).
 */
export function parseTensor(name: string, value: unknown, dtype: DType, acceptsBool = false): ParsedTensor {
  if (!isRecord(value)) throw new InputError(`${name}: expected {"shape": [...], "data": [...]}, got ${JSON.stringify(value)?.slice(0, 60)}`);
  const { shape, data } = value;
  if (!Array.isArray(shape) || shape.some((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 0)) {
    throw new InputError(`${name}: shape must be a list of whole numbers >= 0, got ${JSON.stringify(shape)}`);
  }
  if (value.dtype === 'bool' || (value.dtype === undefined && acceptsBool && holdsBooleans(data))) return parseBoolTensor(name, shape, data, acceptsBool);
  const given = value.dtype ?? dtype;
  const isInt = given === 'int32' || given === 'int64';
  if (!['float32', 'int32', 'int64'].includes(given as string)) throw new InputError(`${name}: dtype must be "float32" or "int32", got ${JSON.stringify(value.dtype)}`);
  if (isInt !== (dtype === 'int32')) throw new InputError(`${name}: expected dtype ${dtype}, got ${given}`);
  if (data === undefined) throw new InputError(`${name}: "data" is missing`);
  const flat: unknown[] = [];
  flatten(data, flat);
  const count = numel(shape);
  if (flat.length !== count) {
    throw new InputError(`${name}: ${flat.length} values for shape ${formatShape(shape)}, which has ${count} elements`);
  }
  const typed = dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError(`${name}: value at flat index ${i} is ${JSON.stringify(v) ?? String(v)}, not a finite number (NaN and infinities are not accepted)`);
    }
    if (dtype === 'float32' && !Number.isFinite(Math.fround(v))) {
      throw new InputError(`${name}: value at flat index ${i} is ${v}, outside the float32 range (magnitude at most 3.4028234663852886e38)`);
    }
    if (dtype === 'int32' && (!Number.isInteger(v) || v < -2147483648 || v > 2147483647)) {
      throw new InputError(`${name}: value at flat index ${i} is ${v}, not an int32`);
    }
    typed[i] = v;
  }
  return { shape: [...shape], dtype, data: typed };
}

/** Whether JSON data has a true/false among its values (a mask given without a dtype). */
function holdsBooleans(data: unknown): boolean {
  const flat: unknown[] = [];
  flatten(data, flat);
  return flat.some((v) => typeof v === 'boolean');
}

/** A `"dtype": "bool"` tensor (data true/false or 0/1), kept as float32 0/1 with `bool` set. */
function parseBoolTensor(name: string, shape: number[], data: unknown, acceptsBool: boolean): ParsedTensor {
  if (!acceptsBool) throw new InputError(`${name}: dtype "bool" is only accepted for masks, not for ${name}`);
  if (data === undefined) throw new InputError(`${name}: "data" is missing`);
  const flat: unknown[] = [];
  flatten(data, flat);
  const count = numel(shape);
  if (flat.length !== count) throw new InputError(`${name}: ${flat.length} values for shape ${formatShape(shape)}, which has ${count} elements`);
  const typed = new Float32Array(count);
  flat.forEach((v, i) => {
    if (v !== true && v !== false && v !== 0 && v !== 1) throw new InputError(`${name}: value at flat index ${i} is ${JSON.stringify(v)}, not a bool (true/false or 0/1)`);
    typed[i] = v === true || v === 1 ? 1 : 0;
  });
  return { shape: [...shape], dtype: 'float32', data: typed, bool: true };
}

/** Parses the text of a spec file, with a clear message for invalid JSON. */
export function parseSpecText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const hint = /\b(NaN|Infinity)\b/.test(text) ? ' (it contains NaN or Infinity, which JSON cannot carry and the kernels do not accept)' : '';
    throw new InputError(`${source} is not valid JSON${hint}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Validates a spec's op, attribute object and input tensors against the op's signature. */
export function parseInputs(op: OpDefinition, raw: Record<string, unknown>): Record<string, ParsedTensor> {
  const inputs = raw.inputs;
  if (!isRecord(inputs)) throw new InputError(`${op.name}: "inputs" must be an object of named tensors (${op.inputs.map((i) => i.name).join(', ')})`);
  const parsed: Record<string, ParsedTensor> = {};
  for (const [given, value] of Object.entries(inputs)) {
    const name = ALIASES[given] ?? given;
    const spec = op.inputs.find((i) => i.name === name);
    if (!spec) throw new InputError(`${op.name}: unknown input "${given}" (inputs: ${op.inputs.map((i) => i.name).join(', ')})`);
    if (parsed[name]) throw new InputError(`${op.name}: input "${name}" is given twice`);
    parsed[name] = parseTensor(name, value, spec.dtype, spec.acceptsBool);
  }
  for (const spec of op.inputs) {
    if (!spec.optional && !parsed[spec.name]) throw new InputError(`${op.name}: missing input "${spec.name}" (inputs: ${op.inputs.map((i) => `${i.name}${i.optional ? '?' : ''}`).join(', ')})`);
  }
  return parsed;
}

/**
 * Validates `grad_output` against the op's output shapes. A single-output op also takes its
 * gradient as a bare tensor or under "output", "out" or "y".
 */
export function parseGradOutputs(op: OpDefinition, raw: unknown, outputShapes: Record<string, number[]>): Record<string, ParsedTensor> {
  let named: Record<string, unknown>;
  if (isRecord(raw) && 'shape' in raw && 'data' in raw && op.outputs.length === 1) named = { [op.outputs[0]]: raw };
  else if (isRecord(raw)) named = raw;
  else throw new InputError(`${op.name}: grad_output must be an object of named tensors (${op.outputs.join(', ')})`);
  const grads: Record<string, ParsedTensor> = {};
  for (const [given, value] of Object.entries(named)) {
    const name = op.outputs.includes(given) ? given : op.outputs.length === 1 && OUTPUT_ALIASES.includes(given) ? op.outputs[0] : null;
    if (!name) throw new InputError(`${op.name}: grad_output names unknown output "${given}" (outputs: ${op.outputs.join(', ')})`);
    const t = parseTensor(`grad_output.${given}`, value, 'float32');
    const expected = outputShapes[name];
    if (formatShape(t.shape) !== formatShape(expected)) {
      throw new InputError(`${op.name}: grad_output.${given} has shape ${formatShape(t.shape)} but ${name} has shape ${formatShape(expected)}`);
    }
    grads[name] = t;
  }
  return grads;
}
