/**
 * The GPU executor for a ModelSpec: seeded parameters, forward through the layer tree
 * (Sequential, Residual, DAG `inputs`), the loss, backward in reverse over a tape, an optimizer
 * step, and the gradient-flow statistics of every layer.
 *
 * Shapes, parameter names and what each layer keeps for backward come from the analysis graph
 * (`analyzeModel`), so the measured memory can be compared with `memoryPlan`:
 * - parameters, running statistics, gradients (`.grad`, kept between steps like PyTorch with
 *   zero_grad(set_to_none=False)) and optimizer state are allocated once, up front;
 * - a layer's output is freed as soon as every layer reading it has run forward unless the
 *   analysis says a backward needs it (ReLU, Tanh and Sigmoid keep their output, Linear and Conv
 *   their input, …); kept tensors are freed after the last backward that reads them;
 * - statistics are reduced on the GPU into one small buffer (8 floats per tensor, per-unit
 *   maxima for ReLU layers, ‖∂L/∂h_t‖ of recurrent layers) and read back once per step.
 */
import { InputError } from '../../analysis/errors.ts';
import { analyzeModel, type LayerNode, type ModelGraph } from '../../analysis/graph.ts';
import { COMPOSITES } from '../../analysis/layers/index.ts';
import type { LayerFlow, ParamFlow, TensorFlowStats } from '../../analysis/gradient_health.ts';
import { parseInit, parseOptimizer, type InitObject, type LayerSpec, type LossName, type ModelSpec, type OptimizerObject, walkLayerList } from '../../analysis/model_spec.ts';
import { numel } from '../../analysis/tensor.ts';
import { accumulate } from '../../kernels/add.ts';
import { adamStep, sgdStep } from '../../kernels/optimizer.ts';
import type { TimingReport } from '../../kernels/profiler.ts';
import type { GpuRuntime, GpuTensor } from '../../kernels/runtime.ts';
import { decodeStats, STATS_WIDTH, tensorStats, unitMax, type TensorSummary } from '../../kernels/tensor_stats.ts';
import type { OpRun } from '../op.ts';
import { OPS } from '../registry.ts';
import { mulberry32 } from '../../analysis/random.ts';
import { karateClub, randomGraph } from '../../analysis/graph_sources.ts';
import { drawParameter, initDistribution, normalStream, streamSeed } from './init.ts';
import { convReluImpl, reluPoolImpl } from './fused_layers.ts';
import { layerImpl, type ExecGraphData, type LayerImpl, type LayerRun } from './layers.ts';

/** Optimizer hyper-parameters in effect (PyTorch's defaults filled in). */
export interface OptimizerConfig {
  type: 'sgd' | 'momentum' | 'adam';
  lr: number;
  momentum: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
}

export interface ExecutorOptions {
  /** Overrides the spec's optimizer. */
  optimizer?: OptimizerObject | string;
  /** Overrides the spec's loss. */
  loss?: LossName;
  /** Overrides the spec's seed (default 0). */
  seed?: number;
  /** Replaces the batch dimension. */
  batch?: number;
  /**
   * Reduces gradient-flow statistics (activations, gradients, parameters, updates) every step
   * (default true, as `nnx diagnose` needs); training and benchmarks turn it off and get the loss only.
   */
  flowStats?: boolean;
}

/** One parameter or buffer on the GPU. */
export interface ExecParam {
  /** Dotted name, as PyTorch's named_parameters (`features.0.weight`). */
  name: string;
  layer: string;
  local: string;
  shape: number[];
  tensor: GpuTensor;
  /** Persistent `.grad`; after a step it holds the update Δp the optimizer applied. */
  grad: GpuTensor | null;
  state: GpuTensor[];
  trainable: boolean;
  /** Distribution it was drawn from: "U(-0.1, 0.1)", "N(0, 1)", "1". */
  init: string;
}

interface Value {
  tensor: GpuTensor | null;
  /** Analysis storage id (views share their input's). */
  storage: number;
  /** Forward readers still to run (the loss counts as one for the model output). */
  readers: number;
}

interface PlanNode {
  path: string;
  type: string;
  node: LayerNode;
  impl: LayerImpl;
  inputs: number[];
  output: number;
  params: Record<string, ExecParam>;
  buffers: Record<string, ExecParam>;
  /** Storage ids the layer's backward reads (from the analysis' saved list). */
  keeps: number[];
  actSlot: number;
  gradSlot: number;
  unitSlot: number;
  units: [number, number, number] | null;
  stepSlot: number;
  steps: number;
  run: LayerRun | null;
  /** Buffers this node holds for its backward. */
  held: GPUBuffer[];
  /** The leaf layer's spec (null for a Residual's sum). */
  layer: LayerSpec | null;
}

/** What one training step measured. */
export interface StepResult {
  step: number;
  loss: number;
  /** Gradient flow per layer (empty when the executor runs with flowStats off). */
  layers: LayerFlow[];
  /** The ledger's peak live bytes during the step. */
  peak_bytes: number;
  /** Ledger clocks bracketing the step (for the breakdown of the peak). */
  clock: [number, number];
  wall_ms: number;
  /** The step's GPU time (the sum of its dispatches' timestamp intervals), null without timestamp queries. */
  gpu_ms: number | null;
  /** The step's dispatches with their GPU times. */
  timings: TimingReport;
  /** ∂L/∂p of every trainable parameter by dotted name, when `step({ readGradients: true })`. */
  gradients?: Record<string, Float32Array>;
  /** Every layer's output and output gradient, in forward order, when `step({ keep: 'all' })`. */
  kept?: KeptLayer[];
}

/**
 * Called by `evaluate` after each layer's forward with its output; a tensor it returns replaces
 * the output for every later reader (fake quantization between layers). View layers (Flatten) are
 * not offered, since their output is their input's buffer.
 */
export type AfterLayerHook = (layer: { path: string; type: string }, output: GpuTensor) => Promise<GpuTensor | null>;

