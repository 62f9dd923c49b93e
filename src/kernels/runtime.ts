import { acquireGpu, type AdapterReport } from './adapter.ts';
import { BufferLimitError, DeviceLostError, KernelError, WgslCompileError } from './errors.ts';
import { Ledger } from './ledger.ts';
import { Profiler, type KernelCost, type TimingReport } from './profiler.ts';
import { packParams, type ParamsOf, type ParamsSchema } from './uniform.ts';
import { formatShape, numel } from '../analysis/tensor.ts';

/** Element types a GPU tensor can hold. */
export type DType = 'float32' | 'int32';

/** How a kernel binds one storage buffer. */
export type BindingAccess = 'read' | 'read_write';

/**
 * One WGSL entry point. Binding 0 is the `Params` uniform described by `params`; bindings
 * 1..n are storage buffers in the order of `bindings`.
 */
export interface KernelDef<S extends ParamsSchema = ParamsSchema> {
  name: string;
  code: string;
  entryPoint: string;
  params: S;
  bindings: BindingAccess[];
  /** Values of the module's `override` constants for this entry point. */
  constants?: Record<string, number>;
}

/** A tensor living in a GPU storage buffer that the ledger knows. */
export interface GpuTensor {
  buffer: GPUBuffer;
  shape: number[];
  dtype: DType;
  label: string;
}

/** Workgroup counts for `total` invocations of size `workgroupSize`, folding past 65,535 into y. */
export function grid1d(total: number, workgroupSize: number, maxPerDimension = 65535): [number, number, number] {
  const groups = Math.max(1, Math.ceil(total / workgroupSize));
  const x = Math.min(groups, maxPerDimension);
  return [x, Math.ceil(groups / x), 1];
}

/** Finds the line of a WGSL error message offset when the compiler gives no line. */
function lineOfOffset(code: string, offset: number): number {
  return code.slice(0, offset).split('\n').length;
}

/**
 * Owns the GPUDevice. Every buffer goes through the ledger, every dispatch through the
 * profiler, and readback copies many buffers in one encoder through pooled staging buffers.
 */
export class GpuRuntime {
  readonly ledger = new Ledger();
  readonly profiler: Profiler;
  /** The op that owns buffers and dispatches created now (shown in the ledger). */
  owner = 'runtime';
  private lostReason: string | null = null;
  private encoder: GPUCommandEncoder | null = null;
  private afterSubmit: GPUBuffer[] = [];
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private readonly modules = new Map<string, Promise<GPUShaderModule>>();
  private readonly pipelines = new Map<string, Promise<{ pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>>();
  private readonly staging = new Map<number, GPUBuffer[]>();

  private constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterReport,
  ) {
    this.profiler = new Profiler(
      device,
      device.features.has('timestamp-query'),
      (label, size, usage) => this.createBuffer(label, size, usage, 'profiler'),
      (buffer) => this.destroyBuffer(buffer),
    );
    device.lost.then((info) => {
      this.lostReason = `${info.reason}${info.message ? `: ${info.message}` : ''}`;
    });
  }

  /** Acquires an adapter and device (browser or Node) and returns a runtime around it. */
  static async create(): Promise<GpuRuntime> {
    const gpu = await acquireGpu();
    return new GpuRuntime(gpu.device, gpu.report);
  }

  /** The device's limits, for validation messages. */
  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  private checkAlive(): void {
    if (this.lostReason !== null) throw new DeviceLostError(`GPU device lost (${this.lostReason}); create a new runtime`);
  }

  /** Runs `fn` with `owner` recorded on every buffer and dispatch it makes. */
  async withOwner<T>(owner: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.owner;
    this.owner = owner;
    try {
      return await fn();
    } finally {
      this.owner = previous;
    }
  }

  /** Creates a buffer through the ledger after checking the adapter's size limits. */
  createBuffer(label: string, bytes: number, usage: number, owner = this.owner): GPUBuffer {
    this.checkAlive();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    if (size > this.limits.maxBufferSize) {
      throw new BufferLimitError(`buffer "${label}" needs ${size.toLocaleString('en-US')} bytes, above this adapter's maxBufferSize of ${this.limits.maxBufferSize.toLocaleString('en-US')} bytes`);
    }
    if (usage & GPUBufferUsage.STORAGE && size > this.limits.maxStorageBufferBindingSize) {
      throw new BufferLimitError(`buffer "${label}" needs ${size.toLocaleString('en-US')} bytes, above this adapter's maxStorageBufferBindingSize of ${this.limits.maxStorageBufferBindingSize.toLocaleString('en-US')} bytes`);
    }
    const buffer = this.device.createBuffer({ label, size, usage });
    this.ids.set(buffer, this.ledger.create(label, owner, size, usage));
    return buffer;
  }

