/**
 * Whole-model training steps in tfjs (tfjs-backend-webgpu), written as a tfjs user would: the
 * weights as `tf.variable`s in NHWC / [in, out] layout, a loss function of tf ops, and
 * `optimizer.minimize` (tf.variableGrads + tf.train.sgd/momentum/adam). The models are the
 * issue's small CNN and the comparison lab's fashion_cnn and fashion_vit; each starts from our
 * executor's state_dict and trains on our executor's batch.
 */
import type * as TF from '@tensorflow/tfjs-core';
import { InputError } from '../analysis/errors.ts';
import type { LayerSpec, ModelSpec } from '../analysis/model_spec.ts';
import { zooModel } from '../analysis/zoo/index.ts';
import type { GpuRuntime } from '../kernels/runtime.ts';
import { median } from '../ops/bench.ts';
import { runModelBench } from '../ops/bench_model.ts';
import { Executor, type OptimizerConfig } from '../ops/executor/executor.ts';
import { fmt } from './bench.ts';
import { readOnnxManifest } from './peers_ort.ts';

type Tf = typeof TF;

/** A state_dict: PyTorch names → shape and float32 values. */
export type StateDict = Record<string, { shape: number[]; data: Float32Array }>;

/** The models with a tfjs training-step peer. */
export const TRAIN_PEER_MODELS = ['small_cnn', 'fashion_cnn', 'fashion_vit'] as const;
export type TrainPeerModel = (typeof TRAIN_PEER_MODELS)[number];

/** The ModelSpec of a peer model: the small CNN as exported to ONNX, or the zoo's. */
export function trainPeerSpec(model: TrainPeerModel): ModelSpec {
  return model === 'small_cnn' ? (readOnnxManifest().models.small_cnn.spec as ModelSpec) : zooModel(model);
}

/** The executor's parameters and buffers (running statistics) with their shapes. */
export async function executorState(ex: Executor): Promise<StateDict> {
  const values = await ex.readParams();
  const shapes = new Map(ex.params.map((p) => [p.name, p.shape]));
  return Object.fromEntries(Object.entries(values).map(([name, data]) => [name, { shape: shapes.get(name) ?? [data.length], data }]));
}

/** One tfjs training step after another on a fixed batch. */
export interface TfjsTrainer {
  /** Forward, loss, backward and the optimizer update; resolves with the loss before the update, read back with `data()`. */
  step(): Promise<number>;
  dispose(): void;
}

/** The optimizer in effect on our side, as tfjs's. */
function tfjsOptimizer(tf: Tf, o: OptimizerConfig): TF.Optimizer {
  if (o.weight_decay !== 0) throw new InputError(`tfjs peer: weight_decay ${o.weight_decay} has no tf.train equivalent`);
  if (o.type === 'adam') return tf.train.adam(o.lr, o.betas[0], o.betas[1], o.eps);
  return o.momentum > 0 ? tf.train.momentum(o.lr, o.momentum) : tf.train.sgd(o.lr);
}

/** BatchNorm's batch statistics of one step, kept to update the running ones after it. */
interface BatchStats {
  name: string;
  mean: TF.Tensor;
  variance: TF.Tensor;
  count: number;
}

/** Builds a model's variables (and BatchNorm running statistics) from a state_dict; `logits` is its forward on an NHWC batch. */
type ModelBuilder = (tf: Tf, state: StateDict, stats: BatchStats[], spec: ModelSpec) => { variables: TF.Variable[]; running: Map<string, TF.Variable>; logits: (x: TF.Tensor4D) => TF.Tensor };

