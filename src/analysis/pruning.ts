/**
 * Pruning, pure TS: unstructured magnitude pruning (the smallest |w| of each layer, or of all
 * layers together, set to 0, as torch.nn.utils.prune.l1_unstructured / global_unstructured
 * choose them) and structured channel pruning (the conv filters with the smallest L1 norm
 * removed, with the input channels of the layer that reads them: the next Conv2d, the
 * BatchNorm2d between, or the Linear after a Flatten), which gives a smaller ModelSpec and weights.
 */
import { InputError } from './errors.ts';
import { analyzeModel } from './graph.ts';
import type { LayerSpec, ModelSpec } from './model_spec.ts';
import { formatShape, numel } from './tensor.ts';

/** A named parameter's values (PyTorch state_dict name, row-major). */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** Zeros counted in one tensor. */
export interface LayerSparsity {
  name: string;
  numel: number;
  zeros: number;
  /** zeros / numel. */
  sparsity: number;
}

/** Layer types whose `weight` magnitude pruning considers (biases and norms are left alone, as is usual). */
export const PRUNABLE_TYPES = ['Conv2d', 'Linear'];

/** The state_dict names of the weights magnitude pruning considers, in model order. */
export function prunableWeights(spec: ModelSpec): string[] {
  return analyzeModel(spec).layers.filter((l) => PRUNABLE_TYPES.includes(l.type) && l.params.some((p) => p.name === 'weight')).map((l) => `${l.name}.weight`);
}

/** Checks a sparsity: a number in [0, 1). */
export function checkSparsity(value: number, where = 'prune'): number {
  if (!Number.isFinite(value) || value < 0 || value >= 1) throw new InputError(`${where}: sparsity must be a number in [0, 1), got ${value}`);
  return value;
}

/**
 * Keep-masks (1 keeps, 0 prunes) removing exactly round(sparsity · n) weights with the smallest
 * |w|: per tensor (`layer`) or over all tensors together (`global`). Ties go to the earlier index
 * (then the earlier tensor), so the count is exact whatever the values.
 */
export function magnitudeMasks(tensors: Record<string, NamedTensor>, sparsity: number, scope: 'layer' | 'global'): Record<string, Uint8Array> {
  checkSparsity(sparsity);
  const names = Object.keys(tensors);
  const masks: Record<string, Uint8Array> = Object.fromEntries(names.map((n) => [n, new Uint8Array(tensors[n].data.length).fill(1)]));
  const prune = (entries: [number, number][]) => {
    const k = Math.round(sparsity * entries.length);
    entries.sort((a, b) => magnitude(a) - magnitude(b) || a[0] - b[0] || a[1] - b[1]);
    for (let i = 0; i < k; i++) masks[names[entries[i][0]]][entries[i][1]] = 0;
  };
  const magnitude = ([t, i]: [number, number]) => Math.abs(tensors[names[t]].data[i]);
  const entriesOf = (t: number) => Array.from(tensors[names[t]].data, (_, i) => [t, i] as [number, number]);
  if (scope === 'global') prune(names.flatMap((_, t) => entriesOf(t)));
  else names.forEach((_, t) => prune(entriesOf(t)));
  return masks;
}

/** data · mask, as a new array. */
export function applyMask(data: ArrayLike<number>, mask: Uint8Array): Float32Array {
  return Float32Array.from(data, (v, i) => (mask[i] ? v : 0));
}

/** Exact zeros per tensor. */
export function countSparsity(tensors: Record<string, ArrayLike<number>>): LayerSparsity[] {
  return Object.entries(tensors).map(([name, data]) => {
    let zeros = 0;
    for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
    return { name, numel: data.length, zeros, sparsity: data.length ? zeros / data.length : 0 };
  });
}

/** Layers a channel passes through unchanged on its way to the layer that reads it. */
const CHANNEL_WISE = ['ReLU', 'ReLU6', 'LeakyReLU', 'Tanh', 'Sigmoid', 'GELU', 'SiLU', 'ELU', 'MaxPool2d', 'AvgPool2d', 'Dropout', 'Dropout2d', 'Identity'];

/** One conv's structured pruning: which output channels went, and which layers lost input channels with them. */
export interface RemovedChannels {
  conv: string;
  out_channels: number;
  removed: number[];
  /** L1 norm of each filter, in channel order. */
  l1_norms: number[];
  followers: string[];
}

function keepRows(t: NamedTensor, dim: number, drop: Set<number>, block = 1): NamedTensor {
  const shape = [...t.shape];
  const outer = numel(shape.slice(0, dim));
  const inner = numel(shape.slice(dim + 1)) * block;
  const size = shape[dim] / block;
  const kept = Array.from({ length: size }, (_, i) => i).filter((i) => !drop.has(i));
  const data = new Float32Array(outer * kept.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const k of kept) {
      data.set(t.data.subarray((a * size + k) * inner, (a * size + k + 1) * inner), o);
      o += inner;
    }
  }
  shape[dim] = kept.length * block;
  return { shape, data };
}

/** Where one conv's channels go: the BatchNorm2d and channel-wise layers between, the layer that reads them, and the Flatten before a Linear reader. */
export interface ChannelRoute {
  conv: number;
  followers: number[];
  reader: number;
  flatten: number | null;
}

/**
 * The route of every Conv2d whose output another layer reads (a conv whose channels are the
 * model's output is not pruned). Throws a one-line InputError naming the layer when the model is
 * not a plain sequence or a conv's channels reach a layer that cannot lose input channels.
 */
