import { NnxError } from '../analysis/errors.ts';

/** No WebGPU adapter could be found; the message says how to get one. */
export class NoAdapterError extends NnxError {}

/** A WGSL module failed to compile; names the kernel and the first error's line. */
export class WgslCompileError extends NnxError {
  constructor(
    readonly kernel: string,
    readonly line: number,
    detail: string,
  ) {
    super(`WGSL compile error in kernel ${kernel} at line ${line}: ${detail}`);
  }
}

/** The GPU device was lost (driver reset, destroy, out of memory). */
export class DeviceLostError extends NnxError {}

/** A buffer would exceed one of the adapter's limits; raised before allocation. */
export class BufferLimitError extends NnxError {}

/** A dispatch or a pipeline failed WebGPU validation. */
export class KernelError extends NnxError {}