/** Shared loaders: conv weights [O, I, kh, kw] → [kh, kw, I, O], linear [out, in] → [in, out]. */
function loaders(tf: Tf, state: StateDict) {
  const variables: TF.Variable[] = [];
  const get = (name: string) => {
    const w = state[name];
    if (!w) throw new InputError(`tfjs peer: the state_dict has no "${name}"`);
    return w;
  };
  const variable = (name: string, t: TF.Tensor) => {
    const v = tf.variable(t, true, name);
    t.dispose();
    variables.push(v);
    return v;
  };
  return {
    variables,
    variable,
    raw: (name: string) => variable(name, tf.tensor(get(name).data, get(name).shape)),
    conv: (name: string) => variable(name, tf.tidy(() => tf.transpose(tf.tensor(get(name).data, get(name).shape), [2, 3, 1, 0]))),
    dense: (name: string) => variable(name, tf.tidy(() => tf.transpose(tf.tensor2d(get(name).data, get(name).shape as [number, number])))),
    get,
  };
}

/** PyTorch's symmetric padding of a conv as tfjs's explicit NHWC padding. */
const pad = (p: number): [[number, number], [number, number], [number, number], [number, number]] => [[0, 0], [p, p], [p, p], [0, 0]];

/** conv 1→16 3×3 pad 1, ReLU, max-pool 2, conv 16→32, ReLU, max-pool 2, Linear 1568→10. */
const smallCnn: ModelBuilder = (tf, state) => {
  const L = loaders(tf, state);
  const w1 = L.conv('conv1.weight');
  const b1 = L.raw('conv1.bias');
  const w2 = L.conv('conv2.weight');
  const b2 = L.raw('conv2.bias');
  // PyTorch flattens C·H·W, NHWC flattens H·W·C: the fc weight's columns are permuted once.
  const [classes, features] = L.get('fc.weight').shape;
  const channels = L.get('conv2.weight').shape[0];
  const side = Math.round(Math.sqrt(features / channels));
  const fc = L.variable('fc.weight', tf.tidy(() => tf.reshape(tf.transpose(tf.tensor4d(L.get('fc.weight').data, [classes, channels, side, side]), [2, 3, 1, 0]), [features, classes])));
  const fcBias = L.raw('fc.bias');
  const logits = (x: TF.Tensor4D) => {
    let h = tf.fused.conv2d({ x, filter: w1 as TF.Tensor4D, strides: 1, pad: pad(1), bias: b1, activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.fused.conv2d({ x: h, filter: w2 as TF.Tensor4D, strides: 1, pad: pad(1), bias: b2, activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid');
    return tf.fused.matMul({ a: tf.reshape(h, [x.shape[0], -1]), b: fc as TF.Tensor2D, bias: fcBias });
  };
  return { variables: L.variables, running: new Map(), logits };
};

/** The comparison lab's ResNet-8: BatchNorm with batch statistics, updating its running ones. */
const fashionCnn: ModelBuilder = (tf, state, stats) => {
  const L = loaders(tf, state);
  const running = new Map<string, TF.Variable>();
  const convs = new Map<string, TF.Variable>();
  const norms = new Map<string, [TF.Variable, TF.Variable]>();
  for (const name of Object.keys(state)) {
    const layer = name.slice(0, name.lastIndexOf('.'));
    if (name.endsWith('running_mean') || name.endsWith('running_var')) running.set(name, tf.tidy(() => tf.variable(tf.tensor(state[name].data), false, name)));
    else if (state[name].shape.length === 4) convs.set(layer, L.conv(name));
    else if (name.endsWith('.weight') && state[`${layer}.running_mean`]) norms.set(layer, [L.raw(name), L.raw(`${layer}.bias`)]);
  }
  const fc = L.dense('fc.weight');
  const fcBias = L.raw('fc.bias');
  const conv = (x: TF.Tensor4D, name: string, stride: number, p: number) => tf.conv2d(x, convs.get(name) as TF.Tensor4D, stride, pad(p));
  const bn = (x: TF.Tensor4D, name: string): TF.Tensor4D => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    stats.push({ name, mean: tf.keep(mean), variance: tf.keep(variance), count: x.shape[0] * x.shape[1] * x.shape[2] });
    const [gamma, beta] = norms.get(name)!;
    return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5) as TF.Tensor4D;
  };
  const block = (x: TF.Tensor4D, name: string, stride: number) => {
    const h = tf.relu(bn(conv(x, `${name}.conv1`, stride, 1), `${name}.bn1`));
    const residual = bn(conv(h, `${name}.conv2`, 1, 1), `${name}.bn2`);
    const shortcut = convs.has(`${name}.downsample.0`) ? bn(conv(x, `${name}.downsample.0`, stride, 0), `${name}.downsample.1`) : x;
    return tf.relu(tf.add(residual, shortcut)) as TF.Tensor4D;
  };
  const logits = (x: TF.Tensor4D) => {
    let h = tf.relu(bn(conv(x, 'conv1', 1, 1), 'bn1'));
    h = block(h, 'layer1.0', 1);
    h = block(h, 'layer2.0', 2);
    h = block(h, 'layer3.0', 2);
    return tf.fused.matMul({ a: tf.mean(h, [1, 2]) as TF.Tensor2D, b: fc as TF.Tensor2D, bias: fcBias });
  };
  return { variables: L.variables, running, logits };
};

/**
 * The comparison lab's ViT (torchvision's VisionTransformer): 7×7 patch conv, class token and
 * position embedding, pre-norm encoder blocks with multi-head self-attention written from
 * tf.matMul and tf.softmax (tfjs-layers has no MultiHeadAttention), LayerNorm from tf.moments,
 * exact (erf) GELU, the class token's row into the head.
 */
const fashionVit: ModelBuilder = (tf, state, _stats, spec) => {
  const L = loaders(tf, state);
  const blocks = Object.keys(state).filter((n) => n.endsWith('.ln_1.weight')).map((n) => n.slice(0, -'.ln_1.weight'.length));
  const heads = numHeads(spec.layers);
  const patch = L.conv('patch_embed.conv_proj.weight');
  const patchBias = L.raw('patch_embed.conv_proj.bias');
  const classToken = L.raw('patch_embed.tokens.class_token');
  const position = L.raw('patch_embed.tokens.pos_embedding');
  const norm = (name: string) => [L.raw(`${name}.weight`), L.raw(`${name}.bias`)];
  const linear = (weight: string, bias = weight.replace(/weight$/, 'bias')) => [L.dense(weight), L.raw(bias)];
  const layers = blocks.map((b) => ({
    ln1: norm(`${b}.ln_1`), inProj: linear(`${b}.self_attention.in_proj_weight`), outProj: linear(`${b}.self_attention.out_proj.weight`),
    ln2: norm(`${b}.ln_2`), fc1: linear(`${b}.mlp.0.weight`), fc2: linear(`${b}.mlp.3.weight`),
  }));
  const finalNorm = norm('encoder.ln');
  const head = linear('heads.head.weight');
  const dense = (x: TF.Tensor, [w, b]: TF.Tensor[]) => {
    const [inFeatures, outFeatures] = (w as TF.Tensor2D).shape;
    const y = tf.fused.matMul({ a: tf.reshape(x, [-1, inFeatures]) as TF.Tensor2D, b: w as TF.Tensor2D, bias: b });
    return tf.reshape(y, [...x.shape.slice(0, -1), outFeatures]);
  };
  const layerNorm = (x: TF.Tensor, [gamma, beta]: TF.Tensor[]) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-6))), gamma), beta);
  };
  const gelu = (x: TF.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const attention = (x: TF.Tensor3D, inProj: TF.Tensor[], outProj: TF.Tensor[]) => {
    const [n, l, dim] = x.shape;
    const d = dim / heads;
    const split = (t: TF.Tensor) => tf.transpose(tf.reshape(t, [n, l, heads, d]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(dense(x, inProj), 3, -1).map(split);
    const p = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)));
    return dense(tf.reshape(tf.transpose(tf.matMul(p, v), [0, 2, 1, 3]), [n, l, dim]), outProj);
  };
  const logits = (x: TF.Tensor4D) => {
    const n = x.shape[0];
    const dim = (patch as TF.Tensor4D).shape[3];
    const size = (patch as TF.Tensor4D).shape[0];
    const tokens = tf.reshape(tf.fused.conv2d({ x, filter: patch as TF.Tensor4D, strides: size, pad: 'valid', bias: patchBias }), [n, -1, dim]);
    let h = tf.add(tf.concat([tf.broadcastTo(classToken, [n, 1, dim]), tokens], 1), position) as TF.Tensor3D;
    for (const b of layers) {
      h = tf.add(h, attention(layerNorm(h, b.ln1) as TF.Tensor3D, b.inProj, b.outProj));
      h = tf.add(h, dense(gelu(dense(layerNorm(h, b.ln2), b.fc1)), b.fc2));
    }
    const cls = tf.reshape(tf.slice(layerNorm(h, finalNorm), [0, 0, 0], [n, 1, -1]), [n, -1]);
    return dense(cls, head) as TF.Tensor2D;
  };
  return { variables: L.variables, running: new Map(), logits };
};

