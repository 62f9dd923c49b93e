import code from '../../shaders/embedding.wgsl?raw';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { EmbeddingParams } from './schemas.ts';
import type { ParamsOf } from './uniform.ts';

/** Index positions, vocabulary rows, embedding width and the padding row (−1 for none). */
export type EmbeddingShape = ParamsOf<typeof EmbeddingParams>;

export const embeddingForwardKernel: KernelDef<typeof EmbeddingParams> = {
  name: 'embedding_forward', code, entryPoint: 'forward', params: EmbeddingParams, bindings: ['read', 'read', 'read_write'],
};
export const embeddingCountKernel: KernelDef<typeof EmbeddingParams> = {
  name: 'embedding_count', code, entryPoint: 'count', params: EmbeddingParams, bindings: ['read', 'read_write'],
};
export const embeddingScanKernel: KernelDef<typeof EmbeddingParams> = {
  name: 'embedding_scan', code, entryPoint: 'scan', params: EmbeddingParams, bindings: ['read', 'read_write'],
};
export const embeddingPlaceKernel: KernelDef<typeof EmbeddingParams> = {
  name: 'embedding_place', code, entryPoint: 'place', params: EmbeddingParams, bindings: ['read', 'read', 'read_write', 'read_write'],
};
export const embeddingSortKernel: KernelDef<typeof EmbeddingParams> = {
  name: 'embedding_sort_rows', code, entryPoint: 'sort_rows', params: EmbeddingParams, bindings: ['read', 'read_write'],
};
export const embeddingGatherKernel: KernelDef<typeof EmbeddingParams> = {
  name: 'embedding_gather', code, entryPoint: 'gather', params: EmbeddingParams, bindings: ['read', 'read', 'read', 'read_write'],
};
export const embeddingGather4Kernel: KernelDef<typeof EmbeddingParams> = {
  name: 'embedding_gather4', code, entryPoint: 'gather4', params: EmbeddingParams, bindings: ['read', 'read', 'read', 'read_write'],
};

/** output[p, :] = weight[indices[p], :] for every flat position p. */
export async function embeddingForward(rt: GpuRuntime, weight: GpuTensor, indices: GpuTensor, output: GpuTensor, s: EmbeddingShape): Promise<void> {
  const count = s.positions * s.dim;
  await rt.dispatch(embeddingForwardKernel, s, [weight.buffer, indices.buffer, output.buffer], grid1d(count, 64), {
    flops: 0, bytesRead: 4 * (count + s.positions), bytesWritten: 4 * count,
  });
}

/**
 * dL/dweight: the gradient rows of every position summed into its index's row, duplicates in
 * ascending position order (deterministic), the padding row left zero. Five dispatches: count,
 * scan, place, sort, gather (four features per invocation when dim is a multiple of 4);
 * O(vocab + positions) bookkeeping and O((vocab + positions)·dim) sums.
 */
export async function embeddingBackward(rt: GpuRuntime, indices: GpuTensor, gradOutput: GpuTensor, gradWeight: GpuTensor, s: EmbeddingShape): Promise<void> {
  const counts = rt.tensor('embedding.row_counts', [s.vocab], 'int32');
  const offsets = rt.tensor('embedding.row_offsets', [s.vocab + 1], 'int32');
  const cursors = rt.tensor('embedding.row_cursors', [s.vocab], 'int32');
  const order = rt.tensor('embedding.positions_by_row', [Math.max(1, s.positions)], 'int32');
  const rowsGrid = grid1d(s.vocab, 64);
  const positionsGrid = grid1d(s.positions, 64);
  await rt.dispatch(embeddingCountKernel, s, [indices.buffer, counts.buffer], positionsGrid, {
    flops: 0, bytesRead: 4 * s.positions, bytesWritten: 4 * s.positions,
  });
  await rt.dispatch(embeddingScanKernel, s, [counts.buffer, offsets.buffer], [1, 1, 1], {
    flops: 2 * s.vocab, bytesRead: 8 * s.vocab, bytesWritten: 4 * (s.vocab + 1),
  });
  await rt.dispatch(embeddingPlaceKernel, s, [indices.buffer, offsets.buffer, cursors.buffer, order.buffer], positionsGrid, {
    flops: 0, bytesRead: 8 * s.positions, bytesWritten: 8 * s.positions,
  });
  await rt.dispatch(embeddingSortKernel, s, [offsets.buffer, order.buffer], rowsGrid, {
    flops: 0, bytesRead: 4 * (s.vocab + s.positions), bytesWritten: 4 * s.positions,
  });
  const count = s.vocab * s.dim;
  const width = s.dim % 4 === 0 ? 4 : 1;
  await rt.dispatch(width === 4 ? embeddingGather4Kernel : embeddingGatherKernel, s, [offsets.buffer, order.buffer, gradOutput.buffer, gradWeight.buffer], grid1d(count / width, 64), {
    flops: s.positions * s.dim, bytesRead: 4 * (2 * count + s.positions * (s.dim + 1)), bytesWritten: 4 * count,
  });
  rt.releaseAfterSubmit(counts, offsets, cursors, order);
}
