/**
 * Seeded parameter initialization on the CPU, as ModelSpec names the schemes, with PyTorch's
 * formulas (torch.nn.init and each module's reset_parameters):
 *
 * - `pytorch` (default): Linear/Conv weight kaiming_uniform(a = √5), i.e. U(±1/√fan_in), and
 *   bias U(±1/√fan_in); RNN/LSTM/GRU every parameter U(±1/√hidden_size); norms weight 1, bias 0;
 *   Embedding N(0, 1); MultiheadAttention in_proj_weight xavier_uniform, out_proj.weight U(±1/√E),
 *   biases 0; ViT tokens class_token 0, pos_embedding N(0, 0.02²); PyG's GCNConv/GATConv weights
 *   and attention vectors glorot U(±√(6/(size(-2)+size(-1)))), biases 0 (SAGEConv's are torch's).
 * - `xavier_uniform` U(±gain·√(6/(fan_in+fan_out))), `xavier_normal` N(0, gain·√(2/(fan_in+fan_out))),
 *   `kaiming_uniform` U(±√(2/(1+a²))·√(3/fan)), `kaiming_normal` N(0, √(2/(1+a²))/√fan):
 *   weights (rank >= 2); biases are zeroed.
 * - `normal` N(mean, std), `uniform` U(a, b), `zeros`, `ones`: every parameter of the layer.
 *
 * Norm layers keep weight 1 / bias 0 unless an `init` is given on the norm layer itself.
 * Each parameter draws from its own stream seeded by (seed, parameter name), so adding a layer
 * does not change the others' values.
 */
import type { InitObject } from '../../analysis/model_spec.ts';
import { mulberry32 } from '../../analysis/random.ts';
import { numel } from '../../analysis/tensor.ts';

/** FNV-1a of a string mixed with a seed: one stream per (seed, name). */
export function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A seeded standard-normal generator (Box–Muller). */
export function normalStream(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const u1 = Math.max(uniform(), 1e-300);
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
}

/** fan_in and fan_out of a weight [out, in, *kernel] (torch.nn.init._calculate_fan_in_and_fan_out). */
export function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = numel(shape.slice(2));
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** What kind of module owns a parameter (its default rule). */
export type ModuleKind = 'dense' | 'recurrent' | 'norm' | 'embedding' | 'attention' | 'tokens' | 'glorot' | 'other';

/** Describes the distribution a parameter is drawn from, for reports: "U(−0.125, 0.125)". */
export interface InitDraw {
  dist: 'uniform' | 'normal' | 'constant';
  a: number;
  b: number;
}

/**
 * The distribution of one parameter. `weightShape` is the module's main weight (its fans size a
 * bias); `hidden` the recurrent hidden size.
 */
export function initDistribution(init: InitObject, module: ModuleKind, paramName: string, shape: number[], weightShape: number[], hidden = 1): InitDraw {
  const isBias = shape.length < 2 && module !== 'norm';
  const base = paramName.replace(/_l\d+(_reverse)?$/, '');
  if (init.scheme === 'pytorch') {
    if (module === 'norm') return { dist: 'constant', a: base === 'weight' ? 1 : 0, b: 0 };
    if (module === 'recurrent') return { dist: 'uniform', a: -1 / Math.sqrt(hidden), b: 1 / Math.sqrt(hidden) };
    if (module === 'embedding') return { dist: 'normal', a: 0, b: 1 };
    if (module === 'glorot') {
      if (shape.length < 2) return { dist: 'constant', a: 0, b: 0 };
      const bound = Math.sqrt(6 / (shape[shape.length - 2] + shape[shape.length - 1]));
      return { dist: 'uniform', a: -bound, b: bound };
    }
    if (module === 'attention') return attentionDefault(base, shape);
    if (module === 'tokens') return tokensDefault(base);
    const bound = 1 / Math.sqrt(fans(weightShape).fanIn);
    return { dist: 'uniform', a: -bound, b: bound };
  }
  switch (init.scheme) {
    case 'zeros': return { dist: 'constant', a: 0, b: 0 };
    case 'ones': return { dist: 'constant', a: 1, b: 0 };
    case 'normal': return { dist: 'normal', a: init.mean ?? 0, b: init.std ?? 1 };
    case 'uniform': return { dist: 'uniform', a: init.a ?? 0, b: init.b ?? 1 };
    default: break;
  }
  if (module === 'tokens') return tokensDefault(base);
  if (isBias || shape.length < 2) return { dist: 'constant', a: 0, b: 0 };
  const { fanIn, fanOut } = fans(shape);
  if (init.scheme === 'xavier_uniform' || init.scheme === 'xavier_normal') {
    const gain = init.gain ?? 1;
    if (init.scheme === 'xavier_uniform') {
      const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
      return { dist: 'uniform', a: -bound, b: bound };
    }
    return { dist: 'normal', a: 0, b: gain * Math.sqrt(2 / (fanIn + fanOut)) };
  }
  const slope = init.negative_slope ?? 0;
  const gain = Math.sqrt(2 / (1 + slope * slope));
  const fan = init.mode === 'fan_out' ? fanOut : fanIn;
  if (init.scheme === 'kaiming_uniform') {
    const bound = gain * Math.sqrt(3 / fan);
    return { dist: 'uniform', a: -bound, b: bound };
  }
  return { dist: 'normal', a: 0, b: gain / Math.sqrt(fan) };
}

/**
 * nn.MultiheadAttention._reset_parameters: in_proj_weight xavier_uniform_ over [3E, E], in_proj_bias
 * and out_proj.bias 0, out_proj.weight as nn.Linear's kaiming_uniform(a = √5) = U(±1/√E).
 */
function attentionDefault(name: string, shape: number[]): InitDraw {
  if (shape.length < 2) return { dist: 'constant', a: 0, b: 0 };
  const { fanIn, fanOut } = fans(shape);
  const bound = name === 'in_proj_weight' ? Math.sqrt(6 / (fanIn + fanOut)) : 1 / Math.sqrt(fanIn);
  return { dist: 'uniform', a: -bound, b: bound };
}

/** torchvision's VisionTransformer: class_token zeros, pos_embedding N(0, 0.02²) (not weights, so xavier/kaiming leave them so). */
function tokensDefault(name: string): InitDraw {
  return name === 'class_token' ? { dist: 'constant', a: 0, b: 0 } : { dist: 'normal', a: 0, b: 0.02 };
}

/** Draws a parameter's values from its distribution with its own seeded stream. */
export function drawParameter(draw: InitDraw, count: number, seed: number, name: string): Float32Array {
  const out = new Float32Array(count);
  if (draw.dist === 'constant') return out.fill(draw.a);
  const uniform = mulberry32(streamSeed(seed, name));
  if (draw.dist === 'uniform') {
    for (let i = 0; i < count; i++) out[i] = draw.a + (draw.b - draw.a) * uniform();
  } else {
    const normal = normalStream(uniform);
    for (let i = 0; i < count; i++) out[i] = draw.a + draw.b * normal();
  }
  return out;
}
