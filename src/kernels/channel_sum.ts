import code from '../../shaders/channel_sum.wgsl?raw';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { ChannelSumParams } from './schemas.ts';

export const channelSumKernel: KernelDef<typeof ChannelSumParams> = {
  name: 'channel_sum', code, entryPoint: 'main', params: ChannelSumParams,
  bindings: ['read', 'read_write'],
};

/** sums[c] = Σ values[o, c, i] for a [outer, channels, inner] view; one workgroup per channel. */
export async function channelSum(
  rt: GpuRuntime, values: GpuTensor, sums: GpuTensor, outer: number, channels: number, inner: number,
): Promise<void> {
  await rt.dispatch(channelSumKernel, { outer, channels, inner }, [values.buffer, sums.buffer], grid1d(channels, 1), {
    flops: outer * channels * inner,
    bytesRead: 4 * outer * channels * inner,
    bytesWritten: 4 * channels,
  });
}
