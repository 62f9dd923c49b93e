import { InputError } from './errors.ts';
import { LayerInputError } from './graph.ts';
import { LAYER_RULES } from './layers/index.ts';
import type { LayerSpec, ModelSpec } from './model_spec.ts';
import { buildSummary, type SummaryOptions, type SummaryReport } from './summary.ts';

/**
 * Reads the text `print(model)` shows for a PyTorch module and turns it into a ModelSpec.
 * Parameter counts come from the printed constructor arguments of every known leaf module, so
 * they are exact whatever the model's forward does. Shapes and MACs need the forward's order:
 * containers run their children in printed order (Sequential, and custom classes, with a note),
 * and the torchvision classes whose forward is known are rebuilt with their skips and
 * functional steps (ResNet's flatten, BasicBlock/Bottleneck's residual add, InvertedResidual's
 * residual, MobileNetV2's pool + flatten, VGG's flatten, VisionTransformer's tokens).
 */

/** A Python value as the printout writes it. */
export type PyValue = number | boolean | string | null | PyValue[];

/** A module's printed constructor arguments. */
export interface PyArgs {
  positional: PyValue[];
  keyword: Record<string, PyValue>;
}

/** One printed module: `(name): ClassName(args)` or a block with children. */
export interface PrintedModule {
  /** Dotted path as named_modules gives it (`layer1.0.conv1`); '' for the top module. */
  path: string;
  name: string;
  className: string;
  /** 1-based line of the printout. */
  line: number;
  args: PyArgs;
  children: PrintedModule[];
}

/** A module of the printout the parser could not use. */
export interface PrintIssue {
  path: string;
  className: string;
  line: number;
  reason: string;
}

/** What a printout gives. */
export interface TorchPrintResult {
  /** Class name of the top module. */
  model: string;
  /** Parameters of every known module, from the printed arguments. */
  params: number;
  /** False when an unknown module class holds parameters the count cannot see. */
  params_exact: boolean;
  /** Parameters per top-level child, in printed order. */
  children: { name: string; className: string; line: number; params: number }[];
  /** Module classes the parser does not know (listed, not guessed). */
  unknown_modules: PrintIssue[];
  /** Modules that could not be placed in a ModelSpec, and why. */
  unplaced: PrintIssue[];
  /** Assumptions the ModelSpec makes where the printout is silent. */
  notes: string[];
  /** The model as a ModelSpec (null when a module could not be placed). */
  spec: ModelSpec | null;
}

/** A one-line error about a printout line. */
export class PrintParseError extends InputError {
  constructor(readonly line: number, detail: string) {
    super(`print(model) text, line ${line}: ${detail}`);
  }
}

// ---------------------------------------------------------------- argument text

class ArgReader {
  private pos = 0;
  constructor(private readonly text: string, private readonly line: number) {}

  private fail(what: string): never {
    throw new PrintParseError(this.line, `${what} at column ${this.pos + 1} of "${this.text.length > 80 ? `${this.text.slice(0, 77)}...` : this.text}"`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }

  private value(): PyValue {
    const c = this.peek();
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      this.pos++;
      const items: PyValue[] = [];
      while (this.peek() !== close) {
        if (this.pos >= this.text.length) this.fail(`unclosed "${c}"`);
        items.push(this.value());
        if (this.peek() === ',') this.pos++;
        else if (this.peek() !== close) this.fail(`expected "," or "${close}"`);
      }
      this.pos++;
      return items;
    }
    if (c === "'" || c === '"') {
      const end = this.text.indexOf(c, this.pos + 1);
      if (end < 0) this.fail('unclosed string');
      const s = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return s;
    }
    const m = /^(-?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?|inf)|[A-Za-z_][\w.]*)/i.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a value');
    this.pos += m[0].length;
    const word = m[0];
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    if (/^-?(\d|\.|inf)/i.test(word)) return Number(word.replace(/inf/i, 'Infinity'));
    return word;
  }

  /** `a, b, key=value, …` up to the end of the text. */
  args(): PyArgs {
    const out: PyArgs = { positional: [], keyword: {} };
    while (this.peek() !== '') {
      const kw = /^([A-Za-z_]\w*)\s*=/.exec(this.text.slice(this.pos));
      if (kw) {
        this.pos += kw[0].length;
        out.keyword[kw[1]] = this.value();
      } else {
        if (Object.keys(out.keyword).length) this.fail('a positional value after keyword arguments');
        out.positional.push(this.value());
      }
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== '') this.fail('expected ","');
    }
    return out;
  }
}

