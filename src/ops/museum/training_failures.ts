/**
 * Exhibits that train a few SGD steps and let `nnx diagnose`'s rules judge them:
 * "high-lr-no-norm" (a deep ReLU MLP at a high learning rate diverges; BatchNorm keeps it
 * stable), "dying-relu" (one large step pushes ReLU units dead; a normal step does not),
 * "saturated-init" (tanh with weights N(0, 1) saturates; Xavier init does not).
 */
import type { InitSpec, LayerSpec, ModelSpec } from '../../analysis/model_spec.ts';
import { diagnoseSide, exhibitPair } from './exhibit.ts';

/** `depth` Linear(width, width) + `activation` (with `norm` between them when given) and a 10-class head. */
export function mlp(name: string, depth: number, width: number, activation: string, options: { norm?: string; init?: InitSpec; batch?: number } = {}): ModelSpec {
  const layers: LayerSpec[] = [];
  for (let i = 0; i < depth; i++) {
    layers.push({ type: 'Linear', name: `fc${i}`, in_features: width, out_features: width });
    if (options.norm) layers.push({ type: options.norm, name: `norm${i}`, ...(options.norm === 'LayerNorm' ? { normalized_shape: width } : { num_features: width }) });
    layers.push({ type: activation, name: `act${i}` });
  }
  layers.push({ type: 'Linear', name: 'head', in_features: width, out_features: 10 });
  return { name, input: [options.batch ?? 16, width], layers, ...(options.init ? { init: options.init } : {}) };
}

/** An exhibit of two training runs [spec, lr, steps]: broken, then fixed. */
function pair(name: string, title: string, description: string, runs: [ModelSpec, number, number][]) {
  return exhibitPair(name, title, description, async (rt, fixed) => {
    const [spec, lr, steps] = runs[fixed ? 1 : 0];
    return (await diagnoseSide(rt, spec, steps, { optimizer: { type: 'sgd', lr } })).side;
  });
}

const HIGH_LR = { depth: 12, width: 32, lr: 1, steps: 5, batch: 64 };

export const highLrNoNorm = pair('high-lr-no-norm', 'Deep net without normalization at a high learning rate',
  `${HIGH_LR.depth} Linear + ReLU layers (He init) trained ${HIGH_LR.steps} SGD steps at lr ${HIGH_LR.lr} (batch ${HIGH_LR.batch}): without normalization each step rescales the weights the next step multiplies through, the loss diverges and ‖ΔW‖/‖W‖ explodes. With BatchNorm1d after every Linear the same learning rate trains.`,
  [
    [mlp('relu_mlp_no_norm', HIGH_LR.depth, HIGH_LR.width, 'ReLU', { init: 'kaiming_normal', batch: HIGH_LR.batch }), HIGH_LR.lr, HIGH_LR.steps],
    [mlp('relu_mlp_batchnorm', HIGH_LR.depth, HIGH_LR.width, 'ReLU', { init: 'kaiming_normal', norm: 'BatchNorm1d', batch: HIGH_LR.batch }), HIGH_LR.lr, HIGH_LR.steps],
  ]);

const DYING = { depth: 4, width: 32, lr: 5, safeLr: 0.05, steps: 3 };

export const dyingRelu = pair('dying-relu', 'Dying ReLUs after a large learning-rate step',
  `${DYING.depth} Linear + ReLU layers (He init) trained ${DYING.steps} SGD steps at lr ${DYING.lr}: one large step drives pre-activations negative for every sample, those units output 0 and pass no gradient, so they never recover. The same model at lr ${DYING.safeLr} keeps its units alive.`,
  [
    [mlp('relu_mlp_lr_large', DYING.depth, DYING.width, 'ReLU', { init: 'kaiming_normal' }), DYING.lr, DYING.steps],
    [mlp('relu_mlp_lr_small', DYING.depth, DYING.width, 'ReLU', { init: 'kaiming_normal' }), DYING.safeLr, DYING.steps],
  ]);

const SATURATED = { depth: 6, width: 64, std: 1 };

export const saturatedInit = pair('saturated-init', 'Saturated tanh from a large init',
  `${SATURATED.depth} Linear(${SATURATED.width}, ${SATURATED.width}) + Tanh layers with weights N(0, ${SATURATED.std}²): pre-activations have a standard deviation near √${SATURATED.width} = ${Math.sqrt(SATURATED.width)}, so most tanh outputs sit at ±1 where the derivative is ≈ 0. Xavier init keeps them in the linear range.`,
  [
    [mlp('tanh_mlp_normal_std1', SATURATED.depth, SATURATED.width, 'Tanh', { init: { scheme: 'normal', std: SATURATED.std } }), 0.01, 1],
    [mlp('tanh_mlp_xavier', SATURATED.depth, SATURATED.width, 'Tanh', { init: 'xavier_uniform' }), 0.01, 1],
  ]);
