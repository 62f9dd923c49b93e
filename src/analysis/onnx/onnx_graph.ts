/**
 * An ONNX file decoded (with the `onnx-proto` package) into plain values: nodes with their
 * attributes, initializers as numeric tensors, the graph's inputs and outputs. Pure TS, no GPU.
 */
import onnxProto from 'onnx-proto';
import type * as OnnxTypes from 'onnx-proto';
import { InputError } from '../errors.ts';

const { onnx } = onnxProto;
type TensorProto = OnnxTypes.onnx.ITensorProto;

/** A constant tensor: float values (float32/float64/float16 files) or integers (int64/int32/bool). */
export interface ConstTensor {
  shape: number[];
  data: number[];
  dtype: 'float' | 'int';
}

/** An attribute value: a number, a list of numbers, a string, a tensor or a list of strings. */
export type AttrValue = number | number[] | string | string[] | ConstTensor;

/** One node of the graph. */
export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  /** Value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

/** A graph input or output: its name, element type and dims (null where the dim is symbolic or absent). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: (number | null)[] | null;
}

/** A decoded model: the default-domain opset, the nodes in file order, initializers by name. */
export interface OnnxGraph {
  opset: number;
  producer: string;
  nodes: OnnxNode[];
  initializers: Map<string, ConstTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** ONNX TensorProto.DataType codes this reader understands. */
export const ONNX_DTYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;

type Long = { toNumber(): number } | number;

function toNumber(v: Long | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Reads an ONNX TensorProto (raw_data or the typed fields) into a ConstTensor. */
export function readTensor(t: TensorProto, where: string): ConstTensor {
  const shape = (t.dims ?? []).map((d) => toNumber(d as Long));
  const count = shape.reduce((a, b) => a * b, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw new InputError(`${where}: tensor "${t.name}" is stored in an external file, which this reader does not load`);
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  const code = t.dataType ?? 0;
  const bytes: Record<number, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8 };
  if (!bytes[code]) throw new InputError(`${where}: tensor "${t.name}" has data type ${code}, this reader handles float32, float16, float64, int64, int32, int8, uint8 and bool`);
  if (view && view.byteLength !== count * bytes[code]) {
    throw new InputError(`${where}: tensor "${t.name}" of shape [${shape.join(', ')}] needs ${count * bytes[code]} bytes of raw data, the file has ${view.byteLength}`);
  }
  const data = new Array<number>(count);
  const isFloat = code === ONNX_DTYPE.FLOAT || code === ONNX_DTYPE.FLOAT16 || code === ONNX_DTYPE.DOUBLE;
  if (view) {
    for (let i = 0; i < count; i++) {
      switch (code) {
        case 1: data[i] = view.getFloat32(4 * i, true); break;
        case 11: data[i] = view.getFloat64(8 * i, true); break;
        case 10: data[i] = halfToFloat(view.getUint16(2 * i, true)); break;
        case 7: data[i] = Number(view.getBigInt64(8 * i, true)); break;
        case 6: data[i] = view.getInt32(4 * i, true); break;
        case 3: data[i] = view.getInt8(i); break;
        default: data[i] = view.getUint8(i);
      }
    }
  } else {
    const field: ArrayLike<Long> = (code === 1 ? t.floatData : code === 11 ? t.doubleData : code === 7 ? t.int64Data : t.int32Data) ?? [];
    if (field.length !== count) throw new InputError(`${where}: tensor "${t.name}" of shape [${shape.join(', ')}] needs ${count} values, the file has ${field.length}`);
    for (let i = 0; i < count; i++) data[i] = code === 10 ? halfToFloat(toNumber(field[i])) : toNumber(field[i]);
  }
  return { shape, data, dtype: isFloat ? 'float' : 'int' };
}

function readAttr(a: OnnxTypes.onnx.IAttributeProto, where: string): AttrValue {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT: return a.f ?? 0;
    case T.INT: return toNumber(a.i as Long);
    case T.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.TENSOR: return readTensor(a.t ?? {}, where);
    case T.FLOATS: return [...(a.floats ?? [])];
    case T.INTS: return (a.ints ?? []).map((v) => toNumber(v as Long));
    case T.STRINGS: return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    default: throw new InputError(`${where}: attribute "${a.name}" has a type (${a.type}) this reader does not handle`);
  }
}

function valueInfo(v: OnnxTypes.onnx.IValueInfoProto): OnnxValueInfo {
  const tt = v.type?.tensorType;
  const dims = tt?.shape ? (tt.shape.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue as Long) > 0 ? toNumber(d.dimValue as Long) : null)) : null;
  return { name: v.name ?? '', elemType: tt?.elemType ?? 0, dims };
}

/** Decodes an ONNX file; a file that is not a valid ONNX model gives a one-line InputError. */
export function decodeOnnx(bytes: Uint8Array, source = 'model.onnx'): OnnxGraph {
  let model: OnnxTypes.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new InputError(`${source}: not a valid ONNX file (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const g = model.graph;
  if (!g || !g.node || g.node.length === 0) throw new InputError(`${source}: not a valid ONNX file (no graph nodes; ${bytes.length} bytes read)`);
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? toNumber(opsetEntry.version as Long) : 0;
  if (!opset) throw new InputError(`${source}: the model declares no default-domain opset`);
  const initializers = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', readTensor(t, source));
  const nodes: OnnxNode[] = g.node.map((n, i) => {
    const opType = n.opType ?? '';
    const name = n.name || `${opType}_${i}`;
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) attrs[a.name ?? ''] = readAttr(a, `${source}: node "${name}" (${opType})`);
    return { name, opType, domain: n.domain ?? '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs };
  });
  const inputs = (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(valueInfo);
  return { opset, producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(), nodes, initializers, inputs, outputs: (g.output ?? []).map(valueInfo) };
}
