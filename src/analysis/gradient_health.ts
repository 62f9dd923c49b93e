/**
 * Gradient health: the per-layer gradient-flow statistics of a training step and the rules
 * that turn them into verdicts (`vanishing`, `exploding`, `dead_relu`, `saturation`,
 * `nonfinite`), each with the evidence in numbers and concrete recommendations. Pure TS: the
 * executor measures, this judges, so the rules are tested on synthetic statistics too.
 */

/** Summary of one tensor. */
export interface TensorFlowStats {
  mean: number;
  std: number;
  /** L2 norm. */
  norm: number;
  /** sqrt(mean of squares): comparable across layers of different sizes. */
  rms: number;
  max_abs: number;
  nonfinite: number;
}

/** One parameter of a layer. */
export interface ParamFlow {
  name: string;
  shape: number[];
  /** ‖W‖ before the step. */
  norm: number;
  /** ‖∂L/∂W‖. */
  grad_norm: number;
  grad_rms: number;
  /** ‖ΔW‖ the optimizer applied (null when frozen). */
  update_norm: number | null;
  /** ‖ΔW‖ / ‖W‖. */
  update_ratio: number | null;
  nonfinite: number;
}

/** Gradient flow of one leaf layer, in forward order. */
export interface LayerFlow {
  name: string;
  type: string;
  output_shape: number[];
  /** The layer's output in the forward pass. */
  activation: TensorFlowStats;
  /** ∂L/∂(layer output) in the backward pass; null when the output does not reach the loss. */
  grad: TensorFlowStats | null;
  /** ReLU: fraction of units (channels or features) that are 0 for every sample of the batch. */
  dead_fraction?: number;
  /** ReLU: fraction of output elements that are 0. */
  zero_fraction?: number;
  /** Tanh (|y| >= 0.99) or Sigmoid (y <= 0.01 or >= 0.99): fraction of saturated outputs. */
  saturated_fraction?: number;
  params: ParamFlow[];
  /** Recurrent layers: ‖∂L/∂h_t‖ for t = 0 … T−1. */
  grad_h_norm?: number[];
}

export type VerdictKind = 'vanishing' | 'exploding' | 'dead_relu' | 'saturation' | 'nonfinite';

export interface Verdict {
  kind: VerdictKind;
  layer: string;
  /** The evidence, with numbers. */
  message: string;
  /** What it means, in plain language. */
  explanation: string;
  recommendations: string[];
}

/** What the rules know about the model besides the statistics. */
export interface ModelTraits {
  activations: string[];
  hasNorm: boolean;
  hasResidual: boolean;
  recurrent: string[];
  /** The weight initialization in effect (scheme name). */
  init: string;
  lr: number;
  optimizer: string;
}

/** Thresholds of the rules (exported so tests and docs quote the same numbers). */
export const THRESHOLDS = {
  /** Gradient RMS falls by this factor or more from the last layer to an earlier one: vanishing. */
  trendVanish: 1e-3,
  /** Gradient RMS grows by this factor or more from the last layer to an earlier one: exploding. */
  trendExplode: 1e3,
  /** ‖∂L/∂W‖ / ‖W‖ above this at any layer: one SGD step at lr 0.1 would more than replace W. */
  relativeGradExplode: 10,
  /** ‖∂L/∂W‖ / ‖W‖ below this at every layer: no sane learning rate moves the weights. */
  relativeGradVanish: 1e-7,
  /** Activation RMS above this: the forward signal has blown up. */
  activationExplode: 1e3,
  /** ‖ΔW‖/‖W‖ above this after a step: the update rewrites the weights. */
  updateRatioExplode: 1,
  /** Dead ReLU units above this fraction. */
  dead: 0.4,
  /** Saturated tanh/sigmoid outputs above this fraction. */
  saturated: 0.3,
  /** Recurrent: ‖∂L/∂h_0‖ / ‖∂L/∂h_{T−1}‖ below this: vanishing through time. */
  timeVanish: 1e-3,
  timeExplode: 1e3,
} as const;

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : Number(v.toPrecision(3)).toString();
}

function pct(v: number): string {
  return `${(100 * v).toFixed(v < 0.1 ? 1 : 0)}%`;
}

