import { InputError } from './errors.ts';
import type { LayerNode } from './graph.ts';
import { elementBytes } from './memory.ts';
import { DTYPE_BYTES, DTYPES, type DType } from './model_spec.ts';
import { numel } from './tensor.ts';

/**
 * Roofline model: a layer takes at least max(FLOPs / peak, bytes / bandwidth). It is
 * compute-bound when the first term wins, memory-bound otherwise; the ridge point is
 * peak / bandwidth FLOPs per byte.
 */

/** Where `nnx bench` caches the measured roofline of the local adapter (`--device local`). */
export const LOCAL_DEVICE_FILE = '.cache/nnx/local-device.json';

/** A device's published (or measured) peaks. */
export interface DeviceProfile {
  name: string;
  /** Peak FLOP/s per storage dtype (int8: operations/s). Absent: unknown for that dtype. */
  peak_flops: Partial<Record<DType, number>>;
  /** Peak memory bandwidth, bytes/s. */
  bandwidth_bytes_per_s: number;
  /** Where the figures come from. */
  source: string;
}

const T = 1e12;
const G = 1e9;

/**
 * Built-in profiles from the vendors' published peak figures (dense, without structured
 * sparsity). fp32 is the plain FP32 (non-tensor-core) rate; fp16/bf16 and int8 the tensor-core
 * rates. Bandwidth is the memory bandwidth of the listed model.
 */
export const DEVICE_PROFILES: Record<string, DeviceProfile> = {
  // NVIDIA H100 Tensor Core GPU datasheet (SXM5): FP32 67 TFLOPS, BF16/FP16 989.4 TFLOPS dense
  // (1,979 with sparsity), INT8 1,979 TOPS dense, HBM3 3.35 TB/s.
  'h100-sxm': {
    name: 'NVIDIA H100 SXM5 80GB', peak_flops: { fp32: 67 * T, fp16: 989.4 * T, bf16: 989.4 * T, int8: 1979 * T },
    bandwidth_bytes_per_s: 3.35e12, source: 'NVIDIA H100 Tensor Core GPU datasheet (SXM5, dense)',
  },
  // NVIDIA H200 Tensor Core GPU product page / datasheet (SXM): same compute as H100 SXM, HBM3e 4.8 TB/s.
  'h200': {
    name: 'NVIDIA H200 SXM 141GB', peak_flops: { fp32: 67 * T, fp16: 989.4 * T, bf16: 989.4 * T, int8: 1979 * T },
    bandwidth_bytes_per_s: 4.8e12, source: 'NVIDIA H200 Tensor Core GPU datasheet (SXM, dense)',
  },
  // NVIDIA A100 Tensor Core GPU datasheet (SXM4 80GB): FP32 19.5 TFLOPS, BF16/FP16 312 TFLOPS,
  // INT8 624 TOPS (dense), HBM2e 2,039 GB/s.
  'a100-sxm-80gb': {
    name: 'NVIDIA A100 SXM4 80GB', peak_flops: { fp32: 19.5 * T, fp16: 312 * T, bf16: 312 * T, int8: 624 * T },
    bandwidth_bytes_per_s: 2039 * G, source: 'NVIDIA A100 Tensor Core GPU datasheet (SXM4 80GB, dense)',
  },
  // NVIDIA V100 datasheet (SXM2): FP32 15.7 TFLOPS, tensor (FP16) 125 TFLOPS, HBM2 900 GB/s.
  // No bf16 and no int8 tensor cores.
  'v100-sxm2': {
    name: 'NVIDIA V100 SXM2', peak_flops: { fp32: 15.7 * T, fp16: 125 * T },
    bandwidth_bytes_per_s: 900 * G, source: 'NVIDIA V100 Tensor Core GPU datasheet (SXM2)',
  },
  // NVIDIA T4 datasheet: FP32 8.1 TFLOPS, mixed FP16/FP32 65 TFLOPS, INT8 130 TOPS, GDDR6 320 GB/s.
  't4': {
    name: 'NVIDIA T4', peak_flops: { fp32: 8.1 * T, fp16: 65 * T, int8: 130 * T },
    bandwidth_bytes_per_s: 320 * G, source: 'NVIDIA T4 Tensor Core GPU datasheet',
  },
  // NVIDIA Ada Lovelace GPU architecture whitepaper, GeForce RTX 4090 column: FP32 82.6 TFLOPS,
  // FP16/BF16 tensor with FP32 accumulate 165.2 TFLOPS, INT8 tensor 660.6 TOPS (dense), GDDR6X 1,008 GB/s.
  'rtx-4090': {
    name: 'NVIDIA GeForce RTX 4090', peak_flops: { fp32: 82.6 * T, fp16: 165.2 * T, bf16: 165.2 * T, int8: 660.6 * T },
    bandwidth_bytes_per_s: 1008 * G, source: 'NVIDIA Ada Lovelace GPU architecture whitepaper (RTX 4090, dense, FP32 accumulate)',
  },
  // AMD Instinct MI300X data sheet: FP32 vector 163.4 TFLOPS, FP16/BF16 1,307.4 TFLOPS,
  // INT8 2,614.9 TOPS (dense), HBM3 5.3 TB/s.
  'mi300x': {
    name: 'AMD Instinct MI300X', peak_flops: { fp32: 163.4 * T, fp16: 1307.4 * T, bf16: 1307.4 * T, int8: 2614.9 * T },
    bandwidth_bytes_per_s: 5.3e12, source: 'AMD Instinct MI300X accelerator data sheet (dense)',
  },
};

