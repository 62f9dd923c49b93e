import type { DType, GpuRuntime, GpuTensor } from '../kernels/runtime.ts';

/** A tensor as the host knows it before upload: its shape and, when given, its values. */
export interface HostTensor {
  shape: number[];
  dtype: DType;
  data?: ArrayLike<number>;
  /** Given as `"dtype": "bool"` (uploaded as float32 0/1): a mask whose op reads it as bool. */
  bool?: boolean;
}

/** One named input of an op. */
export interface InputSpec {
  name: string;
  dtype: DType;
  optional?: boolean;
  /** Whether `"dtype": "bool"` is accepted (masks); such a tensor arrives as float32 0/1 with `bool` set. */
  acceptsBool?: boolean;
  /** Whether backward returns a gradient for it. */
  differentiable: boolean;
  /** Valid random values when they are constrained (see input_samplers.ts); default: uniform in [-1, 1). */
  sample?: InputSampler;
}

/** Draws `count` valid values for an input of `shape`, given every input's shape and the attributes. */
export type InputSampler = (context: {
  count: number;
  shape: number[];
  shapes: Record<string, number[]>;
  attrs: Record<string, unknown>;
  random: () => number;
}) => ArrayLike<number>;

/** Result of a forward pass: named outputs, named intermediates, and the backward closure. */
export interface OpRun {
  outputs: Record<string, GpuTensor>;
  /**
   * Intermediates worth showing (filled only when tracing, unless the op needs them anyway).
   * backward may add entries (gradients seen along the way); the runner reads and frees them too.
   */
  trace: Record<string, GpuTensor>;
  /**
   * Gradients of the differentiable inputs, given a gradient for every output. Inputs named in
   * `skip` need none (the model's data input): an op may leave them out and save the work.
   */
  backward(gradOutputs: Record<string, GpuTensor>, options?: { skip?: string[] }): Promise<Record<string, GpuTensor>>;
}

/** An op after its attributes and input shapes were checked. */
export interface PreparedOp {
  outputShapes: Record<string, number[]>;
  /**
   * `epilogue: 'relu'` asks for ReLU(output) in place of the output, as one pass where the
   * kernels allow it (the executor's conv → ReLU fusion); only conv2d accepts it.
   */
  forward(rt: GpuRuntime, inputs: Record<string, GpuTensor>, options: { trace: boolean; epilogue?: 'relu' }): Promise<OpRun>;
}

/** A differentiable op with PyTorch's functional semantics and names. */
export interface OpDefinition {
  name: string;
  inputs: InputSpec[];
  outputs: string[];
  /** Validates attributes and inputs; throws InputError with the numbers when impossible. */
  prepare(attrs: Record<string, unknown>, inputs: Record<string, HostTensor>): PreparedOp;
}