export function channelRoutes(spec: ModelSpec): ChannelRoute[] {
  const layers = spec.layers;
  const names = layers.map((l, i) => l.name ?? l.id ?? String(i));
  layers.forEach((l, i) => {
    if (l.inputs || l.type === 'Sequential' || l.type === 'Residual') throw new InputError(`prune --structured needs a plain sequence of layers; layer "${names[i]}" (${l.type}) ${l.inputs ? 'names its inputs' : 'is a container'}`);
  });
  const routes: ChannelRoute[] = [];
  layers.forEach((layer, i) => {
    if (layer.type !== 'Conv2d') return;
    if ((layer.groups ?? 1) !== 1) throw new InputError(`prune --structured: conv "${names[i]}" has groups ${layer.groups}; only groups 1 convs are pruned by channel`);
    const followers: number[] = [];
    let flatten: number | null = null;
    for (let j = i + 1; j < layers.length; j++) {
      const t = layers[j].type;
      if (t === 'BatchNorm2d' || CHANNEL_WISE.includes(t)) followers.push(j);
      else if (t === 'Flatten' && flatten === null) flatten = j;
      else if ((t === 'Conv2d' && flatten === null) || (t === 'Linear' && flatten !== null)) {
        if (t === 'Conv2d' && (layers[j].groups ?? 1) !== 1) throw new InputError(`prune --structured: conv "${names[j]}" reads "${names[i]}" with groups ${layers[j].groups}; only groups 1 readers are pruned`);
        routes.push({ conv: i, followers, reader: j, flatten });
        return;
      } else throw new InputError(`prune --structured: the channels of conv "${names[i]}" reach layer "${names[j]}" (${t}), whose inputs cannot be pruned with them`);
    }
  });
  return routes;
}

/**
 * Removes round(sparsity · out_channels) filters (at most out_channels − 1) of every conv that
 * `channelRoutes` finds, the smallest L1 norms first (ties: the lower channel), with the
 * matching BatchNorm2d entries and the reader's input channels (Conv2d weight columns, or the
 * Linear's H·W columns per channel after a Flatten).
 */
export function channelPrune(spec: ModelSpec, weights: Record<string, NamedTensor>, sparsity: number): { spec: ModelSpec; weights: Record<string, NamedTensor>; removed: RemovedChannels[] } {
  checkSparsity(sparsity);
  const routes = channelRoutes(spec);
  const graph = analyzeModel(spec);
  const layers: LayerSpec[] = spec.layers.map((l) => ({ ...l }));
  const names = layers.map((l, i) => l.name ?? l.id ?? String(i));
  const out: Record<string, NamedTensor> = { ...weights };
  const need = (name: string) => {
    if (!out[name]) throw new InputError(`prune --structured: no weights for "${name}"`);
    return out[name];
  };
  const removed: RemovedChannels[] = [];
  for (const { conv: i, followers, reader, flatten } of routes) {
    const w = need(`${names[i]}.weight`);
    const outChannels = w.shape[0];
    const per = numel(w.shape.slice(1));
    const l1 = Array.from({ length: outChannels }, (_, o) => {
      let s = 0;
      for (let k = o * per; k < (o + 1) * per; k++) s += Math.abs(w.data[k]);
      return s;
    });
    const count = Math.min(outChannels - 1, Math.round(sparsity * outChannels));
    const drop = new Set(l1.map((v, o) => [v, o]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, count).map(([, o]) => o));
    if (drop.size === 0) continue;
    out[`${names[i]}.weight`] = keepRows(w, 0, drop);
    if (out[`${names[i]}.bias`]) out[`${names[i]}.bias`] = keepRows(out[`${names[i]}.bias`], 0, drop);
    layers[i] = { ...layers[i], out_channels: outChannels - drop.size };
    const norms = followers.filter((f) => layers[f].type === 'BatchNorm2d');
    for (const j of norms) {
      layers[j] = { ...layers[j], num_features: outChannels - drop.size };
      for (const p of ['weight', 'bias', 'running_mean', 'running_var']) if (out[`${names[j]}.${p}`]) out[`${names[j]}.${p}`] = keepRows(out[`${names[j]}.${p}`], 0, drop);
    }
    const rw = need(`${names[reader]}.weight`);
    if (flatten === null) {
      out[`${names[reader]}.weight`] = keepRows(rw, 1, drop);
      layers[reader] = { ...layers[reader], in_channels: outChannels - drop.size };
    } else {
      const spatial = numel(graph.layers.find((l) => l.name === names[flatten])!.inputShapes[0].slice(2));
      if (rw.shape[1] !== outChannels * spatial) throw new InputError(`prune --structured: linear "${names[reader]}" has ${rw.shape[1]} inputs, the flattened conv output is ${outChannels}·${spatial}`);
      out[`${names[reader]}.weight`] = keepRows(rw, 1, drop, spatial);
      layers[reader] = { ...layers[reader], in_features: (outChannels - drop.size) * spatial };
    }
    removed.push({ conv: names[i], out_channels: outChannels, removed: [...drop].sort((a, b) => a - b), l1_norms: l1, followers: [...norms, reader].map((f) => names[f]) });
  }
  const smaller: ModelSpec = { ...spec, layers };
  delete smaller.weights;
  const check = analyzeModel(smaller);
  for (const node of check.layers) {
    for (const p of [...node.params, ...node.buffers]) {
      const t = out[`${node.name}.${p.name}`];
      if (t && numel(t.shape) !== numel(p.shape)) throw new Error(`prune: ${node.name}.${p.name} is ${formatShape(t.shape)}, the smaller spec needs ${formatShape(p.shape)}`);
    }
  }
  return { spec: smaller, weights: out, removed };
}
