/**
 * Exhibits "deep-mlp-sigmoid" and "deep-mlp-relu-init": a 100-layer plain MLP (sigmoid with
 * PyTorch's default init; ReLU with weights drawn N(0, 0.01²)) against the same depth built from
 * pre-norm residual blocks (LayerNorm → Linear → ReLU, He init). One SGD step on seeded data.
 */
import type { InitSpec, LayerSpec, ModelSpec } from '../../analysis/model_spec.ts';
import type { GpuRuntime } from '../../kernels/runtime.ts';
import { diagnoseSide, type ExhibitDefinition, type MuseumExhibit, type MuseumSide } from './exhibit.ts';

/** Linear layers of every deep MLP of these exhibits. */
export const DEEP_MLP_DEPTH = 100;
const WIDTH = 16;
const CLASSES = 10;
const BATCH = 8;
const LR = 0.01;

/** A plain MLP: `depth` Linear layers, `activation` after all but the last. */
export function plainMlp(name: string, depth: number, width: number, activation: string, init?: InitSpec): ModelSpec {
  const layers: LayerSpec[] = [];
  for (let i = 0; i < depth - 1; i++) layers.push({ type: 'Linear', name: `fc${i}`, in_features: width, out_features: width }, { type: activation, name: `act${i}` });
  layers.push({ type: 'Linear', name: 'head', in_features: width, out_features: CLASSES });
  return { name, input: [BATCH, width], layers, ...(init ? { init } : {}) };
}

/** The fix: Linear in, depth − 2 pre-norm residual blocks x + ReLU(Linear(LayerNorm(x))), LayerNorm, Linear out; He init. */
export function residualMlp(name: string, depth: number, width: number): ModelSpec {
  const layers: LayerSpec[] = [{ type: 'Linear', name: 'stem', in_features: width, out_features: width }];
  for (let i = 0; i < depth - 2; i++) {
    layers.push({ type: 'Residual', name: `block${i}`, body: [
      { type: 'LayerNorm', name: 'norm', normalized_shape: width },
      { type: 'Linear', name: 'fc', in_features: width, out_features: width },
      { type: 'ReLU', name: 'act' },
    ] });
  }
  layers.push({ type: 'LayerNorm', name: 'norm_out', normalized_shape: width }, { type: 'Linear', name: 'head', in_features: width, out_features: CLASSES });
  return { name, input: [BATCH, width], layers, init: 'kaiming_normal' };
}

const OPTIMIZER = { type: 'sgd', lr: LR } as const;

/** Both exhibits share the fixed model's run: one per runtime. */
const fixedRuns = new WeakMap<GpuRuntime, Promise<MuseumSide>>();

function fixedSide(rt: GpuRuntime): Promise<MuseumSide> {
  let run = fixedRuns.get(rt);
  if (!run) {
    run = diagnoseSide(rt, residualMlp(`residual_layernorm_mlp_${DEEP_MLP_DEPTH}`, DEEP_MLP_DEPTH, WIDTH), 1, { optimizer: OPTIMIZER }).then((r) => r.side);
    fixedRuns.set(rt, run);
    run.catch(() => fixedRuns.delete(rt));
  }
  return run;
}

async function deepMlpExhibit(rt: GpuRuntime, exhibit: string, title: string, description: string, broken: ModelSpec): Promise<MuseumExhibit> {
  const b = await diagnoseSide(rt, broken, 1, { optimizer: OPTIMIZER });
  return { exhibit, title, description, broken: b.side, fixed: await fixedSide(rt) };
}

export const deepMlpSigmoid: ExhibitDefinition = {
  name: 'deep-mlp-sigmoid',
  title: '100-layer plain MLP with sigmoid',
  run: (rt) => deepMlpExhibit(rt, 'deep-mlp-sigmoid', deepMlpSigmoid.title,
    `${DEEP_MLP_DEPTH} Linear layers of width ${WIDTH} with sigmoid between them (PyTorch's default init): σ' ≤ 0.25 at every layer, so ∂L/∂W of the first layers is many orders of magnitude below the last one's. The fix: the same depth as pre-norm residual blocks (LayerNorm, Linear, ReLU) with He init.`,
    plainMlp(`plain_sigmoid_mlp_${DEEP_MLP_DEPTH}`, DEEP_MLP_DEPTH, WIDTH, 'Sigmoid')),
};

export const deepMlpReluInit: ExhibitDefinition = {
  name: 'deep-mlp-relu-init',
  title: '100-layer plain MLP with ReLU and a bad init',
  run: (rt) => deepMlpExhibit(rt, 'deep-mlp-relu-init', deepMlpReluInit.title,
    `${DEEP_MLP_DEPTH} Linear layers of width ${WIDTH} with ReLU, weights drawn N(0, 0.01²): each layer scales the signal by about 0.01·√(${WIDTH}/2), so activations and gradients collapse towards 0 within a few layers. The fix: pre-norm residual blocks with He init.`,
    plainMlp(`plain_relu_mlp_${DEEP_MLP_DEPTH}_std0.01`, DEEP_MLP_DEPTH, WIDTH, 'ReLU', { scheme: 'normal', std: 0.01 })),
};