/** The main weight of a layer (rank >= 2), if any. */
function mainWeight(l: LayerFlow): ParamFlow | undefined {
  return l.params.find((p) => p.shape.length >= 2) ?? l.params[0];
}

function relGrad(p: ParamFlow): number {
  return p.norm > 0 ? p.grad_norm / p.norm : p.grad_norm > 0 ? Infinity : 0;
}

const SQUASHING = ['Sigmoid', 'Tanh'];

function initAdvice(t: ModelTraits): string[] {
  const out: string[] = [];
  if (t.activations.some((a) => a === 'ReLU' || a === 'LeakyReLU' || a === 'GELU' || a === 'SiLU')) {
    out.push('He (Kaiming) initialization for the ReLU layers: "init": "kaiming_normal" (std √(2/fan_in)), which keeps the activation and gradient variance constant with depth');
  }
  if (t.activations.some((a) => SQUASHING.includes(a)) || t.recurrent.length) {
    out.push('Xavier (Glorot) initialization for tanh/sigmoid layers: "init": "xavier_uniform" (bound √(6/(fan_in+fan_out)))');
  }
  return out;
}

/**
 * Judges one step's gradient flow. Vanishing and exploding look at absolute magnitudes (relative
 * weight gradients, activation sizes, update sizes) and at the trend of ∂L/∂(output) RMS from the
 * last layer back to the first, so a net whose gradients are all huge explodes even when its
 * first and last layers agree.
 */
