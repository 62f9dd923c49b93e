import type { Tensor } from '../analysis/tensor.ts';
import { explanation, flatIndex, type NeuronExplanation, type NeuronTerm } from './explain_types.ts';

/** The dot product behind linear output [..., o]: x[..., k]·W[o, k] for every k. */
export function explainLinear(x: Tensor, weight: Tensor, bias: Tensor | null, output: Tensor, index: number[]): NeuronExplanation {
  const out = flatIndex('linear', index, output.shape);
  const [outFeatures, inFeatures] = weight.shape;
  const row = Math.floor(out / outFeatures);
  const o = index[index.length - 1];
  const terms: NeuronTerm[] = [];
  for (let k = 0; k < inFeatures; k++) {
    const xv = x.data[row * inFeatures + k];
    const w = weight.data[o * inFeatures + k];
    terms.push({ input_index: [...index.slice(0, -1), k], padded: false, weight_index: [o, k], x: xv, w, product: xv * w });
  }
  return explanation('linear', index, terms, bias ? bias.data[o] : null, output.data[out]);
}
