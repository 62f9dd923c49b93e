/**
 * The Gradient Lab's configuration: the controls (depth, width, activation, init, norm,
 * residual, learning rate, optimizer, steps, model kind), their URL form, the presets that
 * reproduce the classic failures, and the ModelSpecs they build. Pure TS (no DOM, no GPU), so
 * the CLI, tests and the page build the same nets.
 */
import { parseModelSpec, type InitSpec, type LayerSpec, type ModelSpec } from '../analysis/model_spec.ts';

export const ACTIVATIONS = ['ReLU', 'Tanh', 'Sigmoid', 'GELU', 'LeakyReLU'] as const;
export const INITS = ['pytorch', 'kaiming_normal', 'xavier_uniform', 'normal1', 'normal0.01'] as const;
export const NORMS = ['none', 'batch', 'layer'] as const;
export const KINDS = ['mlp', 'rnn', 'lstm', 'gru', 'custom'] as const;
export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
/** What a second run beside the first varies: nothing, the residual switch, or the recurrent cell. */
export const COMPARES = ['none', 'residual', 'cell'] as const;

export type Activation = (typeof ACTIVATIONS)[number];
export type InitName = (typeof INITS)[number];
export type NormName = (typeof NORMS)[number];
export type ModelKind = (typeof KINDS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];
export type CompareName = (typeof COMPARES)[number];

export interface GradLabConfig {
  /** `custom`: the ModelSpec in `spec` (e.g. sent by the Builder), trained with this page's optimizer, lr, steps and seed. */
  kind: ModelKind;
  /** MLP: hidden Linear + activation blocks; recurrent: ignored. */
  depth: number;
  /** MLP hidden width, or recurrent hidden size. */
  width: number;
  activation: Activation;
  init: InitName;
  norm: NormName;
  residual: boolean;
  lr: number;
  optimizer: OptimizerName;
  /** Training steps per run. */
  steps: number;
  batch: number;
  /** Recurrent: sequence length T. */
  seq: number;
  compare: CompareName;
  seed: number;
  /** The ModelSpec JSON of the `custom` kind ('' otherwise). */
  spec: string;
}

export const INIT_LABELS: Record<InitName, string> = {
  pytorch: 'PyTorch default (U ±1/√fan_in)',
  kaiming_normal: 'Kaiming / He normal',
  xavier_uniform: 'Xavier / Glorot uniform',
  normal1: 'N(0, 1)',
  'normal0.01': 'N(0, 0.01²)',
};

export const DEFAULT_CONFIG: GradLabConfig = {
  kind: 'mlp', depth: 12, width: 32, activation: 'ReLU', init: 'kaiming_normal', norm: 'none', residual: false,
  lr: 0.01, optimizer: 'sgd', steps: 5, batch: 16, seq: 50, compare: 'none', seed: 0, spec: '',
};

export interface Preset {
  id: string;
  title: string;
  /** What the preset should show. */
  expect: string;
  config: Partial<GradLabConfig>;
}

export const PRESETS: Preset[] = [
  { id: 'vanishing', title: '20-layer sigmoid MLP', expect: 'vanishing: ∂L/∂h shrinks ×≈0.25 per layer', config: { kind: 'mlp', depth: 20, activation: 'Sigmoid', init: 'pytorch', norm: 'none', residual: false, compare: 'none' } },
  { id: 'exploding', title: '12-layer ReLU, N(0, 1) weights', expect: 'exploding: every layer multiplies the signal by ≈√(fan_in/2)', config: { kind: 'mlp', depth: 12, activation: 'ReLU', init: 'normal1', norm: 'none', residual: false, compare: 'none' } },
  { id: 'healthy', title: '12-layer ReLU, Kaiming init', expect: 'healthy: He init keeps the gradient scale constant', config: { kind: 'mlp', depth: 12, activation: 'ReLU', init: 'kaiming_normal', norm: 'none', residual: false, compare: 'none' } },
  { id: 'residual', title: 'Plain vs residual, 20 tanh layers', expect: 'the plain net vanishes; skip connections keep the gradient', config: { kind: 'mlp', depth: 20, activation: 'Tanh', init: 'pytorch', norm: 'none', residual: false, compare: 'residual' } },
  { id: 'rnn-lstm', title: 'Plain RNN vs LSTM, 50 steps', expect: '‖∂L/∂h_t‖ dies out through time in the RNN, decays far slower in the LSTM', config: { kind: 'rnn', width: 16, seq: 50, init: 'pytorch', compare: 'cell', batch: 8 } },
];

