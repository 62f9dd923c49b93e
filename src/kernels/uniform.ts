import * as d from 'typegpu/data';

/** A uniform params struct made of 4-byte scalars, declared once in TS and mirrored in WGSL. */
export type ParamsSchema = d.WgslStruct<Record<string, d.U32 | d.I32 | d.F32>>;

/** Values for every field of a params schema. */
export type ParamsOf<S extends ParamsSchema> = { [K in keyof S['propTypes']]: number };

/**
 * Serializes params into the std140-compatible bytes WGSL expects, using the schema's own
 * offsets; the size is padded to the struct's alignment so the buffer binds as a uniform.
 */
export function packParams<S extends ParamsSchema>(schema: S, values: ParamsOf<S>): ArrayBuffer {
  const size = Math.max(16, Math.ceil(d.sizeOf(schema) / 16) * 16);
  const bytes = new ArrayBuffer(size);
  const view = new DataView(bytes);
  for (const [name, type] of Object.entries(schema.propTypes)) {
    const value = (values as Record<string, number>)[name];
    if (value === undefined || !Number.isFinite(value)) throw new Error(`params field ${name} is ${value}`);
    const { offset } = d.memoryLayoutOf(schema, (p) => (p as Record<string, unknown>)[name]);
    if (type.type === 'u32') view.setUint32(offset, value, true);
    else if (type.type === 'i32') view.setInt32(offset, value, true);
    else view.setFloat32(offset, value, true);
  }
  return bytes;
}

/** The WGSL declaration of a params schema: `struct Params { a: u32, ... }`. */
export function paramsWgsl(schema: ParamsSchema): string {
  const fields = Object.entries(schema.propTypes).map(([name, type]) => `${name}: ${type.type}`);
  return `struct Params { ${fields.join(', ')} }`;
}