/** Parses a printed argument list (`3, 64, kernel_size=(7, 7), bias=False`). */
export function parsePyArgs(text: string, line = 1): PyArgs {
  return new ArgReader(text, line).args();
}

// ---------------------------------------------------------------- module tree

const CHILD_LINE = /^\(([^()]*)\):\s*(?:(\d+)\s*x\s+)?([A-Za-z_][\w.]*)\((.*)$/;
/** `(0): Parameter containing: [torch.float32 of size 2x5]`, as ParameterList/ParameterDict print an entry. */
const PARAMETER_ENTRY = /\(([^()]*)\):\s*Parameter containing:\s*\[torch\.\w+ of size ([\dx]*)(?: \([^)]*\))?\]/g;

function parameterModule(name: string, size: string, parentPath: string, line: number): PrintedModule {
  const shape = size ? size.split('x').map(Number) : [];
  return { path: parentPath ? `${parentPath}.${name}` : name, name, className: 'Parameter', line, args: { positional: [shape], keyword: {} }, children: [] };
}
const TOP_LINE = /^([A-Za-z_][\w.]*)\((.*)$/;

interface OpenBlock {
  module: PrintedModule;
  indent: number;
  extra: string[];
  /** `(0-11): 12 x Block(`: the names of the copies. */
  copies: string[] | null;
  parent: OpenBlock | null;
}

function repeatNames(label: string, count: number, line: number): string[] {
  const m = /^(\d+)-(\d+)$/.exec(label);
  if (!m) throw new PrintParseError(line, `a repeated module needs a range label such as "(0-11): 12 x …", got "(${label})"`);
  const [from, to] = [Number(m[1]), Number(m[2])];
  if (to - from + 1 !== count) throw new PrintParseError(line, `the range ${from}-${to} holds ${to - from + 1} modules but the line says ${count} x`);
  return Array.from({ length: count }, (_, i) => String(from + i));
}

function cloneModule(m: PrintedModule, name: string, parentPath: string): PrintedModule {
  const path = parentPath ? `${parentPath}.${name}` : name;
  return { ...m, name, path, children: m.children.map((c) => cloneModule(c, c.name, path)) };
}

function attach(parent: OpenBlock | null, child: PrintedModule, copies: string[] | null): void {
  if (!parent) return;
  if (copies) for (const name of copies) parent.module.children.push(cloneModule(child, name, parent.module.path));
  else parent.module.children.push(child);
}

/** Parses a printout into its module tree, with one-line errors naming the line. */
export function parsePrintedTree(text: string): PrintedModule {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let top: PrintedModule | null = null;
  let open: OpenBlock | null = null;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const body = raw.trim();
    if (body === '') return;
    if (top && !open) throw new PrintParseError(line, `text after the closing ")" of ${top.className}: "${body.slice(0, 60)}"`);
    if (body === ')') {
      if (!open) throw new PrintParseError(line, 'a ")" that closes nothing');
      const done: OpenBlock = open;
      const indent = raw.length - raw.trimStart().length;
      if (indent !== done.indent) {
        throw new PrintParseError(line, `this ")" (indent ${indent}) does not line up with ${done.module.className} opened on line ${done.module.line} (indent ${done.indent}), which is never closed`);
      }
      if (done.extra.length) done.module.args = parsePyArgs(done.extra.join(', '), done.module.line);
      open = done.parent;
      attach(open, done.module, done.copies);
      return;
    }
    const entries = [...body.matchAll(PARAMETER_ENTRY)];
    if (entries.length === 1 && entries[0].index === 0 && entries[0][0] === body) {
      if (!open) throw new PrintParseError(line, 'a parameter outside any module');
      open.module.children.push(parameterModule(entries[0][1], entries[0][2], open.module.path, line));
      return;
    }
    const child = CHILD_LINE.exec(body);
    const head = child ? null : TOP_LINE.exec(body);
    if (!child && !head) {
      if (open && open.module.children.length === 0 && /=/.test(body)) {
        open.extra.push(body);
        return;
      }
      throw new PrintParseError(line, `expected "(name): Module(…)" or ")", got "${body.slice(0, 60)}"`);
    }
    if (head && (top || open)) throw new PrintParseError(line, `expected "(name): Module(…)" inside ${open?.module.className ?? 'the model'}, got "${body.slice(0, 60)}"`);
    if (child && !open) throw new PrintParseError(line, `"(${child[1]}): …" outside any module (the printout starts with "ClassName(")`);
    const label = child ? child[1] : '';
    const count = child?.[2] ? Number(child[2]) : 0;
    const copies = count ? repeatNames(label, count, line) : null;
    const className = child ? child[3] : head![1];
    const rest = child ? child[4] : head![2];
    const parentPath = open?.module.path ?? '';
    const name = copies ? copies[0] : label;
    const path = parentPath && name ? `${parentPath}.${name}` : name;
    const module: PrintedModule = { path, name, className, line, args: { positional: [], keyword: {} }, children: [] };
    if (!top) top = module;
    if (rest.trim() === '') {
      open = { module, indent: raw.length - raw.trimStart().length, extra: [], copies, parent: open };
      return;
    }
    if (!rest.endsWith(')')) throw new PrintParseError(line, `${className}(… is not closed on its line: "${body.slice(0, 60)}"`);
    const inline = [...rest.matchAll(PARAMETER_ENTRY)];
    if (inline.length) module.children = inline.map((m) => parameterModule(m[1], m[2], path, line));
    else module.args = parsePyArgs(rest.slice(0, -1), line);
    attach(open, module, copies);
  });
  if (!top) throw new InputError('print(model) text is empty (paste what print(model) shows, starting with "ClassName(")');
  if (open) throw new PrintParseError(lines.length, `${(open as OpenBlock).module.className} opened on line ${(open as OpenBlock).module.line} is never closed`);
  return top;
}