/** num_heads of the first MultiheadAttention in a layer tree. */
function numHeads(layers: LayerSpec[]): number {
  for (const layer of layers) {
    if (layer.type === 'MultiheadAttention') return layer.num_heads as number;
    const found = Array.isArray(layer.layers) ? numHeads(layer.layers as LayerSpec[]) : 0;
    if (found) return found;
  }
  return 0;
}

const BUILDERS: Record<TrainPeerModel, ModelBuilder> = { small_cnn: smallCnn, fashion_cnn: fashionCnn, fashion_vit: fashionVit };

/**
 * The tfjs trainer of `model`, starting from `state` (our executor's state_dict), on the batch
 * `input` (NCHW, transposed once to NHWC) with class indices `target`, and our optimizer's settings.
 * BatchNorm's running statistics follow PyTorch (momentum 0.1, unbiased batch variance).
 */
export function tfjsTrainer(tf: Tf, model: TrainPeerModel, state: StateDict, input: Float32Array, inputShape: number[], target: Int32Array, optimizer: OptimizerConfig): TfjsTrainer {
  const stats: BatchStats[] = [];
  const { variables, running, logits } = BUILDERS[model](tf, state, stats, trainPeerSpec(model));
  const [n, c, h, w] = inputShape;
  const x = tf.tidy(() => tf.transpose(tf.tensor4d(input, [n, c, h, w]), [0, 2, 3, 1])) as TF.Tensor4D;
  const classes = (state['fc.bias'] ?? state['heads.head.bias']).data.length;
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(target, 'int32'), classes));
  const opt = tfjsOptimizer(tf, optimizer);
  const lossOf = () => tf.losses.softmaxCrossEntropy(labels, logits(x)) as TF.Scalar;
  return {
    async step() {
      const cost = opt.minimize(lossOf, true, variables)!;
      tf.tidy(() => {
        for (const s of stats) {
          const mean = running.get(`${s.name}.running_mean`)!;
          const variance = running.get(`${s.name}.running_var`)!;
          mean.assign(tf.add(tf.mul(mean, 0.9), tf.mul(s.mean, 0.1)));
          variance.assign(tf.add(tf.mul(variance, 0.9), tf.mul(s.variance, 0.1 * s.count / (s.count - 1))));
        }
      });
      tf.dispose(stats.splice(0).flatMap((s) => [s.mean, s.variance]));
      const [loss] = await cost.data();
      cost.dispose();
      return loss;
    },
    dispose() {
      tf.dispose([x, labels, ...variables, ...running.values()]);
      opt.dispose();
    },
  };
}

