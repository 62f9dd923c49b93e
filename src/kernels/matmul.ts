import code from '../../shaders/matmul.wgsl?raw';
import { channelSum } from './channel_sum.ts';
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

const TILE = 64;
const TILE_K = 16;
/** Below this many output tiles a long K is split across workgroups, so every core gets work. */
const SPLIT_BELOW_TILES = 32;
const MIN_K_PER_SPLIT = 256;
const MAX_SPLITS = 64;

/** How many K slices a product gets: one unless C is small and K long (weight gradients). */
export function kSplits(m: number, n: number, k: number, hasBias: boolean): number {
  const tiles = Math.ceil(m / TILE) * Math.ceil(n / TILE);
  if (hasBias || tiles >= SPLIT_BELOW_TILES) return 1;
  return Math.max(1, Math.min(MAX_SPLITS, Math.ceil(SPLIT_BELOW_TILES / tiles) * 2, Math.floor(k / MIN_K_PER_SPLIT)));
}

/**
 * c[m, n] = Σ_k a(m, k)·b(k, n) + bias[n]: 64×64 tiles with 8×8 register blocks. A small C
 * with a long K (a weight gradient summed over a batch or a graph) is split along K into
 * partial products, then summed per element.
 */
export async function matmul(
  rt: GpuRuntime, a: MatrixView, b: MatrixView, bias: GpuTensor | null, c: GpuTensor, m: number, n: number, k: number,
): Promise<void> {
  const splits = kSplits(m, n, k, bias !== null);
  const kPerSplit = Math.ceil(k / splits / TILE_K) * TILE_K;
  const params = {
    m, n, k,
    aRowStride: a.rowStride, aColStride: a.colStride, bRowStride: b.rowStride, bColStride: b.colStride,
    hasBias: bias ? 1 : 0, kPerSplit: Math.max(kPerSplit, TILE_K),
  };
  const target = splits > 1 ? rt.tensor('matmul.partials', [splits, m, n]) : c;
  await rt.dispatch(matmulKernel, params, [a.tensor.buffer, b.tensor.buffer, (bias ?? b.tensor).buffer, target.buffer], [Math.ceil(n / TILE), Math.ceil(m / TILE), splits], {
    flops: 2 * m * n * k + (bias ? m * n : 0),
    bytesRead: 4 * (m * k + k * n + (bias ? n : 0)),
    bytesWritten: 4 * m * n * splits,
  });
  if (splits > 1) {
    await channelSum(rt, target, c, splits, m * n, 1);
    rt.releaseAfterSubmit(target);
  }
}
