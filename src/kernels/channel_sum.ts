import kernelWgsl from '../../shaders/channel_sum.wgsl?raw';
import workgroupSumWgsl from '../../shaders/common/workgroup_sum.wgsl?raw';
import workgroupItemWgsl from '../../shaders/common/workgroup_item.wgsl?raw';
import { grid1d, type GpuRuntime, type GpuTensor, type KernelDef } from './runtime.ts';
import { ChannelSumParams } from './schemas.ts';
import { composeWgsl } from './compose_wgsl.ts';

const code = composeWgsl(kernelWgsl, workgroupSumWgsl, workgroupItemWgsl);

export const channelSumKernel: KernelDef<typeof ChannelSumParams> = {
  name: 'channel_sum', code, entryPoint: 'main', params: ChannelSumParams,
  bindings: ['read', 'read_write'],
};

export const channelSumSerialKernel: KernelDef<typeof ChannelSumParams> = { ...channelSumKernel, entryPoint: 'serial' };

/** Up to this many values per channel, one invocation sums a channel alone (no barriers). */
const SERIAL_MAX_PER_CHANNEL = 2048;

/**
 * sums[c] = Σ values[o, c, i] for a [outer, channels, inner] view: one invocation per channel
 * for short sums, one workgroup per channel for long ones.
 */
export async function channelSum(
  rt: GpuRuntime, values: GpuTensor, sums: GpuTensor, outer: number, channels: number, inner: number,
): Promise<void> {
  const serial = outer * inner <= SERIAL_MAX_PER_CHANNEL;
  await rt.dispatch(serial ? channelSumSerialKernel : channelSumKernel, { outer, channels, inner }, [values.buffer, sums.buffer], serial ? grid1d(channels, 64) : grid1d(channels, 1), {
    flops: outer * channels * inner,
    bytesRead: 4 * outer * channels * inner,
    bytesWritten: 4 * channels,
  });
}