function pick<T extends string>(options: readonly T[], text: string | undefined, fallback: T): T {
  return text !== undefined && (options as readonly string[]).includes(text) ? (text as T) : fallback;
}

function int(text: string | undefined, fallback: number, min: number, max: number): number {
  const v = Number(text);
  return text !== undefined && text !== '' && Number.isInteger(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

/** Limits of the controls (a page must stay responsive on a CPU-emulated GPU). */
export const LIMITS = { depth: [1, 64], width: [2, 512], steps: [1, 200], batch: [1, 256], seq: [2, 200] } as const;

/** The configuration in URL parameters (`preset` applies first, then explicit fields). */
export function parseConfig(params: Record<string, string>): GradLabConfig {
  const preset = PRESETS.find((p) => p.id === params.preset);
  const base: GradLabConfig = { ...DEFAULT_CONFIG, ...(preset?.config ?? {}) };
  const lr = Number(params.lr);
  return {
    kind: pick(KINDS, params.kind, base.kind),
    depth: int(params.depth, base.depth, ...LIMITS.depth),
    width: int(params.width, base.width, ...LIMITS.width),
    activation: pick(ACTIVATIONS, params.act, base.activation),
    init: pick(INITS, params.init, base.init),
    norm: pick(NORMS, params.norm, base.norm),
    residual: params.residual !== undefined ? params.residual === '1' : base.residual,
    lr: params.lr !== undefined && Number.isFinite(lr) && lr > 0 ? lr : base.lr,
    optimizer: pick(OPTIMIZERS, params.opt, base.optimizer),
    steps: int(params.steps, base.steps, ...LIMITS.steps),
    batch: int(params.batch, base.batch, ...LIMITS.batch),
    seq: int(params.seq, base.seq, ...LIMITS.seq),
    compare: pick(COMPARES, params.compare, base.compare),
    seed: int(params.seed, base.seed, 0, 2 ** 31 - 1),
    spec: params.spec ?? base.spec,
  };
}

/** URL parameters of a configuration: only what differs from the defaults. */
export function formatConfig(c: GradLabConfig): Record<string, string> {
  const d = DEFAULT_CONFIG;
  const out: Record<string, string> = {};
  const put = (k: string, v: string, dv: string) => {
    if (v !== dv) out[k] = v;
  };
  put('kind', c.kind, d.kind);
  put('depth', String(c.depth), String(d.depth));
  put('width', String(c.width), String(d.width));
  put('act', c.activation, d.activation);
  put('init', c.init, d.init);
  put('norm', c.norm, d.norm);
  put('residual', c.residual ? '1' : '0', d.residual ? '1' : '0');
  put('lr', String(c.lr), String(d.lr));
  put('opt', c.optimizer, d.optimizer);
  put('steps', String(c.steps), String(d.steps));
  put('batch', String(c.batch), String(d.batch));
  put('seq', String(c.seq), String(d.seq));
  put('compare', c.compare, d.compare);
  put('seed', String(c.seed), String(d.seed));
  if (c.kind === 'custom') put('spec', c.spec, d.spec);
  return out;
}

/** The preset a configuration equals, if any (steps, lr, batch and seed aside). */
export function matchingPreset(c: GradLabConfig): Preset | undefined {
  return PRESETS.find((p) => {
    const full = { ...DEFAULT_CONFIG, ...p.config };
    return (Object.keys(p.config) as (keyof GradLabConfig)[]).every((k) => full[k] === c[k]) && (c.kind !== 'mlp' || (full.depth === c.depth && full.width === c.width));
  });
}

function initSpec(name: InitName): InitSpec {
  if (name === 'normal1') return { scheme: 'normal', std: 1 };
  if (name === 'normal0.01') return { scheme: 'normal', std: 0.01 };
  return name;
}

const IN_FEATURES = 16;
const CLASSES = 10;

function activation(a: Activation, name: string): LayerSpec {
  return { type: a, name };
}

/** Whether the configuration is one of the recurrent families (charted per time step). */
export function isRecurrent(c: GradLabConfig): boolean {
  return c.kind === 'rnn' || c.kind === 'lstm' || c.kind === 'gru';
}

/** The ModelSpec of a configuration. */
export function buildSpec(c: GradLabConfig): ModelSpec {
  if (c.kind === 'custom') {
    if (!c.spec.trim()) throw new Error('Gradient Lab: the custom model has no ModelSpec (paste one, or send it from the Builder)');
    return { ...parseModelSpec(c.spec, 'custom ModelSpec'), optimizer: { type: c.optimizer, lr: c.lr }, seed: c.seed };
  }
  const common = { init: initSpec(c.init), optimizer: { type: c.optimizer, lr: c.lr }, seed: c.seed } as const;
  if (c.kind !== 'mlp') {
    const type = c.kind === 'rnn' ? 'RNN' : c.kind === 'lstm' ? 'LSTM' : 'GRU';
    return {
      name: `${type} T=${c.seq}`, input: [c.seq, c.batch, 8], ...common,
      layers: [
        { type, name: 'rec', input_size: 8, hidden_size: c.width },
        { type: 'Select', name: 'last', dim: 0, index: -1 },
        { type: 'Linear', name: 'head', in_features: c.width, out_features: CLASSES },
      ],
    };
  }
  const layers: LayerSpec[] = [];
  const norm = (name: string): LayerSpec[] => c.norm === 'batch' ? [{ type: 'BatchNorm1d', name, num_features: c.width }] : c.norm === 'layer' ? [{ type: 'LayerNorm', name, normalized_shape: [c.width] }] : [];
  // With residual blocks the first layer projects the input to the width; blocks then keep it.
  const first = c.residual ? 1 : 0;
  if (c.residual) layers.push({ type: 'Linear', name: 'fc0', in_features: IN_FEATURES, out_features: c.width }, ...norm('norm0'), activation(c.activation, 'act0'));
  for (let i = first; i < c.depth; i++) {
    const body: LayerSpec[] = [{ type: 'Linear', name: `fc${i}`, in_features: i ? c.width : IN_FEATURES, out_features: c.width }, ...norm(`norm${i}`), activation(c.activation, `act${i}`)];
    if (c.residual) layers.push({ type: 'Residual', name: `block${i}`, body });
    else layers.push(...body);
  }
  layers.push({ type: 'Linear', name: 'head', in_features: c.width, out_features: CLASSES });
  const title = `${c.depth}-layer ${c.activation} MLP${c.residual ? ' (residual)' : ''}`;
  return { name: title, input: [c.batch, IN_FEATURES], ...common, layers };
}

/** The runs a configuration asks for: one, or two side by side (plain/residual, RNN/LSTM). */
export function runConfigs(c: GradLabConfig): { label: string; config: GradLabConfig }[] {
  if (c.compare === 'residual' && c.kind === 'mlp') {
    return [{ label: 'plain', config: { ...c, residual: false } }, { label: 'residual', config: { ...c, residual: true } }];
  }
  if (c.compare === 'cell' && isRecurrent(c)) {
    const other: ModelKind = c.kind === 'rnn' ? 'lstm' : 'rnn';
    const [a, b] = c.kind === 'rnn' ? [c.kind, other] : [other, c.kind];
    return [{ label: a.toUpperCase(), config: { ...c, kind: a } }, { label: b.toUpperCase(), config: { ...c, kind: b } }];
  }
  return [{ label: c.kind === 'mlp' ? (c.residual ? 'residual' : 'model') : c.kind === 'custom' ? 'model' : c.kind.toUpperCase(), config: c }];
}