/** Batch of the training-step peers (the issue's). */
export const TRAIN_BATCH = 64;

/** The bench-peers row name of a model's training step. */
export const trainStepName = (model: TrainPeerModel): string => `${model} training step, batch ${TRAIN_BATCH}`;

/** First-step losses agree when |ours − tfjs| <= 1e-3·|tfjs|. */
export const LOSS_RTOL = 1e-3;

/** One case measured side by side. `ratio` is ours / tfjs on wall time per call (or step). */
export interface PeerRow {
  name: string;
  ours_wall_ms: number;
  ours_gpu_ms: number | null;
  /** FLOPs over GPU time, as a fraction of the measured FMA peak. */
  fraction_of_peak: number | null;
  tfjs_wall_ms: number | null;
  ratio: number | null;
  tfjs: string;
}

/** A training step side by side, with both sides' first-step loss (checked before timing). */
export interface TrainPeerRow extends PeerRow {
  ours_first_loss: number;
  tfjs_first_loss: number;
}

/**
 * The training-step peers `filter` selects, at batch 64: the first step's loss on both sides from
 * the same state_dict and batch (the check: within LOSS_RTOL, else the row says so and is not
 * timed), then each side's wall time per step (forward, loss, backward, optimizer, the loss read
 * back) as the median of `runs` steps after two warm-up steps. Our timed steps run on a fresh
 * executor (runModelBench), seeded like the checked one: the same weights and batch.
 */