/** A built-in profile by name (case-insensitive), or an error listing the names. */
export function getDeviceProfile(name: string): DeviceProfile {
  const p = DEVICE_PROFILES[name.toLowerCase()];
  if (!p) throw new InputError(`unknown device "${name}" (built-in: ${Object.keys(DEVICE_PROFILES).join(', ')}; or a JSON profile file)`);
  return p;
}

/**
 * Validates a profile given as JSON, e.g. one measured on the local adapter by `nnx bench`:
 * `{"name": "local", "peak_flops": {"fp32": 1.2e12}, "bandwidth_bytes_per_s": 2.5e11, "source": "nnx bench"}`.
 */
export function parseDeviceProfile(value: unknown, where = 'device profile'): DeviceProfile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${where} must be a JSON object, got ${JSON.stringify(value)}`);
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!['name', 'peak_flops', 'bandwidth_bytes_per_s', 'source'].includes(key)) {
      throw new InputError(`${where}: unknown key "${key}" (known: name, peak_flops, bandwidth_bytes_per_s, source)`);
    }
  }
  if (typeof v.name !== 'string' || v.name === '') throw new InputError(`${where}: name must be a non-empty string`);
  const bw = v.bandwidth_bytes_per_s;
  if (typeof bw !== 'number' || !Number.isFinite(bw) || bw <= 0) throw new InputError(`${where}: bandwidth_bytes_per_s must be a number > 0, got ${JSON.stringify(bw)}`);
  const pf = v.peak_flops;
  if (typeof pf !== 'object' || pf === null || Array.isArray(pf) || Object.keys(pf).length === 0) {
    throw new InputError(`${where}: peak_flops must be an object such as {"fp32": 1.2e12}, got ${JSON.stringify(pf)}`);
  }
  const peak: Partial<Record<DType, number>> = {};
  for (const [k, f] of Object.entries(pf)) {
    if (!(DTYPES as readonly string[]).includes(k)) throw new InputError(`${where}: peak_flops key "${k}" is not one of ${DTYPES.join(', ')}`);
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) throw new InputError(`${where}: peak_flops.${k} must be a number > 0, got ${JSON.stringify(f)}`);
    peak[k as DType] = f;
  }
  if (v.source !== undefined && typeof v.source !== 'string') throw new InputError(`${where}: source must be a string`);
  return { name: v.name, peak_flops: peak, bandwidth_bytes_per_s: bw, source: (v.source as string | undefined) ?? 'user-supplied' };
}

/** A layer's (or the model's) place on the roofline. */
export interface RooflinePoint {
  /** FLOPs per byte moved. */
  arithmetic_intensity: number | null;
  compute_time_s: number;
  memory_time_s: number;
  /** max(compute, memory). */
  time_s: number;
  bound: 'compute' | 'memory' | 'none';
}

/** Peak FLOP/s of a device for a dtype, or an error when the profile lacks it. */
export function peakFlops(device: DeviceProfile, dtype: DType): number {
  const p = device.peak_flops[dtype];
  if (p === undefined) throw new InputError(`device "${device.name}" has no ${dtype} peak (it has ${Object.keys(device.peak_flops).join(', ')})`);
  return p;
}

/** Places `flops` over `bytes` on the device's roofline. */
export function rooflinePoint(flops: number, bytes: number, device: DeviceProfile, dtype: DType): RooflinePoint {
  const compute = flops / peakFlops(device, dtype);
  const memory = bytes / device.bandwidth_bytes_per_s;
  return {
    arithmetic_intensity: bytes > 0 ? flops / bytes : null,
    compute_time_s: compute,
    memory_time_s: memory,
    time_s: Math.max(compute, memory),
    bound: compute === 0 && memory === 0 ? 'none' : compute >= memory ? 'compute' : 'memory',
  };
}

/**
 * Bytes a layer's forward pass moves at the least: it reads its inputs and weights (parameters
 * and buffers; an Embedding only the rows it gathers) once and writes its output once. Views move nothing; a container moves only
 * what its own merge (a Residual's add) reads and writes.
 */
export function layerBytesAccessed(node: LayerNode, dtype: DType): number {
  if (node.view) return 0;
  if (node.container && node.flops === 0) return 0;
  const b = DTYPE_BYTES[dtype];
  const inputs = node.inputShapes.reduce((s, shape, i) => s + numel(shape) * elementBytes(node.inputKinds[i] === 'int' ? 'int64' : 'float', dtype), 0);
  const output = numel(node.outputShape) * elementBytes(node.outputKind === 'int' ? 'int64' : 'float', dtype);
  return inputs + node.weightsRead * b + output;
}
