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

/**
 * The pool's size class of a buffer: at least 256 bytes, then four classes per power of two
 * (256, 320, 384, 448, 512, 640, ...), so a pooled buffer wastes at most a quarter of itself.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const step = 2 ** Math.floor(Math.log2(bytes)) / 4;
  return Math.ceil(bytes / step) * step;
}

/** What the runtime knows of one real GPU buffer: its pool key, and the logical buffer in it now. */
interface PhysicalBuffer {
  id: number;
  key: string;
  size: number;
  /** Ledger id of the logical buffer using it, or null while idle in the pool (or a uniform). */
  ledgerId: number | null;
  /** Bytes the logical buffer uses (what bind groups bind). */
  bytes: number;
  idle: boolean;
}

/** Idle pooled bytes above which a released buffer is destroyed instead of kept. */
const POOL_IDLE_LIMIT = 512 * 1024 * 1024;
/** Uniform contents kept in their own buffers (seen twice); beyond, uniforms come from the pool. */
const UNIFORM_CACHE_LIMIT = 8192;
const BIND_GROUP_CACHE_LIMIT = 8192;

/**
 * Why the last device this process lost went away ("destroyed", "unknown: …"), or null: set when
 * a runtime's device is lost by anything but that runtime's own `destroy()`. The CLI reads it to
 * report a lost device in one line whatever error the lost work raised.
 */
let processDeviceLoss: string | null = null;

/** Why a device of this process was lost while in use, or null (see `processDeviceLoss`). */
export function deviceLossReason(): string | null {
  return processDeviceLoss;
}

/**
 * Test hook, Node only: with NNX_TEST_DESTROY_DEVICE_AFTER=N in the environment, every runtime
 * destroys its own device after its N-th dispatch, as a driver reset would mid-run.
 */