/** One layer's output and ∂L/∂output as `step({ keep: 'all' })` read them back. */
export interface KeptLayer {
  /** Dotted path, as PyTorch's named_modules. */
  name: string;
  type: string;
  /** The layers it reads (`input` is the model's input). */
  inputs: string[];
  output: { shape: number[]; data: Float32Array | Int32Array };
  /** null when the loss does not depend on the output. */
  grad_output: { shape: number[]; data: Float32Array } | null;
  /** Ledger clocks right after the layer's forward and right after its backward. */
  clock: [number, number];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** PyTorch's optimizer defaults: SGD lr 1e-3, momentum 0.9 for "momentum", Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8. */
export function optimizerConfig(spec: OptimizerObject): OptimizerConfig {
  return {
    type: spec.type,
    lr: spec.lr ?? 1e-3,
    momentum: spec.type === 'momentum' ? (spec.momentum ?? 0.9) : (spec.momentum ?? 0),
    betas: spec.betas ?? [0.9, 0.999],
    eps: spec.eps ?? 1e-8,
    weight_decay: spec.weight_decay ?? 0,
  };
}

function describeDraw(d: { dist: string; a: number; b: number }): string {
  const f = (v: number) => Number(v.toPrecision(4)).toString();
  return d.dist === 'constant' ? f(d.a) : d.dist === 'uniform' ? `U(${f(d.a)}, ${f(d.b)})` : `N(${f(d.a)}, ${f(d.b)}²)`;
}

/** Rank-4 tensors: units are channels (dim 1); otherwise the last dimension. */
function unitView(shape: number[]): [number, number, number] {
  if (shape.length === 4) return [shape[0], shape[1], shape[2] * shape[3]];
  const last = shape[shape.length - 1] ?? 1;
  return [numel(shape) / last, last, 1];
}

export class Executor {
  readonly graph: ModelGraph;
  readonly params: ExecParam[] = [];
  readonly optimizer: OptimizerConfig;
  readonly loss: LossName;
  readonly seed: number;
  private readonly flowStats: boolean;
  /** The scheme in effect at the model level (for advice). */
  readonly initScheme: string;
  private readonly plan: PlanNode[] = [];
  /** The plan with fusable chains merged (see planFusions). */
  private fusedPlan: PlanNode[] = [];
  private readonly values: Value[] = [];
  private stats: GpuTensor | null = null;
  private statsSize = 0;
  private lossSlot = 0;
  private stepCount = 0;
  private input: GpuTensor | null = null;
  private target: GpuTensor | null = null;
  private hostInput: Float32Array | Int32Array | null = null;
  private hostTarget: Float32Array | Int32Array | null = null;
  /** Graph models: the edges every graph layer reads (shared, replaced by setData). */
  readonly graphData: ExecGraphData = { edgeIndex: new Int32Array(0) };
  /** Nodes (rows of the output) whose loss counts; null when every row counts. */
  private mask: Int32Array | null = null;
  private outputValue = 0;
  private graphCursor = 0;
  private unused: GpuTensor | null = null;
  private paramSlots = new Map<ExecParam, [number, number, number]>();
  /** The model output as the loss reads it: [rows, C] for cross entropy, else the output's shape. */
  private readonly lossShape: number[];

  private constructor(private readonly rt: GpuRuntime, readonly spec: ModelSpec, options: ExecutorOptions) {
    this.graph = analyzeModel(spec, { batch: options.batch });
    this.seed = options.seed ?? spec.seed ?? 0;
    this.flowStats = options.flowStats ?? true;
    this.optimizer = optimizerConfig(parseOptimizer(options.optimizer ?? spec.optimizer ?? 'sgd'));
    const outRank = this.graph.output.shape.length;
    this.loss = options.loss ?? spec.loss ?? (outRank === 2 ? 'cross_entropy' : 'mse');
    if (this.loss === 'cross_entropy' && outRank < 2) {
      throw new InputError(`loss cross_entropy needs a [N, C] (or [..., C]) model output, got [${this.graph.output.shape.join(', ')}] (use "loss": "mse")`);
    }
    // [..., C] logits are scored as [rows, C], as word_language_model does with output.view(-1, ntokens).
    const out = this.graph.output.shape;
    this.lossShape = this.loss === 'cross_entropy' ? [numel(out) / out[out.length - 1], out[out.length - 1]] : out;
    this.initScheme = spec.init ? parseInit(spec.init, 'spec').scheme : 'pytorch';
  }

  /** Builds the executor: analysis, plan, seeded parameters, persistent gradients and optimizer state, data. */
  static async create(rt: GpuRuntime, spec: ModelSpec, options: ExecutorOptions = {}): Promise<Executor> {
    const ex = new Executor(rt, spec, options);
    rt.checkFits(ex.plannedTensors());
    try {
      ex.build();
    } catch (e) {
      ex.dispose();
      throw e;
    }
    return ex;
  }

  /** Every activation, saved tensor, parameter and buffer the analysis plans, as the adapter's limits see them. */
  private plannedTensors(): { label: string; elements: number }[] {
    const g = this.graph;
    return [
      ...g.storages.map((s) => ({ label: s.origin, elements: s.elements })),
      ...g.layers.flatMap((l) => [...l.params, ...l.buffers].map((d) => ({ label: l.name ? `${l.name}.${d.name}` : d.name, elements: numel(d.shape) }))),
    ];
  }

  private build(): void {
    const rt = this.rt;
    this.values.push({ tensor: null, storage: this.graph.inputStorage, readers: 0 });
    const modelInit: InitObject = this.spec.init ? parseInit(this.spec.init, 'spec') : { scheme: 'pytorch' };
    this.outputValue = this.walkSequence(this.spec.layers, 0, '', new Map(), null, modelInit, true);
    this.values[this.outputValue].readers += 1;
    this.planFusions();
    // Stats slots: 8 floats per activation and output gradient, 3 × 8 per parameter, units, time steps, loss.
    let offset = 0;
    const take = (n: number) => {
      const o = offset;
      offset += n;
      return o;
    };
    this.lossSlot = take(STATS_WIDTH);
    for (const p of this.plan) {
      p.actSlot = take(STATS_WIDTH);
      p.gradSlot = take(STATS_WIDTH);
      if (p.units) p.unitSlot = take(p.units[1]);
      if (p.steps) p.stepSlot = take(p.steps);
      for (const param of Object.values(p.params)) this.paramSlots.set(param, [take(STATS_WIDTH), take(STATS_WIDTH), take(STATS_WIDTH)]);
    }
    this.statsSize = offset;
    const previous = rt.owner;
    rt.owner = 'stats';
    this.stats = rt.tensor('gradient-flow statistics', [offset]);
    rt.owner = previous;
    this.makeData();
  }