// ---------------------------------------------------------------- known modules

function arg(m: PrintedModule, index: number, key: string): PyValue | undefined {
  if (key in m.args.keyword) return m.args.keyword[key];
  return m.args.positional[index];
}

function intArg(m: PrintedModule, index: number, key: string, fallback?: number): number {
  const v = arg(m, index, key) ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new PrintParseError(m.line, `${m.className}: ${key} must be a whole number, got ${JSON.stringify(v ?? null)}`);
  }
  return v;
}

function boolArg(m: PrintedModule, key: string, fallback: boolean): boolean {
  const v = m.args.keyword[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new PrintParseError(m.line, `${m.className}: ${key} must be True or False, got ${JSON.stringify(v)}`);
  return v;
}

function product(v: PyValue | undefined, m: PrintedModule, key: string): number {
  const list = Array.isArray(v) ? v : [v ?? null];
  if (list.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1)) {
    throw new PrintParseError(m.line, `${m.className}: ${key} must be whole numbers, got ${JSON.stringify(v ?? null)}`);
  }
  return (list as number[]).reduce((a, b) => a * b, 1);
}

function convParams(m: PrintedModule, transposed: boolean): number {
  const inCh = intArg(m, 0, 'in_channels');
  const outCh = intArg(m, 1, 'out_channels');
  const groups = intArg(m, 6, 'groups', 1);
  const k = product(arg(m, 2, 'kernel_size'), m, 'kernel_size');
  const weight = transposed ? inCh * (outCh / groups) * k : outCh * (inCh / groups) * k;
  return weight + (boolArg(m, 'bias', true) ? outCh : 0);
}

function linearParams(m: PrintedModule): number {
  const out = intArg(m, 1, 'out_features');
  return intArg(m, 0, 'in_features') * out + (boolArg(m, 'bias', true) ? out : 0);
}

function recurrentParams(m: PrintedModule, gates: number): number {
  const input = intArg(m, 0, 'input_size');
  const hidden = intArg(m, 1, 'hidden_size');
  const layers = intArg(m, 2, 'num_layers', 1);
  const bias = boolArg(m, 'bias', true);
  const dirs = boolArg(m, 'bidirectional', false) ? 2 : 1;
  const proj = intArg(m, 99, 'proj_size', 0);
  const hOut = proj || hidden;
  let n = 0;
  for (let k = 0; k < layers; k++) {
    const inK = k === 0 ? input : hOut * dirs;
    n += dirs * (gates * hidden * (inK + hOut) + (bias ? 2 * gates * hidden : 0) + (proj ? proj * hidden : 0));
  }
  return n;
}

function cellParams(m: PrintedModule, gates: number): number {
  const input = intArg(m, 0, 'input_size');
  const hidden = intArg(m, 1, 'hidden_size');
  return gates * hidden * (input + hidden) + (boolArg(m, 'bias', true) ? 2 * gates * hidden : 0);
}

const affineNorm = (key: string, fallback: boolean) => (m: PrintedModule): number => (boolArg(m, key, fallback) ? 2 * intArg(m, 0, 'num_features') : 0);

