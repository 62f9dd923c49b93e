import code from '../../shaders/matmul.wgsl?raw';
import { type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { MatmulParams } from './schemas.ts';

export const matmulKernel: KernelDef<typeof MatmulParams> = {
  name: 'matmul', code, entryPoint: 'main', params: MatmulParams,
  bindings: ['read', 'read', 'read', 'read_write'],
};

/** How to read an operand: element (row, col) sits at rowStride·row + colStride·col. */
export interface MatrixView {
  tensor: GpuTensor;
  rowStride: number;
  colStride: number;
}

/** A row-major [rows, cols] matrix read as is. */
export function plain(tensor: GpuTensor, cols: number): MatrixView {
  return { tensor, rowStride: cols, colStride: 1 };
}

/** A row-major [rows, cols] matrix read transposed, as [cols, rows]. */
export function transposed(tensor: GpuTensor, cols: number): MatrixView {
  return { tensor, rowStride: 1, colStride: cols };
}

/** c[m, n] = Σ_k a(m, k)·b(k, n) + bias[n]; 16×16 tiles through workgroup memory. */
export async function matmul(
  rt: GpuRuntime, a: MatrixView, b: MatrixView, bias: GpuTensor | null, c: GpuTensor, m: number, n: number, k: number,
): Promise<void> {
  const params = {
    m, n, k,
    aRowStride: a.rowStride, aColStride: a.colStride, bRowStride: b.rowStride, bColStride: b.colStride,
    hasBias: bias ? 1 : 0,
  };
  const buffers = [a.tensor.buffer, b.tensor.buffer, (bias ?? b.tensor).buffer, c.buffer];
  await rt.dispatch(matmulKernel, params, buffers, [Math.ceil(n / 16), Math.ceil(m / 16), 1], {
    flops: 2 * m * n * k + (bias ? m * n : 0),
    bytesRead: 4 * (m * k + k * n + (bias ? n : 0)),
    bytesWritten: 4 * m * n,
  });
}
