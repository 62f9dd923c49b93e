import { NoAdapterError } from './errors.ts';

/** What a report says about the adapter a run used. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: 'browser' | 'dawn-node';
  fallback: string | null;
  features: string[];
}

/** An adapter with the device requested from it. */
export interface AcquiredGpu {
  adapter: GPUAdapter;
  device: GPUDevice;
  report: AdapterReport;
}

/** The limits raised to the adapter's maximum so large tensors fit. */
const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** Requests a device with timestamp queries (when offered) and the adapter's maximum limits. */
export async function deviceFrom(adapter: GPUAdapter, backend: AdapterReport['backend'], fallback: string | null): Promise<AcquiredGpu> {
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'nnx' });
  const info = adapter.info;
  return {
    adapter,
    device,
    report: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      backend,
      fallback,
      features: [...device.features].sort(),
    },
  };
}

/** Acquires a GPU in the browser (navigator.gpu) or in Node (Dawn, with the SwiftShader fallback). */
export async function acquireGpu(): Promise<AcquiredGpu> {
  if (typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu) {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      throw new NoAdapterError('WebGPU is present but no adapter was returned: enable hardware acceleration, or start Chromium with --enable-unsafe-webgpu');
    }
    return deviceFrom(adapter, 'browser', null);
  }
  if (typeof process !== 'undefined' && process.versions?.node) {
    const nodeAdapter = './adapter_node.ts';
    const { acquireNodeGpu } = (await import(/* @vite-ignore */ nodeAdapter)) as typeof import('./adapter_node.ts');
    return acquireNodeGpu();
  }
  throw new NoAdapterError('this browser has no WebGPU (navigator.gpu is missing): use a recent Chrome/Chromium or Edge, or Firefox/Safari with WebGPU enabled');
}

/**
 * Whether this adapter runs the blocked kernels (conv2d_blocked.wgsl, matmul.wgsl's `blocked`)
 * faster than the tiled GEMMs: a CPU
 * implementation (SwiftShader), where workgroup memory is ordinary memory read lane by lane and
 * barriers are expensive. Measured there back to back (GPU ms, GEMM or small-K vs blocked, on
 * the small CNN's [64, 16, 14, 14] ⊛ [32, 16, 3, 3] and [64, 1, 28, 28] ⊛ [16, 1, 3, 3]): see
 * README "Training step". On a GPU the tiled GEMM's shared-memory reuse is the standard choice.
 */
export function adapterPrefersBlocked(adapter: AdapterReport): boolean {
  return /swiftshader/i.test([adapter.vendor, adapter.architecture, adapter.device, adapter.description, adapter.fallback ?? ''].join(' '));
}