/** Parameter count of each known leaf module class, from its printed arguments. */
const LEAF_PARAMS: Record<string, (m: PrintedModule) => number> = {
  Conv1d: (m) => convParams(m, false), Conv2d: (m) => convParams(m, false), Conv3d: (m) => convParams(m, false),
  ConvTranspose1d: (m) => convParams(m, true), ConvTranspose2d: (m) => convParams(m, true), ConvTranspose3d: (m) => convParams(m, true),
  Linear: linearParams, NonDynamicallyQuantizableLinear: linearParams,
  Bilinear: (m) => intArg(m, 0, 'in1_features') * intArg(m, 1, 'in2_features') * intArg(m, 2, 'out_features') + (boolArg(m, 'bias', true) ? intArg(m, 2, 'out_features') : 0),
  Embedding: (m) => intArg(m, 0, 'num_embeddings') * intArg(m, 1, 'embedding_dim'),
  EmbeddingBag: (m) => intArg(m, 0, 'num_embeddings') * intArg(m, 1, 'embedding_dim'),
  BatchNorm1d: affineNorm('affine', true), BatchNorm2d: affineNorm('affine', true), BatchNorm3d: affineNorm('affine', true), SyncBatchNorm: affineNorm('affine', true),
  InstanceNorm1d: affineNorm('affine', false), InstanceNorm2d: affineNorm('affine', false), InstanceNorm3d: affineNorm('affine', false),
  GroupNorm: (m) => (boolArg(m, 'affine', true) ? 2 * intArg(m, 1, 'num_channels') : 0),
  LayerNorm: (m) => (boolArg(m, 'elementwise_affine', true) ? product(arg(m, 0, 'normalized_shape'), m, 'normalized_shape') * (boolArg(m, 'bias', true) ? 2 : 1) : 0),
  PReLU: (m) => intArg(m, 0, 'num_parameters', 1),
  RNN: (m) => recurrentParams(m, 1), LSTM: (m) => recurrentParams(m, 4), GRU: (m) => recurrentParams(m, 3),
  RNNCell: (m) => cellParams(m, 1), LSTMCell: (m) => cellParams(m, 4), GRUCell: (m) => cellParams(m, 3),
  Parameter: (m) => (m.args.positional[0] as number[]).reduce((a, b) => a * b, 1),
};

/** Leaf classes without parameters. */
const PARAMETER_FREE = new Set([
  'ReLU', 'ReLU6', 'LeakyReLU', 'ELU', 'SELU', 'CELU', 'GELU', 'SiLU', 'Mish', 'Sigmoid', 'Tanh', 'Hardswish', 'Hardsigmoid',
  'Hardtanh', 'Softplus', 'Softsign', 'Softmax', 'LogSoftmax', 'Softmax2d', 'LogSigmoid', 'Tanhshrink', 'Threshold', 'GLU', 'Identity',
  'Dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d', 'AlphaDropout', 'MaxPool1d', 'MaxPool2d', 'MaxPool3d', 'AvgPool1d', 'AvgPool2d',
  'AvgPool3d', 'AdaptiveAvgPool1d', 'AdaptiveAvgPool2d', 'AdaptiveAvgPool3d', 'AdaptiveMaxPool1d', 'AdaptiveMaxPool2d', 'AdaptiveMaxPool3d',
  'LocalResponseNorm', 'Flatten', 'Unflatten', 'Upsample', 'UpsamplingNearest2d', 'UpsamplingBilinear2d', 'PixelShuffle', 'PixelUnshuffle',
  'ZeroPad2d', 'ConstantPad1d', 'ConstantPad2d', 'ConstantPad3d', 'ReflectionPad1d', 'ReflectionPad2d', 'ReplicationPad1d',
  'ReplicationPad2d', 'ChannelShuffle', 'StochasticDepth',
]);

/** Positional constructor arguments of the classes that map to a ModelSpec layer. */
const POSITIONAL: Record<string, string[]> = {
  Conv2d: ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups'],
  ConvTranspose2d: ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'output_padding', 'groups'],
  Linear: ['in_features', 'out_features'],
  Embedding: ['num_embeddings', 'embedding_dim'],
  BatchNorm1d: ['num_features'], BatchNorm2d: ['num_features'],
  LayerNorm: ['normalized_shape'], GroupNorm: ['num_groups', 'num_channels'],
  RNN: ['input_size', 'hidden_size', 'num_layers'], LSTM: ['input_size', 'hidden_size', 'num_layers'], GRU: ['input_size', 'hidden_size', 'num_layers'],
  Softmax: ['dim'], LogSoftmax: ['dim'], LeakyReLU: ['negative_slope'], Dropout: ['p'], Dropout2d: ['p'],
  MaxPool2d: ['kernel_size', 'stride', 'padding'], AvgPool2d: ['kernel_size', 'stride', 'padding'], AdaptiveAvgPool2d: ['output_size'],
  Flatten: ['start_dim', 'end_dim'],
};