  /**
   * Seeded data: a float input N(0, 1), or token ids uniform in [0, num_embeddings) when the
   * model starts with an Embedding; class indices or an N(0, 1) target; for graph models the
   * karate club when the spec's graph has its size (34 nodes, 156 edges), else a seeded random graph.
   */
  private makeData(): void {
    const shape = this.graph.input.shape;
    const count = numel(shape);
    if (this.graph.input.kind === 'int') {
      const vocabulary = this.vocabulary();
      const u = mulberry32(streamSeed(this.seed, 'input'));
      this.hostInput = Int32Array.from({ length: count }, () => Math.floor(u() * vocabulary));
    } else {
      const normal = normalStream(mulberry32(streamSeed(this.seed, 'input')));
      this.hostInput = Float32Array.from({ length: count }, () => normal());
    }
    const out = this.lossShape;
    if (this.loss === 'cross_entropy') {
      const u = mulberry32(streamSeed(this.seed, 'target'));
      this.hostTarget = Int32Array.from({ length: out[0] }, () => Math.floor(u() * out[1]));
    } else {
      const n = normalStream(mulberry32(streamSeed(this.seed, 'target')));
      this.hostTarget = Float32Array.from({ length: numel(out) }, () => n());
    }
    if (this.spec.graph) {
      const v = this.graph.input.shape[0];
      const e = this.spec.graph.num_edges;
      const g = v === 34 && e === 156 ? karateClub() : e % 2 === 0 ? randomGraph(v, e / 2, streamSeed(this.seed, 'graph')) : randomGraph(v, e, streamSeed(this.seed, 'graph'), true);
      this.graphData.edgeIndex = g.edgeIndex;
    }
    this.uploadTarget();
  }

  /** num_embeddings of the Embedding that reads the token ids. */
  private vocabulary(): number {
    const reader = this.plan.find((p) => p.inputs.includes(0));
    const weight = reader?.node.params.find((d) => d.name === 'weight');
    if (!reader || reader.type !== 'Embedding' || !weight) throw new InputError('the model input is integer token ids, so the first layer must be an Embedding');
    return weight.shape[0];
  }

  /** The loss target on the GPU: only the masked rows when a mask is set (the loss is F.loss(out[mask], y[mask])). */
  private uploadTarget(): void {
    const rt = this.rt;
    const out = this.lossShape;
    const rowSize = this.loss === 'cross_entropy' ? 1 : numel(out.slice(1));
    const rows = this.maskedRows();
    const host = this.hostTarget!;
    const data = rows ? (host instanceof Int32Array ? new Int32Array(rows.length * rowSize) : new Float32Array(rows.length * rowSize)) : host;
    if (rows) rows.forEach((r, i) => data.set(host.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize));
    const n = rows ? rows.length : out[0];
    const previous = rt.owner;
    rt.owner = 'data';
    rt.release(this.target);
    this.target = rt.tensor('target', this.loss === 'cross_entropy' ? [n] : [n, ...out.slice(1)], this.loss === 'cross_entropy' ? 'int32' : 'float32', data);
    rt.owner = previous;
  }

  /** Indices of the output rows whose loss counts, or null for all. */
  private maskedRows(): number[] | null {
    if (!this.mask) return null;
    const rows: number[] = [];
    this.mask.forEach((m, i) => m && rows.push(i));
    return rows;
  }

  /**
   * Replaces the seeded data. `input` has the spec's input shape (int32 token ids when the model
   * starts with an Embedding); `target` holds class indices (cross_entropy) or floats of the
   * output's shape (mse). Graph models take `edgeIndex` [2, E] (sources, then targets) and a
   * `mask` [num_nodes] (1 = the node's loss counts, as F.cross_entropy(out[mask], y[mask])).
   */
  setData(input: ArrayLike<number>, target: ArrayLike<number>, extras: { edgeIndex?: ArrayLike<number>; mask?: ArrayLike<number> } = {}): void {
    const inShape = this.graph.input.shape;
    if (input.length !== numel(inShape)) throw new InputError(`input has ${input.length} values, the model input [${inShape.join(', ')}] needs ${numel(inShape)}`);
    if (this.graph.input.kind === 'int') {
      const vocabulary = this.vocabulary();
      const ids = Int32Array.from(input);
      const bad = ids.findIndex((t, i) => t !== input[i] || t < 0 || t >= vocabulary);
      if (bad >= 0) throw new InputError(`input[${bad}] = ${input[bad]} is not a token id in [0, ${vocabulary}) (the Embedding's num_embeddings)`);
      this.hostInput = ids;
    } else {
      this.hostInput = Float32Array.from(input);
    }
    const out = this.lossShape;
    const expected = this.loss === 'cross_entropy' ? out[0] : numel(out);
    if (target.length !== expected) throw new InputError(`target has ${target.length} values, ${this.loss} needs ${expected} (model output [${out.join(', ')}])`);
    this.hostTarget = this.loss === 'cross_entropy' ? Int32Array.from(target) : Float32Array.from(target);
    if (this.loss === 'cross_entropy') {
      const bad = this.hostTarget.findIndex((t) => t < 0 || t >= out[1]);
      if (bad >= 0) throw new InputError(`target[${bad}] = ${this.hostTarget[bad]} is not a class index in [0, ${out[1]})`);
    }
    if (extras.edgeIndex !== undefined) {
      if (!this.spec.graph) throw new InputError('edge_index was given but the model has no graph layers (no "graph" in the spec)');
      const e = this.spec.graph.num_edges;
      if (extras.edgeIndex.length !== 2 * e) throw new InputError(`edge_index has ${extras.edgeIndex.length} values, the spec's graph needs [2, ${e}] = ${2 * e} (graph.num_edges ${e})`);
      const v = this.graph.input.shape[0];
      const edges = Int32Array.from(extras.edgeIndex);
      const bad = edges.findIndex((n, i) => n !== extras.edgeIndex![i] || n < 0 || n >= v);
      if (bad >= 0) throw new InputError(`edge_index[${bad < e ? 0 : 1}][${bad % e}] = ${extras.edgeIndex[bad]} is not a node in [0, ${v})`);
      this.graphData.edgeIndex = edges;
    }
    if (extras.mask !== undefined) {
      if (extras.mask.length !== out[0]) throw new InputError(`mask has ${extras.mask.length} values, the model output [${out.join(', ')}] has ${out[0]} rows`);
      const mask = Int32Array.from(extras.mask, (m) => (m ? 1 : 0));
      if (!mask.some((m) => m)) throw new InputError('mask selects no node, so the loss is 0/0');
      this.mask = mask;
    }
    this.uploadTarget();
  }

