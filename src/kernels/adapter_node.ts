import { existsSync } from 'node:fs';
import { NoAdapterError } from './errors.ts';
import { deviceFrom, type AcquiredGpu } from './adapter.ts';
import { paceDawnPolling } from './dawn_polling.ts';

/** SwiftShader's Vulkan driver, shipped by Debian's chromium package. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// Without this Dawn rounds timestamps to ~65 µs.
const DAWN_FLAGS = ['disable-dawn-features=timestamp_quantization'];

// dawn.node crashes when a GPU instance is garbage-collected while a device made from it (or
// from a later instance) is alive, so every instance is kept for the life of the process.
const instances: GPU[] = [];

function newInstance(create: (flags: string[]) => GPU): GPU {
  const gpu = create(DAWN_FLAGS);
  instances.push(gpu);
  return gpu;
}

/** The Dawn instance whose adapter the last runtime uses (peer libraries can share it). */
export function currentNodeGpu(): GPU | null {
  return instances.at(-1) ?? null;
}

/**
 * Node: Dawn through the `webgpu` package. When no hardware adapter answers, points Vulkan at
 * SwiftShader (the env var must be set before `create()`), and otherwise explains what to install.
 */
export async function acquireNodeGpu(): Promise<AcquiredGpu> {
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  paceDawnPolling();
  let adapter = await newInstance(create).requestAdapter({ powerPreference: 'high-performance' });
  let fallback: string | null = null;
  if (!adapter && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    adapter = await newInstance(create).requestAdapter();
    fallback = `SwiftShader (CPU) via VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`;
  }
  if (!adapter) {
    const hint = existsSync(SWIFTSHADER_ICD)
      ? 'SwiftShader is installed but Vulkan did not load it: apt-get install -y libvulkan1'
      : 'install a GPU driver with Vulkan, or on Debian/Ubuntu without a GPU: apt-get install -y chromium libvulkan1 (SwiftShader)';
    throw new NoAdapterError(`no WebGPU adapter found by Dawn: ${hint}`);
  }
  return deviceFrom(adapter, 'dawn-node', fallback);
}