/** Containers whose forward is known (the rest of the classes with children are custom). */
const KNOWN_CONTAINERS = new Set([
  'Sequential', 'ModuleList', 'ResNet', 'BasicBlock', 'Bottleneck', 'VGG', 'MobileNetV2', 'InvertedResidual', 'Conv2dNormActivation',
  'ConvNormActivation', 'VisionTransformer', 'Encoder', 'EncoderBlock', 'MLPBlock', 'TransformerEncoder', 'TransformerEncoderLayer',
  'MultiheadAttention', 'ParameterList', 'ParameterDict',
]);

// ---------------------------------------------------------------- counting

interface Walk {
  unknown: PrintIssue[];
  unplaced: PrintIssue[];
  notes: Set<string>;
  /** Image side for ViT's position embedding (from the input shape, else 224). */
  imageSize: [number, number] | null;
}

function mhaEmbed(m: PrintedModule): { embed: number; bias: boolean } {
  const out = m.children.find((c) => c.name === 'out_proj');
  if (!out) throw new PrintParseError(m.line, 'MultiheadAttention without its (out_proj) line: its embed_dim is unknown');
  return { embed: intArg(out, 1, 'out_features'), bias: boolArg(out, 'bias', true) };
}

function vitTokens(m: PrintedModule, w: Walk): { embed: number; patch: [number, number]; tokens: number } | null {
  const proj = m.children.find((c) => c.name === 'conv_proj');
  if (!proj) return null;
  const embed = intArg(proj, 1, 'out_channels');
  const k = arg(proj, 2, 'kernel_size');
  const patch: [number, number] = Array.isArray(k) ? [Number(k[0]), Number(k[1] ?? k[0])] : [Number(k), Number(k)];
  const [h, wd] = w.imageSize ?? [224, 224];
  if (!w.imageSize) w.notes.add('VisionTransformer: image size 224×224 assumed for the position embedding (give the input shape to change it)');
  return { embed, patch, tokens: Math.floor(h / patch[0]) * Math.floor(wd / patch[1]) + 1 };
}

/** The parameter count rule of a leaf class (own keys only: a class named "constructor" has none). */
function leafParams(className: string): ((m: PrintedModule) => number) | undefined {
  return Object.hasOwn(LEAF_PARAMS, className) ? LEAF_PARAMS[className] : undefined;
}

/** Parameters inside a module; unknown leaf classes are recorded and count 0. */
function countParams(m: PrintedModule, w: Walk): number {
  if (m.className === 'MultiheadAttention') {
    const { embed, bias } = mhaEmbed(m);
    w.notes.add('MultiheadAttention: kdim = vdim = embed_dim and no add_bias_kv assumed (the printout shows only out_proj)');
    return 4 * embed * embed + (bias ? 4 * embed : 0);
  }
  const leaf = leafParams(m.className);
  if (leaf && m.children.length === 0) return leaf(m);
  if (PARAMETER_FREE.has(m.className) && m.children.length === 0) return 0;
  if (m.children.length === 0 && !KNOWN_CONTAINERS.has(m.className)) {
    w.unknown.push({ path: m.path, className: m.className, line: m.line, reason: `unknown module class ${m.className}: its parameters are not counted` });
    return 0;
  }
  let n = m.children.reduce((s, c) => s + countParams(c, w), 0);
  if (m.className === 'VisionTransformer') {
    const t = vitTokens(m, w);
    if (t) n += t.embed + t.tokens * t.embed;
  }
  return n;
}

// ---------------------------------------------------------------- ModelSpec

class Unplaceable extends Error {}