  /**
   * Loads PyTorch state_dict tensors by name (parameters and buffers such as running_mean);
   * shapes are checked; names not given keep their initialization.
   */
  loadWeights(weights: Record<string, { shape: number[]; data: ArrayLike<number> }>): void {
    const all = [...this.params, ...this.plan.flatMap((n) => Object.values(n.buffers))];
    const byName = new Map(all.map((p) => [p.name, p]));
    for (const [name, w] of Object.entries(weights)) {
      const p = byName.get(name);
      if (!p) {
        if (name.endsWith('num_batches_tracked')) continue;
        throw new InputError(`weights: unknown name "${name}"${closeNames(name, [...byName.keys()])}`);
      }
      if (w.shape.length !== p.shape.length || w.shape.some((s, i) => s !== p.shape[i])) {
        throw new InputError(`weights: "${name}" has shape [${w.shape.join(', ')}], the model expects [${p.shape.join(', ')}]`);
      }
      if (w.data.length !== numel(p.shape)) throw new InputError(`weights: "${name}" has ${w.data.length} values for shape [${p.shape.join(', ')}] (${numel(p.shape)})`);
    }
    for (const [name, w] of Object.entries(weights)) if (byName.has(name)) this.setParam(name, w.data);
  }

  private nextGraphNode(path: string): LayerNode {
    const node = this.graph.layers[this.graphCursor++];
    if (!node || node.name !== path) throw new Error(`executor and analysis disagree on the layer order at "${path}" (analysis: "${node?.name}")`);
    return node;
  }

  private walkSequence(layers: LayerSpec[], input: number, parentPath: string, outer: Map<string, number>, _parent: null, init: InitObject, trainable: boolean): number {
    return walkLayerList(layers, input, parentPath, outer, (layer, ins, path, scope) => this.walkLayer(layer, ins, path, scope, init, trainable));
  }

  private walkLayer(layer: LayerSpec, ins: number[], path: string, scope: Map<string, number>, parentInit: InitObject, parentTrainable: boolean): number {
    const trainable = parentTrainable && layer.trainable !== false;
    const init = layer.init !== undefined ? parseInit(layer.init, path) : parentInit;
    if (layer.type === 'Sequential') {
      this.nextGraphNode(path);
      return this.walkSequence(layer.layers as LayerSpec[], ins[0], path, scope, null, init, trainable);
    }
    if (layer.type === 'Residual') {
      const node = this.nextGraphNode(path);
      const x = ins[0];
      const main = this.walkSequence(layer.body as LayerSpec[], x, path, scope, null, init, trainable);
      let skip = x;
      const sc = layer.shortcut;
      if (Array.isArray(sc)) skip = this.walkLayer({ type: 'Sequential', name: 'shortcut', layers: sc }, [x], `${path}.shortcut`, scope, init, trainable);
      else if (isObject(sc)) skip = this.walkLayer(sc as LayerSpec, [x], `${path}.${(sc as LayerSpec).name ?? 'shortcut'}`, scope, init, trainable);
      const impl = layerImpl({ type: 'Add' }, { ...node, inputShapes: [node.outputShape, node.outputShape] });
      return this.addNode(path, 'Residual', node, impl, [main, skip], {}, {});
    }
    const composite = COMPOSITES[layer.type];
    if (composite) {
      const node = this.nextGraphNode(path);
      const expanded = composite(layer, node.inputShapes.map((shape, i) => ({ shape, kind: node.inputKinds[i] })));
      return this.walkSequence(expanded, ins[0], path, scope, null, init, trainable);
    }
    const node = this.nextGraphNode(path);
    const impl = layerImpl(layer, node, this.graphData);
    const params: Record<string, ExecParam> = {};
    const buffers: Record<string, ExecParam> = {};
    const isNorm = impl.module === 'norm';
    const effective: InitObject = isNorm && layer.init === undefined ? { scheme: 'pytorch' } : init;
    const layerWeight = node.params.find((p) => p.shape.length >= 2)?.shape ?? node.params[0]?.shape ?? [1];
    const shapes = new Map(node.params.map((p) => [p.name, p.shape]));
    // A module inside the layer (an MoE expert's Linear, say) sizes its parameters by its own weight.
    const weightOf = (name: string) => (name.includes('.') ? shapes.get(name.replace(/[^.]+$/, 'weight')) : undefined) ?? layerWeight;
    const hidden = typeof layer.hidden_size === 'number' ? layer.hidden_size : 1;
    for (const decl of node.params) {
      const draw = initDistribution(effective, impl.module, decl.name, decl.shape, weightOf(decl.name), hidden);
      const values = drawParameter(draw, numel(decl.shape), this.seed, `${path}.${decl.name}`);
      // nn.Embedding zeroes its padding row at initialization.
      if (layer.type === 'Embedding' && typeof layer.padding_idx === 'number') {
        const row = (layer.padding_idx + decl.shape[0]) % decl.shape[0];
        values.fill(0, row * decl.shape[1], (row + 1) * decl.shape[1]);
      }
      params[decl.name] = this.makeParam(path, decl.name, decl.shape, values, trainable, describeDraw(draw), 'parameters');
    }
    for (const decl of node.buffers) {
      if (decl.name === 'num_batches_tracked') continue;
      const value = decl.name === 'running_var' ? 1 : 0;
      buffers[decl.name] = this.makeParam(path, decl.name, decl.shape, new Float32Array(numel(decl.shape)).fill(value), false, String(value), 'buffers');
    }
    return this.addNode(path, layer.type, node, impl, ins, params, buffers, layer);
  }

  private makeParam(layer: string, local: string, shape: number[], data: Float32Array, trainable: boolean, init: string, owner: string): ExecParam {
    const rt = this.rt;
    const previous = rt.owner;
    const name = layer ? `${layer}.${local}` : local;
    try {
      rt.owner = owner;
      const tensor = rt.tensor(name, shape, 'float32', data);
      const p: ExecParam = { name, layer, local, shape, tensor, grad: null, state: [], trainable: trainable && owner === 'parameters', init };
      if (owner === 'buffers') return p;
      if (p.trainable) {
        rt.owner = 'gradients';
        p.grad = rt.tensor(`${name}.grad`, shape);
        rt.owner = 'optimizer state';
        const o = this.optimizer;
        if (o.type === 'adam') p.state = [rt.tensor(`${name}.exp_avg`, shape), rt.tensor(`${name}.exp_avg_sq`, shape)];
        else if (o.momentum !== 0) p.state = [rt.tensor(`${name}.momentum_buffer`, shape)];
      }
      this.params.push(p);
      return p;
    } finally {
      rt.owner = previous;
    }
  }