function destroyDeviceAfter(): number | null {
  const value = typeof process === 'undefined' ? undefined : process.env?.NNX_TEST_DESTROY_DEVICE_AFTER;
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** Finds the line of a WGSL error message offset when the compiler gives no line. */
function lineOfOffset(code: string, offset: number): number {
  return code.slice(0, offset).split('\n').length;
}

/**
 * Owns the GPUDevice. Every buffer goes through the ledger, every dispatch through the
 * profiler, and readback copies many buffers in one encoder. Released buffers go back to a
 * pool keyed by (size class, usage) and are reused, uniform buffers are kept per content and
 * bind groups per set of buffers, so a repeated workload (a training step) creates no GPU buffer.
 */
export class GpuRuntime {
  readonly ledger = new Ledger();
  readonly profiler: Profiler;
  /** The op that owns buffers and dispatches created now (shown in the ledger). */
  owner = 'runtime';
  private lostReason: string | null = null;
  private disposed = false;
  private destroyedByTestHook = false;
  private dispatches = 0;
  private readonly destroyAfter = destroyDeviceAfter();
  /** Buffers created inside each open `releasingOnError` scope, innermost last. */
  private readonly scopes: Set<GPUBuffer>[] = [];
  private encoder: GPUCommandEncoder | null = null;
  private afterSubmit: GPUBuffer[] = [];
  private readonly physical = new WeakMap<GPUBuffer, PhysicalBuffer>();
  private readonly idle = new Map<string, GPUBuffer[]>();
  private idleBytes = 0;
  private nextBufferId = 0;
  /**
   * Uniform buffers by content, and when each other content was first seen (the submit count):
   * seen again after a later submit, a content gets its own buffer (a training step repeats its
   * params; an optimizer's per-step params never come back).
   */
  private readonly uniforms = new Map<string, GPUBuffer>();
  private uniformsSeen = new Map<string, number>();
  private submits = 0;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly modules = new Map<string, Promise<GPUShaderModule>>();
  private readonly pipelines = new Map<string, Promise<{ pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>>();

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
      if (!this.disposed || this.destroyedByTestHook) processDeviceLoss = this.lostReason;
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

  /** Whether the device was lost (destroyed included); such a runtime only throws DeviceLostError. */
  get lost(): boolean {
    return this.lostReason !== null;
  }

  private checkAlive(): void {
    if (this.lostReason !== null) throw new DeviceLostError(`GPU device lost (${this.lostReason})`);
  }

  /**
   * Throws DeviceLostError when the device turns out lost: work failing on a destroyed device
   * can reject before `device.lost` resolves, so this waits a moment for it.
   */
  private async checkAliveAfterFailure(): Promise<void> {
    await Promise.race([this.device.lost, new Promise((resolve) => setTimeout(resolve, 50))]);
    this.checkAlive();
  }

  /**
   * Refuses tensors that would not fit this adapter's buffer limits, before anything is
   * allocated: the error names the tensor, its bytes and the limit (as `createBuffer` would).
   */
  checkFits(tensors: { label: string; elements: number }[]): void {
    for (const t of tensors) this.checkBufferSize(t.label, Math.max(4, t.elements * 4), GPUBufferUsage.STORAGE);
  }

  private checkBufferSize(label: string, size: number, usage: number): void {
    if (size > this.limits.maxBufferSize) {
      throw new BufferLimitError(`buffer "${label}" needs ${size.toLocaleString('en-US')} bytes, above this adapter's maxBufferSize of ${this.limits.maxBufferSize.toLocaleString('en-US')} bytes`);
    }
    if (usage & GPUBufferUsage.STORAGE && size > this.limits.maxStorageBufferBindingSize) {
      throw new BufferLimitError(`buffer "${label}" needs ${size.toLocaleString('en-US')} bytes, above this adapter's maxStorageBufferBindingSize of ${this.limits.maxStorageBufferBindingSize.toLocaleString('en-US')} bytes`);
    }
  }

  /**
   * Runs `fn`; when it throws, every buffer it created and did not release is released, so a
   * failed op (bad input found mid-run, a lost device) leaves the ledger as it found it.
   */
  async releasingOnError<T>(fn: () => Promise<T>): Promise<T> {
    // Work encoded before the scope is submitted now, so a failure discards only the scope's own.
    await this.submit();
    const created = new Set<GPUBuffer>();
    this.scopes.push(created);
    try {
      return await fn();
    } catch (e) {
      await this.discardPending();
      for (const b of created) this.destroyBuffer(b);
      throw e;
    } finally {
      this.scopes.splice(this.scopes.lastIndexOf(created), 1);
    }
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

  /**
   * A buffer for a logical use, recorded in the ledger, after checking the adapter's size
   * limits: an idle pooled buffer of the same size class and usage when there is one (its old
   * contents stay: `tensor` clears it when zeros are needed), else a new GPU buffer.
   */
  createBuffer(label: string, bytes: number, usage: number, owner = this.owner): GPUBuffer {
    this.checkAlive();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    this.checkBufferSize(label, size, usage);
    const { buffer, hit } = this.acquire(label, size, usage);
    const record = this.physical.get(buffer)!;
    record.ledgerId = this.ledger.create(label, owner, size, usage, hit);
    for (const scope of this.scopes) scope.add(buffer);
    return buffer;
  }

  /** Whether the last `createBuffer` of this buffer reused a pooled one (its contents are stale). */
  private reused(buffer: GPUBuffer): boolean {
    const id = this.physical.get(buffer)?.ledgerId;
    return id !== null && id !== undefined && this.ledger.entries[id].pool_hit;
  }

  /** An idle pooled buffer of the size class and usage, or a new one; `size` is the bytes used. */
  private acquire(label: string, size: number, usage: number): { buffer: GPUBuffer; hit: boolean } {
    const limit = usage & GPUBufferUsage.STORAGE ? Math.min(this.limits.maxBufferSize, this.limits.maxStorageBufferBindingSize) : this.limits.maxBufferSize;
    const physicalSize = Math.min(sizeClass(size), Math.max(size, limit));
    const key = `${usage}:${physicalSize}`;
    const pooled = this.idle.get(key)?.pop();
    if (pooled) {
      const record = this.physical.get(pooled)!;
      record.idle = false;
      record.bytes = size;
      this.idleBytes -= physicalSize;
      pooled.label = label;
      return { buffer: pooled, hit: true };
    }
    const buffer = this.device.createBuffer({ label, size: physicalSize, usage });
    this.physical.set(buffer, { id: this.nextBufferId++, key, size: physicalSize, ledgerId: null, bytes: size, idle: false });
    this.ledger.allocated(physicalSize);
    return { buffer, hit: false };
  }

  /**
   * Ends a buffer's logical use (recorded in the ledger) and returns it to the pool, or destroys
   * it when the pool already keeps enough idle bytes. A second release is ignored.
   */
  destroyBuffer(buffer: GPUBuffer): void {
    const record = this.physical.get(buffer);
    if (!record) {
      buffer.destroy();
      return;
    }
    if (record.idle) return;
    for (const scope of this.scopes) scope.delete(buffer);
    if (record.ledgerId !== null) this.ledger.destroy(record.ledgerId);
    record.ledgerId = null;
    record.idle = true;
    if (this.idleBytes + record.size > POOL_IDLE_LIMIT) {
      this.ledger.freed(record.size);
      this.physical.delete(buffer);
      buffer.destroy();
      return;
    }
    this.idleBytes += record.size;
    const list = this.idle.get(record.key) ?? [];
    list.push(buffer);
    this.idle.set(record.key, list);
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
    } else if (this.reused(buffer)) {
      // Ordered after the pending work that used the buffer before, and before what comes next.
      this.pendingEncoder().clearBuffer(buffer, 0, this.physical.get(buffer)!.bytes);
    }
    return { buffer, shape: [...shape], dtype, label };
  }

  /** Frees tensors: their buffers return to the pool. */
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
    const uniform = this.uniformFor(packParams(kernel.params, params));
    const bindGroup = this.bindGroupFor(kernel, layout, [uniform, ...buffers]);
    const encoder = this.pendingEncoder();
    if (workgroups.some((n) => n === 0)) return;
    const pass = encoder.beginComputePass(this.profiler.passFor(kernel.name, this.owner, cost));
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...workgroups);
    pass.end();
    if (++this.dispatches === this.destroyAfter) {
      this.destroyedByTestHook = true;
      this.device.destroy();
    }
  }

  /**
   * A uniform buffer holding `bytes`: contents seen in an earlier submit keep their own buffer,
   * others take a pooled buffer that returns to the pool after the next submit.
   */
  private uniformFor(bytes: ArrayBuffer): GPUBuffer {
    const key = Array.from(new Uint32Array(bytes)).join(',');
    const cached = this.uniforms.get(key);
    if (cached) return cached;
    const usage = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
    const { buffer } = this.acquire('params', bytes.byteLength, usage);
    this.device.queue.writeBuffer(buffer, 0, bytes);
    const seen = this.uniformsSeen.get(key);
    if (seen !== undefined && seen < this.submits && this.uniforms.size < UNIFORM_CACHE_LIMIT) {
      this.uniforms.set(key, buffer);
      this.uniformsSeen.delete(key);
    } else {
      if (this.uniformsSeen.size >= UNIFORM_CACHE_LIMIT) this.uniformsSeen = new Map();
      if (seen === undefined) this.uniformsSeen.set(key, this.submits);
      this.afterSubmit.push(buffer);
    }
    return buffer;
  }

  /** The bind group of these buffers (each bound at its logical size), made once per set. */
  private bindGroupFor(kernel: KernelDef, layout: GPUBindGroupLayout, buffers: GPUBuffer[]): GPUBindGroup {
    const records = buffers.map((b) => this.physical.get(b));
    const entries = buffers.map((buffer, binding) => ({ binding, resource: { buffer, size: records[binding]?.bytes } }));
    if (records.some((r) => !r)) return this.device.createBindGroup({ label: kernel.name, layout, entries });
    const key = `${kernel.name}:${kernel.entryPoint}:${JSON.stringify(kernel.constants ?? {})}|${records.map((r) => `${r!.id}:${r!.bytes}`).join(',')}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size >= BIND_GROUP_CACHE_LIMIT) this.bindGroups.clear();
      group = this.device.createBindGroup({ label: kernel.name, layout, entries });
      this.bindGroups.set(key, group);
    }
    return group;
  }

  /** The encoder collecting pending work, opened (with its error scopes) when there is none. */
  private pendingEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder({ label: this.owner });
    }
    return this.encoder;
  }

  /**
   * Drops the work encoded and not submitted (a failed op's), with its error scopes, and
   * returns the buffers waiting on that submit to the pool: that work must not run later and
   * write into buffers handed to the next op.
   */
  private async discardPending(): Promise<void> {
    if (this.encoder) {
      this.encoder = null;
      this.profiler.discard();
      await this.device.popErrorScope().catch(() => null);
      await this.device.popErrorScope().catch(() => null);
    }
    for (const b of this.afterSubmit) this.destroyBuffer(b);
    this.afterSubmit = [];
  }

  /** Encodes setting a tensor to zeros into the pending work. */
  clear(tensor: GpuTensor): void {
    this.pendingEncoder().clearBuffer(tensor.buffer, 0, 4 * numel(tensor.shape));
  }

  /** Encodes a buffer-to-buffer copy into the pending work. */
  copy(source: GPUBuffer, target: GPUBuffer, bytes: number, sourceOffset = 0, targetOffset = 0): void {
    this.pendingEncoder().copyBufferToBuffer(source, sourceOffset, target, targetOffset, bytes);
  }

  /** Submits the pending dispatches and reports validation or out-of-memory errors they raised. */
  async submit(): Promise<void> {
    this.checkAlive();
    if (!this.encoder) return;
    const encoder = this.encoder;
    this.encoder = null;
    this.submits += 1;
    this.device.queue.submit([encoder.finish()]);
    let validation: GPUError | null = null;
    let memory: GPUError | null = null;
    try {
      validation = await this.device.popErrorScope();
      memory = await this.device.popErrorScope();
    } finally {
      for (const b of this.afterSubmit) this.destroyBuffer(b);
      this.afterSubmit = [];
    }
    const error = validation ?? memory;
    if (error) {
      await this.checkAliveAfterFailure();
      throw new KernelError(`GPU rejected the work of ${encoder.label || 'an op'}: ${error.message.split('\n')[0]}`);
    }
  }

  /** Reads many tensors back in one encoder, through pooled staging buffers. */
  async read(tensors: GpuTensor[]): Promise<(Float32Array | Int32Array)[]> {
    await this.submit();
    const encoder = this.device.createCommandEncoder({ label: 'readback' });
    const staged = tensors.map((t) => {
      const bytes = numel(t.shape) * 4;
      const staging = bytes > 0 ? this.createBuffer('readback staging', bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback') : null;
      if (staging) encoder.copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
      return { t, bytes, staging };
    });
    this.device.queue.submit([encoder.finish()]);
    try {
      await Promise.all(staged.map((s) => s.staging?.mapAsync(GPUMapMode.READ, 0, s.bytes)));
    } catch (e) {
      for (const s of staged) if (s.staging) this.destroyBuffer(s.staging);
      await this.checkAliveAfterFailure();
      throw new KernelError(`readback failed: ${(e as Error).message.split('\n')[0]}`);
    }
    return staged.map(({ t, bytes, staging }) => {
      if (!staging) return t.dtype === 'int32' ? new Int32Array(0) : new Float32Array(0);
      const copy = staging.getMappedRange(0, bytes).slice(0);
      staging.unmap();
      this.destroyBuffer(staging);
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

  /** Destroys the pool's idle buffers and the cached uniforms (after the pending work is submitted). */
  async trimPool(): Promise<void> {
    await this.submit();
    for (const list of this.idle.values()) {
      for (const b of list) {
        this.ledger.freed(this.physical.get(b)!.size);
        this.physical.delete(b);
        b.destroy();
      }
    }
    this.idle.clear();
    this.idleBytes = 0;
    for (const b of this.uniforms.values()) {
      this.ledger.freed(this.physical.get(b)!.size);
      b.destroy();
    }
    this.uniforms.clear();
    this.bindGroups.clear();
  }

  /** Destroys the device; in Node this lets the process exit. */
  destroy(): void {
    this.disposed = true;
    this.device.destroy();
  }
}