function leafSpec(m: PrintedModule, w: Walk): LayerSpec {
  const type = m.className === 'NonDynamicallyQuantizableLinear' ? 'Linear' : m.className;
  // Own keys only: a printed class named "constructor" is no layer type.
  const rule = Object.hasOwn(LAYER_RULES, type) ? LAYER_RULES[type] : undefined;
  if (!rule) {
    const reason = m.className === 'Parameter' ? 'a bare parameter (counted in params) is no layer of a chain' : `no ModelSpec layer type for ${m.className}`;
    w.unplaced.push({ path: m.path, className: m.className, line: m.line, reason });
    throw new Unplaceable();
  }
  const spec: LayerSpec = { type, ...named(m) };
  const names = POSITIONAL[type] ?? [];
  m.args.positional.forEach((v, i) => {
    if (names[i] === undefined) {
      w.unplaced.push({ path: m.path, className: m.className, line: m.line, reason: `${m.className} has more positional arguments than ${names.length}` });
      throw new Unplaceable();
    }
    spec[names[i]] = v;
  });
  for (const [key, v] of Object.entries(m.args.keyword)) {
    if (v === null) continue;
    if (!rule.args.includes(key)) {
      w.notes.add(`${m.className}: printed argument ${key}=${JSON.stringify(v)} has no effect on shapes or costs here and is left out`);
      continue;
    }
    spec[key] = v;
  }
  return spec;
}

function childByName(m: PrintedModule, name: string): PrintedModule | undefined {
  return m.children.find((c) => c.name === name);
}

function childSpecs(m: PrintedModule, w: Walk): LayerSpec[] {
  const out: LayerSpec[] = [];
  let failed = false;
  for (const c of m.children) {
    try {
      out.push(...moduleSpecs(c, w));
    } catch (error) {
      if (!(error instanceof Unplaceable)) throw error;
      failed = true;
    }
  }
  if (failed) throw new Unplaceable();
  return out;
}

/** The spec's `name` key of a module (none for the top module, whose name is empty). */
function named(m: PrintedModule): { name?: string } {
  return m.name ? { name: m.name } : {};
}

function sequential(m: PrintedModule, w: Walk, layers = childSpecs(m, w)): LayerSpec {
  return { type: 'Sequential', ...named(m), layers: layers.length ? layers : [{ type: 'Identity' }] };
}

/** BasicBlock / Bottleneck: conv·bn pairs with a ReLU between them, + shortcut, ReLU. */
function residualBlock(m: PrintedModule, w: Walk): LayerSpec {
  const layers: LayerSpec[] = [];
  const relu: LayerSpec = { type: 'ReLU', name: 'relu', inplace: true };
  let last = 'input';
  for (let k = 1; childByName(m, `conv${k}`); k++) {
    if (k > 1) layers.push({ ...relu });
    const conv = childByName(m, `conv${k}`)!;
    const bn = childByName(m, `bn${k}`);
    layers.push(leafSpec(conv, w));
    last = conv.name;
    if (bn) {
      layers.push(leafSpec(bn, w));
      last = bn.name;
    }
  }
  const down = childByName(m, 'downsample');
  if (down) {
    layers.push({ ...sequential(down, w), inputs: ['input'] });
    layers.push({ type: 'Add', name: 'add', inputs: [last, 'downsample'] });
  } else {
    layers.push({ type: 'Add', name: 'add', inputs: [last, 'input'] });
  }
  layers.push({ ...relu });
  return { type: 'Sequential', ...named(m), layers };
}

function convLeaves(m: PrintedModule): PrintedModule[] {
  if (m.className === 'Conv2d') return [m];
  return m.children.flatMap(convLeaves);
}

/** InvertedResidual: a residual sum when stride is 1 and the channels do not change. */
function invertedResidual(m: PrintedModule, w: Walk): LayerSpec {
  const convs = convLeaves(m);
  const body = childSpecs(m, w);
  const strided = convs.some((c) => {
    const s = arg(c, 3, 'stride');
    return Array.isArray(s) ? s.some((v) => v !== 1) : s !== undefined && s !== 1;
  });
  const same = convs.length > 0 && intArg(convs[0], 0, 'in_channels') === intArg(convs[convs.length - 1], 1, 'out_channels');
  if (!strided && same) return { type: 'Residual', ...named(m), body };
  return { type: 'Sequential', ...named(m), layers: body };
}

/** torchvision's EncoderBlock: x + dropout(attn(ln_1(x))), then + mlp(ln_2(x)). */
function encoderBlock(m: PrintedModule, w: Walk): LayerSpec {
  const need = ['ln_1', 'self_attention', 'dropout', 'ln_2', 'mlp'];
  const missing = need.filter((n) => !childByName(m, n));
  if (missing.length) return customChain(m, w);
  const [ln1, attn, drop, ln2, mlp] = need.map((n) => moduleSpecs(childByName(m, n)!, w)[0]);
  return {
    type: 'Sequential', ...named(m), layers: [
      ln1, attn, drop, { type: 'Add', name: 'residual1', inputs: ['input', 'dropout'] }, ln2, mlp, { type: 'Add', name: 'residual2', inputs: ['residual1', 'mlp'] },
    ],
  };
}