  private addNode(path: string, type: string, node: LayerNode, impl: LayerImpl, inputs: number[], params: Record<string, ExecParam>, buffers: Record<string, ExecParam>, layer: LayerSpec | null = null): number {
    for (const i of inputs) this.values[i].readers += 1;
    const storage = node.view ? this.values[inputs[0]].storage : node.outputStorage;
    this.values.push({ tensor: null, storage, readers: 0 });
    const output = this.values.length - 1;
    const keeps = node.saved.map((s) => s.storage);
    const isRelu = type === 'ReLU';
    this.plan.push({
      path, type, node, impl, inputs, output, params, buffers, keeps,
      actSlot: 0, gradSlot: 0, unitSlot: 0, units: isRelu ? unitView(node.outputShape) : null,
      stepSlot: 0, steps: impl.steps ?? 0, run: null, held: [], layer,
    });
    return output;
  }

  /**
   * The plan for steps that record no per-layer values (no flow statistics, no kept tensors,
   * no evaluate hook): each Conv2d → ReLU (→ MaxPool2d) and ReLU → MaxPool2d chain whose inner
   * outputs only the next layer reads becomes one node (fused_layers.ts), named by its layers'
   * paths joined with "+". Its numbers are those of the separate layers.
   */
  private planFusions(): void {
    const onlyReader = (p: PlanNode, next: PlanNode | undefined, type: string) =>
      next?.type === type && next.layer !== null && this.values[p.output].readers === 1 && next.inputs.length === 1 && next.inputs[0] === p.output;
    this.fusedPlan = [];
    for (let k = 0; k < this.plan.length; k++) {
      const p = this.plan[k];
      const chain = [p];
      if (p.type === 'Conv2d' && onlyReader(p, this.plan[k + 1], 'ReLU')) {
        chain.push(this.plan[k + 1]);
        if (onlyReader(this.plan[k + 1], this.plan[k + 2], 'MaxPool2d')) chain.push(this.plan[k + 2]);
      } else if (p.type === 'ReLU' && onlyReader(p, this.plan[k + 1], 'MaxPool2d')) {
        chain.push(this.plan[k + 1]);
      }
      if (chain.length === 1) {
        this.fusedPlan.push(p);
        continue;
      }
      const last = chain[chain.length - 1];
      const pool = last.type === 'MaxPool2d' ? last.layer : null;
      this.fusedPlan.push({
        ...p,
        path: chain.map((c) => c.path).join('+'),
        type: chain.map((c) => c.type).join('+'),
        impl: p.type === 'Conv2d' ? convReluImpl(p.layer!, pool) : reluPoolImpl(pool!),
        output: last.output,
        // What the layers' backward passes read, as far as it is still a value of the chain (a ReLU's output that ends it).
        keeps: chain.flatMap((c) => c.keeps),
        run: null,
        held: [],
      });
      k += chain.length - 1;
    }
  }

  /** Layer types with parameters, in forward order (for reports). */
  get layerNames(): string[] {
    return this.plan.map((p) => p.path);
  }

  /** The spec of the leaf layer at a dotted path (its attributes), null for a Residual's sum or an unknown path. */
  layerSpec(path: string): LayerSpec | null {
    return this.plan.find((p) => p.path === path)?.layer ?? null;
  }

  /**
   * Runs one training step: forward, loss, backward, optimizer step, statistics.
   * `readGradients` also reads every trainable parameter's ∂L/∂p back just before the optimizer
   * overwrites `.grad` with the update (tests and fixtures; the readback's staging buffers then
   * count in the step's measured peak).
   * `keep: 'all'` copies every layer's output and output gradient as they are made (owner
   * `trace`, so the ledger tells them apart) and reads them back after backward.
   * `flowStats` overrides the executor's setting for this step (the comparison lab reduces
   * gradient-flow statistics only at the steps it reports).
   * A step that fails (a lost device, a rejected kernel) frees every buffer it made.
   */
  async step(options: { readGradients?: boolean; keep?: 'all'; flowStats?: boolean } = {}): Promise<StepResult> {
    const hadUnused = this.unused !== null;
    try {
      return await this.rt.releasingOnError(() => this.runStep(options));
    } catch (e) {
      // Made by the failed step and freed with it.
      if (!hadUnused) this.unused = null;
      throw e;
    }
  }

