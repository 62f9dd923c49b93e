import kernelWgsl from '../../shaders/matmul.wgsl?raw';
import registerBlockWgsl from '../../shaders/common/register_block.wgsl?raw';
import { adapterPrefersBlocked } from './adapter.ts';
import { channelSum } from './channel_sum.ts';
import { type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { MatmulParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, registerBlockWgsl);

export const matmulKernel: KernelDef<typeof MatmulParams> = {
  name: 'matmul', code, entryPoint: 'main', params: MatmulParams,
  bindings: ['read', 'read', 'read', 'read_write'],
};

export const matmulDirectKernel: KernelDef<typeof MatmulParams> = {
  name: 'matmul_direct', code, entryPoint: 'direct', params: MatmulParams,
  bindings: ['read', 'read', 'read', 'read_write'],
};

const matmulDot4Kernel: KernelDef<typeof MatmulParams> = { ...matmulDirectKernel, name: 'matmul_direct_dot4', entryPoint: 'direct_dot4' };
const matmulCols4Kernel: KernelDef<typeof MatmulParams> = { ...matmulDirectKernel, name: 'matmul_direct_cols4', entryPoint: 'direct_cols4' };
const matmulBlockedKernel: KernelDef<typeof MatmulParams> = { ...matmulDirectKernel, name: 'matmul_blocked', entryPoint: 'blocked' };

const fourAligned = (...values: number[]) => values.every((v) => v % 4 === 0);

/**
 * The vec4 form of `direct` a product can take: `dot4` when A's rows and B's columns both run
 * along memory (x · Wᵀ), `cols4` when B's rows do (dy · W, dyᵀ · x); null otherwise. Every
 * offset and stride the vec4s step by must be a multiple of 4.
 */
function directVec4(a: MatrixView, b: MatrixView, n: number, k: number): 'dot4' | 'cols4' | null {
  const bBatch = b.batchStrides ?? [0, 0];
  const aBatch = a.batchStrides ?? [0, 0];
  if (b.colStride === 1 && fourAligned(n, b.offset ?? 0, b.rowStride, ...bBatch)) return 'cols4';
  if (a.colStride === 1 && b.rowStride === 1 && fourAligned(k, a.offset ?? 0, a.rowStride, ...aBatch, b.offset ?? 0, b.colStride, ...bBatch)) return 'dot4';
  return null;
}

/**
 * How to read an operand: element (row, col) of batch (b1, b2) sits at
 * offset + b1·batchStrides[0] + b2·batchStrides[1] + rowStride·row + colStride·col.
 */
export interface MatrixView {
  tensor: GpuTensor;
  rowStride: number;
  colStride: number;
  offset?: number;
  batchStrides?: [number, number];
}

/** Where C goes: element (row, col) of batch (b1, b2) at offset + b1·s1 + b2·s2 + rowStride·row + col. */
export interface OutputView {
  tensor: GpuTensor;
  rowStride: number;
  offset?: number;
  batchStrides?: [number, number];
}

/** A batch of products (b1 < batch[0], b2 < batch[1]) and a scale on each product. */
export interface MatmulOptions {
  batch?: [number, number];
  alpha?: number;
}

/** A row-major [rows, cols] matrix read as is. */
export function plain(tensor: GpuTensor, cols: number): MatrixView {
  return { tensor, rowStride: cols, colStride: 1 };
}

/** A row-major [rows, cols] matrix read transposed, as [cols, rows]. */
export function transposed(tensor: GpuTensor, cols: number): MatrixView {
  return { tensor, rowStride: 1, colStride: cols };
}

/**
 * `tiled`: 64×64 tiles through workgroup memory; `direct`: one invocation per element of C;
 * `blocked`: 4×8 blocks of C per invocation, no workgroup memory; `auto` picks by size and adapter.
 */
export type MatmulAlgorithm = 'auto' | 'tiled' | 'direct' | 'blocked';

let forced: MatmulAlgorithm = 'auto';

/** Forces one matmul kernel for every product (tests run each), or restores the choice by size. */
export function setMatmulAlgorithm(algorithm: MatmulAlgorithm): void {
  forced = algorithm;
}

/**
 * A product runs `direct` when it is small (at most this many multiply-adds, all batches
 * together) and C is at most DIRECT_MAX_SIDE wide or tall: a 64×64 tile of it is then mostly
 * padding, and its barriers cost more than its arithmetic. Measured back to back on SwiftShader:
 * direct/tiled 0.32 for [800, 32]·[32, 16] and 0.51 for a 48×16 weight gradient over K = 800,
 * but 1.1–1.3 for 48- or 50-wide products and 2–4 above 4M multiply-adds. `shortRows` (K at
 * most DIRECT_MAX_SIDE and B's rows along memory, so `direct_cols4` runs) also takes `direct`:
 * the input gradient of Linear 1568→10 at batch 64, [64, 10]·[10, 1568], took 4.1 ms against
 * 7.6 ms tiled.
 */
const DIRECT_MAX_MACS = 1 << 22;
const DIRECT_MAX_SIDE = 16;

/**
 * On an adapter that runs workgroup memory and barriers slowly (`adapterPrefersBlocked`), a
 * product that is not `direct` runs `blocked` while one side of C is under BLOCKED_MAX_SIDE.
 * Measured back to back on SwiftShader, tiled → blocked: the ViT's Linear 48→144 over 1,088
 * tokens forward 21.2 → 10.9 ms, input gradient 14.1 → 10.8; 48→48 forward 9.2 → 4.6; 64
 * attention-score products [17, 24]·[24, 17] 18.7 → 2.7; but 512³ 99.7 → 116.1, so it stays tiled.
 */
const BLOCKED_MAX_SIDE = 256;

/** The kernel a product C[m, n] of `macs` multiply-adds in all runs on. */
export function matmulAlgorithm(m: number, n: number, macs: number, shortRows = false, prefersBlocked = false): 'tiled' | 'direct' | 'blocked' {
  if (forced !== 'auto') return forced;
  if (macs <= DIRECT_MAX_MACS && (Math.min(m, n) <= DIRECT_MAX_SIDE || shortRows)) return 'direct';
  return prefersBlocked && Math.min(m, n) < BLOCKED_MAX_SIDE ? 'blocked' : 'tiled';
}

const TILE = 64;
const TILE_K = 16;
/** Below this many output tiles a long K is split across workgroups, so every core gets work. */
const SPLIT_BELOW_TILES = 32;
const MIN_K_PER_SPLIT = 256;
const MAX_SPLITS = 64;

/**
 * How many K slices a product gets: one unless C is small and K long (weight gradients, and a
 * classifier head such as Linear 1568→10, whose bias the first slice adds).
 */
export function kSplits(m: number, n: number, k: number): number {
  const tiles = Math.ceil(m / TILE) * Math.ceil(n / TILE);
  if (tiles >= SPLIT_BELOW_TILES) return 1;
  return Math.max(1, Math.min(MAX_SPLITS, Math.ceil(SPLIT_BELOW_TILES / tiles) * 2, Math.floor(k / MIN_K_PER_SPLIT)));
}

function isPlainOutput(c: OutputView, n: number): boolean {
  return c.rowStride === n && !c.offset && !c.batchStrides;
}

/**
 * c[m, n] = alpha·Σ_k a(m, k)·b(k, n) + bias[n]: 64×64 tiles with 8×8 register blocks (or, for
 * a small product, one invocation per element; on SwiftShader, 4×8 blocks without tiles), for
 * each batch (b1, b2) of `options.batch` at once (one dispatch; operands and C placed by their
 * views' offsets and batch strides). A single small C with a long K (a weight gradient summed
 * over a batch or a graph) is split along K into partial products, then summed per element.
 */
export async function matmul(
  rt: GpuRuntime, a: MatrixView, b: MatrixView, bias: GpuTensor | null, c: GpuTensor | OutputView, m: number, n: number, k: number,
  options: MatmulOptions = {},
): Promise<void> {
  const out: OutputView = 'buffer' in c ? { tensor: c, rowStride: n } : c;
  const [batch1, batch2] = options.batch ?? [1, 1];
  const batches = batch1 * batch2;
  const maxGroups = rt.limits.maxComputeWorkgroupsPerDimension;
  const vec4Form = directVec4(a, b, n, k);
  const algorithm = matmulAlgorithm(m, n, batches * m * n * k, vec4Form === 'cols4' && k <= DIRECT_MAX_SIDE, adapterPrefersBlocked(rt.adapter));
  const direct = algorithm === 'direct' && Math.ceil(m / 4) <= maxGroups && Math.ceil(n / 16) <= maxGroups;
  const blocked = algorithm === 'blocked' && Math.ceil(m / 16) <= maxGroups && Math.ceil(n / 128) <= maxGroups;
  const vec4 = direct ? vec4Form : null;
  const splits = !direct && batches === 1 && isPlainOutput(out, n) ? kSplits(m, n, k) : 1;
  const kPerSplit = Math.ceil(k / splits / TILE_K) * TILE_K;
  const [aStride1, aStride2] = a.batchStrides ?? [0, 0];
  const [bStride1, bStride2] = b.batchStrides ?? [0, 0];
  const [cStride1, cStride2] = out.batchStrides ?? [0, 0];
  const params = {
    m, n, k,
    aRowStride: a.rowStride, aColStride: a.colStride, bRowStride: b.rowStride, bColStride: b.colStride,
    cRowStride: splits > 1 ? n : out.rowStride,
    hasBias: bias ? 1 : 0, kPerSplit: Math.max(kPerSplit, TILE_K), splits, alpha: options.alpha ?? 1, batch2,
    aOffset: a.offset ?? 0, aStride1, aStride2,
    bOffset: b.offset ?? 0, bStride1, bStride2,
    cOffset: splits > 1 ? 0 : out.offset ?? 0, cStride1, cStride2, cSplitStride: m * n,
  };
  const target = splits > 1 ? rt.tensor('matmul.partials', [splits, m, n]) : out.tensor;
  // Workgroup z holds at most maxComputeWorkgroupsPerDimension batches: larger batches go in chunks of b1.
  const chunk = Math.max(1, Math.floor(maxGroups / (batch2 * splits)));
  for (let b1 = 0; b1 < batch1; b1 += chunk) {
    const count = Math.min(chunk, batch1 - b1);
    const shifted = {
      ...params,
      aOffset: params.aOffset + b1 * aStride1, bOffset: params.bOffset + b1 * bStride1, cOffset: params.cOffset + b1 * cStride1,
    };
    const grid: [number, number, number] = direct ? [Math.ceil((vec4 === 'cols4' ? n / 4 : n) / 16), Math.ceil(m / 4), count * batch2]
      : blocked ? [Math.ceil(n / 128), Math.ceil(m / 16), count * batch2 * splits] : [Math.ceil(n / TILE), Math.ceil(m / TILE), count * batch2 * splits];
    const kernel = blocked ? matmulBlockedKernel : !direct ? matmulKernel : vec4 === 'cols4' ? matmulCols4Kernel : vec4 === 'dot4' ? matmulDot4Kernel : matmulDirectKernel;
    await rt.dispatch(kernel, shifted, [a.tensor.buffer, b.tensor.buffer, (bias ?? b.tensor).buffer, target.buffer], grid, {
      flops: count * batch2 * (2 * m * n * k + (bias ? m * n : 0)),
      bytesRead: 4 * count * batch2 * (m * k + k * n + (bias ? n : 0)),
      bytesWritten: 4 * count * batch2 * m * n * splits,
    });
  }
  if (splits > 1) {
    await channelSum(rt, target, out.tensor, splits, m * n, 1);
    rt.releaseAfterSubmit(target);
  }
}