/** nn.TransformerEncoderLayer (post-norm, as its default): attention and feed-forward with adds. */
function transformerEncoderLayer(m: PrintedModule, w: Walk): LayerSpec {
  const need = ['self_attn', 'linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'dropout1', 'dropout2'];
  if (need.some((n) => !childByName(m, n))) return customChain(m, w);
  const printed = childByName(m, 'activation');
  w.notes.add(`TransformerEncoderLayer: norm_first=False${printed ? '' : ' and activation=relu'} assumed (the printout does not show ${printed ? 'it' : 'them'})`);
  const s = Object.fromEntries(need.map((n) => [n, moduleSpecs(childByName(m, n)!, w)[0]]));
  const activation = printed ? moduleSpecs(printed, w)[0] : { type: 'ReLU', name: 'activation' };
  return {
    type: 'Sequential', ...named(m), layers: [
      s.self_attn, s.dropout1, { type: 'Add', name: 'add1', inputs: ['input', 'dropout1'] }, s.norm1,
      s.linear1, activation, s.dropout, s.linear2, s.dropout2,
      { type: 'Add', name: 'add2', inputs: ['norm1', 'dropout2'] }, s.norm2,
    ],
  };
}

function visionTransformer(m: PrintedModule, w: Walk): LayerSpec[] {
  const t = vitTokens(m, w);
  const encoder = childByName(m, 'encoder');
  const heads = childByName(m, 'heads');
  if (!t || !encoder || !heads) return [customChain(m, w)];
  return [
    leafSpec(childByName(m, 'conv_proj')!, w),
    { type: 'PatchTokens', name: 'tokens', embed_dim: t.embed, class_token: true, position_embedding: true },
    sequential(encoder, w),
    { type: 'Select', name: 'class_token_out', dim: 1, index: 0 },
    sequential(heads, w),
  ];
}

/** A chain with functional steps inserted before the named child (ResNet's flatten before fc). */
function chainWith(m: PrintedModule, w: Walk, before: string, steps: LayerSpec[]): LayerSpec[] {
  const layers = childSpecs(m, w);
  const at = layers.findIndex((l) => l.name === before);
  if (at < 0) return layers;
  return [...layers.slice(0, at), ...steps, ...layers.slice(at)];
}

function customChain(m: PrintedModule, w: Walk): LayerSpec {
  if (!KNOWN_CONTAINERS.has(m.className) && ![...w.notes].some((n) => n.startsWith(`${m.className} `))) {
    w.notes.add(`${m.className} (line ${m.line}) is a custom module: its children are assumed to run in printed order`);
  }
  return sequential(m, w);
}

const FLATTEN: LayerSpec = { type: 'Flatten', name: 'flatten', start_dim: 1 };

/** The ModelSpec layers of one printed module (a top-level model returns its children). */
function moduleSpecs(m: PrintedModule, w: Walk): LayerSpec[] {
  switch (m.className) {
    case 'MultiheadAttention': {
      const { embed, bias } = mhaEmbed(m);
      w.notes.add('MultiheadAttention: num_heads = 1 and batch_first=True assumed (MACs do not depend on the head count; saved attention memory does)');
      return [{ type: 'MultiheadAttention', ...named(m), embed_dim: embed, num_heads: 1, bias, batch_first: true }];
    }
    case 'BasicBlock':
    case 'Bottleneck':
      return [residualBlock(m, w)];
    case 'InvertedResidual':
      return [invertedResidual(m, w)];
    case 'EncoderBlock':
      return [encoderBlock(m, w)];
    case 'TransformerEncoderLayer':
      return [transformerEncoderLayer(m, w)];
    case 'VisionTransformer':
      return [{ type: 'Sequential', ...named(m), layers: visionTransformer(m, w) }];
    case 'ResNet':
      return [{ type: 'Sequential', ...named(m), layers: chainWith(m, w, 'fc', [FLATTEN]) }];
    case 'VGG':
      return [{ type: 'Sequential', ...named(m), layers: chainWith(m, w, 'classifier', [FLATTEN]) }];
    case 'MobileNetV2':
      return [{ type: 'Sequential', ...named(m), layers: chainWith(m, w, 'classifier', [{ type: 'AdaptiveAvgPool2d', name: 'avgpool', output_size: [1, 1] }, FLATTEN]) }];
    default:
      break;
  }
  if (m.children.length === 0 && !KNOWN_CONTAINERS.has(m.className)) {
    if (!leafParams(m.className) && !PARAMETER_FREE.has(m.className)) {
      w.unplaced.push({ path: m.path, className: m.className, line: m.line, reason: `unknown module class ${m.className}` });
      throw new Unplaceable();
    }
    return [leafSpec(m, w)];
  }
  return [customChain(m, w)];
}

/** A plausible input shape for the first layer, when none is given. */
function guessInput(layers: LayerSpec[]): number[] {
  const first = layers[0];
  if (!first) return [1];
  if (first.type === 'Sequential' || first.type === 'Residual') return guessInput((first.layers ?? first.body) as LayerSpec[]);
  const n = (k: string): number => (typeof first[k] === 'number' ? (first[k] as number) : 1);
  switch (first.type) {
    case 'Conv2d': case 'BatchNorm2d': return [1, n(first.in_channels !== undefined ? 'in_channels' : 'num_features'), 224, 224];
    case 'Linear': return [1, n('in_features')];
    case 'Embedding': return [1, 16];
    case 'LSTM': case 'GRU': case 'RNN': return first.batch_first ? [1, 16, n('input_size')] : [16, 1, n('input_size')];
    case 'LayerNorm': case 'MultiheadAttention': return [1, 16, n(first.type === 'LayerNorm' ? 'normalized_shape' : 'embed_dim')];
    default: return [1, 3, 224, 224];
  }
}

/** Options of parseTorchPrint. */
export interface TorchPrintOptions {
  /** The model's input shape (sets ViT's image size and the spec's input). */
  input?: number[];
}

/**
 * Parses `print(model)` text: exact parameters from the printed arguments, the unknown module
 * classes with their lines, and a ModelSpec when every module can be placed.
 */
export function parseTorchPrint(text: string, opts: TorchPrintOptions = {}): TorchPrintResult {
  const top = parsePrintedTree(text);
  const w: Walk = { unknown: [], unplaced: [], notes: new Set(), imageSize: opts.input && opts.input.length === 4 ? [opts.input[2], opts.input[3]] : null };
  const params = countParams(top, w);
  const children = (top.children.length ? top.children : [top]).map((c) => {
    const sub: Walk = { unknown: [], unplaced: [], notes: new Set(), imageSize: w.imageSize };
    return { name: c.name, className: c.className, line: c.line, params: countParams(c, sub) };
  });
  if (top.className === 'VisionTransformer') {
    const t = vitTokens(top, w);
    if (t) children.push({ name: 'class_token + encoder.pos_embedding', className: 'Parameter', line: top.line, params: t.embed + t.tokens * t.embed });
  }
  let spec: ModelSpec | null = null;
  try {
    const specs = moduleSpecs(top, w);
    const layers = top.children.length && specs.length === 1 && specs[0].type === 'Sequential' ? (specs[0].layers as LayerSpec[]) : specs;
    spec = { name: top.className, input: opts.input ?? guessInput(layers), layers };
  } catch (error) {
    if (!(error instanceof Unplaceable)) throw error;
  }
  return {
    model: top.className, params, params_exact: w.unknown.length === 0, children,
    unknown_modules: w.unknown, unplaced: w.unplaced, notes: [...w.notes], spec,
  };
}

/** The printed line of the module at a spec path (the deepest printed module the path starts with). */
function lineOfPath(top: PrintedModule, path: string): { className: string; line: number } {
  let best = { className: top.className, line: top.line };
  const visit = (m: PrintedModule): void => {
    if (m.path && (path === m.path || path.startsWith(`${m.path}.`))) best = { className: m.className, line: m.line };
    m.children.forEach(visit);
  };
  visit(top);
  return best;
}

/**
 * Parses a printout and, when it can be placed, runs the summary on the given input shape.
 * A layer the shapes do not fit is reported in `unplaced` (with its printed line) instead of thrown.
 */
export function summarizeTorchPrint(text: string, input: number[], opts: Omit<SummaryOptions, 'input'> = {}): TorchPrintResult & { summary: SummaryReport | null } {
  const result = parseTorchPrint(text, { input });
  if (!result.spec) return { ...result, summary: null };
  try {
    return { ...result, summary: buildSummary(result.spec, { ...opts, input }) };
  } catch (error) {
    if (!(error instanceof LayerInputError)) throw error;
    const at = lineOfPath(parsePrintedTree(text), error.layerPath);
    result.unplaced.push({ path: error.layerPath, className: at.className, line: at.line, reason: error.message });
    return { ...result, summary: null };
  }
}