  private async runStep(options: { readGradients?: boolean; keep?: 'all'; flowStats?: boolean }): Promise<StepResult> {
    const flowStats = options.flowStats ?? this.flowStats;
    const rt = this.rt;
    const started = performance.now();
    await rt.submit();
    const startClock = ledgerClock(rt);
    rt.ledger.resetPeak();
    this.stepCount += 1;
    const stats = this.stats!;
    // Buffer holds: forward readers still to run + backward keepers.
    const holds = new Map<GPUBuffer, number>();
    const protectedBuffers = new Set<GPUBuffer>([stats.buffer, this.target!.buffer]);
    for (const p of this.params) {
      protectedBuffers.add(p.tensor.buffer);
      if (p.grad) protectedBuffers.add(p.grad.buffer);
    }
    for (const p of this.plan) for (const b of Object.values(p.buffers)) protectedBuffers.add(b.tensor.buffer);
    const hold = (b: GPUBuffer, n = 1) => holds.set(b, (holds.get(b) ?? 0) + n);
    const toFree: GPUBuffer[] = [];
    const unhold = (b: GPUBuffer) => {
      const n = (holds.get(b) ?? 0) - 1;
      holds.set(b, n);
      if (n <= 0 && !protectedBuffers.has(b)) toFree.push(b);
    };
    const flush = async () => {
      await rt.submit();
      for (const b of toFree.splice(0)) rt.destroyBuffer(b);
    };
    const kept = options.keep === 'all' ? new Map<PlanNode, { output: GpuTensor; grad: GpuTensor | null; clock: [number, number] }>() : null;
    // Fused chains skip the per-layer values that flow statistics and kept tensors record.
    const plan = !flowStats && !kept ? this.fusedPlan : this.plan;
    const keepCopy = (t: GpuTensor, label: string): GpuTensor => {
      const owner = rt.owner;
      rt.owner = 'trace';
      const copy = rt.tensor(label, t.shape, t.dtype);
      rt.owner = owner;
      rt.copy(t.buffer, copy.buffer, 4 * numel(t.shape));
      return copy;
    };

    // Forward.
    rt.owner = 'forward input';
    this.input = rt.tensor('input', this.graph.input.shape, this.hostInput instanceof Int32Array ? 'int32' : 'float32', this.hostInput!);
    this.values[0].tensor = this.input;
    hold(this.input.buffer, this.values[0].readers);
    for (const v of this.values.slice(1)) v.tensor = null;
    for (const p of plan) {
      rt.owner = `forward ${p.path}`;
      const ins = p.inputs.map((i) => this.values[i].tensor!);
      const params = Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, v.tensor]));
      const buffers = Object.fromEntries(Object.entries(p.buffers).map(([k, v]) => [k, v.tensor]));
      const run = await p.impl.forward(rt, ins, params, buffers, { seed: this.seed, step: this.stepCount });
      p.run = run;
      const out = this.values[p.output];
      out.tensor = run.output;
      hold(run.output.buffer, out.readers);
      // What backward reads: the analysis' saved storages among this layer's inputs and output.
      p.held = [];
      for (const s of new Set(p.keeps)) {
        const v = [...p.inputs, p.output].map((i) => this.values[i]).find((val) => val.storage === s);
        if (v?.tensor) p.held.push(v.tensor.buffer);
      }
      for (const b of p.held) hold(b);
      // Updated running statistics go back into the layer's own buffers.
      for (const [name, t] of Object.entries(run.updatedBuffers)) {
        rt.copy(t.buffer, p.buffers[name].tensor.buffer, 4 * numel(t.shape));
        rt.releaseAfterSubmit(t);
      }
      if (flowStats) {
        await tensorStats(rt, run.output, stats, p.actSlot, p.impl.band?.[0] ?? -Infinity, p.impl.band?.[1] ?? Infinity);
        if (p.units) await unitMax(rt, run.output, stats, p.unitSlot, ...p.units);
      }
      if (kept) kept.set(p, { output: keepCopy(run.output, `${p.path} output (kept)`), grad: null, clock: [0, 0] });
      for (const i of p.inputs) unhold(this.values[i].tensor!.buffer);
      await flush();
      if (kept) kept.get(p)!.clock[0] = ledgerClock(rt);
    }

    // Loss.
    rt.owner = 'loss';
    const modelOutput = this.values[this.outputValue].tensor!;
    // A mask keeps the rows whose loss counts (contiguous runs copied), as out[mask] does.
    const runs = rowRuns(this.maskedRows());
    const rowBytes = 4 * numel(modelOutput.shape.slice(1));
    let logits: GpuTensor = { ...modelOutput, shape: this.lossShape };
    if (runs) {
      logits = rt.tensor('loss.input (masked rows)', [runs.reduce((n, [, len]) => n + len, 0), ...modelOutput.shape.slice(1)]);
      let at = 0;
      for (const [start, len] of runs) {
        rt.copy(modelOutput.buffer, logits.buffer, len * rowBytes, start * rowBytes, at * rowBytes);
        at += len;
      }
    }
    const lossOp = OPS[this.loss === 'cross_entropy' ? 'cross_entropy' : 'mse_loss'];
    const lossInputs: Record<string, GpuTensor> = this.loss === 'cross_entropy' ? { logits, target: this.target! } : { x: logits, target: this.target! };
    const prepared = lossOp.prepare({}, Object.fromEntries(Object.entries(lossInputs).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype }])));
    const lossRun: OpRun = await prepared.forward(rt, lossInputs, { trace: false });
    const lossTensor = lossRun.outputs.loss;
    await tensorStats(rt, lossTensor, stats, this.lossSlot);
    const one = rt.tensor('grad_output.loss', [], 'float32', [1]);
    const lossGrads = await lossRun.backward({ loss: one });
    const grads = new Map<number, GpuTensor>();
    let outputGrad = lossGrads[this.loss === 'cross_entropy' ? 'logits' : 'x'];
    if (runs) {
      const scattered = rt.tensor('loss.grad (masked rows scattered)', modelOutput.shape);
      let at = 0;
      for (const [start, len] of runs) {
        rt.copy(outputGrad.buffer, scattered.buffer, len * rowBytes, at * rowBytes, start * rowBytes);
        at += len;
      }
      rt.releaseAfterSubmit(outputGrad, logits);
      outputGrad = scattered;
    }
    grads.set(this.outputValue, { ...outputGrad, shape: [...this.graph.output.shape] });
    rt.releaseAfterSubmit(one, lossTensor, ...Object.values(lossRun.trace));
    unhold(modelOutput.buffer);
    await flush();

    // Backward, in reverse.
    for (let k = plan.length - 1; k >= 0; k--) {
      const p = plan[k];
      const run = p.run!;
      rt.owner = `backward ${p.path}`;
      const g = grads.get(p.output);
      if (g) {
        grads.delete(p.output);
        if (kept) kept.get(p)!.grad = keepCopy(g, `${p.path} grad_output (kept)`);
        if (flowStats) await tensorStats(rt, g, stats, p.gradSlot);
        // Nothing reads the gradient of the model's data input (value 0).
        const result = await run.backward(g, { skipInputs: p.inputs.every((i) => i === 0) });
        // Buffers now owned by the gradient map (a view's gradient shares g's buffer).
        const stored = new Set<GPUBuffer>();
        for (let j = 0; j < p.inputs.length; j++) {
          const gi = result.inputs[j];
          if (!gi) continue;
          const existing = grads.get(p.inputs[j]);
          if (existing) {
            await accumulate(rt, gi, existing);
            if (!stored.has(gi.buffer)) rt.releaseAfterSubmit(gi);
          } else {
            grads.set(p.inputs[j], gi);
            stored.add(gi.buffer);
          }
        }
        for (const [name, pg] of Object.entries(result.params)) {
          const param = p.params[name];
          const slots = this.paramSlots.get(param)!;
          if (param?.grad) rt.copy(pg.buffer, param.grad.buffer, 4 * numel(param.shape));
          if (flowStats) {
            await tensorStats(rt, param?.grad ?? pg, stats, slots[1]);
            await tensorStats(rt, param.tensor, stats, slots[0]);
          }
          rt.releaseAfterSubmit(pg);
        }
        if (p.steps && run.trace.grad_h_norm) rt.copy(run.trace.grad_h_norm.buffer, stats.buffer, 4 * p.steps, 0, 4 * p.stepSlot);
        if (!stored.has(g.buffer)) rt.releaseAfterSubmit(g);
      }
      for (const t of run.scratch) if (!protectedBuffers.has(t.buffer)) rt.releaseAfterSubmit(t);
      for (const b of p.held) unhold(b);
      p.run = null;
      await flush();
      if (kept) kept.get(p)!.clock[1] = ledgerClock(rt);
    }
    for (const t of grads.values()) rt.releaseAfterSubmit(t);
    grads.clear();
    await flush();
    const keptLayers = kept ? await this.readKept(kept) : undefined;

    let gradients: Record<string, Float32Array> | undefined;
    if (options.readGradients) {
      const trained = this.params.filter((p) => p.grad);
      const data = await rt.read(trained.map((p) => p.grad!));
      gradients = Object.fromEntries(trained.map((p, i) => [p.name, data[i] as Float32Array]));
    }

    // Optimizer step: each trainable parameter; its .grad then holds the update.
    rt.owner = 'optimizer';
    const o = this.optimizer;
    for (const p of this.params) {
      if (!p.grad) continue;
      if (o.type === 'adam') {
        await adamStep(rt, p.tensor, p.grad, p.state[0], p.state[1], { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weight_decay }, this.stepCount);
      } else {
        this.unused ??= rt.tensor('sgd (no momentum buffer)', [1]);
        await sgdStep(rt, p.tensor, p.grad, p.state[0] ?? this.unused, { lr: o.lr, momentum: o.momentum, dampening: 0, weightDecay: o.weight_decay, nesterov: false }, this.stepCount);
      }
      const slots = this.paramSlots.get(p);
      if (slots && flowStats) await tensorStats(rt, p.grad, stats, slots[2]);
    }
    await flush();
    const peak = rt.ledger.peakBytes;
    const endClock = ledgerClock(rt);
    rt.owner = 'stats';
    const [raw] = await rt.read([stats]);
    const timings = await rt.timings();
    rt.owner = 'runtime';
    return {
      step: this.stepCount, loss: decodeStats(raw, this.lossSlot).mean, layers: flowStats ? this.decode(raw as Float32Array) : [],
      peak_bytes: peak, clock: [startClock, endClock], wall_ms: performance.now() - started,
      gpu_ms: timings.total_gpu_ns === null ? null : timings.total_gpu_ns / 1e6, timings,
      ...(gradients ? { gradients } : {}),
      ...(keptLayers ? { kept: keptLayers } : {}),
    };
  }

  /** Reads the copies `keep: 'all'` made (one readback) and frees them. */
  private async readKept(kept: Map<PlanNode, { output: GpuTensor; grad: GpuTensor | null; clock: [number, number] }>): Promise<KeptLayer[]> {
    const producer = new Map<number, string>([[0, 'input'], ...this.plan.map((p) => [p.output, p.path] as [number, string])]);
    const entries = [...kept.entries()];
    const tensors = entries.flatMap(([, k]) => (k.grad ? [k.output, k.grad] : [k.output]));
    const data = await this.rt.read(tensors);
    this.rt.release(...tensors);
    let at = 0;
    return entries.map(([p, k]) => ({
      name: p.path, type: p.type, inputs: p.inputs.map((i) => producer.get(i)!),
      output: { shape: [...k.output.shape], data: data[at++] },
      grad_output: k.grad ? { shape: [...k.grad.shape], data: data[at++] as Float32Array } : null,
      clock: k.clock,
    }));
  }

  /**
   * Forward only, in eval mode (PyTorch's model.eval()): the model output and the loss of `input`
   * against `target`. BatchNorm normalizes with its running statistics (batch statistics when it
   * tracks none), every dropout is the identity; nothing is kept for a backward, and running
   * statistics, parameters, gradients, optimizer state and the training data stay as they are.
   * `target` covers every output row (no mask); cross entropy skips rows whose class is -100.
   * `afterLayer` sees (and may replace) every non-view layer's output.
   */
  async evaluate(input: ArrayLike<number>, target: ArrayLike<number>, afterLayer?: AfterLayerHook): Promise<{ loss: number; output: Float32Array }> {
    const rt = this.rt;
    const inShape = this.graph.input.shape;
    const isInt = this.graph.input.kind === 'int';
    if (input.length !== numel(inShape)) throw new InputError(`evaluate: input has ${input.length} values, the model input [${inShape.join(', ')}] needs ${numel(inShape)}`);
    if (isInt) {
      const vocabulary = this.vocabulary();
      const bad = Array.prototype.findIndex.call(input, (t: number) => !Number.isInteger(t) || t < 0 || t >= vocabulary);
      if (bad >= 0) throw new InputError(`evaluate: input[${bad}] = ${input[bad]} is not a token id in [0, ${vocabulary})`);
    }
    const out = this.lossShape;
    const classes = this.loss === 'cross_entropy';
    if (target.length !== (classes ? out[0] : numel(out))) throw new InputError(`evaluate: target has ${target.length} values, ${this.loss} needs ${classes ? out[0] : numel(out)} (model output [${out.join(', ')}])`);
    if (classes) {
      const bad = Array.prototype.findIndex.call(target, (t: number) => t !== -100 && !(Number.isInteger(t) && t >= 0 && t < out[1]));
      if (bad >= 0) throw new InputError(`evaluate: target[${bad}] = ${target[bad]} is not a class index in [0, ${out[1]}) or -100 (ignored)`);
    }
    await rt.submit();
    const previousOwner = rt.owner;
    rt.owner = 'evaluate';
    const protectedBuffers = new Set<GPUBuffer>(this.params.map((p) => p.tensor.buffer));
    for (const p of this.plan) for (const b of Object.values(p.buffers)) protectedBuffers.add(b.tensor.buffer);
    const holds = new Map<GPUBuffer, number>();
    const live: (GpuTensor | null)[] = this.values.map(() => null);
    const unhold = (b: GPUBuffer) => {
      const n = (holds.get(b) ?? 0) - 1;
      holds.set(b, n);
      if (n > 0) return;
      // A destroyed buffer may come back from the pool as a new tensor: forget it.
      holds.delete(b);
      if (!protectedBuffers.has(b)) rt.destroyBuffer(b);
    };
    live[0] = rt.tensor('evaluate input', inShape, isInt ? 'int32' : 'float32', input);
    holds.set(live[0].buffer, this.values[0].readers);
    for (const p of afterLayer ? this.plan : this.fusedPlan) {
      const params = Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, v.tensor]));
      const buffers = Object.fromEntries(Object.entries(p.buffers).map(([k, v]) => [k, v.tensor]));
      const run = await p.impl.forward(rt, p.inputs.map((i) => live[i]!), params, buffers, { seed: this.seed, step: this.stepCount, training: false });
      let output = run.output;
      const replaced = afterLayer && !p.node.view ? await afterLayer({ path: p.path, type: p.type }, output) : null;
      if (replaced) {
        // A layer that returns its input (dropout in eval) must not lose that buffer.
        const shared = protectedBuffers.has(output.buffer) || p.inputs.some((i) => live[i]!.buffer === output.buffer);
        if (!shared) rt.releaseAfterSubmit(output);
        output = replaced;
      }
      live[p.output] = output;
      holds.set(output.buffer, (holds.get(output.buffer) ?? 0) + this.values[p.output].readers);
      await rt.submit();
      for (const t of [...run.scratch, ...Object.values(run.updatedBuffers)]) if (!protectedBuffers.has(t.buffer) && !holds.has(t.buffer)) rt.destroyBuffer(t.buffer);
      for (const i of p.inputs) unhold(live[i]!.buffer);
    }
    const modelOutput = live[this.outputValue]!;
    const targetTensor = rt.tensor('evaluate target', classes ? [out[0]] : out, classes ? 'int32' : 'float32', target);
    const logits: GpuTensor = { ...modelOutput, shape: out };
    const lossOp = OPS[classes ? 'cross_entropy' : 'mse_loss'];
    const lossInputs: Record<string, GpuTensor> = classes ? { logits, target: targetTensor } : { x: logits, target: targetTensor };
    // The host target lets cross entropy's mean count only the rows that are not ignored.
    const prepared = lossOp.prepare({}, Object.fromEntries(Object.entries(lossInputs).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, ...(t === targetTensor ? { data: target } : {}) }])));
    const lossRun: OpRun = await prepared.forward(rt, lossInputs, { trace: false });
    const [lossValue, output] = await rt.read([lossRun.outputs.loss, modelOutput]);
    rt.release(targetTensor, lossRun.outputs.loss, ...Object.values(lossRun.trace));
    unhold(modelOutput.buffer);
    rt.owner = previousOwner;
    return { loss: lossValue[0], output: output as Float32Array };
  }

  private decode(raw: Float32Array): LayerFlow[] {
    const flow = (s: TensorSummary): TensorFlowStats => ({ mean: s.mean, std: s.std, norm: s.norm, rms: s.rms, max_abs: s.max_abs, nonfinite: s.nonfinite });
    return this.plan.map((p) => {
      const act = decodeStats(raw, p.actSlot);
      const grad = decodeStats(raw, p.gradSlot);
      const row: LayerFlow = {
        name: p.path, type: p.type, output_shape: p.node.outputShape,
        activation: flow(act),
        grad: grad.count > 0 ? flow(grad) : null,
        params: Object.values(p.params).map((param): ParamFlow => {
          const [w, g, u] = this.paramSlots.get(param)!.map((slot) => decodeStats(raw, slot));
          const trained = !!param.grad;
          return {
            name: param.local, shape: param.shape, norm: w.norm, grad_norm: g.norm, grad_rms: g.rms,
            update_norm: trained ? u.norm : null,
            update_ratio: trained ? (w.norm > 0 ? u.norm / w.norm : u.norm > 0 ? Infinity : 0) : null,
            nonfinite: g.nonfinite + w.nonfinite,
          };
        }),
      };
      if (p.units) {
        const maxima = raw.subarray(p.unitSlot, p.unitSlot + p.units[1]);
        row.dead_fraction = maxima.reduce((n, v) => n + (v <= 0 ? 1 : 0), 0) / p.units[1];
        row.zero_fraction = act.outside_fraction;
      }
      if (p.impl.band && p.type !== 'ReLU') row.saturated_fraction = act.outside_fraction;
      if (p.steps) row.grad_h_norm = Array.from(raw.subarray(p.stepSlot, p.stepSlot + p.steps));
      return row;
    });
  }

  /** Reads every parameter (and buffer) back, by dotted name. */
  async readParams(): Promise<Record<string, Float32Array>> {
    const all = [...this.params, ...this.plan.flatMap((p) => Object.values(p.buffers))];
    const data = await this.rt.read(all.map((p) => p.tensor));
    return Object.fromEntries(all.map((p, i) => [p.name, data[i] as Float32Array]));
  }

  /** Reads the persistent gradients (after a step: the updates the optimizer applied). */
  async readGrads(): Promise<Record<string, Float32Array>> {
    const all = this.params.filter((p) => p.grad);
    const data = await this.rt.read(all.map((p) => p.grad!));
    return Object.fromEntries(all.map((p, i) => [p.name, data[i] as Float32Array]));
  }

  /** Overwrites one parameter's values (tests, fixtures). */
  setParam(name: string, data: ArrayLike<number>): void {
    const p = [...this.params, ...this.plan.flatMap((n) => Object.values(n.buffers))].find((q) => q.name === name);
    if (!p) throw new InputError(`no parameter "${name}" (parameters: ${this.params.map((q) => q.name).join(', ')})`);
    const typed = Float32Array.from(data);
    if (typed.length !== numel(p.shape)) throw new InputError(`parameter ${name} has ${numel(p.shape)} values, got ${typed.length}`);
    this.rt.device.queue.writeBuffer(p.tensor.buffer, 0, typed.buffer, typed.byteOffset, typed.byteLength);
  }

  /** The data in use (seeded unless setData replaced it). */
  data(): { input: Float32Array | Int32Array; target: Float32Array | Int32Array; edgeIndex?: Int32Array; mask?: Int32Array } {
    return { input: this.hostInput!, target: this.hostTarget!, ...(this.spec.graph ? { edgeIndex: this.graphData.edgeIndex } : {}), ...(this.mask ? { mask: this.mask } : {}) };
  }

  /** Frees every buffer the executor owns. */
  dispose(): void {
    const rt = this.rt;
    for (const p of this.params) rt.release(p.tensor, p.grad, ...p.state);
    for (const n of this.plan) for (const b of Object.values(n.buffers)) rt.release(b.tensor);
    rt.release(this.stats, this.target, this.unused);
    this.stats = null;
  }

  /** Floats in the statistics buffer (one readback per step). */
  get statsFloats(): number {
    return this.statsSize;
  }
}

/** Contiguous [start, length] runs of sorted row indices (null stays null). */
function rowRuns(rows: number[] | null): [number, number][] | null {
  if (!rows) return null;
  const runs: [number, number][] = [];
  for (const r of rows) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === r) last[1] += 1;
    else runs.push([r, 1]);
  }
  return runs;
}

/** " (did you mean …?)" with the three known names nearest by edit distance. */
function closeNames(name: string, known: string[]): string {
  const distance = (a: string, b: string) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length];
  };
  const close = known.map((k) => [k, distance(name, k)] as const).sort((a, b) => a[1] - b[1]).slice(0, 3).map(([k]) => `"${k}"`);
  return close.length ? ` (did you mean ${close.join(', ')}?)` : ' (the model has no parameters)';
}

/** The ledger's current event clock (one past the latest create or destroy). */
export function ledgerClock(rt: GpuRuntime): number {
  let c = 0;
  for (const e of rt.ledger.entries) c = Math.max(c, e.created + 1, (e.destroyed ?? -1) + 1);
  return c;
}
