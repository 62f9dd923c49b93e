/** A dense row-major tensor on the CPU. `shape` [] is a scalar. */
export interface Tensor<D extends ArrayLike<number> = Float32Array | Float64Array | Int32Array> {
  shape: number[];
  data: D;
}

/** A float64 tensor, as the CPU reference works in. */
export type Tensor64 = Tensor<Float64Array>;

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Formats a shape as PyTorch prints it: [2, 3, 5]. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Converts any tensor to float64. */
export function toFloat64(t: Tensor): Tensor64 {
  return { shape: [...t.shape], data: Float64Array.from(t.data) };
}
