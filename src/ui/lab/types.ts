/**
 * What the Layer Lab needs to know about an op: its form, how to validate a configuration
 * (with the output-size formula), how to build the `nnx run` spec, which tensors to show,
 * and how an output neuron maps back onto its inputs. Adding an op to the lab means writing
 * one of these (see conv2d.ts) and listing it in registry.ts.
 */
import type { TemplateResult } from 'lit';
import type { Tensor } from '../../analysis/tensor.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import type { NeuronExplanation } from '../../ops/explain_types.ts';
import type { RunReadback, RunResult } from '../../ops/run.ts';
import type { RunSpec } from '../../ops/spec.ts';

export type FieldValue = number | boolean | string;
/** A configuration: one value per field key (keys double as URL parameters). */
export type LabConfig = Record<string, FieldValue>;

export interface FieldDef {
  key: string;
  /** `text`: free text (typed numbers, an edge list); `image`: a file picker for an uploaded image. */
  kind: 'int' | 'bool' | 'choice' | 'text' | 'image';
  default: FieldValue;
  /** Short label inside a row with several fields ("H", "W"). */
  label?: string;
  min?: number;
  max?: number;
  options?: { value: string; label: string }[];
}

/** One line of the form: a label and one or more fields side by side. */
export interface FieldRow {
  label: string;
  section: string;
  hint?: string;
  fields: FieldDef[];
  /** Shown only while another field has this value (e.g. the typed numbers when input = typed). */
  when?: { key: string; value: FieldValue };
}

/** One output-size formula line with the numbers substituted. */
export interface Derivation {
  text: string;
  ok: boolean;
}

export interface Validation {
  ok: boolean;
  /** One line naming the problem and the numbers. */
  error: string | null;
  /** Field keys the error is about (marked in the form). */
  fields: string[];
  derivations: Derivation[];
  /** Shapes of every tensor shown, by slot name (empty when invalid). */
  shapes: Record<string, number[]>;
  /** Labelled figures (params, MACs, FLOPs), already formatted. */
  stats: { label: string; value: string; title?: string }[];
  /** The PyTorch line for this configuration, e.g. `nn.Conv2d(3, 4, kernel_size=3)`. */
  pytorch: string;
}

/** A tensor the lab shows, and where the run result keeps it. */
export interface TensorSlot {
  name: string;
  title: string;
  /** "inputs.x", "outputs.output", "grads.weight", "grad_output.output". */
  source: string;
  help: string;
  /** Names of the row and column axes of a 4-D tensor, e.g. ['n', 'c']. */
  axes?: [string, string];
}

/** Cells to light up when an output neuron is selected: full indices per slot name. */
export interface NeuronFocus {
  highlights: Record<string, number[][]>;
  /** Margin (top, left, bottom, right) to draw around a slot's planes, e.g. zero padding. */
  padding?: Record<string, [number, number, number, number]>;
}

export interface LabOp {
  name: string;
  title: string;
  summary: string;
  rows: FieldRow[];
  validate(config: LabConfig): Validation;
  /** The `nnx run` spec for a valid configuration, data included (deterministic per seed). */
  buildSpec(config: LabConfig): RunSpec;
  forwardSlots: TensorSlot[];
  /** Symbols drawn before forward slots, e.g. { weight: '⊛', bias: '+', output: '=' }. */
  operators: Record<string, string>;
  backwardSlots: TensorSlot[];
  /** The slot whose cells can be clicked to explain a neuron. */
  explainSlot: string;
  /** Margins always drawn around a slot (zero padding of the input). */
  padding(config: LabConfig): Record<string, [number, number, number, number]>;
  /** Cells to light up for a selected output index; `run` is the finished run (argmax, graph edges). */
  focus(config: LabConfig, index: number[], run?: LabRunData): NeuronFocus;
  /** The dot-product explanation of one output neuron (conv2d, linear); other ops use `detail`. */
  explain?(spec: RunSpec, readback: RunReadback, index: number[]): NeuronExplanation;
  /** Run with `trace: true`, so the named intermediates come back (`trace.*` sources). */
  trace?: boolean;
  /** Named intermediates shown as heatmaps in their own section. */
  traceSlots?: TensorSlot[];
  /**
   * An op-specific panel for the selected output index (or null when none is selected):
   * a pooling window, a normalization's statistics, the gates over time, a node's messages.
   */
  detail?(run: LabRunData, index: number[] | null, select: (index: number[]) => void): TemplateResult;
  /**
   * More GPU work after the run of `spec`, for what one `nnx run` does not compute (the naive
   * softmax beside the stable one); the returned tensors join the run's tensors under their keys.
   */
  extraRun?(rt: GpuRuntime, spec: RunSpec, tensors: RunTensors, config: LabConfig): Promise<RunTensors>;
  /** A section of its own after the trace, from the finished run (the graph pages' spectrum). */
  section?(run: LabRunData): TemplateResult;
  /** Trainable inputs and their gradients, for the parameter update preview W − lr·dW. */
  params?: { name: string; value: string; grad: string }[];
}

/** A finished run as the lab hands it to an op's detail panel. */
export interface LabRunData {
  spec: RunSpec;
  result: RunResult;
  readback: RunReadback;
  /** Every tensor by source key: inputs.*, outputs.*, grads.*, grad_output.*, trace.*. */
  tensors: Record<string, Tensor>;
  config: LabConfig;
}

/** Tensors of one finished run, by `source` key. */
export type RunTensors = Record<string, Tensor>;

/** Reads a config value as a number (the form guarantees the kind). */
export function num(config: LabConfig, key: string): number {
  return Number(config[key]);
}