  /** Destroys a buffer and records it in the ledger. */
  destroyBuffer(buffer: GPUBuffer): void {
    const id = this.ids.get(buffer);
    if (id !== undefined) this.ledger.destroy(id);
    buffer.destroy();
  }

  /** A storage tensor filled with `data`, or zeros when no data is given. */
  tensor(label: string, shape: number[], dtype: DType = 'float32', data?: ArrayLike<number>): GpuTensor {
    const count = numel(shape);
    if (data && data.length !== count) {
      throw new KernelError(`tensor "${label}": ${data.length} values for shape ${formatShape(shape)} (${count} elements)`);
    }
    const buffer = this.createBuffer(label, count * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    if (data && count > 0) {
      const typed = dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
      this.device.queue.writeBuffer(buffer, 0, typed.buffer, typed.byteOffset, typed.byteLength);
    }
    return { buffer, shape: [...shape], dtype, label };
  }

  /** Frees a tensor's buffer. */
  release(...tensors: (GpuTensor | null | undefined)[]): void {
    for (const t of tensors) if (t) this.destroyBuffer(t.buffer);
  }

  /** Frees scratch tensors once the pending work that uses them has been submitted. */
  releaseAfterSubmit(...tensors: GpuTensor[]): void {
    for (const t of tensors) this.afterSubmit.push(t.buffer);
  }

  /**
   * One module per WGSL source, checked once: Chromium never resolves getCompilationInfo() on a
   * module that already made a pipeline, so the check must not be repeated for the next entry
   * point or override value of the same file.
   */
  private shaderModule(kernel: KernelDef): Promise<GPUShaderModule> {
    let module = this.modules.get(kernel.code);
    if (!module) {
      module = this.compileModule(kernel);
      this.modules.set(kernel.code, module);
      module.catch(() => this.modules.delete(kernel.code));
    }
    return module;
  }

  private async compileModule(kernel: KernelDef): Promise<GPUShaderModule> {
    const module = this.device.createShaderModule({ label: kernel.name, code: kernel.code });
    const info = await module.getCompilationInfo();
    const error = info.messages.find((m) => m.type === 'error');
    if (error) {
      const line = error.lineNum > 0 ? error.lineNum : lineOfOffset(kernel.code, error.offset);
      throw new WgslCompileError(kernel.name, line, error.message.split('\n')[0]);
    }
    return module;
  }

  private pipeline(kernel: KernelDef): Promise<{ pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }> {
    const key = `${kernel.name}:${kernel.entryPoint}:${JSON.stringify(kernel.constants ?? {})}`;
    let entry = this.pipelines.get(key);
    if (!entry) {
      entry = this.buildPipeline(kernel);
      this.pipelines.set(key, entry);
      entry.catch(() => this.pipelines.delete(key));
    }
    return entry;
  }

  private async buildPipeline(kernel: KernelDef): Promise<{ pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }> {
    const module = await this.shaderModule(kernel);
    const layout = this.device.createBindGroupLayout({
      label: kernel.name,
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        ...kernel.bindings.map((access, i) => ({
          binding: i + 1,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
        })),
      ],
    });
    try {
      const pipeline = await this.device.createComputePipelineAsync({
        label: kernel.name,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: kernel.entryPoint, constants: kernel.constants },
      });
      return { pipeline, layout };
    } catch (e) {
      throw new KernelError(`pipeline for kernel ${kernel.name} (${kernel.entryPoint}) failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /** Compiles a kernel ahead of its first dispatch (surfacing WGSL errors early). */
  async compile(kernel: KernelDef): Promise<void> {
    await this.pipeline(kernel);
  }

  /**
   * Encodes one dispatch of `kernel` with its params and storage buffers, in its own compute
   * pass so the profiler can time it. Work is submitted by `submit` or `read`.
   */
  async dispatch<S extends ParamsSchema>(
    kernel: KernelDef<S>,
    params: ParamsOf<S>,
    buffers: GPUBuffer[],
    workgroups: [number, number, number],
    cost: KernelCost,
  ): Promise<void> {
    this.checkAlive();
    if (buffers.length !== kernel.bindings.length) {
      throw new KernelError(`kernel ${kernel.name} binds ${kernel.bindings.length} storage buffers, got ${buffers.length}`);
    }
    const { pipeline, layout } = await this.pipeline(kernel);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (workgroups.some((n) => n > max)) {
      throw new KernelError(`kernel ${kernel.name}: dispatch ${workgroups.join('×')} exceeds maxComputeWorkgroupsPerDimension ${max}`);
    }
    const bytes = packParams(kernel.params, params);
    const uniform = this.createBuffer(`${kernel.name} params`, bytes.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.device.queue.writeBuffer(uniform, 0, bytes);
    this.afterSubmit.push(uniform);
    const bindGroup = this.device.createBindGroup({
      label: kernel.name,
      layout,
      entries: [uniform, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder({ label: this.owner });
    }
    if (workgroups.some((n) => n === 0)) return;
    const pass = this.encoder.beginComputePass(this.profiler.passFor(kernel.name, this.owner, cost));
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...workgroups);
    pass.end();
  }

  /** Encodes a buffer-to-buffer copy into the pending work. */
  copy(source: GPUBuffer, target: GPUBuffer, bytes: number, sourceOffset = 0, targetOffset = 0): void {
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder({ label: this.owner });
    }
    this.encoder.copyBufferToBuffer(source, sourceOffset, target, targetOffset, bytes);
  }

  /** Submits the pending dispatches and reports validation or out-of-memory errors they raised. */
  async submit(): Promise<void> {
    this.checkAlive();
    if (!this.encoder) return;
    const encoder = this.encoder;
    this.encoder = null;
    this.device.queue.submit([encoder.finish()]);
    const validation = await this.device.popErrorScope();
    const memory = await this.device.popErrorScope();
    for (const b of this.afterSubmit) this.destroyBuffer(b);
    this.afterSubmit = [];
    const error = validation ?? memory;
    if (error) throw new KernelError(`GPU rejected the work of ${encoder.label || 'an op'}: ${error.message.split('\n')[0]}`);
  }

  private takeStaging(bytes: number): GPUBuffer {
    let size = 256;
    while (size < bytes) size *= 2;
    const pool = this.staging.get(size);
    const buffer = pool?.pop();
    return buffer ?? this.createBuffer('readback staging', size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback');
  }

  /**
   * Reads many tensors back in one encoder. Staging buffers return to a pool keyed by
   * power-of-two size, so repeated reads allocate nothing new.
   */
  async read(tensors: GpuTensor[]): Promise<(Float32Array | Int32Array)[]> {
    await this.submit();
    const encoder = this.device.createCommandEncoder({ label: 'readback' });
    const staged = tensors.map((t) => {
      const bytes = numel(t.shape) * 4;
      const staging = bytes > 0 ? this.takeStaging(bytes) : null;
      if (staging) encoder.copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
      return { t, bytes, staging };
    });
    this.device.queue.submit([encoder.finish()]);
    try {
      await Promise.all(staged.map((s) => s.staging?.mapAsync(GPUMapMode.READ, 0, s.bytes)));
    } catch (e) {
      this.checkAlive();
      throw new KernelError(`readback failed: ${(e as Error).message.split('\n')[0]}`);
    }
    return staged.map(({ t, bytes, staging }) => {
      if (!staging) return t.dtype === 'int32' ? new Int32Array(0) : new Float32Array(0);
      const copy = staging.getMappedRange(0, bytes).slice(0);
      staging.unmap();
      const pool = this.staging.get(staging.size) ?? [];
      pool.push(staging);
      this.staging.set(staging.size, pool);
      return t.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    });
  }

  /** Reads one float tensor back. */
  async readFloat(t: GpuTensor): Promise<Float32Array> {
    const [data] = await this.read([t]);
    return data as Float32Array;
  }

  /** Waits for all submitted work and returns the GPU timings recorded since the last call. */
  async timings(): Promise<TimingReport> {
    await this.submit();
    return this.profiler.collect();
  }

  /** Frees the staging pool (its buffers count as live bytes in the ledger). */
  trimStaging(): void {
    for (const pool of this.staging.values()) for (const b of pool) this.destroyBuffer(b);
    this.staging.clear();
  }

  /** Destroys the device; in Node this lets the process exit. */
  destroy(): void {
    this.trimStaging();
    this.device.destroy();
  }
}