export function diagnose(layers: LayerFlow[], traits: ModelTraits, loss: number | null = null): Verdict[] {
  const verdicts: Verdict[] = [];
  const T = THRESHOLDS;

  // Non-finite values: the first layer (forward) whose activations, or (backward) gradients, break.
  const badAct = layers.find((l) => l.activation.nonfinite > 0);
  const badGrad = [...layers].reverse().find((l) => (l.grad?.nonfinite ?? 0) > 0 || l.params.some((p) => p.nonfinite > 0));
  if (badAct || badGrad || (loss !== null && !Number.isFinite(loss))) {
    const where = badAct ?? badGrad ?? layers[layers.length - 1];
    const what = badAct
      ? `${badAct.activation.nonfinite} non-finite activation values in the forward pass`
      : badGrad ? `non-finite gradients (${badGrad.grad?.nonfinite ?? 0} in ∂L/∂output, ${badGrad.params.reduce((s, p) => s + p.nonfinite, 0)} in the parameters' gradients)` : `the loss is ${loss}`;
    verdicts.push({
      kind: 'nonfinite', layer: where.name,
      message: `layer ${where.name} (${where.type}): ${what}${loss !== null ? `; loss = ${fmt(loss)}` : ''}`,
      explanation: 'NaN or infinity appeared: an overflow (exploding values), a division by zero or a log of zero. Every later computation is poisoned, and the optimizer will write NaN into the weights.',
      recommendations: [
        `lower the learning rate (now ${fmt(traits.lr)}) by 10×`,
        'clip gradients: torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)',
        ...initAdvice(traits),
        'check the inputs and targets for NaN/inf and normalize the inputs',
      ],
    });
  }

  // Trend of ∂L/∂(layer output) RMS over the layers that have parameters (in forward order).
  const weighted = layers.filter((l) => l.params.length > 0 && l.grad && Number.isFinite(l.grad.rms));
  const last = weighted[weighted.length - 1];
  let vanishLayer: LayerFlow | null = null;
  let explodeLayer: LayerFlow | null = null;
  let explodeReason = '';
  if (last && last.grad!.rms > 0 && weighted.length >= 2) {
    for (const l of weighted.slice(0, -1)) {
      const ratio = l.grad!.rms / last.grad!.rms;
      if (!vanishLayer && ratio <= T.trendVanish) vanishLayer = l;
    }
    let worst: LayerFlow | null = null;
    for (const l of weighted.slice(0, -1)) if (!worst || l.grad!.rms > worst.grad!.rms) worst = l;
    if (worst && worst.grad!.rms / last.grad!.rms >= T.trendExplode) {
      explodeLayer = worst;
      explodeReason = `∂L/∂output RMS grows from ${fmt(last.grad!.rms)} at the last layer (${last.name}) to ${fmt(worst.grad!.rms)} at ${worst.name} (×${fmt(worst.grad!.rms / last.grad!.rms)})`;
    }
  }
  // Absolute magnitudes.
  const withWeights = layers.filter((l) => mainWeight(l) && Number.isFinite(mainWeight(l)!.grad_norm));
  const hugeRel = withWeights.filter((l) => relGrad(mainWeight(l)!) > T.relativeGradExplode);
  const hugeAct = layers.find((l) => l.activation.rms > T.activationExplode);
  const hugeUpdate = withWeights.find((l) => (mainWeight(l)!.update_ratio ?? 0) > T.updateRatioExplode);
  const absolute: string[] = [];
  if (hugeRel.length) {
    const w = hugeRel.reduce((a, b) => (relGrad(mainWeight(b)!) > relGrad(mainWeight(a)!) ? b : a));
    const p = mainWeight(w)!;
    absolute.push(`‖∂L/∂W‖/‖W‖ above ${T.relativeGradExplode} at ${hugeRel.length} of ${withWeights.length} layers (largest ${fmt(relGrad(p))} at ${w.name}: ‖∂L/∂W‖ = ${fmt(p.grad_norm)}, ‖W‖ = ${fmt(p.norm)})`);
    explodeLayer ??= w;
  }
  if (hugeAct) {
    absolute.push(`activation RMS ${fmt(hugeAct.activation.rms)} at ${hugeAct.name} (above ${T.activationExplode})`);
    explodeLayer ??= hugeAct;
  }
  if (hugeUpdate) {
    const p = mainWeight(hugeUpdate)!;
    absolute.push(`the step changed ${hugeUpdate.name}.${p.name} by ‖ΔW‖/‖W‖ = ${fmt(p.update_ratio!)}`);
    explodeLayer ??= hugeUpdate;
  }
  if (explodeLayer && (explodeReason || absolute.length)) {
    verdicts.push({
      kind: 'exploding', layer: explodeLayer.name,
      message: [explodeReason, ...absolute].filter(Boolean).join('; '),
      explanation: 'Gradients (or activations) are far too large: each layer multiplies them by more than 1, so a step overshoots and training diverges or turns into NaN. This can happen even when the first and last layers agree, if every layer is huge.',
      recommendations: [
        ...initAdvice(traits),
        `smaller initial weights: the current init is "${traits.init}"`,
        'clip gradients: torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)',
        `a lower learning rate (now ${fmt(traits.lr)})`,
        ...(traits.hasNorm ? [] : ['add BatchNorm (CNNs) or LayerNorm (MLPs, transformers) after the Linear/Conv layers']),
        ...(traits.recurrent.includes('RNN') ? ['use an LSTM or GRU instead of a plain RNN'] : []),
      ],
    });
  }

  const allTiny = withWeights.length > 0 && withWeights.every((l) => relGrad(mainWeight(l)!) < T.relativeGradVanish);
  if (vanishLayer || allTiny) {
    const l = vanishLayer ?? withWeights[0];
    const parts: string[] = [];
    if (vanishLayer) {
      parts.push(`∂L/∂output RMS falls from ${fmt(last.grad!.rms)} at the last layer (${last.name}) to ${fmt(vanishLayer.grad!.rms)} at ${vanishLayer.name} (×${fmt(vanishLayer.grad!.rms / last.grad!.rms)})`);
      const first = weighted[0];
      if (first !== vanishLayer) parts.push(`and to ${fmt(first.grad!.rms)} at the first layer ${first.name}`);
    }
    if (allTiny) parts.push(`‖∂L/∂W‖/‖W‖ is below ${T.relativeGradVanish} at every layer`);
    const w = mainWeight(l);
    if (w) parts.push(`${l.name}.${w.name}: ‖∂L/∂W‖ = ${fmt(w.grad_norm)}, ‖W‖ = ${fmt(w.norm)}`);
    verdicts.push({
      kind: 'vanishing', layer: l.name,
      message: parts.join('; '),
      explanation: 'Gradients shrink as they flow back through the layers, so the early layers barely learn. Sigmoid (slope at most 0.25) and tanh shrink the gradient at every layer, as do weights whose scale is too small for the depth.',
      recommendations: [
        ...initAdvice(traits),
        ...(traits.activations.some((a) => SQUASHING.includes(a)) ? ['replace sigmoid/tanh hidden activations with ReLU (with He init)'] : []),
        ...(traits.hasNorm ? [] : ['add BatchNorm/LayerNorm between the layers']),
        ...(traits.hasResidual ? [] : ['add residual (skip) connections so the gradient has a short path back']),
        ...(traits.recurrent.includes('RNN') ? ['use an LSTM or GRU instead of a plain RNN'] : []),
      ],
    });
  }

  // Through time (recurrent layers).
  for (const l of layers) {
    const g = l.grad_h_norm;
    if (!g || g.length < 2 || !(g[g.length - 1] > 0)) continue;
    const ratio = g[0] / g[g.length - 1];
    const kind: VerdictKind | null = ratio <= T.timeVanish ? 'vanishing' : ratio >= T.timeExplode ? 'exploding' : null;
    if (!kind || verdicts.some((v) => v.kind === kind && v.layer === l.name)) continue;
    verdicts.push({
      kind, layer: l.name,
      message: `${l.name} (${l.type}): ‖∂L/∂h_t‖ goes from ${fmt(g[g.length - 1])} at t = ${g.length - 1} to ${fmt(g[0])} at t = 0 (×${fmt(ratio)} over ${g.length} steps)`,
      explanation: kind === 'vanishing'
        ? 'The gradient shrinks at every step back in time, so the layer cannot learn dependencies that span many steps.'
        : 'The gradient grows at every step back in time (the recurrent weight amplifies it), so training diverges.',
      recommendations: kind === 'vanishing'
        ? [...(l.type === 'RNN' ? ['use an LSTM or GRU instead of a plain RNN: their gates carry the gradient across steps'] : []), 'shorter sequences (truncated backpropagation through time)', 'orthogonal initialization of weight_hh']
        : ['clip gradients: torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)', 'a lower learning rate', 'orthogonal initialization of weight_hh', ...(l.type === 'RNN' ? ['use an LSTM or GRU instead of a plain RNN'] : [])],
    });
  }

  for (const l of layers) {
    if (l.dead_fraction !== undefined && l.dead_fraction > T.dead) {
      const next = layers[layers.indexOf(l) - 1];
      const bias = next?.params.find((p) => p.name === 'bias');
      verdicts.push({
        kind: 'dead_relu', layer: l.name,
        message: `${l.name}: ${pct(l.dead_fraction)} of the units output 0 for every sample of the batch (${pct(l.zero_fraction ?? 0)} of all outputs are 0; activation mean ${fmt(l.activation.mean)})${bias ? `; the layer before it (${next!.name}) has ‖bias‖ = ${fmt(bias.norm)}` : ''}`,
        explanation: 'A ReLU unit whose input is negative for every sample outputs 0 and passes no gradient back, so it never recovers: its weights stop learning. Large negative biases, a too-high learning rate or a bad initialization cause it.',
        recommendations: [
          'initialize biases to 0 (or a small positive value) and the weights with He init: "init": "kaiming_normal"',
          'a lower learning rate: a large step can push every pre-activation negative',
          'LeakyReLU or GELU instead of ReLU, so negative inputs still pass a gradient',
          ...(traits.hasNorm ? [] : ['BatchNorm before the ReLU centers its inputs']),
        ],
      });
    }
    if (l.saturated_fraction !== undefined && l.saturated_fraction > T.saturated) {
      verdicts.push({
        kind: 'saturation', layer: l.name,
        message: `${l.name} (${l.type}): ${pct(l.saturated_fraction)} of the outputs are saturated (${l.type === 'Sigmoid' ? 'y <= 0.01 or y >= 0.99' : '|y| >= 0.99'}); activation std ${fmt(l.activation.std)}`,
        explanation: `A saturated ${l.type.toLowerCase()} has a derivative near 0, so almost no gradient passes back through it: its inputs are too large in magnitude.`,
        recommendations: [
          'Xavier (Glorot) initialization: "init": "xavier_uniform", so pre-activations stay near 0',
          ...(traits.hasNorm ? [] : ['BatchNorm/LayerNorm before the activation']),
          'normalize the inputs (zero mean, unit variance)',
          `a lower learning rate (now ${fmt(traits.lr)})`,
          'ReLU-family activations in hidden layers',
        ],
      });
    }
  }
  return verdicts;
}
