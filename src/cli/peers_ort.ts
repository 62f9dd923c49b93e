import { readFileSync } from 'node:fs';
import type * as Ort from 'onnxruntime-web';
import { currentNodeGpu } from '../kernels/adapter_node.ts';

type OrtModule = typeof Ort;

/** The ONNX fixtures PyTorch exported (test/fixtures/generate_onnx.py). */
export const ONNX_DIR = new URL('../../test/fixtures/onnx/', import.meta.url);

/** A model of the manifest: its ONNX file, its state_dict (float32 .bin) and a check batch. */
export interface OnnxModelFixture {
  file: string;
  weights_file: string;
  weights: { name: string; shape: number[]; offset: number }[];
  input: number[];
  x: number[];
  torch_output: number[];
  spec?: unknown;
}

/** A single ONNX op and the `nnx bench` case that computes the same thing with our op. */
export interface OnnxOpFixture {
  file: string;
  op: string;
  attrs: Record<string, unknown>;
  shapes: Record<string, number[]>;
}

export interface OnnxManifest {
  models: Record<string, OnnxModelFixture>;
  ops: Record<string, OnnxOpFixture>;
}

export function readOnnxManifest(): OnnxManifest {
  return JSON.parse(readFileSync(new URL('manifest.json', ONNX_DIR), 'utf8')) as OnnxManifest;
}

/** torchvision's VisionTransformer keeps the patch stem's tensors elsewhere than our PatchEmbedding. */
const TORCH_TO_OURS: Record<string, string> = {
  'conv_proj.weight': 'patch_embed.conv_proj.weight',
  'conv_proj.bias': 'patch_embed.conv_proj.bias',
  class_token: 'patch_embed.tokens.class_token',
  'encoder.pos_embedding': 'patch_embed.tokens.pos_embedding',
};

/** The fixture's state_dict, keyed by our executor's parameter names, for Executor.loadWeights. */
export function onnxFixtureWeights(m: OnnxModelFixture): Record<string, { shape: number[]; data: Float32Array }> {
  const bytes = readFileSync(new URL(m.weights_file, ONNX_DIR));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const w of m.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    out[TORCH_TO_OURS[w.name] ?? w.name] = { shape: w.shape, data: all.subarray(w.offset, w.offset + size) };
  }
  return out;
}

/**
 * onnxruntime-web with its WebGPU execution provider on `device` (ours: same adapter, same
 * device). ORT's wasm side hands queue.writeBuffer views of its shared wasm memory, which
 * dawn.node rejects ("Invalid argument"); such views are copied to plain memory first.
 */
export async function loadOrtWebGpu(device: GPUDevice): Promise<OrtModule> {
  const queueProto = Object.getPrototypeOf(device.queue) as GPUQueue;
  const write = queueProto.writeBuffer;
  if (!(write as { sharedCopy?: boolean }).sharedCopy) {
    const patched = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: BufferSource, dataOffset?: number, size?: number) {
      if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
        const view = data as Uint8Array;
        const start = dataOffset ?? 0;
        return write.call(this, buffer, offset, view.slice(start, size === undefined ? undefined : start + size));
      }
      return write.call(this, buffer, offset, data, dataOffset, size);
    };
    Object.assign(patched, { sharedCopy: true });
    queueProto.writeBuffer = patched as GPUQueue['writeBuffer'];
  }
  // ORT checks navigator.gpu before it takes the device it is given.
  const gpu = currentNodeGpu();
  if (gpu && !(globalThis.navigator as { gpu?: GPU } | undefined)?.gpu) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
  }
  const ort = (await import('onnxruntime-web/webgpu')) as unknown as OrtModule;
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  return ort;
}

/** A WebGPU-EP session on a fixture file. */
export async function ortSession(ort: OrtModule, device: GPUDevice, file: string): Promise<Ort.InferenceSession> {
  const bytes = new Uint8Array(readFileSync(new URL(file, ONNX_DIR)));
  return ort.InferenceSession.create(bytes, { executionProviders: [{ name: 'webgpu', device } as unknown as string], logSeverityLevel: 3 });
}

/**
 * One inference of `session` on x (input "x", output "y"), output read back to the CPU.
 * dawn.node only polls while something keeps Node's event loop alive, hence the interval.
 */
export async function ortRun(ort: OrtModule, session: Ort.InferenceSession, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const alive = setInterval(() => undefined, 5);
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, shape) });
    const y = out.y;
    return (await y.getData()) as Float32Array;
  } finally {
    clearInterval(alive);
  }
}