export async function benchTrainSteps(
  rt: GpuRuntime, tf: Tf, filter: string | null, runs: number, peak: { gflops: number; gbps: number }, progress: boolean,
): Promise<TrainPeerRow[]> {
  const rows: TrainPeerRow[] = [];
  for (const model of TRAIN_PEER_MODELS) {
    const name = trainStepName(model);
    if (filter !== null && !name.toLowerCase().includes(filter.toLowerCase())) continue;
    const spec = trainPeerSpec(model);
    const ex = await Executor.create(rt, spec, { batch: TRAIN_BATCH, flowStats: false });
    let trainer: TfjsTrainer;
    let oursLoss: number;
    try {
      const { input, target } = ex.data();
      trainer = tfjsTrainer(tf, model, await executorState(ex), input as Float32Array, ex.graph.input.shape, target as Int32Array, ex.optimizer);
      oursLoss = (await ex.step()).loss;
    } finally {
      ex.dispose();
    }
    const optimizer = ex.optimizer.type === 'adam' ? 'tf.train.adam' : ex.optimizer.momentum > 0 ? 'tf.train.momentum' : 'tf.train.sgd';
    try {
      const tfjsLoss = await trainer.step();
      const agree = Math.abs(oursLoss - tfjsLoss) <= LOSS_RTOL * Math.abs(tfjsLoss);
      const note = `tf.variableGrads + ${optimizer}; first-step loss ours ${oursLoss.toPrecision(6)}, tfjs ${tfjsLoss.toPrecision(6)}`;
      if (!agree) {
        rows.push({ name, ours_wall_ms: NaN, ours_gpu_ms: null, fraction_of_peak: null, tfjs_wall_ms: null, ratio: null, tfjs: `not timed: ${note} differ by more than ${LOSS_RTOL} relative`, ours_first_loss: oursLoss, tfjs_first_loss: tfjsLoss });
        continue;
      }
      const ours = await runModelBench(rt, spec, { train: true, batch: TRAIN_BATCH, runs, peak });
      const times: number[] = [];
      for (let i = 0; i < runs + 2; i++) {
        const started = performance.now();
        await trainer.step();
        if (i >= 2) times.push(performance.now() - started);
      }
      const theirs = median(times);
      rows.push({
        name, ours_wall_ms: ours.wall_ms, ours_gpu_ms: ours.gpu_ms, fraction_of_peak: ours.gpu_ms ? ours.flops / (ours.gpu_ms * 1e6 * peak.gflops) : null,
        tfjs_wall_ms: theirs, ratio: ours.wall_ms / theirs, tfjs: note, ours_first_loss: oursLoss, tfjs_first_loss: tfjsLoss,
      });
      if (progress) process.stderr.write(`  ${name}: ours ${fmt(ours.wall_ms, 3)} ms, tfjs ${fmt(theirs, 3)} ms\n`);
    } finally {
      trainer.dispose();
    }
  }
  return rows;
}
