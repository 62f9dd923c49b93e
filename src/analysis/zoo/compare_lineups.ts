import { InputError } from '../errors.ts';
import type { ModelSpec, OptimizerObject } from '../model_spec.ts';
import { fashionCnn, fashionVit } from './compare_models.ts';
import { gatKarate, gcnKarate, sageKarate } from './gnn.ts';

/**
 * The built-in line-ups of `nnx compare`: one task, several architectures of similar size,
 * trained with the same data, seed, optimizer and budget. Each spec is sized for the task's
 * data (input features, classes); the runner then fits its batch, sequence length or graph size.
 */

/** What a line-up's specs are built for: features per node or step (or image channels), and outputs (classes, or 1 for a regression). */
export interface TaskShape {
  features: number;
  outputs: number;
}

/** A line-up: its data, its default budget and optimizer, its architectures by name. */
export interface Lineup {
  task: string;
  description: string;
  /** The data set by the name `nnx train --data` takes. */
  data: string;
  steps: number;
  /** Mini-batch size (none for a graph: every step sees the whole graph). */
  batch?: number;
  evalEvery: number;
  optimizer: OptimizerObject;
  archs: Record<string, (shape: TaskShape) => ModelSpec>;
}

/** Length of the adding-problem sequences when `--length` is not given. */
export const DEFAULT_SEQUENCE_LENGTH = 50;
const HIDDEN = 32;

/** A recurrent layer over [N, T, F], its last step, then Linear(H, outputs). */
function recurrent(type: 'RNN' | 'LSTM' | 'GRU', { features, outputs }: TaskShape): ModelSpec {
  return {
    name: `${type.toLowerCase()}_h${HIDDEN}`, input: [1, DEFAULT_SEQUENCE_LENGTH, features], batch_dim: 0,
    layers: [
      { type, name: 'rnn', input_size: features, hidden_size: HIDDEN, batch_first: true },
      { type: 'Select', name: 'last', dim: 1, index: -1 },
      { type: 'Linear', name: 'head', in_features: HIDDEN, out_features: outputs },
    ],
  };
}

/**
 * Linear(F, 16) per step → one pre-norm encoder layer (2 heads; no positions: the adding
 * problem's answer ignores order) → mean over steps → Linear. Width 16 keeps its parameters
 * near the recurrent models' and its step under a few seconds on SwiftShader at T = 50.
 */
function sequenceTransformer({ features, outputs }: TaskShape): ModelSpec {
  const width = 16;
  return {
    name: `transformer_d${width}`, input: [1, DEFAULT_SEQUENCE_LENGTH, features], batch_dim: 0,
    layers: [
      { type: 'Linear', name: 'embed', in_features: features, out_features: width },
      { type: 'TransformerEncoderLayer', name: 'encoder', d_model: width, nhead: 2, dim_feedforward: 2 * width, dropout: 0, batch_first: true, norm_first: true },
      { type: 'Mean', name: 'pool', dim: 1 },
      { type: 'Linear', name: 'head', in_features: width, out_features: outputs },
    ],
  };
}

/** The zoo's karate GNNs with their first layer reading `features` and their last giving `outputs` classes. */
function graphModel(build: () => ModelSpec, { features, outputs }: TaskShape): ModelSpec {
  const spec = build();
  const layers = spec.layers.map((l) => ({ ...l }));
  const convs = layers.filter((l) => /Conv$/.test(l.type));
  convs[0].in_channels = features;
  convs[convs.length - 1].out_channels = outputs;
  return { ...spec, name: spec.name!.replace(/_karate$/, ''), input: [1, features], layers };
}

/** The line-ups by task name. */
export const LINEUPS: Record<string, Lineup> = {
  image: {
    task: 'image',
    description: 'Fashion-MNIST (1×28×28, 10 classes): a ResNet-8 CNN and a ViT-Tiny-style transformer of about the same parameter count',
    data: 'fashion-mnist',
    steps: 300,
    batch: 32,
    evalEvery: 100,
    optimizer: { type: 'adam', lr: 0.002 },
    archs: { cnn: fashionCnn, vit: fashionVit },
  },
  sequence: {
    task: 'sequence',
    description: 'the adding problem (regression, MSE): RNN, LSTM, GRU with 32 hidden units and a one-layer transformer encoder of width 16',
    data: `adding:${DEFAULT_SEQUENCE_LENGTH}`,
    // At T = 50 with PyTorch's initialization the LSTM sits on the trivial MSE for hundreds of
    // steps: at Adam lr 0.01 it had not left it after 1,200 (batch 16, 32 or 64), at lr 0.03 it
    // did between steps 600 and 750 (measured with nnx train, seed 0).
    steps: 1000,
    batch: 16,
    evalEvery: 100,
    optimizer: { type: 'adam', lr: 0.03 },
    archs: {
      rnn: (s) => recurrent('RNN', s),
      lstm: (s) => recurrent('LSTM', s),
      gru: (s) => recurrent('GRU', s),
      transformer: sequenceTransformer,
    },
  },
  graph: {
    task: 'graph',
    description: "node classification on Zachary's karate club (or a stochastic block model): two-layer GCN, GAT and GraphSAGE",
    data: 'karate',
    steps: 100,
    evalEvery: 10,
    optimizer: { type: 'adam', lr: 0.01 },
    archs: {
      gcn: (s) => graphModel(gcnKarate, s),
      gat: (s) => graphModel(gatKarate, s),
      sage: (s) => graphModel(sageKarate, s),
    },
  },
};

/** The line-up of `task`, or an error naming the known ones. */
export function lineup(task: string): Lineup {
  const found = LINEUPS[task];
  if (!found) throw new InputError(`compare: unknown task ${JSON.stringify(task)} (tasks: ${Object.keys(LINEUPS).join(', ')})`);
  return found;
}
