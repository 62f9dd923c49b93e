/** One multiply of a neuron's dot product. `input_index` is null for a padded position. */
export interface NeuronTerm {
  input_index: number[] | null;
  padded: boolean;
  weight_index: number[];
  x: number;
  w: number;
  product: number;
}

/** Everything that made one output element, from read-back GPU buffers. */
export interface NeuronExplanation {
  op: string;
  output_index: number[];
  terms: NeuronTerm[];
  /** Σ x·w in float64 over the terms. */
  sum: number;
  bias: number | null;
  /** sum + bias in float64. */
  recomputed: number;
  /** The value the GPU wrote. */
  output: number;
  abs_difference: number;
}

/** Checks an output index against a shape and returns its flat offset. */
export function flatIndex(op: string, index: number[], shape: number[]): number {
  if (index.length !== shape.length || index.some((v, i) => v < 0 || v >= shape[i])) {
    throw new RangeError(`${op}: output index [${index.join(', ')}] is outside the output shape [${shape.join(', ')}]`);
  }
  return index.reduce((flat, v, i) => flat * shape[i] + v, 0);
}

/** Finishes an explanation from its terms. */
export function explanation(op: string, index: number[], terms: NeuronTerm[], bias: number | null, output: number): NeuronExplanation {
  const sum = terms.reduce((s, t) => s + t.product, 0);
  const recomputed = sum + (bias ?? 0);
  return { op, output_index: index, terms, sum, bias, recomputed, output, abs_difference: Math.abs(recomputed - output) };
}
